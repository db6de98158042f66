"""The `orienter` canned query (SQL, WITH RECURSIVE): the site's page and `maillage refer` ask
it of the published database and give the same answers in the same order."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from conftest import DATA

from maillage.publish.cli import cli
from maillage.publish.site import make_datasette


def _command(default_dist: Path, actor, need, public=None, commune=None, support=None):
    """`maillage refer --format json`: the rows of the orienter query, asked by the CLI."""
    args = ["refer", "--from", actor, "--need", need, "--format", "json"]
    for option, value in (("--public", public), ("--commune", commune), ("--support", support)):
        if value:
            args += [option, value]
    result = CliRunner().invoke(cli, [*args, "--data", str(DATA), "--out", str(default_dist)])
    assert result.exit_code == 0, result.output
    return [
        (a["actor"], a["service"], a["hops"], " → ".join(a["path"]) or None, a["distance_km"])
        for a in json.loads(result.output)
    ]


async def _site(ds, actor, need, public="", commune="", support=""):
    response = await ds.client.get(
        "/maillage/orienter.json",
        params={
            "actor": actor,
            "need": need,
            "public": public,
            "commune": commune,
            "support": support,
            "_shape": "array",
        },
    )
    assert response.status_code == 200, response.text
    return [
        (r["actor"], r["service"], r["hops"], r["path"], r["distance_km"]) for r in response.json()
    ]


async def test_the_command_and_the_site_give_the_same_answers_in_the_same_order(
    default_dist: Path,
):
    ds = make_datasette(default_dist)
    asked = 0
    for actor in ("residence-croizat", "epn-martigues", "mediatheque-miramas", "residence-hestia"):
        for need in (
            "aide-demarches-administratives",
            "maitrise-outils-numeriques",
            "demarches-vehicule",
        ):
            for public, commune in (("", ""), ("seniors", ""), ("", "13056"), ("jeunes", "13063")):
                site = await _site(ds, actor, need, public, commune)
                assert _command(default_dist, actor, need, public, commune) == site
                asked += len(site)
    assert asked > 100


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


async def test_a_specific_support_keeps_only_the_services_giving_it(default_dist: Path):
    """`refer --support` and the orienter form's support field keep only the services giving
    that support (the CCAS de Miramas, for reduced mobility)."""
    ds = make_datasette(default_dist)
    for actor in ("residence-croizat", "france-services-miramas", "epn-martigues"):
        for need in ("acces-aux-droits", "aide-demarches-administratives"):
            site = await _site(ds, actor, need, support="handicaps-moteurs")
            assert _command(default_dist, actor, need, support="handicaps-moteurs") == site
    found = await _site(ds, "residence-croizat", "acces-aux-droits", support="handicaps-moteurs")
    assert {service for _, service, *_ in found} == {"ccas-miramas-aide-droits"}
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


async def test_distances_are_measured_from_where_the_person_lives_when_given(default_dist: Path):
    ds = make_datasette(default_dist)
    asked = {"actor": "residence-hestia", "need": "aide-demarches-administratives"}
    from_hestia = (
        await ds.client.get("/maillage/orienter.json", params={**asked, "_shape": "array"})
    ).json()
    from_martigues = (
        await ds.client.get(
            "/maillage/orienter.json", params={**asked, "lieu": "Martigues", "_shape": "array"}
        )
    ).json()
    # the same services (each at its place nearest the person), the order still fewest
    # referrals first, then distance from the person
    assert {r["service"] for r in from_martigues} == {r["service"] for r in from_hestia}
    assert "epn-martigues-centre" in {r["site"] for r in from_martigues}
    assert all(r["depuis"] == "Martigues" for r in from_martigues)
    assert all(r["depuis"] is None for r in from_hestia)
    keys = [(r["hops"] is None, r["hops"] or 0, r["distance_km"]) for r in from_martigues]
    assert keys == sorted(keys)
    km = {r["site"]: r["distance_km"] for r in from_martigues}
    in_martigues = [r["site"] for r in from_martigues if r["address"].endswith("Martigues")]
    in_miramas = [r["site"] for r in from_martigues if r["address"].endswith("Miramas")]
    assert in_martigues and in_miramas
    assert max(km[s] for s in in_martigues) < 10 < min(km[s] for s in in_miramas)
    # its postcode says the same; the page says where the distances come from
    by_postcode = (
        await ds.client.get(
            "/maillage/orienter.json", params={**asked, "lieu": "13500", "_shape": "array"}
        )
    ).json()
    assert [r["distance_km"] for r in by_postcode] == [r["distance_km"] for r in from_martigues]
    page = (await ds.client.get("/maillage/orienter", params={**asked, "lieu": "13500"})).text
    assert "Elle habite à <strong>Martigues</strong>" in page and " de Martigues" in page
    # and the command asks the same
    result = CliRunner().invoke(
        cli,
        [
            "orienter",
            "--depuis",
            "residence-hestia",
            "--besoin",
            "aide-demarches-administratives",
            "--lieu",
            "Martigues",
            "--format",
            "json",
            "--data",
            str(DATA),
            "--out",
            str(default_dist),
        ],
    )
    assert result.exit_code == 0, result.output
    assert [a["distance_km"] for a in json.loads(result.output)] == [
        r["distance_km"] for r in from_martigues
    ]
