"""``maillage guide``: the printed guide "Qui ? fait Quoi ? et Où ?", from the published tables.

The booklet (A5) is laid out by Typst (the ``typst`` package bundles its compiler and its
fonts: the system's fonts are ignored, so the output does not depend on the machine) from
``templates/guide/guide.typ`` and one JSON file this module writes: the offer ordered pole ->
need -> commune -> actor, each entry with its address, hours in words (the site's function),
contacts, publics, fees, accessibility and appointment links, and a QR code (segno) of the
actor's page on the site. A page per commune draws its places over the commune's extent
(an SVG drawn here: no tile server). Two builds of the same data give the same PDF.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from maillage.graph.contact import phone_display
from maillage.graph.freshness import checked_in_words, french_date
from maillage.graph.hours import closure_in_words, in_words
from maillage.graph.parcours import Parcours, parcours_from_rows, what_breaks
from maillage.publish.typeset import qr_svg, typeset

TEMPLATE = Path(__file__).parent / "templates" / "guide" / "guide.typ"
GUIDE_FILE = "guide.pdf"  # in the published folder, when the whole network fits one booklet
GUIDE_TABLES = (
    "actors",
    "sites",
    "services",
    "service_sites",
    "service_needs",
    "service_publics",
    "concepts",
    "closures",
    "parcours",
    "publication",
)
# Above this many entries (a service at a place for a need) one booklet is no longer a guide
# a household reads: the guide of a whole region is refused, a commune's is made.
MAX_ENTRIES = 2500
POLE_COLOURS = {"necessite": "#1f77b4", "accomplissement": "#2ca02c", "loisir-mediation": "#d62728"}
# What each level of the parcours offers, as the guide says it to a resident
LEVEL_HINTS = {
    1: "venir faire sa démarche seul, sur un poste en libre-service",
    2: "être guidé pas à pas par un agent ou un conseiller formé",
    3: "apprendre à faire seul, en atelier",
}


class GuideTooLarge(Exception):
    """The selection is too large for one printed guide."""


@dataclass(frozen=True)
class Selection:
    communes: tuple[str, ...] = ()  # INSEE codes; none: every commune
    pole: str | None = None  # a pole's notation; none: the three


def _labels(ids: list[str], concepts: dict[str, dict]) -> list[str]:
    return sorted(concepts[i]["label"] for i in ids if i in concepts)


def actor_page(site: str, actor_id: str) -> str:
    """The actor's page on the site, which its QR codes open."""
    return f"{site.rstrip('/')}/maillage/actors/{actor_id}"


def closures_to_come(rows: list[dict], today: date) -> dict[str, list[dict]]:
    """The closures that apply or are to come, by site (those over are not printed)."""
    found: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if str(row["end"]) >= today.isoformat():
            found[row["site"]].append(row)
    return found


