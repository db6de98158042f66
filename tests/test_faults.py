"""Faults: a build killed at any moment, a full disk or an unwritable folder never leave a
half-written published folder; the previous one stays, or the new one is complete."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA, ROOT, make_network, tree_bytes

from maillage.publish.build import build
from maillage.publish.cli import cli

BUILD = "import sys; from maillage.publish.build import build; build(sys.argv[1], sys.argv[2])"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The complete new folder a build of the default network writes."""
    out = tmp_path_factory.mktemp("reference") / "dist"
    build(DATA, out)
    return out


def _is_complete_new(out: Path, reference: Path) -> bool:
    if sorted(p.name for p in out.iterdir()) != sorted(p.name for p in reference.iterdir()):
        return False
    if (out / "maillage.nt").read_bytes() != (reference / "maillage.nt").read_bytes():
        return False
    with sqlite3.connect(f"file:{out / 'maillage.db'}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("select count(*) from actors").fetchone()[0] == 31


@pytest.fixture(scope="module")
def old_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A previous publication (the tiny network), copied before each fault."""
    folder = tmp_path_factory.mktemp("old")
    build(make_network(folder), folder / "dist")
    return folder / "dist"


@pytest.mark.parametrize("delay", [0.5, 2.0, 3.0, 3.8, 4.6])
def test_a_build_killed_at_any_moment_leaves_the_old_or_the_new_folder(
    delay: float, tmp_path: Path, reference: Path, old_dist: Path, tiny: Path
):
    out = tmp_path / "dist"
    shutil.copytree(old_dist, out)
    old = tree_bytes(out)
    process = subprocess.Popen([sys.executable, "-c", BUILD, str(DATA), str(out)], cwd=ROOT)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert tree_bytes(out) == old or _is_complete_new(out, reference)
    # the next build cleans what the killed one left, and publishes
    build(tiny, out)
    with sqlite3.connect(out / "maillage.db") as conn:
        assert conn.execute("select count(*) from actors").fetchone()[0] == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dist-new-")] == []


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))


def test_a_full_disk_is_a_clear_error_and_keeps_the_previous_folder(tmp_path: Path, old_dist: Path):
    out = tmp_path / "dist"
    shutil.copytree(old_dist, out)
    old = tree_bytes(out)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "maillage.publish.cli",
            "build",
            "--data",
            str(DATA),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=_limit_file_size,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "publication impossible" in result.stderr
    assert "le dossier publié précédent est intact" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_bytes(out) == old
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dist-new-")] == []


def test_an_output_folder_that_cannot_be_created_is_a_clear_error(tmp_path: Path, tiny: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(cli, ["build", "--data", str(tiny), "--out", str(blocker / "dist")])
    assert result.exit_code == 1
    assert "Erreur : impossible d'écrire" in result.stderr
    assert "Traceback" not in result.output


def test_leftovers_of_a_live_build_are_not_touched(tmp_path: Path, tiny: Path):
    live = tmp_path / f".dist-new-{os.getpid()}-abc"
    live.mkdir()
    build(tiny, tmp_path / "dist")
    assert live.exists()
