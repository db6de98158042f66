"""When each record was last checked, and which ones to check again.

A record (actor, site, service) carries ``verified`` (the date its information was last
checked) and ``verified_by``; a site or service not checked on its own has its actor's. One
past ``recheck_months`` (``network.yaml``, 12 by default) or never checked is to check again;
the published view ``a_verifier`` applies the same rule in SQL (``publish/sqlite.py``), a test
ties the two.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from maillage.graph.hours import MONTHS

DEFAULT_RECHECK_MONTHS = 12
KINDS = (
    ("acteur", "actors", "id"),
    ("lieu", "sites", "actor"),
    ("service", "services", "provider"),
)


def recheck_months(meta: dict[str, Any]) -> int:
    value = str(meta.get("recheck_months", DEFAULT_RECHECK_MONTHS))
    return int(value) if value.isdigit() else DEFAULT_RECHECK_MONTHS


def months_before(today: date, months: int) -> date:
    """``today`` less ``months`` months, as SQLite's ``date(today, '-N months')`` counts it
    (a day past the month's end runs over into the next month)."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    first = date(year, month + 1, 1)
    return date.fromordinal(first.toordinal() + today.day - 1)


def to_check(tables: dict[str, list[dict]], today: date, months: int) -> list[dict[str, Any]]:
    """The records to check again, oldest first (never checked before all)."""
    limit = months_before(today, months).isoformat()
    actors = {row["id"]: row for row in tables["actors"]}
    found = []
    for kind, table, owner in KINDS:
        for row in tables[table]:
            actor = actors.get(row[owner], {})
            own = row.get("verified") is not None
            verified = row.get("verified") if own else actor.get("verified")
            checked_by = row.get("verified_by") if own else actor.get("verified_by")
            if verified is not None and str(verified) >= limit:
                continue
            found.append(
                {
                    "type": kind,
                    "id": row["id"],
                    "nom": row.get("name"),
                    "actor_id": row[owner],
                    "acteur": actor.get("name"),
                    "courriel": actor.get("email"),
                    "telephone": actor.get("telephone"),
                    "verifie_le": str(verified) if verified is not None else None,
                    "verifie_par": checked_by,
                }
            )
    found.sort(
        key=lambda r: (r["verifie_le"] is not None, r["verifie_le"] or "", r["type"], r["id"])
    )
    return found


def french_date(day: date) -> str:
    """``1er septembre 2023``, ``12 mars 2024``."""
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def checked_in_words(verified: object) -> str:
    """Say when the information was checked: "Informations vérifiées le 12 mars 2024", or
    that it never was."""
    try:
        day = date.fromisoformat(str(verified)) if verified else None
    except ValueError:
        day = None
    if day is None:
        return "Informations jamais vérifiées"
    return f"Informations vérifiées le {french_date(day)}"