def guide_model(
    tables: dict[str, list[dict]], selection: Selection = Selection(), edition: date | None = None
) -> dict[str, Any]:
    """What the guide says, as plain data (the Typst template only lays it out)."""
    concepts = {c["id"]: c for c in tables["concepts"]}
    actors = {a["id"]: a for a in tables["actors"]}
    sites = {s["id"]: s for s in tables["sites"]}
    publication = (tables.get("publication") or [{}])[0]
    site_url = str(publication.get("site") or "")
    today = edition or date.today()
    closures = closures_to_come(tables.get("closures", []), today)
    by_service: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for key, link in (
        ("sites", "service_sites"),
        ("needs", "service_needs"),
        ("publics", "service_publics"),
    ):
        column = "site_id" if key == "sites" else "concept_id"
        for row in tables[link]:
            by_service[row["service_id"]][key].append(row[column])
    wanted = set(selection.communes)
    # pole -> need -> commune -> actor -> entries
    tree: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(list))))
    count = 0
    for service in tables["services"]:
        links = by_service.get(service["id"], {})
        for need_id in links.get("needs", []):
            need = concepts.get(need_id)
            pole = concepts.get(need.get("pole") or "") if need else None
            if need is None or pole is None:
                continue
            if selection.pole and pole["notation"] != selection.pole:
                continue
            for site_id in links.get("sites", []):
                place = sites.get(site_id)
                if place is None or (wanted and place["insee"] not in wanted):
                    continue
                tree[pole["id"]][need_id][place["insee"]][service["provider"]].append(
                    (service, place, links.get("publics", []))
                )
                count += 1
                if count > MAX_ENTRIES:  # said at once: a region's guide is not read through
                    raise GuideTooLarge(
                        f"plus de {MAX_ENTRIES} entrées : trop pour un guide imprimé. "
                        "Choisissez une ou plusieurs communes : maillage guide --commune CODE_INSEE"
                    )
    commune_names = {s["insee"]: s["commune"] for s in tables["sites"]}
    poles = []
    order = list(POLE_COLOURS)  # the articles' order: nécessité, accomplissement, loisir

    def rank(pole_id: str) -> int:
        notation = concepts[pole_id]["notation"]
        return order.index(notation) if notation in order else len(order)

    for pole_id in sorted(tree, key=lambda p: (rank(p), concepts[p]["notation"])):
        pole = concepts[pole_id]
        needs = []
        for need_id in sorted(tree[pole_id], key=lambda n: concepts[n]["label"]):
            communes = []
            for insee in sorted(tree[pole_id][need_id], key=lambda c: commune_names.get(c, c)):
                entries = []
                group = tree[pole_id][need_id][insee]
                for actor_id in sorted(group, key=lambda a: actors[a]["name"]):
                    entries.append(_entry(actors[actor_id], group[actor_id], concepts, closures))
                communes.append({"name": commune_names.get(insee, insee), "actors": entries})
            needs.append({"label": concepts[need_id]["label"], "communes": communes})
        poles.append(
            {
                "label": pole["label"],
                "notation": pole["notation"],
                "colour": POLE_COLOURS.get(pole["notation"], "#444444"),
                "needs": needs,
            }
        )
    shown = {e["id"] for p in poles for n in p["needs"] for c in n["communes"] for e in c["actors"]}
    listed = sorted(shown, key=lambda a: actors[a]["name"])
    verified = sorted(
        str(r["verified"])
        for table in ("actors", "sites", "services")
        for r in tables[table]
        if r.get("verified") and (table != "actors" or r["id"] in shown)
    )
    return {
        "network": str(publication.get("network") or ""),
        "edition": french_date(today),
        "site": site_url,
        "site_qr": "qr/site.svg",
        "contact": str(publication.get("contact") or ""),
        "verified": (
            f"Informations vérifiées entre le {french_date(date.fromisoformat(verified[0]))} "
            f"et le {french_date(date.fromisoformat(verified[-1]))} ; les fiches sans date "
            "n'ont jamais été vérifiées."
            if verified
            else "Aucune de ces informations n'a encore été vérifiée."
        ),
        "scope": _scope(selection, commune_names, concepts),
        "poles": poles,
        "index": [{"id": a, "name": actors[a]["name"]} for a in listed],
        "communes": _commune_maps(tables, listed, wanted),
        "parcours": _parcours_pages(tables, selection, concepts, actors, commune_names, rank),
        "entries": count,
        "qr": {a: actor_page(site_url, a) for a in listed},
    }


def _parcours_pages(
    tables: dict,
    selection: Selection,
    concepts: dict[str, dict],
    actors: dict[str, dict],
    communes: dict[str, str],
    pole_rank: Any,
) -> list[dict]:
    """A page per need: in each commune of the guide, who is at each level of the parcours,
    how one goes from a level to the next, and where the parcours breaks."""
    wanted = set(selection.communes)
    by_need: dict[str, list[Parcours]] = defaultdict(list)
    for p in parcours_from_rows(tables.get("parcours", [])):
        need = concepts.get(p.need)
        pole = concepts.get((need or {}).get("pole") or "")
        if need is None or pole is None or (wanted and p.commune not in wanted):
            continue
        if selection.pole and pole["notation"] != selection.pole:
            continue
        if p.helped:
            by_need[p.need].append(p)

    def name(actor: str) -> str:
        return actors[actor]["name"] if actor in actors else actor

    pages = []
    for need in sorted(
        by_need, key=lambda n: (pole_rank(concepts[n]["pole"]), concepts[n]["label"])
    ):
        places = []
        for p in sorted(by_need[need], key=lambda p: communes.get(p.commune, p.commune)):
            steps = []
            for i, step in enumerate(p.steps):
                upper = p.steps[i + 1] if i + 1 < len(p.steps) else None
                ways = [
                    f"{name(c.from_actor)} oriente vers {name(c.to_actor)}"
                    for c in p.climbs
                    if c.from_rank == step.rank
                ]
                if upper is not None:
                    ways += [f"{name(a)} continue avec vous" for a in p.in_place(step, upper)]
                steps.append(
                    {
                        "rank": step.rank,
                        "label": step.label,
                        "hint": LEVEL_HINTS.get(step.rank, ""),
                        "actors": [
                            {"id": a, "name": name(a)}
                            for a in sorted(step.actors, key=lambda a: name(a))
                        ],
                        "next": " ; ".join(ways) if upper is not None else "",
                    }
                )
            places.append(
                {
                    "name": communes.get(p.commune, p.commune),
                    "steps": steps,
                    "broken": what_breaks(p) if p.broken else "",
                }
            )
        pages.append({"need": concepts[need]["label"], "communes": places})
    return pages


