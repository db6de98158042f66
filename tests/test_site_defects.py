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
