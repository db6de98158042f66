"""How complete each actor's and each service's record is: a score from weighted fields.

The weights are this one declarative table; the build publishes the scores as the table
``completude`` (for coordinators: the canned query ``fiches_a_completer``, worst first; not on
the public pages), with the missing fields named in French.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]


@dataclass(frozen=True)
class Weighted:
    label: str  # French, as listed among the missing fields
    weight: int
    present: Callable[[Row, dict[str, Any]], bool]  # (the record, its context) -> filled?


def _has(field: str) -> Callable[[Row, dict[str, Any]], bool]:
    return lambda row, _: row.get(field) not in (None, "", [])


def _sites_all(field: str) -> Callable[[Row, dict[str, Any]], bool]:
    return lambda _, ctx: (
        bool(ctx["sites"]) and all(s.get(field) not in (None, "") for s in ctx["sites"])
    )


def _contact(row: Row, ctx: dict[str, Any]) -> bool:
    actor = ctx.get("actor") or row
    return bool(actor.get("email") or actor.get("telephone"))


def _checked(row: Row, ctx: dict[str, Any]) -> bool:
    return bool(row.get("verified") or (ctx.get("actor") or {}).get("verified"))


ACTOR_WEIGHTS: tuple[Weighted, ...] = (
    Weighted("description", 15, _has("description")),
    Weighted("contact (courriel ou téléphone)", 20, _contact),
    Weighted("site web", 10, _has("url")),
    Weighted("SIRET", 5, _has("siret")),
    Weighted("horaires de chaque lieu", 20, _sites_all("opening_hours")),
    Weighted("coordonnées de chaque lieu", 15, _sites_all("latitude")),
    Weighted("date de vérification", 15, _checked),
    # what residents with a disability need first: the acceslibre page of each place
    Weighted("accessibilité de chaque lieu (fiche acceslibre)", 10, _sites_all("accessibility")),
)
SERVICE_WEIGHTS: tuple[Weighted, ...] = (
    Weighted("description", 15, _has("description")),
    Weighted("publics", 15, lambda _, ctx: bool(ctx["publics"])),
    Weighted("frais", 15, _has("fee")),
    Weighted("modalités d'accompagnement", 10, lambda _, ctx: bool(ctx["modalities"])),
    Weighted("horaires des lieux", 15, _sites_all("opening_hours")),
    Weighted("coordonnées des lieux", 10, _sites_all("latitude")),
    Weighted("contact de l'acteur", 10, _contact),
    Weighted("date de vérification", 10, _checked),
    Weighted("accessibilité des lieux (fiche acceslibre)", 10, _sites_all("accessibility")),
)


def score(weights: tuple[Weighted, ...], row: Row, ctx: dict[str, Any]) -> tuple[int, list[str]]:
    """The score (0-100) and the missing fields' labels."""
    total = sum(w.weight for w in weights)
    missing = [w for w in weights if not w.present(row, ctx)]
    got = total - sum(w.weight for w in missing)
    return int(100 * got / total + 0.5), [w.label for w in missing]  # halves up, as SQLite


def completeness_rows(tables: dict[str, list[Row]]) -> list[Row]:
    """One row per actor and per service: type, id, actor, score, missing fields."""
    actors = {a["id"]: a for a in tables["actors"]}
    sites = {s["id"]: s for s in tables["sites"]}
    sites_of: dict[str, list[Row]] = {}
    for site in tables["sites"]:
        sites_of.setdefault(site["actor"], []).append(site)
    at: dict[str, list[Row]] = {}
    for link in tables["service_sites"]:
        at.setdefault(link["service_id"], []).append(sites[link["site_id"]])
    publics = {row["service_id"] for row in tables["service_publics"]}
    modalities = {row["service_id"] for row in tables["service_modalities"]}
    rows = []
    for actor in sorted(actors.values(), key=lambda a: a["id"]):
        value, missing = score(ACTOR_WEIGHTS, actor, {"sites": sites_of.get(actor["id"], [])})
        rows.append(_row("acteur", actor, actor["id"], value, missing))
    for service in sorted(tables["services"], key=lambda s: s["id"]):
        ctx = {
            "sites": at.get(service["id"], []),
            "actor": actors.get(service["provider"]),
            "publics": service["id"] in publics,
            "modalities": service["id"] in modalities,
        }
        value, missing = score(SERVICE_WEIGHTS, service, ctx)
        rows.append(_row("service", service, service["provider"], value, missing))
    return rows


def _row(kind: str, record: Row, actor_id: str, value: int, missing: list[str]) -> Row:
    return {
        "type": kind,
        "id": record["id"],
        "nom": record.get("name"),
        "actor_id": actor_id,
        "score": value,
        "manquants": ", ".join(missing),
    }
