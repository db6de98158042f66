"""What an attacker tries on the public site: SQLite's dangerous functions and virtual tables,
queries that would take minutes or gigabytes, SQL in a table page's address, a bad sort. Each
is refused quickly, the server stays up, and the home page stays fast meanwhile."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from browser import served

from maillage.publish import guard
from maillage.publish.site import make_datasette

TOKENIZER_ATTACK = "SELECT fts3_tokenizer('unicode61', x'4141414141414141')"
DOUBLING = (
    "WITH RECURSIVE c(x) AS (SELECT 'a' UNION ALL SELECT x||x FROM c LIMIT 30) "
    "SELECT length(max(x)) FROM c"
)
DENIED = [
    TOKENIZER_ATTACK,
    "SELECT fts3_tokenizer('simple')",
    "SELECT fts5(NULL)",
    "SELECT load_extension('/tmp/evil.so')",
    "SELECT length(randomblob(900000000))",
    "SELECT length(zeroblob(900000000))",
    "SELECT * FROM dbstat",
    "SELECT * FROM dbstat AS innocent",
    "SELECT * FROM (SELECT * FROM dbstat) AS innocent ORDER BY 1",
    "SELECT * FROM sqlite_stmt",
    "SELECT * FROM sqlite_dbpage",
    "SELECT * FROM pragma_compile_options",
    "SELECT sqlite_compileoption_get(0)",
    "PRAGMA query_only = 0",
    "PRAGMA cache_size = 1000000",
    "PRAGMA schema_version = 1",
    DOUBLING,
    "SELECT length(printf('%.*c', 900000000, 'x'))",
    "SELECT length(format('%.*c', 900000000, 'x'))",
    "SELECT length(replace(printf('%.*c', 900000, 'x'), 'x', 'xxxxxxxxxx'))",
    "SELECT printf('%.*c', 500000, 'x') FROM concepts, concepts AS c2 LIMIT 1000",
]


async def _sql(ds, sql: str):
    return await ds.client.get("/maillage.json", params={"sql": sql, "_shape": "array"})


@pytest.fixture
def ds(default_dist: Path):
    return make_datasette(default_dist)


@pytest.mark.parametrize("sql", DENIED)
async def test_dangerous_or_unbounded_sql_is_refused_quickly(ds, sql: str):
    start = time.perf_counter()
    response = await _sql(ds, sql)
    assert response.status_code == 400, response.text[:300]
    assert time.perf_counter() - start < 2.5
    count = await _sql(ds, "SELECT count(*) AS n FROM actors")
    assert count.json()[0]["n"] == 31


MEGABYTE = (
    "(WITH RECURSIVE c(x) AS (SELECT 'a' UNION ALL SELECT x||x FROM c LIMIT 20) "
    "SELECT max(x) FROM c)"
)


@pytest.mark.parametrize(
    "sql",
    [
        f"SELECT instr({MEGABYTE}, substr({MEGABYTE}, 1, 400000) || 'b') AS n",
        f"SELECT length(trim({MEGABYTE}, substr({MEGABYTE}, 1, 500000) || 'b')) AS n",
        f"SELECT length(replace({MEGABYTE}, substr({MEGABYTE}, 1, 400000) || 'b', 'c')) AS n",
    ],
)
async def test_quadratic_string_functions_take_linear_time(ds, sql: str):
    await _sql(ds, "SELECT 1")  # the site's start is not the query's time
    start = time.perf_counter()
    response = await _sql(ds, sql)
    assert time.perf_counter() - start < 1, response.text[:200]


async def test_replace_cannot_grow_a_string_past_the_limit(ds):
    response = await _sql(ds, f"SELECT length(replace({MEGABYTE}, 'a', 'aaaa')) AS n")
    assert response.status_code == 400


async def test_reading_what_is_published_still_works(ds):
    for sql in (
        "SELECT name FROM actors ORDER BY name LIMIT 3",
        "SELECT count(*) FROM qui_fait_quoi_ou",
        "SELECT j.value FROM services, json_each(services.needs) AS j LIMIT 5",
        "SELECT * FROM pragma_table_info('actors')",
        "SELECT rowid FROM actors_fts WHERE actors_fts MATCH 'numerique'",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 9) SELECT sum(x) "
        "FROM c",
        "SELECT name FROM sqlite_master WHERE type = 'table'",
        "SELECT r.n FROM (SELECT name AS n FROM actors UNION ALL SELECT name FROM sites) AS r "
        "ORDER BY r.n",
        "SELECT instr('a,b', ',') AS i, replace('a,b', ',', ' → ') AS r, trim(',a,', ',') AS t",
    ):
        response = await _sql(ds, sql)
        assert response.status_code == 200, (sql, response.text[:300])
        assert response.json()


async def test_sql_in_a_table_address_is_refused(ds):
    response = await ds.client.get(
        "/maillage/actors.json", params={"_where": "length(randomblob(900000000))>0"}
    )
    assert response.status_code == 400
    assert "_where" in response.text


@pytest.mark.parametrize("sort", ["_sort", "_sort_desc"])
async def test_a_bad_sort_is_a_400_not_a_500(ds, sort: str):
    response = await ds.client.get("/maillage/actors", params={sort: "(select 1)"})
    assert response.status_code == 400
    assert "Tri impossible" in response.text


def test_the_guard_denies_on_a_bare_connection(default_dist: Path):
    """The guard holds for every statement of a connection, not only the site's forms."""
    conn = sqlite3.connect(f"file:{default_dist / 'maillage.db'}?immutable=1", uri=True)
    guard.guard(conn)
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute(TOKENIZER_ATTACK)
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("CREATE TEMP TABLE t (x)")
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("ATTACH DATABASE ':memory:' AS other")
    assert conn.execute("SELECT count(*) FROM actors").fetchone()[0] == 31


