"""`maillage build --out DIR` replaces only a publication of maillage or an empty folder:
anything else is refused (exit 2) and left as it was, and two builds into one folder take
turns instead of losing a release."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import tree_bytes

from maillage.publish import build as build_mod
from maillage.publish.build import FolderRefused, build, publication_folder
from maillage.publish.cli import cli


def _build(data: Path, out: Path):
    return CliRunner().invoke(cli, ["build", "--data", str(data), "--out", str(out)])


def test_build_refuses_a_folder_holding_a_users_files(tiny: Path, tmp_path: Path):
    folder = tmp_path / "v"
    folder.mkdir()
    (folder / "these.docx").write_bytes(b"x")
    result = _build(tiny, folder)
    assert result.exit_code == 2, result.output
    assert "ne peut pas être remplacé" in result.output and "rien n'a été touché" in result.output
    assert tree_bytes(folder) == {"these.docx": b"x"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "v"]  # nothing left beside


def test_build_refuses_the_data_folder_and_the_project(tiny: Path, tmp_path: Path, monkeypatch):
    before = tree_bytes(tiny)
    assert _build(tiny, tiny).exit_code == 2
    assert tree_bytes(tiny) == before
    monkeypatch.chdir(tmp_path)
    assert _build(tiny, Path(".")).exit_code == 2
    assert _build(tiny, Path("/")).exit_code == 2
    assert not Path("/.maillage-cache").exists() and not Path("/.maillage-cache.pickle").exists()
    assert tree_bytes(tiny) == before


def test_build_refuses_a_file_and_a_link(tiny: Path, tmp_path: Path):
    file = tmp_path / "fichier"
    file.write_text("x")
    assert _build(tiny, file).exit_code == 2
    link = tmp_path / "lien"
    link.symlink_to(tmp_path / "ailleurs")
    assert _build(tiny, link).exit_code == 2
    assert not (tmp_path / "ailleurs").exists()


def test_build_replaces_an_empty_folder_and_its_own_publication(tiny: Path, tmp_path: Path):
    out = tmp_path / "vide"
    out.mkdir()
    assert _build(tiny, out).exit_code == 0
    info = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert "maillage.db" in info["files"] and "build.json" in info["files"]
    assert _build(tiny, out).exit_code == 0  # its own publication: replaced


def test_a_forged_marker_of_the_wrong_shape_is_not_a_publication(tiny: Path, tmp_path: Path):
    out = tmp_path / "faux"
    out.mkdir()
    (out / "build.json").write_text('{"name": "pas une publication"}')
    (out / "rapport.odt").write_bytes(b"x")
    with pytest.raises(FolderRefused):
        build(tiny, out)
    assert (out / "rapport.odt").exists()


def test_a_second_build_into_the_same_folder_waits_for_the_first(tiny: Path, tmp_path: Path):
    out = tmp_path / "dist"
    build(tiny, out)
    order: list[str] = []
    with publication_folder(out):
        second = threading.Thread(target=lambda: order.append("second"), daemon=True)
        waiting = threading.Thread(target=lambda: (build(tiny, out), second.start()), daemon=True)
        waiting.start()
        time.sleep(0.5)
        order.append("first")  # still holding the folder: the other build waits
    waiting.join(60)
    second.join(5)
    assert order == ["first", "second"]


def test_two_concurrent_builds_both_keep_their_release(tiny: Path, tmp_path: Path):
    out = tmp_path / "dist"
    build(tiny, out)
    script = "import sys; from maillage.publish.build import build; build(sys.argv[1], sys.argv[2])"
    builds = [
        subprocess.Popen([sys.executable, "-c", script, str(tiny), str(out)]) for _ in range(2)
    ]
    assert [b.wait(120) for b in builds] == [0, 0]
    releases = json.loads((out / "releases.json").read_text(encoding="utf-8"))
    assert [r["version"] for r in releases] == [1, 2, 3]


def test_refusal_says_why(tmp_path: Path):
    assert build_mod.refusal(tmp_path / "absent") is None
    (tmp_path / "x").mkdir()
    assert build_mod.refusal(tmp_path / "x") is None
    (tmp_path / "x" / "a").write_text("a")
    assert "pas une publication" in build_mod.refusal(tmp_path / "x")
