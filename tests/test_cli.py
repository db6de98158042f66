"""The CLI as a user runs it: exit codes, messages, summary."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from conftest import ROOT

from maillage.graph.build import BuiltGraph
from maillage.publish.build import build
from maillage.publish.cli import cli
from maillage.publish.site import make_datasette, site_argv


def test_validate_a_valid_network(tiny: Path):
    result = CliRunner().invoke(cli, ["validate", "--data", str(tiny)])
    assert result.exit_code == 0
    assert "Données valides : 2 acteurs" in result.output


def test_a_missing_data_folder_is_a_usage_error(tmp_path: Path):
    result = CliRunner().invoke(cli, ["validate", "--data", str(tmp_path / "nowhere")])
    assert result.exit_code == 2


def test_build_prints_counts_and_stage_times(tiny: Path, tmp_path: Path):
    result = CliRunner().invoke(cli, ["build", "--data", str(tiny), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "services" in result.output and "triplets" in result.output
    assert "validation" in result.output and "total" in result.output
    assert (tmp_path / "o" / "maillage.db").exists()


def test_the_console_script_ends_once_published_without_freeing_the_network(
    tiny: Path, tmp_path: Path
):
    """``maillage build`` ends with os._exit once the summary is printed (the system takes the
    network's memory back at once): everything is printed, published and in place."""
    out = tmp_path / "dist"
    script = (
        "import atexit, sys; from maillage.publish.cli import main; sys.argv[0] = 'maillage';"
        " atexit.register(print, 'exited the slow way'); main()"
    )
    argv = [sys.executable, "-c", script, "build", "--data", str(tiny), "--out", str(out)]
    for _ in range(2):  # the second replaces the first publication
        result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Publié dans") and "Mémoire maximale" in result.stdout
    assert "nettoyage" in result.stdout and "exited the slow way" not in result.stdout
    with sqlite3.connect(out / "maillage.db") as db:
        assert db.execute("select count(*) from releases").fetchone() == (2,)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dist")] == []


def test_build_keeps_the_network_only_when_asked(tiny: Path, tmp_path: Path):
    assert build(tiny, tmp_path / "a").kept == {}
    kept = build(tiny, tmp_path / "b", free=False).kept
    assert any(isinstance(o, BuiltGraph) and len(o.index) > 100 for o in kept.values())


def test_an_unwritable_output_is_a_clear_error(tiny: Path, tmp_path: Path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = CliRunner().invoke(
            cli, ["build", "--data", str(tiny), "--out", str(locked / "dist")]
        )
    finally:
        locked.chmod(0o700)
    # root ignores directory permissions: then the build simply succeeds
    assert result.exit_code in (0, 1)
    if result.exit_code == 1:
        assert "Erreur" in result.stderr and "Traceback" not in result.output


def test_serve_refuses_a_corrupt_database(tmp_path: Path, tiny: Path):
    out = tmp_path / "dist"
    CliRunner().invoke(cli, ["build", "--data", str(tiny), "--out", str(out)])
    (out / "maillage.db").write_bytes(b"garbage" * 1000)
    # the database is newer than the data: serve does not rebuild, and must refuse
    result = CliRunner().invoke(cli, ["serve", "--data", str(tiny), "--out", str(out)])
    assert result.exit_code == 1
    assert "corrompue" in result.stderr


def test_datasette_is_immutable_and_bounded(tmp_path: Path, tiny: Path):
    out = tmp_path / "dist"
    CliRunner().invoke(cli, ["build", "--data", str(tiny), "--out", str(out)])
    ds = make_datasette(out)
    assert [(db.path, db.is_mutable) for db in ds.databases.values() if db.path] == [
        (str(out / "maillage.db"), False)
    ]
    assert int(ds.setting("sql_time_limit_ms")) <= 2000
    assert int(ds.setting("max_returned_rows")) <= 1000
    argv = site_argv(out)
    assert "--host" in argv and argv[argv.index("--host") + 1] == "127.0.0.1"
