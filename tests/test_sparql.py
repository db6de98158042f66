"""`maillage sparql` and the example queries of queries/, checked against the SQLite tables."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA, ROOT
from rdflib import Graph

from maillage.graph.ns import MAI
from maillage.publish.cli import cli

QUERIES = ROOT / "queries"


def sparql(default_dist: Path, *args: str):
    return CliRunner().invoke(
        cli, ["sparql", *args, "--data", str(DATA), "--out", str(default_dist)]
    )


def rows(default_dist: Path, query: str) -> list[dict]:
    result = sparql(default_dist, str(QUERIES / query), "--format", "csv")
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def sql(default_dist: Path, text: str) -> list[tuple]:
    with sqlite3.connect(default_dist / "maillage.db") as conn:
        return conn.execute(text).fetchall()


def test_every_example_query_is_tested():
    tested = {
        "qui-fait-quoi-dans-une-commune.rq",
        "voisins-orientation.rq",
        "services-seniors.rq",
        "couverture-par-pole.rq",
        "orientations-demarches.rq",
    }
    assert {p.name for p in QUERIES.glob("*.rq")} == tested


def test_who_handles_a_need_in_a_commune(default_dist: Path):
    found = {
        (r["acteur"], r["service"]) for r in rows(default_dist, "qui-fait-quoi-dans-une-commune.rq")
    }
    expected = set(
        sql(
            default_dist,
            """
        select distinct actors.name, services.name from services
        join actors on actors.id = services.provider
        join service_needs on service_needs.service_id = services.id
        join service_sites on service_sites.service_id = services.id
        join sites on sites.id = service_sites.site_id
        where service_needs.concept_id = 'needs/aide-demarches-administratives'
          and sites.insee = '13056'""",
        )
    )
    assert found == expected and len(found) >= 3


def test_referral_neighbours(default_dist: Path):
    found = {(r["sens"], r["voisin"]) for r in rows(default_dist, "voisins-orientation.rq")}
    out = {
        ("oriente vers", t)
        for (t,) in sql(
            default_dist,
            "select to_actor from referrals where from_actor='france-services-miramas'",
        )
    }
    into = {
        ("orienté par", f)
        for (f,) in sql(
            default_dist,
            "select from_actor from referrals where to_actor='france-services-miramas'",
        )
    }
    assert found == out | into


def test_services_for_seniors(default_dist: Path):
    found = {r["service"] for r in rows(default_dist, "services-seniors.rq")}
    expected = {
        name
        for (name,) in sql(
            default_dist,
            """
        select distinct services.name from services
        join service_publics on service_publics.service_id = services.id
        where service_publics.concept_id in ('publics/seniors', 'publics/tous-publics')""",
        )
    }
    assert found == expected


def test_coverage_per_pole(default_dist: Path):
    found = {
        r["pole"]: (int(r["services"]), int(r["acteurs"]))
        for r in rows(default_dist, "couverture-par-pole.rq")
    }
    expected = {
        pole: (services, actors)
        for pole, services, actors in sql(
            default_dist,
            """
        select pole.label, count(distinct services.id), count(distinct services.provider)
        from services
        join service_needs on service_needs.service_id = services.id
        join concepts as need on need.id = service_needs.concept_id
        join concepts as pole on pole.id = need.pole
        group by pole.label""",
        )
    }
    assert found == expected and len(found) == 3


def test_construct_returns_the_referrals_that_accept_the_need(default_dist: Path):
    result = sparql(default_dist, str(QUERIES / "orientations-demarches.rq"), "--format", "turtle")
    assert result.exit_code == 0, result.output
    graph = Graph().parse(data=result.output, format="turtle")
    (expected,) = sql(
        default_dist,
        """
        select count(*) from referrals where not exists (
          select 1 from referral_needs where referral_id = referrals.id
            and concept_id != 'needs/aide-demarches-administratives')""",
    )[0:1]
    assert len(list(graph.subject_objects(MAI.refersTo))) == expected[0]


def test_ask_and_json(default_dist: Path):
    assert sparql(default_dist, "ASK { ?r a mai:Referral }").output.strip() == "oui"
    result = sparql(
        default_dist, "SELECT (COUNT(*) AS ?n) WHERE { ?a a org:Organization }", "--format", "json"
    )
    assert json.loads(result.output)["results"]["bindings"][0]["n"]["value"] == "31"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT ?x WHERE { ?x a org:Organization ",
        "SELECT ?x\nWHERE { ?x a org:Organization . FILTER ( }",
    ],
)
def test_a_query_error_names_line_and_column(default_dist: Path, text: str):
    result = sparql(default_dist, text)
    assert result.exit_code == 1
    assert "requête SPARQL invalide, ligne" in result.stderr and "colonne" in result.stderr
    assert "Traceback" not in result.output


def test_turtle_is_only_for_construct(default_dist: Path):
    result = sparql(default_dist, "SELECT ?x WHERE { ?x a org:Site }", "--format", "turtle")
    assert result.exit_code == 1 and "CONSTRUCT" in result.stderr
