"""Shared fixtures: tiny networks in tmp_path, the built default network, a Datasette client."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import maillage.publish.site
from maillage.publish.build import build

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
TINY = Path(__file__).parent / "networks" / "tiny"
BAD_INPUTS = Path(__file__).parent / "bad_inputs"


def make_network(folder: Path, source: Path = TINY, overlay: Path | None = None) -> Path:
    """A data folder at ``folder/data``: ``source`` with the default vocabularies, plus
    ``overlay``'s files on top (a bad-input case)."""
    data = folder / "data"
    shutil.copytree(source, data)
    if not (data / "vocab").exists():
        shutil.copytree(DATA / "vocab", data / "vocab")
    if overlay is not None:
        shutil.copytree(
            overlay, data, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.txt", "GENERATE-*")
        )
        actors = data / "actors"
        if (overlay / "GENERATE-FIFO").exists():  # a named pipe: reading it would block
            os.mkfifo(actors / "tube.yaml")
        if (overlay / "GENERATE-LINK-OUT").exists():  # a link to a file outside the data
            (folder / "secret.yaml").write_text("name: Secret\n", encoding="utf-8")
            (actors / "secret.yaml").symlink_to(folder / "secret.yaml")
        if (overlay / "GENERATE-DEV-ZERO").exists():  # endless
            (actors / "zero.yaml").symlink_to("/dev/zero")
        if (overlay / "GENERATE-50MB").exists():
            # too big to commit: a 50 MB actor file, made here
            with (data / "actors" / "enorme.yaml").open("w", encoding="utf-8") as handle:
                handle.write("name: Énorme\n")
                line = "# " + "x" * 1022 + "\n"
                for _ in range(50 * 1024):
                    handle.write(line)
    return data


# Every Datasette a test makes, closed when the fixture scope that made it ends. Datasette keeps
# every file connection it opens (``Database._all_file_connections``) and its threads keep the
# instance alive, while the guard's ``hard_heap_limit`` is one budget for the whole process: a
# few hundred sites left open in one pytest process ran SQLite out of heap (MemoryError).
SITES: list = []
_make_datasette = maillage.publish.site.make_datasette


def _tracked_datasette(out: Path):  # -> datasette.app.Datasette
    site = _make_datasette(out)
    SITES.append(site)
    return site


maillage.publish.site.make_datasette = _tracked_datasette


def _close_sites_from(start: int) -> None:
    for site in SITES[start:]:
        for database in site.databases.values():
            database.close()
    del SITES[start:]


@pytest.fixture(autouse=True, scope="module")
def _close_module_sites():
    start = len(SITES)
    yield
    _close_sites_from(start)


@pytest.fixture(autouse=True)
def _close_test_sites():
    # wider fixtures' sites were made before this one starts, so they stay open for the next test
    start = len(SITES)
    yield
    _close_sites_from(start)


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return make_network(tmp_path)


@pytest.fixture(scope="session")
def default_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default network, built once for the whole session."""
    out = tmp_path_factory.mktemp("default") / "dist"
    build(DATA, out)
    return out


@pytest.fixture(scope="session")
def site(default_dist: Path):
    """The default network served by Datasette on loopback, once for every browser test."""
    from browser import served

    with served(default_dist) as url:
        yield url


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/screenshots with MAILLAGE_SCREENSHOTS=docs/screenshots (make screenshots), else a
    temporary folder: a test run changes no tracked file."""
    chosen = os.environ.get("MAILLAGE_SCREENSHOTS")
    folder = ROOT / chosen if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
