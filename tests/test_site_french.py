"""Every page partners and residents read declares French and carries no English frame: the
language, the path, the footer, the licence lines and the error pages."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from maillage.publish.site import make_datasette

PAGES = [
    "/",
    "/maillage",
    "/maillage/actors",
    "/maillage/actors/france-services-miramas",
    "/maillage/services?_search=numerique",
    "/maillage/qui_fait_quoi_ou",
    "/maillage/carte_des_lieux",
    "/maillage/lacunes",
    "/maillage/parcours_besoin?need=aide-demarches-administratives&commune=13063",
    "/maillage/parcours_besoin?need=utilisation-securisee&commune=13056",
    "/maillage/points_fragiles",
    "/maillage/changes",
    "/maillage/qui_aide?need=aide-demarches-administratives",
    "/maillage/orienter?actor=centre-social-schweitzer&need=demarches-vehicule&public=&commune=",
    "/cette-page-n-existe-pas",
]
ENGLISH_FRAME = ["Powered by", ">home<", "Data license", "Data source", "Queries took"]


@pytest.fixture(scope="module")
def ds(default_dist: Path):
    return make_datasette(default_dist)


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_declares_french_and_has_a_french_frame(ds, path: str):
    response = await ds.client.get(path)
    assert response.status_code in (200, 404), (path, response.status_code)
    assert '<html lang="fr">' in response.text
    for english in ENGLISH_FRAME:
        assert english not in response.text, (path, english)
    assert 'href="#contenu"' in response.text  # a keyboard user skips the navigation


async def test_a_missing_page_is_explained_in_french(ds):
    response = await ds.client.get("/cette-page-n-existe-pas")
    assert response.status_code == 404
    text = html.unescape(response.text)
    assert "Page introuvable" in text and "Cette page n'existe pas." in text


async def test_lists_are_spaced_and_channels_are_words(ds):
    page = html.unescape((await ds.client.get("/maillage/actors/centre-social-schweitzer")).text)
    assert ",A" not in page.replace(", A", "")  # "numérique, Aide…", never "numérique,Aide…"
    for notation in ("(telephone)", "(en-personne)", "(courriel)", "(plateforme)"):
        assert notation not in page
    assert any(w in page for w in ("(par téléphone)", "(en personne)", "(par courriel)"))


async def test_the_actor_page_shows_programmes_access_and_specific_support(ds):
    page = html.unescape((await ds.client.get("/maillage/actors/france-services-miramas")).text)
    assert "Dispositifs nationaux : Conseillers numériques, France Services" in page
    assert "Pour venir : Se présenter, Téléphoner" in page
    page = html.unescape((await ds.client.get("/maillage/actors/ccas-miramas")).text)
    assert "Prise en charge spécifique : Déficience visuelle, Handicaps moteurs" in page
    facets = (await ds.client.get("/maillage/services.json?_facet_array=supports")).json()
    values = {v["value"] for v in facets["facet_results"]["supports"]["results"]}
    assert values == {"Déficience visuelle", "Handicaps moteurs"}


async def test_an_imported_place_shows_its_booking_accessibility_and_itinerance(tmp_path: Path):
    from click.testing import CliRunner

    from maillage.publish.cli import cli
    from maillage.publish.site import make_datasette

    example = (
        Path(__file__).parent / "standards" / "lieux-mediation-numerique" / "exemple-valide.csv"
    )
    runner = CliRunner()
    assert (
        runner.invoke(
            cli, ["import", "lieux-mediation", str(example), "--into", str(tmp_path / "data")]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        cli, ["build", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "dist")]
    )
    assert result.exit_code == 0, result.output
    ds = make_datasette(tmp_path / "dist")
    page = html.unescape((await ds.client.get("/maillage/actors/anonymal")).text)
    assert (
        '<a class="rendez-vous" href="https://www.rdv-solidarites.fr/" rel="nofollow">'
        "Prendre rendez-vous</a>" in page
    )
    assert "acceslibre" in page and 'class="badge itinerant">Itinérant<' in page
    assert "(Le patio du bois de l'Aulne)" in page
    assert "Formations et labels : " in page and "Label et la bête" in page
    assert "Prise en charge spécifique : " in page and "Surdité" in page


async def test_qui_aide_can_keep_only_the_places_open_now(ds):
    """ouvert=oui keeps the rows whose status, computed for the same page, says open; the
    others say closed (or have no hours)."""
    query = "/maillage/qui_aide.json?need=aide-demarches-administratives&public=&commune="
    every = (await ds.client.get(query + "&ouvert=&_shape=array")).json()
    open_now = (await ds.client.get(query + "&ouvert=oui&_shape=array")).json()
    assert every and all(row in every for row in open_now)
    for row in every:
        if row in open_now:
            assert row["ouverture"].startswith("Ouvert"), row
        else:
            assert not (row["ouverture"] or "").startswith("Ouvert"), row
    page = (await ds.client.get("/maillage/qui_aide?need=aide-demarches-administratives")).text
    assert "ouvert maintenant</a>" in page and "&amp;ouvert=oui" in page
