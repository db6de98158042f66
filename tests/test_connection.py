"""The CLI's door to the published database is the site's: the same canned query, read from
the metadata the build wrote, on a connection set up by the same function."""

from __future__ import annotations

from pathlib import Path

from maillage.publish.connection import ask, canned_query
from maillage.publish.site import make_datasette


async def test_ask_gives_the_rows_the_site_serves(default_dist: Path):
    params = {"actor": "residence-hestia", "need": "acces-aux-droits"}
    rows = ask(default_dist, "orienter", params)
    assert rows[0]["actor"] == "france-services-miramas" and rows[0]["hops"] == 1
    assert rows[0]["path"] == "residence-hestia → france-services-miramas"
    # the SQL functions the query calls are there: hours in words, as on the page
    assert rows[0]["horaires"] and rows[0]["horaires"] != rows[0]["opening_hours"]
    response = await make_datasette(default_dist).client.get(
        "/maillage/orienter.json",
        params={**params, "public": "", "commune": "", "support": "", "_shape": "array"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == rows


def test_the_query_is_the_published_one(default_dist: Path):
    query = canned_query(default_dist, "orienter")
    assert query["params"][:2] == ["actor", "need"] and "WITH RECURSIVE" in query["sql"]
    assert ask(default_dist, "orienter", {"actor": "inconnu", "need": "inconnu"}) == []
