"""Table rows -> ``maillage.db`` with sqlite-utils only: tables, keys, link tables, FTS, views.

Column names and types come from ``graph.model``; the rows from ``graph.tables`` (the validated
graph, flattened) and ``graph.network`` (referral analytics).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.db import Table

from maillage.graph.model import CLASSES
from maillage.graph.tables import (
    HOURS_IN_FORCE,
    SERVICE_FACETS,
    SORT_KEYS,
    Tables,
    link_fields,
    link_table,
)

PYTHON_TYPES = {"decimal": float, "integer": int, "boolean": int}

# The flat "who does what, where" view: one row per service, need, public and site.
QUI_FAIT_QUOI_OU = """
SELECT
  actors.id AS actor_id,
  actors.name AS actor,
  services.id AS service_id,
  services.name AS service,
  pole.label AS pole,
  need.label AS need,
  public.label AS public,
  sites.commune AS commune,
  sites.insee AS insee,
  sites.street || ', ' || sites.postcode || ' ' || sites.commune AS address,
  sites.opening_hours AS opening_hours,
  sites.latitude AS latitude,
  sites.longitude AS longitude,
  sites.id AS site_id
FROM services
JOIN actors ON actors.id = services.provider
JOIN service_needs ON service_needs.service_id = services.id
JOIN concepts AS need ON need.id = service_needs.concept_id
LEFT JOIN concepts AS pole ON pole.id = need.pole
LEFT JOIN service_publics ON service_publics.service_id = services.id
LEFT JOIN concepts AS public ON public.id = service_publics.concept_id
JOIN service_sites ON service_sites.service_id = services.id
JOIN sites ON sites.id = service_sites.site_id
"""
# Every actor, site and service with the date its information was checked (a site or service
# not checked on its own has its actor's) and its actor's contact: what a_verifier and the
# canned query fiches_a_verifier select from (maillage verifier asks that query too).
VERIFICATIONS = """
SELECT r.type, r.id, r.nom, r.actor_id, actors.name AS acteur,
  actors.email AS courriel, actors.telephone AS telephone,
  r.verified AS verifie_le, r.verified_by AS verifie_par
FROM (
  SELECT 'acteur' AS type, id, name AS nom, id AS actor_id, verified, verified_by FROM actors
  UNION ALL
  SELECT 'lieu', sites.id, sites.name, sites.actor,
    coalesce(sites.verified, actors.verified),
    CASE WHEN sites.verified IS NULL THEN actors.verified_by ELSE sites.verified_by END
  FROM sites JOIN actors ON actors.id = sites.actor
  UNION ALL
  SELECT 'service', services.id, services.name, services.provider,
    coalesce(services.verified, actors.verified),
    CASE WHEN services.verified IS NULL THEN actors.verified_by ELSE services.verified_by END
  FROM services JOIN actors ON actors.id = services.provider
) AS r
JOIN actors ON actors.id = r.actor_id
"""
# What to check again: never checked, or checked longer ago than network.yaml's
# recheck_months (12 by default) before today, oldest first.
A_VERIFIER = """
SELECT * FROM verifications
WHERE verifie_le IS NULL
  OR verifie_le < date('now', '-' || (SELECT recheck_months FROM publication) || ' months')
