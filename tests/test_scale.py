"""What a national network needs: parallel loading gives what serial loading gives."""

from __future__ import annotations

from benchmarks.generate import generate
from graph import load


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
