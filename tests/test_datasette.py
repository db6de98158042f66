"""The published site through Datasette's own test client: pages, facets, search, read-only."""

from __future__ import annotations

from pathlib import Path

import pytest

from maillage.publish.site import SiteError, check_database, make_datasette


@pytest.fixture
def ds(default_dist: Path):
    return make_datasette(default_dist)


async def test_the_actors_table_page_has_its_french_title(ds):
    response = await ds.client.get("/maillage/actors")
    assert response.status_code == 200
    assert "Acteurs" in response.text
    assert "Maison France services de Miramas" in response.text


async def test_services_facet_by_need(ds):
    response = await ds.client.get("/maillage/services.json?_facet_array=needs&_size=0")
    assert response.status_code == 200
    facet = response.json()["facet_results"]["needs"]["results"]
    counts = {row["value"]: row["count"] for row in facet}
    assert counts["Aide aux démarches administratives"] >= 5


async def test_the_flat_view_facets_by_commune(ds):
    response = await ds.client.get("/maillage/qui_fait_quoi_ou.json?_facet=commune&_size=0")
    values = {r["value"] for r in response.json()["facet_results"]["commune"]["results"]}
    assert values == {"Miramas", "Martigues"}


async def test_full_text_search_ignores_accents(ds):
    response = await ds.client.get(
        "/maillage/services.json?_search=demarches&_shape=array&_col=name"
    )
    names = [row["name"] for row in response.json()]
    assert names and all("démarches" in name.lower() for name in names)


async def test_search_on_actors(ds):
    response = await ds.client.get("/maillage/actors.json?_search=Micro-Folie&_shape=array")
    # the Micro-Folie itself, and the MJC whose description says it hosts it
    assert {row["id"] for row in response.json()} == {"micro-folie-miramas", "mjc-mpt-miramas"}


async def test_foreign_keys_link_services_to_their_provider(ds):
    response = await ds.client.get("/maillage/services/micro-folie-fablab.json?_shape=array")
    assert response.json()[0]["provider"] == "micro-folie-miramas"
    page = await ds.client.get("/maillage/services?id=micro-folie-fablab")
    assert (
        '<a href="/maillage/actors/micro-folie-miramas">Micro-Folie de Miramas et son FabLab</a>'
        in page.text
    )


async def test_column_descriptions_come_from_the_model(ds):
    metadata = ds.metadata("columns", database="maillage", table="sites")
    assert metadata["postcode"] == "Code postal"


async def test_writes_are_refused(ds):
    response = await ds.client.get(
        "/maillage.json?sql=insert+into+actors+(id)+values+('x')&_shape=array"
    )
    assert response.status_code == 400
    count = await ds.client.get("/maillage.json?sql=select+count(*)+as+n+from+actors&_shape=array")
    assert count.json()[0]["n"] >= 30


def test_a_corrupt_database_is_refused(tmp_path: Path):
    bad = tmp_path / "maillage.db"
    bad.write_bytes(b"not a database" * 100)
    with pytest.raises(SiteError, match="corrompue"):
        check_database(bad)
    with pytest.raises(SiteError, match="absente"):
        check_database(tmp_path / "missing.db")


async def test_an_actor_page_is_the_one_datasettes_row_view_renders(ds):
    # the plugin's own route serves the page without the row view's trips; an encoded key
    # (~2D is a dash) still reaches Datasette's view, with the same template
    ours = await ds.client.get("/maillage/actors/france-services-miramas")
    theirs = await ds.client.get("/maillage/actors/france~2Dservices-miramas")
    assert ours.status_code == theirs.status_code == 200
    assert ours.text == theirs.text.replace("france~2Dservices-miramas", "france-services-miramas")
    assert ours.headers["link"].endswith('rel="alternate"; type="application/json+datasette"')
    assert ours.headers["cache-control"] == theirs.headers["cache-control"]
    missing = await ds.client.get("/maillage/actors/personne-de-tel")
    assert missing.status_code == 404 and "Page introuvable" in missing.text
    posted = await ds.client.post("/maillage/actors/france-services-miramas", data={})
    assert posted.status_code == 405