ORDER BY verifie_le IS NOT NULL, verifie_le, type, id
"""

CONCEPT_COLUMNS: dict[str, Any] = {
    "id": str,
    "iri": str,
    "scheme": str,
    "notation": str,
    "label": str,
    "broader": str,
    "pole": str,
    **dict.fromkeys(SORT_KEYS["concepts"], str),
}
SERVICE_FACET_COLUMNS: dict[str, Any] = {name: str for name in SERVICE_FACETS}

# The map: one row per site, with its actor and the actor's pole, to facet the map by pole.
CARTE_DES_LIEUX = """
SELECT
  sites.id AS site_id,
  sites.name AS lieu,
  actors.name AS acteur,
  actors.id AS actor_id,
  pole.label AS pole,
  sites.commune AS commune,
  sites.street || ', ' || sites.postcode || ' ' || sites.commune AS adresse,
  sites.opening_hours AS horaires,
  sites.hours_in_force AS horaires_en_vigueur,
  actors.telephone AS telephone,
  actors.email AS courriel,
  (
    SELECT json_group_array(DISTINCT need.label) FROM service_sites
    JOIN service_needs ON service_needs.service_id = service_sites.service_id
    JOIN concepts AS need ON need.id = service_needs.concept_id
    WHERE service_sites.site_id = sites.id
  ) AS besoins,
  (
    SELECT json_group_array(DISTINCT public.label) FROM service_sites
    JOIN service_publics ON service_publics.service_id = service_sites.service_id
    JOIN concepts AS public ON public.id = service_publics.concept_id
    WHERE service_sites.site_id = sites.id
  ) AS publics,
  sites.latitude AS latitude,
  sites.longitude AS longitude,
  -- invented facts (the example network's addresses and hours) say so on the map
  coalesce(sites.illustrative, 0) OR coalesce(actors.illustrative, 0) AS exemple
FROM sites
JOIN actors ON actors.id = sites.actor
LEFT JOIN concepts AS pole ON pole.id = actors.pole
"""


# Analytics tables (graph/analytics.py): columns and foreign keys.
ANALYTICS: dict[str, tuple[dict[str, Any], list[tuple[str, str, str]]]] = {
    "completude": (
        {"type": str, "id": str, "nom": str, "actor_id": str, "score": int, "manquants": str},
        [("actor_id", "actors", "id")],
    ),
    "coverage": (
        {
            "need": str,
            "public": str,
            "commune": str,
            "commune_name": str,
            "actors": int,
            "demand": float,
            "status": str,
            "providers": str,
        },
        [("need", "concepts", "id"), ("public", "concepts", "id")],
    ),
    "gaps": (
        {"kind": str, "actor": str, "need": str, "commune": str, "detail": str},
        [("actor", "actors", "id"), ("need", "concepts", "id")],
    ),
    "parcours": (
        {
            "need": str,
            "commune": str,
            "commune_name": str,
            "rank": int,
            "level": str,
            "label": str,
            "actors": str,
            "climbs": str,
            "in_place": str,
            "broken": int,
            "demand": float,
        },
        [("need", "concepts", "id"), ("level", "concepts", "id")],
    ),
    "actor_metrics": (
        {
            "actor": str,
            "in_degree": int,
            "out_degree": int,
            "betweenness": float,
            "articulation": int,
            "sole_provider": int,
        },
        [("actor", "actors", "id")],
    ),
    "releases": (
        {
            "version": int,
            "date": str,
            "sha256": str,
            "actors": int,
            "services": int,
            "referrals": int,
        },
        [],
    ),
    "changes": (
        {"kind": str, "id": str, "name": str, "change": str, "detail": str},
        [],
    ),
    "publication": (
        {
            "built_at": str,
            "network": str,
            "actors": int,
            "sites": int,
            "services": int,
            "referrals": int,
            "triples": int,
            "recheck_months": int,
            "contact": str,
            "site": str,
            "guide": str,
            "map_tiles": str,
            "map_attribution": str,
        },
        [],
    ),
}


# What the orienter canned query searches: one row per service, need and site, with the site's
# position and commune. Joining sites, services and their needs at each query cost 25 ms at
# 30,000 actors (benchmarks/README.md); this table and its covering indexes answer in 5.
OFFER_COLUMNS: dict[str, Any] = {
    "need": str,
    "service": str,
    "actor": str,
    "site": str,
    "insee": str,
    "latitude": float,
    "longitude": float,
}
OFFER_INDEXES = (
    ["need", "latitude", "longitude", "service", "actor"],
    ["need", "insee"],
    ["actor", "need"],
    ["service", "need", "site", "insee", "latitude", "longitude"],
)


def offer_rows(tables: Tables) -> list[dict[str, Any]]:
    """One row per service, need and site (the ``offers`` table)."""
    sites = {row["id"]: row for row in tables["sites"]}
    provider = {row["id"]: row["provider"] for row in tables["services"]}
    sites_of: dict[str, list[dict[str, Any]]] = {}
    for row in tables["service_sites"]:
        site = sites.get(row["site_id"])
        if site is not None:
            sites_of.setdefault(row["service_id"], []).append(site)
    return [
        {
            "need": row["concept_id"],
            "service": row["service_id"],
            "actor": provider.get(row["service_id"]),
            "site": site["id"],
            "insee": site.get("insee"),
            "latitude": site.get("latitude"),
            "longitude": site.get("longitude"),
        }
        for row in tables["service_needs"]
        for site in sites_of.get(row["service_id"], ())
    ]


def insert_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> int:
    """Append ``rows`` to the existing ``table``; returns how many were inserted.

    sqlite-utils inserts the first row, and the INSERT statement it prepared for it is then
    given the other rows through sqlite3's ``executemany``, which binds them in C. ``insert_all``
    prepares every value of every row in Python (a JSON test per value, a statement per batch
    of 999 values): three times slower at 10,000 actors, where the database holds 900,000 rows.
    A row's missing keys are NULL; its values must be SQLite's (text, numbers, None).
    """
    if not rows:
        return 0
    columns = list(table.columns_dict)
    statements: list[str] = []

    def keep_insert(sql: str, parameters: Any) -> None:
        if sql.lstrip().upper().startswith("INSERT"):
            statements.append(sql)

    first = [rows[0].get(column) for column in columns]
    with table.db.tracer(keep_insert):
        table.insert_all([columns, first])
    if len(statements) != 1 or statements[0].count("?") != len(columns):
        raise RuntimeError(f"sqlite-utils did not insert one row into {table.name}: {statements}")
    values = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    try:  # every row has every column, as graph.tables writes them: the values read in C
        with table.db.conn:
            table.db.conn.executemany(statements[0], map(values, rows[1:]))
    except KeyError:  # rolled back: a row lacks a column, NULL there
        with table.db.conn:
            table.db.conn.executemany(
                statements[0], ([row.get(column) for column in columns] for row in rows[1:])
            )
    return len(rows)


def write_database(tables: Tables, path: Path, analytics: Tables | None = None) -> dict[str, int]:
    """Write a fresh database at ``path``; returns the number of rows per table."""
    counts = write_rows(tables, path, analytics)
    index_database(path)
    return counts


def _open(path: Path, recreate: bool = False) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path, recreate=recreate)
    # a fresh file, swapped in only when complete and fsynced by the build: no journal, no
    # fsync per inserted batch
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    return db


def write_rows(tables: Tables, path: Path, analytics: Tables | None = None) -> dict[str, int]:
    """The tables and their rows, in a fresh database at ``path`` (then :func:`index_database`);
    returns the number of rows per table."""
    db = _open(path, recreate=True)
    db["concepts"].create(
        CONCEPT_COLUMNS,
        pk="id",
        foreign_keys=[("broader", "concepts", "id"), ("pole", "concepts", "id")],
    )
    counts = {"concepts": insert_rows(db["concepts"], tables["concepts"])}
    for cls in CLASSES:
        columns: dict[str, Any] = {"id": str, "iri": str}
        columns.update({f.name: PYTHON_TYPES.get(f.kind, str) for f in cls.columns})
        if cls.name == "service":
            columns.update(SERVICE_FACET_COLUMNS)
        if cls.name == "site":
            columns[HOURS_IN_FORCE] = str
        columns.update(dict.fromkeys(SORT_KEYS.get(cls.table, {}), str))
        keys = [
            (f.name, "concepts" if f.kind == "concept" else f"{f.target}s", "id")
            for f in cls.columns
            if f.kind in ("concept", "ref")
        ]
        db[cls.table].create(columns, pk="id", foreign_keys=keys)
        # a class with no record still gets its table
        counts[cls.table] = insert_rows(db[cls.table], tables.get(cls.table, []))
    # the link tables once every class's table exists (a site links its closures, whose
    # table comes after the sites')
    for cls in CLASSES:
        for f in link_fields(cls):
            name, own, other_col, other = link_table(cls, f)
            db[name].create(
                {own: str, other_col: str},
                pk=(own, other_col),
                foreign_keys=[(own, cls.table, "id"), (other_col, other, "id")],
            )
            counts[name] = insert_rows(db[name], tables.get(name, []))
    for name, rows in (analytics or {}).items():
        columns, keys = ANALYTICS[name]
        db[name].create(
            columns,
            pk={
                "actor_metrics": "actor",
                "releases": "version",
                "parcours": ("need", "commune", "rank"),
            }.get(name),
            foreign_keys=keys,
        )
        counts[name] = insert_rows(db[name], rows)
    db["offers"].create(OFFER_COLUMNS)
    counts["offers"] = insert_rows(db["offers"], offer_rows(tables))
    db.close()
    return counts


def index_database(path: Path) -> None:
    """The full-text search, indexes, views and statistics of a database :func:`write_rows`
    wrote. SQLite's own work, which lets go of the GIL: the build runs it in a thread while it
    writes the CSV files."""
    db = _open(path)
    for table in ("actors", "services"):
        db[table].enable_fts(
            ["name", "description"], create_triggers=False, tokenize="unicode61 remove_diacritics 2"
        )
    # the orienter canned query looks sites up by position and by commune, and offers by need
    # and position, commune, actor or service (covering indexes: no row is read beside them)
    db["sites"].create_index(["latitude", "longitude"])
    db["sites"].create_index(["insee"])
    for columns in OFFER_INDEXES:
        db["offers"].create_index(columns)
    db.create_view("qui_fait_quoi_ou", QUI_FAIT_QUOI_OU, replace=True)
    db.create_view("carte_des_lieux", CARTE_DES_LIEUX, replace=True)
    db.create_view("verifications", VERIFICATIONS, replace=True)
    db.create_view("a_verifier", A_VERIFIER, replace=True)
    db.index_foreign_keys()
    db.analyze()
    db.close()
