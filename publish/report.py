"""Yearly reports for coordinators: the inventory of actions, ready to paste into a label
application (Villes Internet asks for the year's actions by pole and partner)."""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass

from maillage.graph.tables import Tables
from maillage.publish.csvcells import SafeDictWriter

TABLES = ("actions", "action_organisers", "actors", "concepts")


@dataclass
class ActionsReport:
    year: int
    by_actor: list[dict]  # pole, actor, actions, sessions, participants
    by_pole: list[dict]  # pole, actions, sessions, participants
    total: dict  # actions, sessions, participants


def _years(action: dict) -> range:
    start = int(str(action["start"])[:4])
    end = int(str(action.get("end") or action["start"])[:4])
    return range(start, end + 1)


def actions_report(tables: Tables, year: int) -> ActionsReport:
    """Actions taking place during ``year``: an action counts once for its pole and in the
    total, and once for each of its organisers; sessions count 1 when not given."""
    labels = {row["id"]: row["label"] for row in tables["concepts"]}
    names = {row["id"]: row["name"] for row in tables["actors"]}
    organisers: dict[str, list[str]] = defaultdict(list)
    for row in tables["action_organisers"]:
        organisers[row["action_id"]].append(row["actor_id"])
    actions = [a for a in tables["actions"] if year in _years(a)]
    per_actor: dict[tuple[str, str], dict] = {}
    per_pole: dict[str, dict] = {}
    total = {"actions": 0, "sessions": 0, "participants": 0}
    for action in actions:
        pole = labels.get(action["pole"], action["pole"])
        figures = {
            "actions": 1,
            "sessions": action.get("sessions") or 1,
            "participants": action.get("participants") or 0,
        }
        for key, value in figures.items():
            total[key] += value
            per_pole.setdefault(
                pole, {"pole": pole, "actions": 0, "sessions": 0, "participants": 0}
            )[key] += value
        for actor in sorted(organisers[action["id"]]):
            row = per_actor.setdefault(
                (pole, actor),
                {
                    "pole": pole,
                    "actor": names.get(actor, actor),
                    "actions": 0,
                    "sessions": 0,
                    "participants": 0,
                },
            )
            for key, value in figures.items():
                row[key] += value
    return ActionsReport(
        year,
        sorted(per_actor.values(), key=lambda r: (r["pole"], r["actor"])),
        sorted(per_pole.values(), key=lambda r: r["pole"]),
        total,
    )


def markdown(report: ActionsReport, network: str) -> str:
    lines = [
        f"# Actions {report.year} — {network}",
        "",
        "| Pôle | Acteur | Actions | Séances | Participants |",
        "|---|---|---:|---:|---:|",
    ]
    for row in report.by_actor:
        lines.append(
            f"| {row['pole']} | {row['actor']} | {row['actions']} | {row['sessions']} "
            f"| {row['participants'] or ''} |"
        )
    lines += ["", "| Pôle | Actions | Séances | Participants |", "|---|---:|---:|---:|"]
    for row in report.by_pole:
        lines.append(
            f"| {row['pole']} | {row['actions']} | {row['sessions']} "
            f"| {row['participants'] or ''} |"
        )
    total = report.total
    lines += [
        "",
        f"**Total {report.year} : {total['actions']} actions, {total['sessions']} "
        f"séances, {total['participants']} participants comptés.**",
        "",
        "Une action organisée par plusieurs acteurs compte pour chacun d'eux, mais une "
        "seule fois dans son pôle et dans le total.",
    ]
    return "\n".join(lines) + "\n"


def csv_text(report: ActionsReport) -> str:
    out = io.StringIO()
    writer = SafeDictWriter(
        out, fieldnames=["annee", "pole", "acteur", "actions", "seances", "participants"]
    )
    writer.writeheader()
    for row in report.by_actor:
        writer.writerow(
            {
                "annee": report.year,
                "pole": row["pole"],
                "acteur": row["actor"],
                "actions": row["actions"],
                "seances": row["sessions"],
                "participants": row["participants"],
            }
        )
    for row in report.by_pole:
        writer.writerow(
            {
                "annee": report.year,
                "pole": row["pole"],
                "acteur": "(total du pôle)",
                "actions": row["actions"],
                "seances": row["sessions"],
                "participants": row["participants"],
            }
        )
    writer.writerow(
        {
            "annee": report.year,
            "pole": "(tous)",
            "acteur": "(total)",
            "actions": report.total["actions"],
            "seances": report.total["sessions"],
            "participants": report.total["participants"],
        }
    )
    return out.getvalue()


def write_indicators_csv(tables: Tables, path) -> None:
    names = {row["id"]: row["name"] for row in tables["actors"]}
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = SafeDictWriter(
            handle, fieldnames=["acteur_id", "acteur", "annee", "mesure", "valeur", "source"]
        )
        writer.writeheader()
        for row in sorted(
            tables["indicators"], key=lambda r: (r["actor"], r["year"], r["measure"])
        ):
            writer.writerow(
                {
                    "acteur_id": row["actor"],
                    "acteur": names.get(row["actor"]),
                    "annee": row["year"],
                    "mesure": row["measure"],
                    "valeur": row["value"],
                    "source": row.get("source"),
                }
            )
