"""The search a partner types into: every actor found by its name, its acronym and its name
typed without accents; the words people use; a need with a commune; hostile input; the order by
distance; cards with a number to call; and `maillage chercher` giving the site's answers."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import unicodedata
from pathlib import Path

import pytest
import sqlite_utils
import yaml
from click.testing import CliRunner
from conftest import DATA, make_network

from maillage.publish.build import build
from maillage.publish.cli import cli
from maillage.publish.connection import ask
from maillage.publish.connection import rows as rows_of
from maillage.publish.search import (
    commune_rows,
    official_communes,
    prepared_communes,
    search_words,
)
from maillage.publish.site import make_datasette

ACTORS = {
    p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in (DATA / "actors").glob("*.yaml")
}


def found(dist: Path, q: str, **params: str) -> list[str]:
    return [row["actor"] for row in ask(dist, "chercher", {"q": q, **params})]


def unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@pytest.mark.parametrize("actor", sorted(ACTORS))
def test_each_actor_is_found_by_its_name_and_its_name_unaccented(default_dist: Path, actor):
    name = ACTORS[actor]["name"]
    assert actor in found(default_dist, name)[:3], name
    assert actor in found(default_dist, unaccented(name))[:3], unaccented(name)


def test_each_acronym_finds_its_actor(default_dist: Path):
    named = [(a, n) for a, d in ACTORS.items() for n in d.get("alternate_names", [])]
    assert len(named) >= 20
    for actor, alternate in named:
        assert actor in found(default_dist, alternate)[:5], alternate
    assert set(found(default_dist, "CCAS")[:2]) == {"ccas-miramas", "ccas-martigues"}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("senior", "residence-hestia"),
        ("Séniors", "residence-croizat"),
        ("personnes âgées", "residence-hestia"),  # a synonym of the public (hiddenLabel)
        ("mediatheque", "mediatheque-miramas"),
        ("caf", "france-services-miramas"),
        ("impots", "france-services-miramas"),
        ("carte grise", "accueil-titres-martigues"),
        ("Pôle emploi", "france-travail-miramas"),
        ("CV", "mission-locale-ouest-provence"),
    ],
)
def test_the_words_people_use_are_found(default_dist: Path, typed, expected):
    assert expected in found(default_dist, typed), typed


def test_a_need_typed_with_a_commune_finds_that_need_there(default_dist: Path):
    rows = ask(default_dist, "chercher", {"q": "démarches administratives Martigues"})
    assert rows and all(r["commune"] == "Martigues" for r in rows)
    assert "ccas-martigues" in [r["actor"] for r in rows]
    # stop words ("pour", "les", "à") never empty the answer
    again = found(default_dist, "les démarches administratives à Martigues")
    assert again == [r["actor"] for r in rows]


HOSTILE = [
    '"',
    'carte "grise',
    "NEAR(a b)",
    "* OR -",
    "((",
    ")",
    "a" * 10_000,
    "\x00",
    "démarches\x00",
    "\u202eسلام",
    "'; DROP TABLE actors; --",
    "^senior",
    "senior:",
    "{noms}: x",
]


@pytest.mark.parametrize("typed", HOSTILE)
async def test_hostile_input_gives_a_page_never_an_error(default_dist: Path, typed):
    ds = make_datasette(default_dist)
    response = await ds.client.get("/maillage/chercher", params={"q": typed, "commune": typed})
    assert response.status_code == 200, response.text[:500]
    body = response.text
    assert "SELECT" not in body and "fts5" not in body and "\x00" not in body
    assert "réponse" in body  # a count, or "Aucune réponse" with what to try


def test_the_query_never_reaches_fts5_syntax():
    # quotes, NEAR(, OR, - and * are gone; "near" is a plain word, "or" a stop word
    assert json.loads(search_words('carte "grise" NEAR(x) OR -z*')) == [
        "cart",
        "gris",
        "near",
        "x",
        "z",
    ]
    assert len(json.loads(search_words(" ".join(f"mot{i}" for i in range(50))))) == 12


def test_at_equal_relevance_the_nearest_comes_first(default_dist: Path):
    rows = ask(default_dist, "chercher", {"q": "", "commune": "Martigues"})
    assert rows[0]["depuis"] == "Martigues"
    distances = [r["distance_km"] for r in rows if r["distance_km"] is not None]
    assert distances == sorted(distances) and distances[0] < 1 < distances[-1]
    # the same from its postcode and its INSEE code
    for commune in ("13500", "13056", "martigues"):
        again = ask(default_dist, "chercher", {"q": "", "commune": commune})
        assert [r["site"] for r in again] == [r["site"] for r in rows]


async def test_a_card_carries_a_number_to_call_and_the_distance(default_dist: Path):
    ds = make_datasette(default_dist)
    response = await ds.client.get(
        "/maillage/chercher", params={"q": "France services", "commune": "Miramas"}
    )
    assert response.status_code == 200
    page = response.text
    assert '<li class="carte"' in page and '<table class="rows-and-columns' not in page
    assert (
        'href="tel:+33465710014"' in page
        and "Appeler le 04\u00a065\u00a071\u00a000\u00a014" in page
    )
    assert "de Miramas" in page and "\u00a0m" in page  # "à 600 m de Miramas"


async def test_the_command_gives_the_sites_answers_in_the_same_order(default_dist: Path):
    ds = make_datasette(default_dist)
    for q, commune in (("seniors", ""), ("démarches", "Martigues"), ("", "13140"), ("MJC", "")):
        response = await ds.client.get(
            "/maillage/chercher.json",
            params={"q": q, "commune": commune, "besoin": "", "public": "", "_shape": "array"},
        )
        site = [(r["actor"], r["site"]) for r in response.json()]
        args = ["chercher", q, "--format", "json", "--data", str(DATA), "--out", str(default_dist)]
        result = CliRunner().invoke(cli, args + (["--commune", commune] if commune else []))
        assert result.exit_code == 0, result.output
        assert [(r["actor"], r["site"]) for r in json.loads(result.output)] == site
        assert site


def test_the_home_page_search_box_opens_the_search(default_dist: Path):
    from maillage.publish.site import TEMPLATES

    form = (TEMPLATES / "_recherche.html").read_text(encoding="utf-8")
    assert 'action="/maillage/chercher"' in form
    assert '{% include "_recherche.html" %}' in (TEMPLATES / "index.html").read_text("utf-8")


def test_the_search_reads_as_short_cards_on_a_phone_and_a_desktop(site: str, screenshots: Path):
    from browser import browser_page

    with browser_page() as page:
        for width, height, name in ((390, 844, "recherche-390.png"), (1280, 900, "recherche.png")):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(site + "/maillage/chercher?q=démarches&commune=Miramas")
            cards = page.locator("li.carte")
            assert cards.count() >= 5
            heights = [cards.nth(i).bounding_box()["height"] for i in range(cards.count())]
            assert max(heights) < 400, heights
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            first = cards.nth(0)
            assert first.get_by_role("link", name="Appeler le").count() == 1
            page.screenshot(path=str(screenshots / name), full_page=False)


LILLE = """\
name: Atelier numérique de Lille
typology: ASSO
pole: accomplissement
sites:
  - id: lille-site
    name: Atelier de Lille
    street: 1 rue Nationale
    postcode: "59000"
    commune: Lille
    insee: "59350"
    latitude: 50.63
    longitude: 3.06
