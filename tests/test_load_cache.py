"""The load cache: a file whose bytes did not change is not parsed again, and loading through
the cache gives exactly what loading every file gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from conftest import DATA

from benchmarks.generate import generate
from maillage.graph import load, load_cache
from maillage.publish.build import CACHE_FILE
from maillage.publish.cli import cli


def _loaded(network: load.Network) -> tuple:
    records = [(r.kind, r.id, r.file, r.line, r.lines, r.values) for r in network.records]
    return records, network.errors, network.unreadable


def _network(tmp_path: Path) -> Path:
    data = tmp_path / "national"
    generate(40, data, defects=0.3, seed=3)
    actors = data / "actors"
    (actors / "acteur-000007.yaml").write_text("name: [pas fermé\n", encoding="utf-8")
    shutil.copy(actors / "acteur-000003.yaml", actors / "acteur-000030.yaml")  # duplicate ids
    return data


def _parsed(monkeypatch) -> list[Path]:
    """Record which files are parsed."""
    parsed: list[Path] = []
    read = load._read_actor_file

    def spy(path: Path, data_dir: Path):
        parsed.append(path)
        return read(path, data_dir)

    monkeypatch.setattr(load, "_read_actor_file", spy)
    return parsed


def test_a_cached_load_is_a_whole_load_and_parses_only_changed_files(tmp_path, monkeypatch):
    data, cache = _network(tmp_path), tmp_path / "cache" / "load.pickle"
    parsed = _parsed(monkeypatch)
    whole = _loaded(load.load_network(data, strict=False))
    assert len(whole[1]) >= 3 and whole[2] == {"acteur-000007"}
    files = len(parsed)

    parsed.clear()
    assert _loaded(load.load_network(data, strict=False, cache=cache)) == whole
    assert len(parsed) == files and cache.exists()  # first time: every file, then kept

    parsed.clear()
    assert _loaded(load.load_network(data, strict=False, cache=cache)) == whole
    assert parsed == []  # nothing changed: nothing parsed

    changed = data / "actors" / "acteur-000005.yaml"
    changed.write_text(changed.read_text(encoding="utf-8").replace("name:", "name: Nouveau", 1))
    (data / "actors" / "acteur-000030.yaml").unlink()
    parsed.clear()
    again = _loaded(load.load_network(data, strict=False, cache=cache))
    assert parsed == [changed]
    assert again == _loaded(load.load_network(data, strict=False))
    assert any(values.get("name", "").startswith("Nouveau") for *_, values in again[0])
    assert len(load_cache.LoadCache.open(cache)._old) == files - 1  # the deleted file left it


def test_a_damaged_or_foreign_cache_is_read_as_empty(tmp_path, monkeypatch):
    data, cache = _network(tmp_path), tmp_path / "load.pickle"
    whole = _loaded(load.load_network(data, strict=False, cache=cache))
    parsed = _parsed(monkeypatch)

    cache.write_bytes(cache.read_bytes()[:100])  # truncated
    assert _loaded(load.load_network(data, strict=False, cache=cache)) == whole
    assert len(parsed) == len(list((data / "actors").glob("*.yaml")))

    parsed.clear()
    monkeypatch.setattr(load_cache, "code_version", lambda: "other code")
    assert _loaded(load.load_network(data, strict=False, cache=cache)) == whole
    assert parsed  # written by other code: read again


def test_maillage_build_keeps_its_cache_inside_the_folder_it_was_given(tmp_path):
    runner = CliRunner()
    out = tmp_path / "dist"
    for _ in range(2):  # the second build moves the cache into its new folder
        result = runner.invoke(cli, ["build", "--data", str(DATA), "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert (out / CACHE_FILE).is_file()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]  # nothing beside it
    listed = json.loads((out / "build.json").read_text(encoding="utf-8"))["files"]
    assert CACHE_FILE not in listed  # not part of the publication
    assert CACHE_FILE not in (out / "catalog.ttl").read_text(encoding="utf-8")

    out = tmp_path / "other" / "dist"
    result = runner.invoke(cli, ["build", "--data", str(DATA), "--out", str(out), "--no-cache"])
    assert result.exit_code == 0, result.output
    assert not (out / CACHE_FILE).exists()
