"""Hostile text is stored as written and rendered escaped: in the database, the dumps, the
pages served by Datasette, and in a real browser where no script may run."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from browser import browser_page, served
from conftest import make_network
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SDO

from maillage.publish.build import build
from maillage.publish.site import make_datasette

NETWORKS = Path(__file__).parent / "networks"
NAME = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def hostile_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    out = folder / "dist"
    build(make_network(folder, NETWORKS / "hostile"), out)
    return out


def _hostile_actor_row(dist: Path) -> dict:
    with sqlite3.connect(dist / "maillage.db") as conn:
        conn.row_factory = sqlite3.Row
        return dict(conn.execute("select * from actors where id = 'hostile'").fetchone())


def test_the_text_is_stored_as_written(hostile_dist: Path):
    row = _hostile_actor_row(hostile_dist)
    assert row["name"] == NAME
    assert "'; DROP TABLE actors; --" in row["description"]
    assert "\u202eenilno sehcramed\u202c 😀👩‍💻 {{ 7*7 }} %s" in row["description"]
    assert len(row["description"]) > 4000


@pytest.mark.parametrize(
    "name,fmt", [("maillage.nt", "nt"), ("maillage.ttl", "turtle"), ("maillage.jsonld", "json-ld")]
)
def test_the_dumps_keep_the_text_exactly(hostile_dist: Path, name: str, fmt: str):
    graph = Graph().parse(hostile_dist / name, format=fmt)
    actor = URIRef("https://maillage.example.org/test/hostile/actor/hostile")
    assert graph.value(actor, SDO.name) == Literal(NAME)


async def test_datasette_pages_escape_it(hostile_dist: Path):
    ds = make_datasette(hostile_dist)
    for path in (
        "/maillage/actors",
        "/maillage/actors/hostile",
        "/maillage/sites",
        "/maillage/services",
        "/maillage/qui_fait_quoi_ou",
        "/maillage/actors?_search=onerror",
        "/maillage/orienter?actor=accueil&need=aide-demarches-administratives&public=&commune=",
    ):
        page = await ds.client.get(path)
        assert page.status_code == 200, path
        assert "<img src=x" not in page.text, path
        assert "<svg onload" not in page.text, path
        assert "<script>alert" not in page.text, path
        assert 'href="javascript:' not in page.text, path
    page = await ds.client.get("/maillage/actors/hostile")
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    data = await ds.client.get("/maillage/actors/hostile.json?_shape=array")
    assert json.loads(data.text)[0]["name"] == NAME


def test_no_script_runs_in_a_real_browser(hostile_dist: Path):
    with served(hostile_dist) as url, browser_page() as page:
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        # the watch works: a page that does run a script is caught
        page.set_content("<img src=x onerror=\"alert('canary')\">")
        page.wait_for_timeout(300)
        assert dialogs == ["canary"]
        dialogs.clear()
        for path in (
            "/maillage/actors/hostile",
            "/maillage/actors",
            "/maillage/sites",
            "/maillage/services?_search=javascript",
            "/maillage/orienter?actor=accueil&need=aide-demarches-administratives&public=&commune=",
        ):
            response = page.goto(url + path)
            assert response is not None and response.status == 200, path
            page.wait_for_load_state("load")
        page.goto(url + "/maillage/actors/hostile")
        shown = page.inner_text("body")
        assert dialogs == []
        assert NAME in shown
        assert "'; DROP TABLE actors; --" in shown
        assert page.locator("img[src='x']").count() == 0
