"""What a national network needs: work spread over processes gives what one process gives."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time

import pytest
import sqlite_utils
from conftest import DATA, tree_bytes
from rdflib import Graph

from benchmarks.generate import generate
from maillage.graph import load
from maillage.graph.errors import DataErrors
from maillage.publish import build as build_module
from maillage.publish import runner
from maillage.publish.beside import Beside, Forked
from maillage.publish.build import build, check
from maillage.publish.catalog import SPDX


def test_parallel_loading_reads_the_same_records_and_errors_as_serial(tmp_path, monkeypatch):
    data = tmp_path / "national"
    generate(60, data, defects=0.3, seed=2)
    (data / "actors" / "acteur-000007.yaml").write_text("name: [pas fermé\n", encoding="utf-8")
    (data / "actors" / "acteur-000011.yaml").write_text("nom: faute de clé\n", encoding="utf-8")
    serial = load.load_network(data, strict=False)
    monkeypatch.setattr(load, "PARALLEL_FROM", 10)
    monkeypatch.setattr(load, "_CHUNK", 7)
    seen = []
    parallel = load.load_network(data, strict=False, progress=lambda *a: seen.append(a))
    assert [(r.kind, r.id, r.file, r.line, r.lines, r.values) for r in parallel.records] == [
        (r.kind, r.id, r.file, r.line, r.lines, r.values) for r in serial.records
    ]
    assert parallel.errors == serial.errors and len(serial.errors) >= 2
    assert parallel.unreadable == serial.unreadable == {"acteur-000007"}
    assert seen[-1] == ("load", 60, 60) and len(seen) == 9  # one report per chunk


def test_dumps_written_by_another_process_are_the_same_bytes(tmp_path, monkeypatch):
    """A national network's Turtle, TriG and JSON-LD are written by a converter process while
    the build goes on; they are byte for byte those written in the build's own process."""
    inline = build(DATA, tmp_path / "inline")
    beside = build(DATA, tmp_path / "beside", beside=True)
    assert beside.beside["dumps"] > 0
    assert beside.beside_peak_mb["dumps"] > 0  # the converter process's own peak
    assert beside.beside["validate"] > 0 and beside.beside_peak_mb["validate"] > 0
    assert "validate" not in beside.seconds and "validate-wait" in beside.seconds
    assert inline.beside == inline.beside_peak_mb == {}  # converted in the build's process
    assert "validate" in inline.seconds
    assert beside.beside["plot"] > 0  # the coverage matrix, drawn by another process
    assert beside.beside["index"] > 0  # the database indexed by a thread: the same database

    def schema_and_rows(out):
        db = sqlite_utils.Database(out / "maillage.db")
        schema = [(t["type"], t["name"], t["sql"]) for t in db["sqlite_master"].rows]
        counts = {name: db[name].count for name in db.table_names()}
        found = [row["id"] for row in db["actors"].search("numerique")]
        db.close()
        return sorted(schema, key=str), counts, found

    assert schema_and_rows(tmp_path / "beside") == schema_and_rows(tmp_path / "inline")
    assert len(schema_and_rows(tmp_path / "inline")[2]) > 0
    for name in (
        "maillage.nt",
        "maillage.ttl",
        "maillage.trig",
        "maillage.jsonld",
        "couverture.png",
    ):
        assert (tmp_path / "beside" / name).read_bytes() == (
            tmp_path / "inline" / name
        ).read_bytes()
    hidden = [p.name for p in (tmp_path / "beside").glob(".*")]
    assert hidden == [build_module.CACHE_FILE]  # the converter's input is not published
    assert inline.counts == beside.counts
    # the converter's and the release diff's SHA-256 of the dumps are the files' own
    catalog = Graph().parse(tmp_path / "beside" / "catalog.ttl")
    checksums = {
        str(dist).rsplit("/", 1)[-1]: str(value)
        for dist, checksum in catalog.subject_objects(SPDX.checksum)
        for value in catalog.objects(checksum, SPDX.checksumValue)
    }
    assert len(checksums) >= 12
    for name, value in checksums.items():
        assert hashlib.sha256((tmp_path / "beside" / name).read_bytes()).hexdigest() == value


