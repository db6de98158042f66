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
