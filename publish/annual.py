"""The network's yearly report (``maillage rapport annuel``): members, the year's releases,
coverage and gaps, actions by pole and freshness, printed with Typst. Its figures are the
answers of the dashboard's canned queries on the published database (publish/dashboard.py),
so that the report, the dashboard and the site say the same."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from maillage.publish.connection import prepare
from maillage.publish.dashboard import answers_from, percent, sections
from maillage.publish.typeset import typeset

TEMPLATE = Path(__file__).parent / "templates" / "rapport" / "annuel.typ"
PICTURES = ("tableau-lacunes.svg", "tableau-fraicheur.svg")


class ReportError(Exception):
    """The published folder cannot give the report (no database, no dashboard)."""


def annual_data(dist: Path, year: int) -> dict[str, Any]:
    """What the report prints, from the published folder ``dist``."""
    database = dist / "maillage.db"
    if not database.is_file() or not (dist / "metadata.json").is_file():
        raise ReportError(f"aucune publication dans {dist} : lancez « maillage construire »")
    queries = json.loads((dist / "metadata.json").read_text(encoding="utf-8"))
    answers = answers_from(database, queries["databases"]["maillage"]["queries"])
    shown = {s["id"]: s for s in sections(answers)}
    conn = sqlite3.connect(f"file:{database.resolve()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        prepare(conn)
        members = conn.execute(
            "SELECT actors.name, coalesce(pole.label, '') AS pole FROM actors"
            " LEFT JOIN concepts AS pole ON pole.id = actors.pole ORDER BY actors.name_sort"
        ).fetchall()
        publication = dict(conn.execute("SELECT * FROM publication").fetchone())
        releases = conn.execute(
            "SELECT version, date, actors, services, referrals FROM releases"
            " WHERE substr(date, 1, 4) = ? ORDER BY version",
            [str(year)],
        ).fetchall()
    finally:
        conn.close()
    gaps = [r for r in answers["lacunes"] if r["etat"] in ("lacune", "fragile")]
    parcours = answers["tableau_parcours"]
    freshness = answers["tableau_fraicheur"]
    fresh_part = shown["fraicheur"]["parts"][0]
    return {
        "year": year,
        "network": publication["network"],
        "published": publication["built_at"],
        "members": [dict(m) for m in members],
        "sites": publication["sites"],
        "services": publication["services"],
        "referrals": publication["referrals"],
        "releases": [dict(r) for r in releases],
        "gap_count": len(gaps),
        "gaps": [
            {
                "etat": r["etat"],
                "besoin": r["besoin"],
                "commune": r["commune"],
                "demande": percent(r["demande_pct"]),
            }
            for r in gaps
        ],
        "gaps_alt": shown["lacunes"]["parts"][0]["alt"],
        "broken": sum(1 for r in parcours if r["interrompu"]),
        "parcours": len(parcours),
        "fragiles": shown["fragiles"]["phrases"],
        "actions": [r for r in answers["tableau_actions"] if r["annee"] == year],
        "freshness": {
            "months": fresh_part["months"],
            "fresh": sum(r["verifiees"] or 0 for r in freshness),
            "old": sum(r["a_verifier"] or 0 for r in freshness),
            "never": sum(r["jamais"] or 0 for r in freshness),
            "total": sum(
                (r["verifiees"] or 0) + (r["a_verifier"] or 0) + (r["jamais"] or 0)
                for r in freshness
            ),
        },
        "freshness_alt": fresh_part["alt"],
    }


def annual_report(dist: Path, year: int, output: Path) -> Path:
    """Typeset the yearly report of the network published in ``dist`` into the PDF ``output``."""
    data = annual_data(dist, year)
    missing = [name for name in PICTURES if not (dist / name).is_file()]
    if missing:
        raise ReportError(
            f"images du tableau de bord absentes de {dist} : relancez la construction"
        )
    files = {"data.json": json.dumps(data, ensure_ascii=False)}
    files |= {name: (dist / name).read_text(encoding="utf-8") for name in PICTURES}
    return typeset(TEMPLATE, files, output)
