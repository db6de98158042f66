"""Defects an attack round found on the served site (issue 38): each reproduced as the attacker
did it, against the real server or the real site."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest
from browser import served

from maillage.publish.site import make_datasette

EVIL = "evil.example"


@pytest.fixture(scope="module")
def site(default_dist: Path):
    with served(default_dist) as url:
        yield url


def test_a_visitors_host_header_never_reaches_the_next_visitors_pages(site: str):
    pages = ["/maillage/actors.json?_size=2", "/maillage/actors?_size=2"]
    # every server process gets the forged host first, then a partner asks the same pages
    for _ in range(6):
        for page in pages:
            forged = httpx.get(site + page, headers={"Host": EVIL})
            assert EVIL not in forged.text
    for page in pages:
        answer = httpx.get(site + page)
        assert answer.status_code == 200
        assert EVIL not in answer.text
    next_url = httpx.get(site + pages[0]).json()["next_url"]
    assert next_url.startswith(site + "/maillage/actors.json?")


@pytest.fixture
def public(default_dist: Path, tmp_path: Path):
    """The default publication as if its network.yaml said ``site: https://reseau.example.fr``."""
    out = tmp_path / "dist"
    shutil.copytree(default_dist, out)
    with sqlite3.connect(out / "maillage.db") as db:
        db.execute("update publication set site = 'https://reseau.example.fr/'")
    return make_datasette(out)


async def test_absolute_links_use_the_public_address(public):
    headers = {"Host": EVIL}
    answer = await public.client.get("/maillage/actors.json?_size=2", headers=headers)
    assert answer.json()["next_url"].startswith("https://reseau.example.fr/maillage/actors.json?")
    page = await public.client.get("/maillage/actors?_size=2", headers=headers)
    assert 'href="https://reseau.example.fr/maillage/actors.json?_size=2"' in page.text
    assert EVIL not in page.text


@pytest.fixture
def ds(default_dist: Path):
    return make_datasette(default_dist)


def _plain_french(answer: httpx.Response) -> str:
    """The visible text of an error page, checked to be French and plain: no Datasette
    documentation link, no SQL, no SQLite or Python message."""
    text = answer.text
    for technical in (
        "docs.datasette.io",
        "select ",
        "SQL query",
        "Invalid SQL",
        "fts5",
        "syntax error",
        "Traceback",
        "no such column",
        "Error",
    ):
        assert technical not in text, (technical, text[-800:])
    return text


@pytest.mark.parametrize("through", ['{"table":"x"}', "[]", "1", "null", "notjson", '{"a":1}'])
async def test_a_malformed_through_filter_is_a_french_400(ds, through: str):
    answer = await ds.client.get("/maillage/actors", params={"_through": through})
    assert answer.status_code == 400
    assert "_through" in _plain_french(answer)


async def test_a_parameter_repeated_ten_thousand_times_is_a_french_400(ds):
    answer = await ds.client.get("/maillage/actors?" + "&".join(["a=1"] * 10_000))
    assert answer.status_code == 400
    assert "Adresse trop longue" in _plain_french(answer)
    answer = await ds.client.get("/maillage/actors?" + "&".join(["a=1"] * 1_000))
    assert answer.status_code == 400
    assert "Trop de paramètres" in _plain_french(answer)


async def test_an_address_too_long_is_a_french_400(ds):
    answer = await ds.client.get("/maillage/actors", params={"name": "a" * 40_000})
    assert answer.status_code == 400
    assert "trop longue" in _plain_french(answer)


async def test_a_well_formed_through_filter_still_filters(ds):
    through = '{"table": "services", "column": "id", "value": "nope"}'
    answer = await ds.client.get("/maillage/actors.json", params={"_through": through})
    assert answer.status_code == 200
    assert answer.json()["rows"] == []
