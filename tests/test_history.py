"""Releases and `maillage diff`: what changed between two publications, in French."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner
from conftest import make_network

from maillage.publish.build import build
from maillage.publish.cli import cli


def test_each_build_records_a_release_and_the_changes(tmp_path: Path):
    data = make_network(tmp_path)
    out = tmp_path / "dist"
    build(data, out)
    first = out / "maillage.nt"
    (tmp_path / "old.nt").write_bytes(first.read_bytes())
    # a coordinator renames an actor, adds one, and removes a referral
    atelier = data / "actors" / "atelier.yaml"
    atelier.write_text(
        atelier.read_text(encoding="utf-8")
        .replace("name: Atelier informatique", "name: Atelier numérique")
        .split("referrals:")[0],
        encoding="utf-8",
    )
    (data / "actors" / "relais.yaml").write_text(
        (data / "actors" / "accueil.yaml")
        .read_text(encoding="utf-8")
        .replace("Accueil numérique", "Relais numérique")
        .replace("accueil-", "relais-")
        .split("referrals:")[0],
        encoding="utf-8",
    )
    build(data, out)
    releases = json.loads((out / "releases.json").read_text(encoding="utf-8"))
    assert [r["version"] for r in releases] == [1, 2]
    assert releases[1]["actors"] == 3 and len(releases[1]["sha256"]) == 64
    with sqlite3.connect(out / "maillage.db") as conn:
        rows = set(conn.execute("select kind, id, change, detail from changes"))
    assert ("acteur", "relais", "ajouté", "") in rows
    assert ("acteur", "atelier", "modifié", "Nom") in rows
    assert ("orientation", "atelier--accueil", "retiré", "") in rows

    result = CliRunner().invoke(cli, ["diff", str(tmp_path / "old.nt"), str(out)])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "Acteur ajouté (1) :",
        "  - Relais numérique",
        "Acteur modifié (1) :",
        "  - Atelier numérique : Nom",
        "Service ajouté (1) :",
        "  - Aide aux démarches",
        "Orientation retirée (1) :",
        "  - Atelier informatique → Accueil numérique",
    ]


def test_diff_of_a_folder_with_itself_and_of_a_missing_file(tmp_path: Path, default_dist: Path):
    same = CliRunner().invoke(cli, ["diff", str(default_dist), str(default_dist)])
    assert same.output.strip() == "Aucun changement d'acteur, de service ni d'orientation."
    missing = CliRunner().invoke(cli, ["diff", str(tmp_path), str(default_dist)])
    assert missing.exit_code == 1 and "ni dossier publié ni fichier N-Triples" in missing.stderr


def test_the_changes_read_from_the_differing_subjects_only_are_the_whole_dumps_changes(
    tmp_path: Path,
):
    """A national dump is millions of triples: the release diff reads only the subjects whose
    lines differ, through the published folder's index of its dump, or by scanning a file
    that has none (or whose index describes another file). Every way finds what comparing the
    whole dumps finds."""
    import random
    import shutil

    from benchmarks.generate import generate
    from maillage.publish.history import _IndexedBlocks, changed_dumps, changes, load_dump

    data = tmp_path / "national"
    generate(60, data, seed=4)
    out = tmp_path / "dist"
    build(data, out)
    shutil.copytree(out, tmp_path / "before")  # as published: the index describes its dump
    shutil.copytree(out, tmp_path / "damaged")
    with (tmp_path / "damaged" / "maillage.nt.index").open("ab") as index:
        index.write(b"not\tan index line\n")  # its header still names its dump
    old = tmp_path / "old.nt"
    old.write_bytes((out / "maillage.nt").read_bytes())
    actors = sorted((data / "actors").glob("*.yaml"))
    text = actors[5].read_text(encoding="utf-8")  # renamed, and its referrals withdrawn
    actors[5].write_text(
        text.replace("name: ", "name: Nouveau ", 1).split("referrals:")[0], encoding="utf-8"
    )
    (data / "actors" / "zz-copie.yaml").write_text(
        actors[7].read_text(encoding="utf-8").replace("acteur-000007", "acteur-copie"),
        encoding="utf-8",
    )
    build(data, out)
    whole = changes(load_dump(old), load_dump(out))
    assert {c.change for c in whole} == {"ajouté", "retiré", "modifié"}
    before = tmp_path / "before"
    assert _IndexedBlocks.of(before / "maillage.nt") is not None
    assert changes(*changed_dumps(before, out)) == whole  # through both indexes
    assert changes(*changed_dumps(old, out)) == whole  # a file without index: scanned
    assert changes(*changed_dumps(tmp_path / "damaged", out)) == whole  # scanned as well
    lines = old.read_text(encoding="utf-8").splitlines(keepends=True)
    random.Random(1).shuffle(lines)
    (before / "maillage.nt").write_text("".join(lines), encoding="utf-8")
    assert _IndexedBlocks.of(before / "maillage.nt") is None  # the index is of another file
    assert changes(*changed_dumps(before, out)) == whole
    assert changes(*changed_dumps(out, out)) == []
