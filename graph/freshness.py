"""When each record was last checked, and which ones to check again.

A record (actor, site, service) carries ``verified`` (the date its information was last
checked) and ``verified_by``; a site or service not checked on its own has its actor's. One
past ``recheck_months`` (``network.yaml``, 12 by default) or never checked is to check again:
the published view ``a_verifier`` and the canned query ``fiches_a_verifier`` say which
(``publish/sqlite.py``, ``metadata.yml``), and ``maillage verifier`` asks that query. This
module words the dates.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from maillage.graph.hours import MONTHS

DEFAULT_RECHECK_MONTHS = 12


def recheck_months(meta: dict[str, Any]) -> int:
    value = str(meta.get("recheck_months", DEFAULT_RECHECK_MONTHS))
    return int(value) if value.isdigit() else DEFAULT_RECHECK_MONTHS


def months_before(today: date, months: int) -> date:
    """``today`` less ``months`` months, as SQLite's ``date(today, '-N months')`` counts it
    (a day past the month's end runs over into the next month)."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    first = date(year, month + 1, 1)
    return date.fromordinal(first.toordinal() + today.day - 1)


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
