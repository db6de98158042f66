"""The public site is read-only and bounded: writes refused, slow queries cut off, canned
queries bind their parameters, nothing but the published files is served."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from maillage.publish.site import SETTINGS, make_datasette


@pytest.fixture
def ds(default_dist: Path):
    return make_datasette(default_dist)


async def _sql(ds, sql: str):
    return await ds.client.get("/maillage.json", params={"sql": sql, "_shape": "array"})


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO actors (id, name) VALUES ('x', 'x')",
        "UPDATE actors SET name = 'x'",
        "DELETE FROM actors",
        "DROP TABLE actors",
        "ATTACH DATABASE '/tmp/evil.db' AS evil",
        "PRAGMA writable_schema = 1",
        "CREATE TABLE evil (x)",
    ],
)
async def test_writes_are_refused(ds, statement: str):
    response = await _sql(ds, statement)
    assert response.status_code == 400
    count = await _sql(ds, "SELECT count(*) AS n FROM actors")
    assert count.json()[0]["n"] == 31


async def test_a_slow_recursive_query_is_cut_off(ds):
    start = time.perf_counter()
    response = await _sql(
        ds, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    )
    elapsed = time.perf_counter() - start
    assert response.status_code == 400
    assert "trop de temps" in response.json()["error"]
    assert elapsed < SETTINGS["sql_time_limit_ms"] / 1000 + 3


async def test_results_are_bounded(ds):
    response = await _sql(ds, "SELECT * FROM concepts, concepts AS c2 LIMIT 5000")
    body = response.json()
    assert len(body) <= SETTINGS["max_returned_rows"]


async def test_only_read_only_plugins_are_installed(ds):
    plugins = {p["name"] for p in (await ds.client.get("/-/plugins.json")).json()}
    # datasette-template-sql lets templates run read-only queries on the immutable database
    assert plugins <= {
        "datasette-leaflet",  # Leaflet for the map pages' own script
        "datasette-template-sql",
        "maillage",  # publish/plugin.py: guards, serves the downloads, refuses _where
    }


async def test_only_the_published_database_is_served(ds):
    databases = [d["name"] for d in (await ds.client.get("/-/databases.json")).json()]
    assert databases == ["maillage"]
    settings = (await ds.client.get("/-/settings.json")).json()
    assert settings["sql_time_limit_ms"] == SETTINGS["sql_time_limit_ms"]
    assert settings["max_returned_rows"] == SETTINGS["max_returned_rows"]
    secret = await ds.client.get("/telechargements/../../../etc/passwd")
    assert secret.status_code == 404


HOSTILE_VALUES = [
    "' OR '1'='1",
    '"; DROP TABLE actors; --',
    "100%",
    "%' OR 1=1 --",
    "é" * 2000,
    "x" * 10000,
    "مرحبا 😀 \u202e",
    "needs/aide-demarches-administratives') UNION SELECT sql FROM sqlite_master --",
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
async def test_canned_queries_bind_their_parameters(ds, value: str):
    for name, params in (
        ("orienter", {"actor": value, "need": value, "public": value, "commune": value}),
        (
            "orienter",
            {"actor": "france-services-miramas", "need": value, "public": "", "commune": ""},
        ),
        ("lacunes", {"public": value, "commune": value}),
    ):
        response = await ds.client.get(
            f"/maillage/{name}.json", params={**params, "_shape": "array"}
        )
        assert response.status_code == 200, (name, response.text[:300])
        assert response.json() == []
    count = await _sql(ds, "SELECT count(*) AS n FROM actors")
    assert count.json()[0]["n"] == 31