def test_the_served_site_survives_the_attacks_and_stays_fast(default_dist: Path):
    with served(default_dist) as url:
        for sql in (TOKENIZER_ATTACK, "SELECT rowid FROM actors_fts WHERE actors_fts MATCH 'a'"):
            response = httpx.get(f"{url}/maillage.json", params={"sql": sql}, timeout=10)
            assert response.status_code in (200, 400)
        assert httpx.get(f"{url}/", timeout=10).status_code == 200  # still up

        heavy = [
            (f"{url}/maillage.json", {"sql": DOUBLING}),
            (f"{url}/maillage/actors.json", {"_where": "length(randomblob(900000000))>0"}),
            (
                f"{url}/maillage.json",
                {
                    "sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) "
                    "SELECT count(*) FROM c"
                },
            ),
        ]
        with ThreadPoolExecutor(len(heavy)) as pool:
            started = time.perf_counter()
            answers = [pool.submit(httpx.get, u, params=p, timeout=30) for u, p in heavy]
            time.sleep(0.2)
            home = time.perf_counter()
            assert httpx.get(f"{url}/", timeout=10).status_code == 200
            home = time.perf_counter() - home
            statuses = [a.result().status_code for a in answers]
            elapsed = time.perf_counter() - started
        assert statuses == [400, 400, 400]
        assert elapsed < 5 and home < 2.0, (elapsed, home)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value and tag in ("a", "link", "img", "script"):
                self.links.append(value)


def test_every_link_of_the_home_page_and_the_catalogue_answers(default_dist: Path):
    """Started the way `maillage serve` starts it: every download the home page offers is
    there, and so is every file the catalogue lists."""
    with served(default_dist) as url:
        parser = _Links()
        parser.feed(httpx.get(f"{url}/", timeout=10).text)
        catalogue = httpx.get(f"{url}/telechargements/catalog.ttl", timeout=10)
        assert catalogue.status_code == 200
        listed = [
            line.split("<", 1)[1].split(">", 1)[0]
            for line in catalogue.text.splitlines()
            if "dcat:downloadURL" in line
        ]
        assert listed, "the catalogue lists no download"
        links = {urljoin(url + "/", link) for link in parser.links}
        links |= {
            urljoin(url + "/", "/telechargements/" + urlsplit(u).path.rsplit("/", 1)[1])
            for u in listed
        }
        checked = 0
        for link in sorted(links):
            if not link.startswith(url) or "#" in link:
                continue
            response = httpx.get(link, timeout=20)
            assert response.status_code == 200, link
            checked += 1
        assert checked >= 10
        assert httpx.get(f"{url}/telechargements/.maillage-cache.pickle").status_code == 404
        for sneaky in ("..%2Fmaillage.db", "%2E%2E/etc/passwd", "build.json/..", "x%00.db"):
            response = httpx.get(f"{url}/telechargements/{sneaky}", follow_redirects=True)
            assert response.status_code == 404, sneaky
