"""The `orienter` canned query (SQL, WITH RECURSIVE) and refer() (networkx) give the same
answers on every (actor, need) pair of the default network."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA

from maillage.graph.network import ReferralNetwork, refer
from maillage.publish.build import published_tables
from maillage.publish.cli import cli
from maillage.publish.site import make_datasette


@pytest.fixture(scope="module")
def net(default_dist: Path) -> ReferralNetwork:
    return ReferralNetwork.from_tables(published_tables(DATA, default_dist))


def _networkx(net, actor, need, public=None, commune=None):
    return [
        (a.actor, a.service, a.hops, " → ".join(a.path) or None, a.distance_km, a.advice)
        for a in refer(
            net,
            actor,
            f"needs/{need}",
            public=f"publics/{public}" if public else None,
            commune=commune,
        )
    ]


async def _sql(ds, actor, need, public="", commune=""):
    response = await ds.client.get(
        "/maillage/orienter.json",
        params={
            "actor": actor,
            "need": need,
            "public": public,
            "commune": commune,
            "_shape": "array",
        },
    )
    assert response.status_code == 200, response.text
    return [
        (r["actor"], r["service"], r["hops"], r["path"], r["distance_km"], r["conseil"])
        for r in response.json()
    ]


async def test_sql_and_networkx_agree_on_every_actor_and_need(net, default_dist: Path):
    ds = make_datasette(default_dist)
    pairs = 0
    for actor in sorted(net.graph):
        for need in net.needs:
            notation = need.removeprefix("needs/")
            assert await _sql(ds, actor, notation) == _networkx(net, actor, notation), (actor, need)
            pairs += 1
    assert pairs >= 30 * 15


async def test_they_agree_with_public_and_commune_filters(net, default_dist: Path):
    ds = make_datasette(default_dist)
    for actor in ("residence-croizat", "epn-martigues", "mediatheque-miramas"):
        for need in (
            "aide-demarches-administratives",
            "maitrise-outils-numeriques",
            "demarches-vehicule",
        ):
            for public, commune in (("seniors", ""), ("", "13056"), ("jeunes", "13063")):
                assert await _sql(ds, actor, need, public, commune) == _networkx(
                    net, actor, need, public or None, commune or None
                ), (actor, need, public, commune)


async def test_the_answer_says_where_to_send_the_person(default_dist: Path):
    ds = make_datasette(default_dist)
    response = await ds.client.get(
        "/maillage/orienter.json?actor=centre-social-schweitzer&need=demarches-vehicule"
        "&public=&commune=&_shape=array"
    )
    first = response.json()[0]
    assert first["conseil"] == (
        "Orientez vers Maison France services de Miramas, service « Accompagnement aux "
        "démarches en ligne (santé, famille, retraite, logement, impôts) », Place de l'Hôtel de "
        "Ville, 13140 Miramas, horaires : Du lundi au vendredi, de 8 h 30 à 12 h et de 13 h 30 à "
        "17 h"
    )
    assert first["path"] == "centre-social-schweitzer → france-services-miramas"
    assert first["opening_hours"] and first["address"].endswith("Miramas")


def test_refer_json_follows_the_public_interface(default_dist: Path):
    result = CliRunner().invoke(
        cli,
        [
            "refer",
            "--from",
            "residence-hestia",
            "--need",
            "acces-aux-droits",
            "--format",
            "json",
            "--data",
            str(DATA),
            "--out",
            str(default_dist),
        ],
    )
    assert result.exit_code == 0, result.output
    import json

    answers = json.loads(result.output)
    assert answers[0]["actor"] == "france-services-miramas"
    assert answers[0]["hops"] == 1
    assert answers[0]["path"] == ["residence-hestia", "france-services-miramas"]
    assert {"actor", "service", "hops", "path"} <= set(answers[0])


def test_refer_with_an_unknown_actor_is_a_usage_error(default_dist: Path):
    result = CliRunner().invoke(
        cli,
        [
            "refer",
            "--from",
            "france-service-miramas",
            "--need",
            "acces-aux-droits",
            "--data",
            str(DATA),
            "--out",
            str(default_dist),
        ],
    )
    assert result.exit_code == 2
    assert "vouliez-vous dire : france-services-miramas" in result.stderr


async def test_they_agree_on_a_synthetic_network_spread_over_france(tmp_path: Path):
    import random
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from synthetic import synthetic_tables

    from maillage.publish.build import DEFAULT_METADATA
    from maillage.publish.site import write_metadata
    from maillage.publish.sqlite import write_database

    tables = synthetic_tables(600, services_per_actor=3, seed=7)
    write_database(tables, tmp_path / "maillage.db")
    write_metadata(DEFAULT_METADATA, tmp_path)
    net = ReferralNetwork.from_tables(tables)
    ds = make_datasette(tmp_path)
    rng = random.Random(3)
    actors = sorted(net.graph)
    listed = 0
    for _ in range(60):
        actor, need = rng.choice(actors), rng.choice(net.needs).removeprefix("needs/")
        expected = _networkx(net, actor, need)
        assert await _sql(ds, actor, need) == expected, (actor, need)
        listed += len(expected)
    communes = {s.insee for s in net.sites.values()}
    assert len(communes) == 6 and listed > 0


async def test_they_agree_when_a_specific_support_is_required(net, default_dist: Path):
    """`refer --support` and the orienter form's support field keep only the services giving
    that support (the CCAS de Miramas, for reduced mobility)."""
    ds = make_datasette(default_dist)
    for actor in ("residence-croizat", "france-services-miramas", "epn-martigues"):
        for need in ("acces-aux-droits", "aide-demarches-administratives"):
            response = await ds.client.get(
                "/maillage/orienter.json",
                params={
                    "actor": actor,
                    "need": need,
                    "public": "",
                    "commune": "",
                    "support": "handicaps-moteurs",
                    "_shape": "array",
                },
            )
            assert response.status_code == 200, response.text
            got = [(r["actor"], r["service"]) for r in response.json()]
            expected = [
                (a.actor, a.service)
                for a in refer(net, actor, f"needs/{need}", support="supports/handicaps-moteurs")
            ]
            assert got == expected, (actor, need)
    answers = refer(
        net, "residence-croizat", "needs/acces-aux-droits", support="supports/handicaps-moteurs"
    )
    assert {a.service for a in answers} == {"ccas-miramas-aide-droits"}
    result = CliRunner().invoke(
        cli,
        [
            "refer",
            "--from",
            "residence-croizat",
            "--need",
            "acces-aux-droits",
            "--support",
            "surdit",
            "--data",
            str(DATA),
            "--out",
            str(default_dist),
        ],
    )
    assert result.exit_code == 2 and "surdite" in result.output
