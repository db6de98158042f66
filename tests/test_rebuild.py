"""Checking again after a change gives what a whole check of the folder gives, file by file."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from benchmarks.generate import generate
from maillage.graph.build import build_graph
from maillage.graph.load import load_network
from maillage.graph.vocab import load_vocabulary
from maillage.publish.build import new_findings
from maillage.publish.rebuild import LiveNetwork, Publisher
from maillage.shapes import validate


def whole_check(data: Path):
    """The folder loaded, built and validated from scratch, as ``maillage build`` does."""
    network = load_network(data, strict=False)
    built = build_graph(network, load_vocabulary(data / "vocab", network.base))
    return built, network.errors + new_findings(validate(built), network)


def assert_same_as_whole(live: LiveNetwork, data: Path) -> None:
    built, errors = whole_check(data)
    assert live.errors == errors
    assert set(live.built.index) == set(built.index)
    assert len(live.built.index) == len(built.index)

    def records(network):
        return [(r.kind, r.id, r.file, r.line, r.values) for r in network.records]

    assert records(live.built.network) == records(built.network)
    assert {k: (r.kind, r.id) for k, r in live.built.origin.items()} == {
        k: (r.kind, r.id) for k, r in built.origin.items()
    }


def read(path: Path) -> dict | None:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return None  # a file a previous edit broke


def write(path: Path, doc: dict) -> None:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_editing_one_file_after_another_matches_a_whole_check(tmp_path):
    data = tmp_path / "network"
    generate(40, data, defects=0.1, seed=7)
    live = LiveNetwork(data)
    assert_same_as_whole(live, data)
    actors = data / "actors"
    path = actors / "acteur-000003.yaml"

    doc = read(path)
    doc["name"] = "Centre social renommé"
    write(path, doc)
    update = live.update([path])
    assert not update.whole and update.files == ["network/actors/acteur-000003.yaml"]
    assert_same_as_whole(live, data)
    name = live.built.index.forward(
        next(p for p in live.built.index.predicates() if str(p) == "https://schema.org/name")
    )
    assert any(str(v) == "Centre social renommé" for vs in name.values() for v in vs)

    doc["services"][0]["needs"] = ["besoin-inconnu"]
    doc["services"][1]["sites"] = ["acteur-000004-lieu-0"]  # another actor's site
    doc["referrals"] = [{"to": "acteur-000099"}, {"to": "acteur-000003"}]
    write(path, doc)
    update = live.update([path])
    assert_same_as_whole(live, data)
    found = {(e.record, e.field) for e in update.errors if e.file.endswith("acteur-000003.yaml")}
    assert ("service acteur-000003-service-0", "needs") in found
    assert ("service acteur-000003-service-1", "sites") in found
    assert ("referral acteur-000003--acteur-000099", "to") in found
    assert 0 < update.checked < 200  # not the whole graph

    # The missing actor appears: the referral that pointed to it is valid again.
    shutil.copy(actors / "acteur-000005.yaml", actors / "acteur-000099.yaml")
    copied = read(actors / "acteur-000099.yaml")
    for key in ("sites", "services"):
        for item in copied.get(key, []):
            item["id"] = item["id"].replace("acteur-000005", "acteur-000099")
    for service in copied.get("services", []):
        if "sites" in service:
            service["sites"] = [
                s.replace("acteur-000005", "acteur-000099") for s in service["sites"]
            ]
    write(actors / "acteur-000099.yaml", copied)
    update = live.update([actors / "acteur-000099.yaml"])
    assert_same_as_whole(live, data)
    assert ("referral acteur-000003--acteur-000099", "to") not in {
        (e.record, e.field) for e in update.errors
    }

    # An actor others refer to disappears: their referrals, in files that did not change,
    # are reported.
    referred = [
        f
        for f in sorted(actors.glob("*.yaml"))
        if any(r.get("to") == "acteur-000006" for r in read(f).get("referrals") or [])
    ]
    assert referred
    (actors / "acteur-000006.yaml").unlink()
    update = live.update([actors / "acteur-000006.yaml"])
    assert_same_as_whole(live, data)
    assert {e.file for e in update.errors} >= {f"network/actors/{f.name}" for f in referred}


def test_random_edits_keep_matching_a_whole_check(tmp_path):
    data = tmp_path / "network"
    generate(30, data, defects=0.2, seed=11)
    live = LiveNetwork(data)
    rng = random.Random(3)
    actors = data / "actors"
    removed: dict[str, str] = {}

    def other_site(doc_id: str) -> str:
        other = rng.choice([f for f in sorted(actors.glob("*.yaml")) if f.stem != doc_id])
        sites = (read(other) or {}).get("sites") or [{"id": "nulle-part"}]
        return sites[0]["id"]

    edits = [
        lambda d, i: d.update(name=f"Nom {rng.random()}"),
        lambda d, i: d["services"][0].update(needs=[rng.choice(["acces-aux-droits", "inconnu"])]),
        lambda d, i: d["services"][0].update(sites=[other_site(i)]),
        lambda d, i: d.setdefault("referrals", []).append({"to": rng.choice(["acteur-000001", i])}),
        lambda d, i: d["sites"][0].update(postcode="ABCDE"),
        lambda d, i: d["sites"][0].update(id=other_site(i)),  # an id another file uses
        lambda d, i: d.update(sites=[]),
        lambda d, i: d["sites"][0].update(latitude="91.5"),
    ]
    for _ in range(25):
        roll = rng.random()
        if removed and roll < 0.15:
            name, text = removed.popitem()
            (actors / name).write_text(text, encoding="utf-8")
            changed = actors / name
        else:
            changed = rng.choice(sorted(actors.glob("*.yaml")))
            if roll < 0.3:
                removed[changed.name] = changed.read_text(encoding="utf-8")
                changed.unlink()
            elif roll < 0.4:
                changed.write_text("name: [pas fermé\n", encoding="utf-8")
            else:
                doc = read(changed)
                if not isinstance(doc, dict) or not doc.get("services") or not doc.get("sites"):
                    continue
                rng.choice(edits)(doc, changed.stem)
                write(changed, doc)
        update = live.update([changed])
        assert not update.whole
        assert_same_as_whole(live, data)


def test_a_change_outside_the_actor_files_is_checked_whole(tmp_path):
    data = tmp_path / "network"
    generate(10, data, seed=1)
    live = LiveNetwork(data)
    meta = read(data / "network.yaml")
    meta["name"] = "Réseau renommé"
    write(data / "network.yaml", meta)
    update = live.update([data / "network.yaml"])
    assert update.whole and update.valid
    assert_same_as_whole(live, data)
    (data / "network.yaml").write_text("base: [\n", encoding="utf-8")
    update = live.update([data / "network.yaml"])
    assert update.whole and not update.valid and live.built is None
    assert update.errors[0].file == "network/network.yaml"
    write(data / "network.yaml", meta)
    assert live.update([data / "network.yaml"]).valid
    assert live.update([data / "actors" / "notes.txt"]).files == []  # not read by the loader


def test_watch_reports_each_save(tmp_path):
    """``maillage watch`` as a coordinator runs it: one line per save, then publication."""
    data = tmp_path / "network"
    generate(8, data, seed=4)
    out = tmp_path / "dist"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "maillage.publish.cli",
            "watch",
            "--data",
            str(data),
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    lines: list[str] = []
    try:
        lines += _read_until(process, "Surveillance de")
        lines += _read_until(process, "Publié")  # published beside the watch
        assert (out / "maillage.db").exists()
        path = data / "actors" / "acteur-000002.yaml"
        doc = read(path)
        doc["sites"][0]["postcode"] = "123"
        write(path, doc)
        lines += _read_until(process, "erreur")
        doc["sites"][0]["postcode"] = "13500"
        write(path, doc)
        lines += _read_until(process, "Publié")
    finally:
        process.terminate()
        process.wait(timeout=30)
    text = "\n".join(lines)
    assert "network/actors/acteur-000002.yaml:" in text and "postcode" in text
    assert "vérifié en" in text


@pytest.mark.parametrize("national", [False, True])
def test_checks_go_on_while_a_publication_runs(tmp_path, monkeypatch, national):
    """A national network takes minutes to publish: the check after a save does not wait for
    it, and what changed meanwhile is published next. On a national network the publication
    itself starts processes of its own (the dumps' converter)."""
    import sqlite_utils

    from maillage.publish import build as build_module

    if national:
        monkeypatch.setattr(build_module, "BESIDE_FROM", 0)
    data = tmp_path / "network"
    generate(40, data, seed=2)
    live = LiveNetwork(data)
    done: list = []
    publisher = Publisher(tmp_path / "dist", done.append)
    publisher.request(live)
    assert publisher.running
    path = data / "actors" / "acteur-000001.yaml"
    doc = read(path)
    doc["name"] = "Renommé pendant la publication"
    write(path, doc)
    update = live.update([path])
    assert update.valid and publisher.running  # checked while the publication goes on
    publisher.request(live)  # asked for while one runs: made when it ends
    deadline = time.monotonic() + 120
    while len(done) < 2 and time.monotonic() < deadline:
        publisher.poll(timeout=0.5)
    assert [outcome.error for outcome in done] == [None, None]
    db = sqlite_utils.Database(tmp_path / "dist" / "maillage.db")
    assert db["actors"].get("acteur-000001")["name"] == "Renommé pendant la publication"


def _read_until(process: subprocess.Popen, marker: str, seconds: float = 60) -> list[str]:
    deadline = time.monotonic() + seconds
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError(f"« {marker} » not printed; got:\n" + "\n".join(lines))


def test_the_index_removes_and_adds_like_a_set():
    """Long lists (a class's members, a concept's services) are kept with positions when
    triples are removed: the index still holds exactly the triples of a set."""
    from rdflib import RDF, URIRef

    from maillage.graph.index import Index

    rng = random.Random(5)
    kinds = [URIRef(f"http://ex/Class{i}") for i in range(3)]
    nodes = [URIRef(f"http://ex/n{i}") for i in range(900)]
    knows = URIRef("http://ex/knows")
    index, expected = Index(), set()
    for _ in range(6000):
        triple = (
            (rng.choice(nodes), RDF.type, rng.choice(kinds))
            if rng.random() < 0.5
            else (nodes[0], knows, rng.choice(nodes))  # one subject, hundreds of objects
        )
        if rng.random() < 0.4:
            assert index.remove(*triple) == (triple in expected)
            expected.discard(triple)
        else:
            assert index.add(*triple) == (triple not in expected)
            expected.add(triple)
        if rng.random() < 0.01:
            index.backward(RDF.type)  # the reverse maps, once made, are kept up to date too
            index.backward(knows)
    assert set(index) == expected and len(index) == len(expected)
    for kind in kinds:
        members = {s for s, p, o in expected if p == RDF.type and o == kind}
        assert sorted(index.backward(RDF.type).get(kind, [])) == sorted(members)
    assert sorted(index.objects(nodes[0], knows)) == sorted(o for s, p, o in expected if p == knows)


def test_a_publication_stopped_midway_leaves_nothing_behind(tmp_path, monkeypatch):
    """``maillage watch`` stopped while it publishes a national network: the publication's
    temporary folder is removed and no folder is published half-written."""
    from maillage.publish import build as build_module

    monkeypatch.setattr(build_module, "BESIDE_FROM", 0)
    data = tmp_path / "network"
    generate(40, data, seed=2)
    live = LiveNetwork(data)
    publisher = Publisher(tmp_path / "dist", lambda outcome: None)
    publisher.request(live)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".dist-new-*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert list(tmp_path.glob(".dist-new-*")), "the publication never started"
    publisher.close()
    assert not publisher.running
    assert not list(tmp_path.glob(".dist-new-*")) and not (tmp_path / "dist").exists()
