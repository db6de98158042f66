"""What a national network needs: work spread over processes gives what one process gives."""

from __future__ import annotations

from conftest import DATA

from benchmarks.generate import generate
from graph import load
from publish import rdf
from publish.build import build


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
    monkeypatch.setattr(rdf, "BESIDE_FROM", 0)
    beside = build(DATA, tmp_path / "beside")
    assert beside.beside["rdf"] > 0
    assert beside.beside_peak_mb["rdf"] > 0  # the converter process's own peak
    assert inline.beside == inline.beside_peak_mb == {}  # converted in the build's process
    for name in ("maillage.nt", "maillage.ttl", "maillage.trig", "maillage.jsonld"):
        assert (tmp_path / "beside" / name).read_bytes() == (
            tmp_path / "inline" / name
        ).read_bytes()
    assert not list((tmp_path / "beside").glob(".*"))  # the converter's input is not published
    assert inline.counts == beside.counts