def test_a_network_validated_in_a_forked_process_fails_with_the_same_errors(tmp_path, monkeypatch):
    """From BESIDE_FROM triples the build validates in a forked copy of its process
    while it writes the N-Triples: the same errors as a validation in the build's own process,
    and nothing published (the previous folder stays whole, no temporary folder is left)."""
    data = tmp_path / "national"
    generate(40, data, defects=0.3, seed=3)
    with pytest.raises(DataErrors) as here:
        check(data)
    out = tmp_path / "dist"
    build(DATA, out)
    before = tree_bytes(out)
    forks = []
    monkeypatch.setattr(runner, "Forked", lambda *job: forks.append(Forked(*job)) or forks[-1])
    with pytest.raises(DataErrors) as forked:
        build(data, out, cache=False, beside=True)
    assert len(forks) == 1 and forks[0].seconds > 0  # validated in the forked copy
    assert forked.value.errors == here.value.errors and len(here.value.errors) >= 5
    assert tree_bytes(out) == before
    assert list(tmp_path.glob(".dist-new-*")) == []


def _fails() -> None:
    raise ValueError("écrit dans la copie")


def _unpicklable():
    return lambda: None


@pytest.mark.parametrize("job", [Forked, Beside])
def test_a_job_in_another_process_gives_its_value_its_exception_or_a_clear_error(job):
    """A forked copy of the build (the validation) or a new Python (the converter, the release
    diff, the matrix drawing): the same answers."""
    done = job(sorted, ({3, 1, 2},))
    assert done.result() == [1, 2, 3]
    assert done.seconds >= 0 and done.peak_mb is not None and done.peak_mb > 0
    with pytest.raises(ValueError, match="écrit dans la copie"):
        job(_fails, ()).result()
    with pytest.raises(RuntimeError, match="s'est arrêté sans répondre"):
        job(os._exit, (3,)).result()
    with pytest.raises(RuntimeError, match="pickle"):
        job(_unpicklable, ()).result()  # a value that cannot be sent back


def test_a_job_beside_starts_a_python_of_its_own_and_can_be_stopped():
    # it imports what its job needs, not the build's whole program (nor the CLI)
    modules = Beside(eval, ("sorted(__import__('sys').modules)",)).result()
    assert (
        "maillage.publish.beside" in modules
        and "maillage.publish.cli" not in modules
        and "click" not in modules
    )
    stopped = Beside(time.sleep, (30,))
    stopped.close()  # no longer wanted: stopped at once
    assert Beside(sorted, ([2, 1],), here=True).result() == [1, 2]


def test_the_release_diff_made_by_another_process_is_the_one_made_here(tmp_path, monkeypatch, tiny):
    """With the converter in another process, the release diff is made by one more, meanwhile:
    the same releases and the same changes as in the build's own process."""
    here, there = tmp_path / "here", tmp_path / "there"
    for out in (here, there):
        build(DATA, out)
    inline = build(tiny, here)
    beside = build(tiny, there, beside=True)
    assert "history" not in inline.beside and inline.seconds["history"] > 0
    assert beside.beside["history"] > 0 and beside.beside_peak_mb["history"] > 0

    def published(out):
        with sqlite3.connect(out / "maillage.db") as db:
            changes = db.execute("select * from changes order by kind, id, change").fetchall()
            releases = db.execute("select version, sha256, actors from releases").fetchall()
        return changes, releases

    assert published(there) == published(here)
    changes, releases = published(here)
    assert len(changes) > 30 and [r[0] for r in releases] == [1, 2]  # the actors gone, ...
    assert releases[-1][1] == hashlib.sha256((here / "maillage.nt").read_bytes()).hexdigest()
