"""Building the default network: a valid graph with the counts the network promises."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import DATA, tree_bytes
from rdflib import Graph
from rdflib.compare import isomorphic
from rdflib.namespace import ORG, RDF

from maillage.graph.ns import MAI
from maillage.publish.build import build, check


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def test_the_default_network_is_valid_with_the_promised_counts(default_dist: Path):
    db = default_dist / "maillage.db"
    assert _count(db, "select count(*) from actors") >= 30
    assert _count(db, "select count(*) from services") >= 60
    assert _count(db, "select count(*) from referrals") >= 40
    # every actor has a site, in one of the two communes
    assert _count(db, "select count(*) from actors where id not in (select actor from sites)") == 0
    assert {r for (r,) in sqlite3.connect(db).execute("select distinct insee from sites")} == {
        "13063",
        "13056",
    }
    # services are spread over the three poles (through the pole of their needs)
    poles = sqlite3.connect(db).execute(
        "select pole, count(distinct service_id) from qui_fait_quoi_ou group by pole"
    )
    counts = dict(poles.fetchall())
    assert set(counts) == {
        "Numérique nécessité",
        "Numérique accomplissement",
        "Numérique loisir et médiation numérique",
    }
    assert min(counts.values()) >= 10


def test_facts_that_are_not_public_are_marked_illustrative(default_dist: Path):
    db = default_dist / "maillage.db"
    # no article gives an address: every site is marked illustrative
    assert _count(db, "select count(*) from sites where illustrative is not 1") == 0


def test_iris_are_stable_across_two_builds(tmp_path: Path, default_dist: Path):
    build(DATA, tmp_path / "again")
    assert (tmp_path / "again" / "maillage.nt").read_bytes() == (
        default_dist / "maillage.nt"
    ).read_bytes()


def test_dumps_hold_the_built_graph(default_dist: Path):
    built = check(DATA)
    for name, fmt in (
        ("maillage.nt", "nt"),
        ("maillage.ttl", "turtle"),
        ("maillage.jsonld", "json-ld"),
    ):
        dumped = Graph().parse(default_dist / name, format=fmt)
        assert isomorphic(dumped, built.graph), name


def test_referrals_derive_the_plain_refers_to_edge():
    graph = check(DATA).graph
    for referral in graph.subjects(RDF.type, MAI.Referral):
        source, target = graph.value(referral, MAI["from"]), graph.value(referral, MAI["to"])
        assert (source, MAI.refersTo, target) in graph
    assert len(set(graph.subjects(RDF.type, ORG.Organization))) >= 30


def test_a_successful_build_replaces_the_previous_folder_whole(tmp_path: Path, tiny: Path):
    out = tmp_path / "dist"
    build(DATA, out)
    # a file an older build published (its build.json lists it); a user's own is kept
    (out / "stale-file.txt").write_text("from an older build")
    info = json.loads((out / "build.json").read_text(encoding="utf-8"))
    info["files"].append("stale-file.txt")
    (out / "build.json").write_text(json.dumps(info), encoding="utf-8")
    report = build(tiny, out)
    files = tree_bytes(out)
    assert "stale-file.txt" not in files
    # the replaced folder is gone once build returns, its removal timed as a stage
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dist")] == []
    assert "cleanup" in report.seconds
    assert _count(out / "maillage.db", "select count(*) from actors") == 2
    assert (out.stat().st_mode & 0o777) == 0o755
