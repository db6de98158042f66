"""One way to open the published database, for the site and the CLI alike: the SQL functions
the canned queries call (hours in words, open now) and the read-only guard, and the canned
queries themselves read from the ``metadata.json`` the build wrote beside the database, so
that a command asks exactly what the site's page asks (issue 42: one answer, one door)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from maillage.graph import hours
from maillage.publish.guard import guard


def prepare(conn: sqlite3.Connection, guarded: bool = True) -> None:
    """Register the functions the canned queries call on ``conn``; guard it if ``guarded``
    (Datasette's plugin guards only the immutable, published database)."""
    # hours in words, and whether a place is open when the page is served (Europe/Paris)
    conn.create_function("horaires_en_clair", 1, hours.in_words, deterministic=True)
    conn.create_function("ouverture", 1, hours.status)
    conn.create_function("ouvert_maintenant", 1, lambda text: int(hours.is_open(text)))
    if guarded:
        guard(conn)


def canned_query(dist: Path, name: str) -> dict[str, Any]:
    """The canned query ``name`` as the site serves it (its ``sql`` and ``params``)."""
    metadata = json.loads((dist / "metadata.json").read_text(encoding="utf-8"))
    return metadata["databases"]["maillage"]["queries"][name]


def ask(dist: Path, name: str, params: dict[str, str | None]) -> list[dict[str, Any]]:
    """The rows of the canned query ``name`` on the published ``dist/maillage.db``, read-only;
    a parameter not given is the empty string, as Datasette sends it."""
    query = canned_query(dist, name)
    values = {p: params.get(p) or "" for p in query.get("params", [])}
    uri = f"file:{(dist / 'maillage.db').resolve()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True)
    try:
        prepare(conn)  # the guard's own row factory stays: the rows it lets through are bounded
        cursor = conn.execute(query["sql"], values)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]
    finally:
        conn.close()
