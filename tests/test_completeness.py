"""Completeness scores: recomputed here in SQL from the published tables, they are those the
build published; coordinators see the worst first; public pages do not show them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from maillage.graph.completeness import ACTOR_WEIGHTS, SERVICE_WEIGHTS
from maillage.publish.site import make_datasette

# per weighted field (in the order of the weights table), an SQL test of presence
ACTOR_SQL = [
    "a.description IS NOT NULL AND a.description != ''",
    "coalesce(a.email, '') != '' OR coalesce(a.telephone, '') != ''",
    "coalesce(a.url, '') != ''",
    "coalesce(a.siret, '') != ''",
    "EXISTS (SELECT 1 FROM sites s WHERE s.actor = a.id) AND NOT EXISTS (SELECT 1 FROM sites s "
    "WHERE s.actor = a.id AND coalesce(s.opening_hours, '') = '')",
    "EXISTS (SELECT 1 FROM sites s WHERE s.actor = a.id) AND NOT EXISTS (SELECT 1 FROM sites s "
    "WHERE s.actor = a.id AND s.latitude IS NULL)",
    "a.verified IS NOT NULL",
    "EXISTS (SELECT 1 FROM sites s WHERE s.actor = a.id) AND NOT EXISTS (SELECT 1 FROM sites s "
    "WHERE s.actor = a.id AND coalesce(s.accessibility, '') = '')",
]
SERVICE_SQL = [
    "coalesce(v.description, '') != ''",
    "EXISTS (SELECT 1 FROM service_publics p WHERE p.service_id = v.id)",
    "v.fee IS NOT NULL",
    "EXISTS (SELECT 1 FROM service_modalities m WHERE m.service_id = v.id)",
    "NOT EXISTS (SELECT 1 FROM service_sites l JOIN sites s ON s.id = l.site_id "
    "WHERE l.service_id = v.id AND coalesce(s.opening_hours, '') = '')",
    "NOT EXISTS (SELECT 1 FROM service_sites l JOIN sites s ON s.id = l.site_id "
    "WHERE l.service_id = v.id AND s.latitude IS NULL)",
    "coalesce(a.email, '') != '' OR coalesce(a.telephone, '') != ''",
    "v.verified IS NOT NULL OR a.verified IS NOT NULL",
    "NOT EXISTS (SELECT 1 FROM service_sites l JOIN sites s ON s.id = l.site_id "
    "WHERE l.service_id = v.id AND coalesce(s.accessibility, '') = '')",
]


def _recomputed(db: Path, table: str, alias: str, tests: list[str], weights) -> dict[str, int]:
    total = sum(w.weight for w in weights)
    got = " + ".join(
        f"(CASE WHEN {t} THEN {w.weight} ELSE 0 END)" for t, w in zip(tests, weights, strict=True)
    )
    join = "" if table == "actors" else "JOIN actors a ON a.id = v.provider"
    sql = f"SELECT {alias}.id, round(100.0 * ({got}) / {total}) FROM {table} {alias} {join}"  # noqa: S608
    with sqlite3.connect(db) as conn:
        return {row[0]: int(row[1]) for row in conn.execute(sql)}


def test_scores_recomputed_independently(default_dist: Path):
    db = default_dist / "maillage.db"
    with sqlite3.connect(db) as conn:
        published = {
            (kind, rid): value
            for kind, rid, value in conn.execute("SELECT type, id, score FROM completude")
        }
    actors = _recomputed(db, "actors", "a", ACTOR_SQL, ACTOR_WEIGHTS)
    services = _recomputed(db, "services", "v", SERVICE_SQL, SERVICE_WEIGHTS)
    expected = {("acteur", k): v for k, v in actors.items()}
    expected |= {("service", k): v for k, v in services.items()}
    assert published == expected
    assert len(set(published.values())) > 3  # the scores tell the records apart


async def test_coordinators_see_the_worst_first_and_the_public_does_not(default_dist: Path):
    ds = make_datasette(default_dist)
    response = await ds.client.get("/maillage/fiches_a_completer.json?_shape=array")
    rows = response.json()
    assert rows and [r["score"] for r in rows] == sorted(r["score"] for r in rows)
    assert all(r["manquants"] for r in rows)
    database = await ds.client.get("/maillage")
    assert 'href="/maillage/completude"' not in database.text  # a hidden table
    actor = await ds.client.get("/maillage/actors/france-services-miramas")
    assert "score" not in actor.text.lower() and "complétude" not in actor.text.lower()
