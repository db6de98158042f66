"""One way to open the published database, for the site and the CLI alike: the SQL functions
the canned queries call (hours in words, open now) and the read-only guard, and the canned
queries themselves read from the ``metadata.json`` the build wrote beside the database, so
that a command asks exactly what the site's page asks (issue 42: one answer, one door)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

from maillage.graph import hours
from maillage.graph.network import Orientation, Site, UnknownId
from maillage.publish.guard import guard
from maillage.publish.search import plain_text, search_words, zones_near


def prepare(conn: sqlite3.Connection, guarded: bool = True) -> None:
    """Register the functions the canned queries call on ``conn``; guard it if ``guarded``
    (Datasette's plugin guards only the immutable, published database)."""
    # hours in words, and whether a place is open when the page is served (Europe/Paris)
    conn.create_function("horaires_en_clair", 1, hours.in_words, deterministic=True)
    conn.create_function("ouverture", 1, hours.status)
    conn.create_function("ouvert_maintenant", 1, lambda text: int(hours.is_open(text)))
    # the search's words, stemmed as the index was (publish/search.py), and a commune typed
    conn.create_function("mots_recherche", 1, search_words, deterministic=True)
    conn.create_function("texte_simple", 1, plain_text, deterministic=True)
    conn.create_function("zones_autour", 2, zones_near, deterministic=True)
    if guarded:
        guard(conn)


def canned_query(dist: Path, name: str) -> dict[str, Any]:
    """The canned query ``name`` as the site serves it (its ``sql`` and ``params``)."""
    metadata = json.loads((dist / "metadata.json").read_text(encoding="utf-8"))
    return metadata["databases"]["maillage"]["queries"][name]


def rows(dist: Path, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rows of ``sql`` on the published ``dist/maillage.db``, read-only and guarded."""
    uri = f"file:{(dist / 'maillage.db').resolve()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True)
    try:
        prepare(conn)  # the guard's own row factory stays: the rows it lets through are bounded
        cursor = conn.execute(sql, params or {})
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]
    finally:
        conn.close()


def ask(dist: Path, name: str, params: dict[str, str | None]) -> list[dict[str, Any]]:
    """The rows of the canned query ``name`` on the published ``dist/maillage.db``, read-only;
    a parameter not given is the empty string, as Datasette sends it."""
    query = canned_query(dist, name)
    return rows(dist, query["sql"], {p: params.get(p) or "" for p in query.get("params", [])})


# The ids a question names, as the published database knows them (for "vouliez-vous dire").
KNOWN_IDS = {
    "actor": ("acteur", "SELECT id FROM actors"),
    "need": ("besoin", "SELECT substr(id, 7) FROM concepts WHERE scheme = 'needs'"),
    "public": ("public", "SELECT substr(id, 9) FROM concepts WHERE scheme = 'publics'"),
    "commune": ("commune (code INSEE)", "SELECT DISTINCT insee FROM sites WHERE insee > ''"),
    "support": (
        "prise en charge spécifique",
        "SELECT substr(id, 10) FROM concepts WHERE scheme = 'supports'",
    ),
}


def check_published_ids(dist: Path, **given: str | None) -> None:
    """Raise :class:`UnknownId` for the first id given that the published network lacks."""
    for name, value in given.items():
        if value is None:
            continue
        kind, sql = KNOWN_IDS[name]
        known = [row[next(iter(row))] for row in rows(dist, sql)]
        if value not in known:
            raise UnknownId(kind, value, known)


def orientations(dist: Path, found: list[dict[str, Any]]) -> list[Orientation]:
    """The ``orienter`` query's rows as answers (their path's names and their place read from
    the same database), for the command's table, JSON and slip."""
    names = {r["id"]: r["name"] for r in rows(dist, "SELECT id, name FROM actors")}
    wanted = sorted({r["site"] for r in found if r.get("site")})
    places = {
        r["id"]: r
        for r in rows(
            dist,
            "SELECT id, actor, name, street, postcode, commune, insee, latitude, longitude,"
            " opening_hours FROM sites WHERE id IN (SELECT value FROM json_each(:ids))",
            {"ids": json.dumps(wanted)},
        )
    }
    answers = []
    for row in found:
        path = tuple(row["path"].split(" → ")) if row.get("path") else ()
        place = places.get(row.get("site"))
        site = (
            Site(
                place["id"],
                place["actor"],
                place["name"],
                row["address"],
                place["insee"],
                place["commune"],
                place["latitude"],
                place["longitude"],
                place["opening_hours"],
            )
            if place
            else None
        )
        answers.append(
            Orientation(
                actor=row["actor"],
                actor_name=row["actor_name"],
                service=row["service"],
                service_name=row["service_name"],
                hops=row["hops"],
                path=path,
                path_names=tuple(names.get(a, a) for a in path),
                site=site,
                distance_km=row["distance_km"],
            )
        )
    return answers


def within_hops(answers: list[Orientation], max_hops: int) -> list[Orientation]:
    """The answers with a path longer than ``max_hops`` given as providers to contact directly
    (the query follows up to 4 referrals), in the query's order: fewest referrals, then
    distance."""
    cut = [
        a if a.hops is None or a.hops <= max_hops else replace(a, hops=None, path=(), path_names=())
        for a in answers
    ]
    return sorted(
        cut,
        key=lambda a: (
            a.hops is None,
            a.hops or 0,
            a.distance_km is None,
            a.distance_km or 0.0,
            a.actor,
            a.service,
        ),
    )
