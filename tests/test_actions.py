"""Actions and yearly indicators: in the graph, published, and the yearly report's totals."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner
from conftest import DATA, make_network
from rdflib import Graph
from rdflib.namespace import DCAT

from maillage.publish.build import published_tables
from maillage.publish.cli import cli
from maillage.publish.report import TABLES, actions_report


def _report(default_dist: Path, year: int):
    return actions_report(published_tables(DATA, default_dist, names=TABLES), year)


def test_the_2023_report_matches_the_hand_count(default_dist: Path):
    # hand count of data/actions/miramas-2023.yaml: partenariat and guide (nécessité),
    # ateliers des centres sociaux, stages Micro-Folie, ateliers IA (loisir et médiation),
    # Forum PépIT and formation des agents (accomplissement)
    report = _report(default_dist, 2023)
    assert report.total == {"actions": 7, "sessions": 7, "participants": 0}
    assert {r["pole"]: r["actions"] for r in report.by_pole} == {
        "Numérique nécessité": 2,
        "Numérique loisir et médiation numérique": 3,
        "Numérique accomplissement": 2,
    }
    ville = [r for r in report.by_actor if r["actor"] == "Ville de Miramas — démarches en ligne"]
    assert {r["pole"]: r["actions"] for r in ville} == {
        "Numérique nécessité": 2,
        "Numérique accomplissement": 1,
    }


def test_the_2022_report_counts_sessions(default_dist: Path):
    # 7 actions; France services' workshops count 24 sessions, the others 1 each
    report = _report(default_dist, 2022)
    assert report.total == {"actions": 7, "sessions": 30, "participants": 0}
    # an action of four organisers counts once in its pole, once for each organiser
    loisir = next(r for r in report.by_pole if r["pole"].startswith("Numérique loisir"))
    assert loisir["actions"] == 3
    assert (
        sum(r["actions"] for r in report.by_actor if r["pole"].startswith("Numérique loisir")) == 6
    )


def test_martigues_2019(default_dist: Path):
    assert _report(default_dist, 2019).total["actions"] == 3
    assert _report(default_dist, 2015).total["actions"] == 0


def test_the_report_command_in_markdown_and_csv(default_dist: Path):
    args = ["--data", str(DATA), "--out", str(default_dist)]
    md = CliRunner().invoke(cli, ["report", "actions", "--year", "2023", *args])
    assert md.exit_code == 0, md.output
    assert "**Total 2023 : 7 actions, 7 séances" in md.output
    assert "| Numérique nécessité | 2 | 2 |" in md.output
    text = (
        CliRunner()
        .invoke(cli, ["report", "actions", "--year", "2022", "--format", "csv", *args])
        .output
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[-1] == {
        "annee": "2022",
        "pole": "(tous)",
        "acteur": "(total)",
        "actions": "7",
        "seances": "30",
        "participants": "0",
    }


def test_indicators_are_published_as_their_own_distribution(default_dist: Path):
    rows = list(csv.DictReader((default_dist / "indicateurs.csv").open(encoding="utf-8")))
    fs = [
        r
        for r in rows
        if r["acteur_id"] == "france-services-miramas" and r["mesure"] == "personnes-accueillies"
    ]
    assert fs == [
        {
            "acteur_id": "france-services-miramas",
            "acteur": "Maison France services de Miramas",
            "annee": "2022",
            "mesure": "personnes-accueillies",
            "valeur": "5538",
            "source": fs[0]["source"],
        }
    ]
    assert "5 538 personnes accueillies" in fs[0]["source"]
    catalog = Graph().parse(default_dist / "catalog.ttl")
    names = {str(d).rsplit("/", 1)[-1] for d in catalog.subjects(DCAT.downloadURL, None)}
    assert "indicateurs.csv" in names


def test_a_bad_action_is_located(tmp_path: Path):
    data = make_network(tmp_path)
    (data / "actions").mkdir()
    (data / "actions" / "2024.yaml").write_text(
        "- id: atelier-2024\n"
        "  name: Atelier\n"
        "  organisers: [atelierr]\n"
        '  start: "2024-02-30"\n'
        "  pole: necessite\n"
        "  sessions: zéro\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["validate", "--data", str(data)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:3] == [
        "data/actions/2024.yaml:3: action atelier-2024: organisers: acteur inconnu : une action "
        "est organisée par au moins un acteur existant (organisers) (valeur : « atelierr ») "
        "(vouliez-vous dire : atelier ?)",
        "data/actions/2024.yaml:4: action atelier-2024: start: date de début obligatoire : "
        "AAAA-MM-JJ (valeur : « 2024-02-30 »)",
        "data/actions/2024.yaml:6: action atelier-2024: sessions: nombre de séances : un entier "
        "positif, au plus 100 000 (valeur : « zéro »)",
    ]