services:
  - id: lille-initiation
    name: Initiation à l'ordinateur et démarches
    needs: [maitrise-outils-numeriques]
    publics: [tous-publics]
"""


def test_near_a_commune_the_search_keeps_to_its_surroundings_unless_nothing_is_there(
    tmp_path: Path,
):
    data = make_network(tmp_path)
    (data / "actors" / "lille.yaml").write_text(LILLE, encoding="utf-8")
    dist = tmp_path / "dist"
    build(data, dist)
    # "initiation" is taught in Miramas (a place without a position: its commune's centre
    # stands for it) and 750 km away in Lille: from Miramas, Miramas only
    assert found(dist, "initiation", commune="Miramas") == ["atelier"]
    assert found(dist, "initiation", commune="Lille") == ["lille"]
    assert sorted(found(dist, "initiation")) == ["atelier", "lille"]
    # nothing of the kind near Miramas: the farther answer rather than none, with its distance
    far = ask(dist, "chercher", {"q": "Nationale", "commune": "13140"})
    assert [r["actor"] for r in far] == ["lille"] and far[0]["distance_km"] > 700
    # nothing typed: the places around the commune, the one without a position among them
    assert sorted(found(dist, "", commune="Miramas")) == ["accueil", "atelier"]
    assert sorted(found(dist, "")) == ["accueil", "atelier", "lille"]


def test_a_communes_centre_far_from_its_places_is_warned_and_the_data_stays_valid(
    tmp_path: Path,
):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    network = data / "network.yaml"
    text = network.read_text(encoding="utf-8")
    # a slip of a digit: Miramas' town hall put 220 km north
    network.write_text(text.replace("latitude: 43.5817", "latitude: 45.5817"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["valider", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "Données valides" in result.stdout
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "43.5817" in t)
    assert f"network.yaml:{line}" in result.stderr and "commune 13063" in result.stderr
    assert "le centre de Miramas est à 221 km de son lieu le plus proche" in result.stderr
    assert "Martigues" not in result.stderr
    built = CliRunner().invoke(
        cli, ["construire", "--data", str(data), "--out", str(tmp_path / "d")]
    )
    assert built.exit_code == 0 and "le centre de Miramas" in built.stderr


def test_every_french_commune_is_known_by_name_and_postcode_the_networks_first():
    official = [
        {"insee": "13063", "nom": "Miramas", "codes_postaux": ["13140"], "population": 26203},
        {"insee": "13047", "nom": "Istres", "codes_postaux": ["13118", "13800"], "population": 1},
    ]
    meta = {"communes": [{"insee": "13063", "name": "Miramas"}]}
    sites = [
        {
            "insee": "13063",
            "commune": "Miramas",
            "postcode": "13141",
            "latitude": 43.5,
            "longitude": 5.0,
        }
    ]
    rows = {r["insee"]: r for r in commune_rows(meta, {"sites": sites}, official)}
    assert rows["13063"]["reseau"] == 1 and rows["13063"]["latitude"] == 43.5
    assert json.loads(rows["13063"]["codes_postaux"]) == ["13140", "13141"]
    assert rows["13047"] == {
        "insee": "13047",
        "nom": "Istres",
        "nom_simple": "istres",
        "codes_postaux": '["13118", "13800"]',
        "latitude": None,
        "longitude": None,
        "reseau": 0,
        "population": 1,
    }


@pytest.mark.skipif(
    not official_communes(),
    reason="the official list of communes is not installed (make install: npm ci --prefix "
    "publish/communes)",
)
def test_a_commune_without_a_place_of_the_network_is_recognised_and_said_so(default_dist: Path):
    # Istres, next to Miramas, has no place of the network: recognised by name and postcode,
    # and the answers are not ranked by a distance nobody can measure
    for typed in ("Istres", "13800", "istres"):
        rows = ask(default_dist, "chercher", {"q": "démarches", "commune": typed})
        assert rows and all(r["depuis"] is None for r in rows)
    asked = {"actor": "residence-hestia", "need": "aide-demarches-administratives"}
    assert all(
        r["depuis"] is None for r in ask(default_dist, "orienter", {**asked, "lieu": "Istres"})
    )
    known = rows_of(default_dist, "SELECT count(*) AS n, sum(reseau) AS reseau FROM communes")
    assert known[0]["n"] > 34_000 and known[0]["reseau"] == 2
    page = asyncio.run(
        make_datasette(default_dist).client.get(
            "/maillage/chercher", params={"q": "démarches", "commune": "Istres"}
        )
    ).text
    assert "aucun lieu du réseau n'y est connu" in page
    # the completion lists the network's communes only, not 35,000
    assert page.count('<option value="') == 2


def test_the_official_list_is_prepared_once_beside_it_and_again_when_it_changes(tmp_path: Path):
    listed = tmp_path / "communes.json"
    listed.write_text(
        json.dumps(
            [
                {
                    "code": "13047",
                    "nom": "Istres",
                    "type": "commune-actuelle",
                    "codesPostaux": ["13118", "13800"],
                    "population": 43000,
                },
                {"code": "13999", "nom": "Ancienne", "type": "commune-deleguee"},
            ]
        ),
        encoding="utf-8",
    )
    prepared = prepared_communes.__wrapped__(listed)
    assert prepared.parent == tmp_path
    keys = list(sqlite_utils.Database(prepared)["communes_cles"].rows_where(order_by="cle"))
    assert keys == [
        {"cle": "13047", "insee": "13047", "rang": 10**9 - 43000},
        {"cle": "13118", "insee": "13047", "rang": 10**9 - 43000},
        {"cle": "13800", "insee": "13047", "rang": 10**9 - 43000},
        {"cle": "istres", "insee": "13047", "rang": 10**9 - 43000},
    ]
    first = prepared.stat().st_mtime_ns
    assert prepared_communes.__wrapped__(listed).stat().st_mtime_ns == first  # reused
    os.utime(listed, ns=(first + 10**9, first + 10**9))  # a newer list: prepared again
    assert prepared_communes.__wrapped__(listed).stat().st_mtime_ns > first