def _scope(selection: Selection, names: dict[str, str], concepts: dict[str, dict]) -> str:
    parts = []
    if selection.communes:
        parts.append(", ".join(names.get(c, c) for c in selection.communes))
    if selection.pole:
        pole = next((c for c in concepts.values() if c["id"] == f"poles/{selection.pole}"), None)
        parts.append(pole["label"] if pole else selection.pole)
    return " — ".join(parts) or "Tout le réseau"


def _entry(
    actor: dict, offers: list[tuple], concepts: dict[str, dict], closures: dict[str, list[dict]]
) -> dict[str, Any]:
    services = []
    for service, place, publics in sorted(offers, key=lambda o: (o[0]["name"], o[1]["name"])):
        address = (
            ", ".join(str(p) for p in (place.get("complement"), place.get("street")) if p)
            + f", {place.get('postcode')} {place.get('commune')}"
        )
        services.append(
            {
                "name": service["name"],
                "place": place["name"],
                "address": address,
                "hours": in_words(place.get("opening_hours")) or "Horaires non renseignés",
                "closures": [closure_in_words(c) for c in closures.get(place["id"], [])],
                "publics": ", ".join(_labels(publics, concepts)) or "Tous publics",
                "fee": concepts.get(service.get("fee") or "", {}).get("label", ""),
                "accessibility": place.get("accessibility") or "",
                "appointment": place.get("appointment") or "",
            }
        )
    # the latest check of the actor, its places and services in this entry
    checks = [actor.get("verified")] + [o[0].get("verified") for o in offers]
    checks += [o[1].get("verified") for o in offers]
    return {
        "id": actor["id"],
        "name": actor["name"],
        "checked": checked_in_words(max((str(c) for c in checks if c), default=None)),
        "telephone": phone_display(actor.get("telephone")),  # 04 65 71 00 14, not E.164
        "email": actor.get("email") or "",
        "qr": f"qr/{actor['id']}.svg",
        "services": services,
    }


def _commune_maps(tables: dict, listed: list[str], wanted: set[str]) -> list[dict]:
    """Per commune, its places of the guide, numbered, and a map of them (SVG, drawn here)."""
    listed_set = set(listed)
    by_commune: dict[str, list[dict]] = defaultdict(list)
    for place in tables["sites"]:
        if place["actor"] in listed_set and (not wanted or place["insee"] in wanted):
            by_commune[place["insee"]].append(place)
    communes = []
    for insee, places in sorted(by_commune.items(), key=lambda kv: kv[1][0]["commune"]):
        places = sorted(places, key=lambda p: p["name"])
        communes.append(
            {
                "name": places[0]["commune"],
                "insee": insee,
                "map": f"cartes/{insee}.svg",
                "svg": _map_svg(places),
                "places": [{"n": i + 1, "name": p["name"]} for i, p in enumerate(places)],
            }
        )
    return communes


def _map_svg(places: list[dict], width: float = 360, height: float = 300) -> str:
    located = [(i + 1, p) for i, p in enumerate(places) if p.get("latitude") is not None]
    if not located:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"/>'
    lats = [float(p["latitude"]) for _, p in located]
    lons = [float(p["longitude"]) for _, p in located]
    # equirectangular, corrected by the latitude's cosine; a margin of a tenth of the extent
    ratio = math.cos(math.radians(sum(lats) / len(lats)))
    span_x = max((max(lons) - min(lons)) * ratio, 0.005)
    span_y = max(max(lats) - min(lats), 0.005)
    scale = min((width - 40) / span_x, (height - 40) / span_y)
    cx, cy = (max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2
    dots = []
    for n, p in located:
        x = width / 2 + (float(p["longitude"]) - cx) * ratio * scale
        y = height / 2 - (float(p["latitude"]) - cy) * scale
        dots.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="#1d4ed8" stroke="#fff"/>'
            f'<text x="{x:.1f}" y="{y + 3.5:.1f}" font-size="9" text-anchor="middle" '
            f'fill="#fff" font-family="sans-serif">{n}</text>'
        )
    frame = (
        f'<rect x="1" y="1" width="{width - 2}" height="{height - 2}" '
        'fill="#f3f4f6" stroke="#6b7280"/>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{frame}{"".join(dots)}</svg>'
    )


def render_guide(model: dict[str, Any], output: Path) -> Path:
    """Lay the guide out with Typst into ``output`` (PDF)."""
    files = {f"qr/{actor_id}.svg": qr_svg(url) for actor_id, url in model["qr"].items()}
    files["qr/site.svg"] = qr_svg(model["site"])
    files.update({commune["map"]: commune["svg"] for commune in model["communes"]})
    files["guide.json"] = json.dumps(model, ensure_ascii=False)
    return typeset(TEMPLATE, files, output)
