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
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from maillage.graph.collation import french_key, french_sorted
from maillage.graph.contact import phone_display
from maillage.graph.freshness import (
    DEFAULT_RECHECK_MONTHS,
    checked_in_words,
    french_date,
    months_before,
)
from maillage.graph.hours import closure_in_words, in_words
from maillage.graph.parcours import Parcours, parcours_from_rows, what_breaks
from maillage.publish.address import PROOF, public_site
from maillage.publish.typeset import FAMILY, qr_svg, typeset

TEMPLATE = Path(__file__).parent / "templates" / "guide" / "guide.typ"
GUIDE_FILE = "guide.pdf"  # in the published folder, when the whole network fits one booklet
LARGE_GUIDE_FILE = "guide-gros-caracteres.pdf"  # its large-print edition, beside it
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
    "changes",
    "releases",
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
    return french_sorted(concepts[i]["label"] for i in ids if i in concepts)


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
    tables: dict[str, list[dict]],
    selection: Selection = Selection(),
    edition: date | None = None,
    large: bool = False,
) -> dict[str, Any]:
    """What the guide says, as plain data (the Typst template only lays it out); ``large``:
    the large-print edition."""
    concepts = {c["id"]: c for c in tables["concepts"]}
    actors = {a["id"]: a for a in tables["actors"]}
    sites = {s["id"]: s for s in tables["sites"]}
    publication = (tables.get("publication") or [{}])[0]
    # no QR code or link that would open nothing: a proof until the site is public
    site_url = public_site(publication.get("site")) or ""
    today = edition or date.today()
    months = int(publication.get("recheck_months") or DEFAULT_RECHECK_MONTHS)
    since = months_before(today, months).isoformat()
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
        for need_id in french_sorted(tree[pole_id], key=lambda n: concepts[n]["label"]):
            communes = []
            for insee in french_sorted(
                tree[pole_id][need_id], key=lambda c: commune_names.get(c, c)
            ):
                entries = []
                group = tree[pole_id][need_id][insee]
                for actor_id in french_sorted(group, key=lambda a: actors[a]["name"]):
                    entries.append(
                        _entry(actors[actor_id], group[actor_id], concepts, closures, since)
                    )
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
    listed = french_sorted(shown, key=lambda a: actors[a]["name"])
    return {
        "network": str(publication.get("network") or ""),
        "edition": french_date(today),
        "large": large,
        "site": site_url,
        "proof": "" if site_url else PROOF,
        "site_qr": "qr/site.svg" if site_url else "",
        "contact": str(publication.get("contact") or ""),
        "verified": _checked_lately(tables, shown, since, months),
        "scope": _scope(selection, commune_names, concepts),
        "poles": poles,
        "exemples": any(
            p["exemple"]
            for pole in poles
            for n in pole["needs"]
            for c in n["communes"]
            for e in c["actors"]
            for p in e["places"]
        ),
        "index": [
            {"id": a, "name": actors[a]["name"], "letter": _initial(actors[a]["name"])}
            for a in listed
        ],
        "communes": _commune_maps(tables, listed, wanted),
        "parcours": _parcours_pages(tables, selection, concepts, actors, commune_names, rank),
        "entries": count,
        "qr": {a: actor_page(site_url, a) for a in listed} if site_url else {},
        "changes": changes_page(tables.get("changes", []), tables.get("releases", [])),
    }


CHANGES_SHOWN = 80  # lines of the page "Ce qui a changé": the site has the rest


def changes_page(changes: list[dict], releases: list[dict]) -> dict[str, Any]:
    """The page "Ce qui a changé depuis la dernière édition": the actors, services and
    referrals added, removed or changed since the previous release, as the history says them."""
    from maillage.publish.history import Change, french

    if len(releases) < 2:
        return {"since": "Première édition : rien à comparer encore.", "lines": []}
    previous = releases[-2]
    day = french_date(date.fromisoformat(str(previous["date"])[:10]))
    fields = ("kind", "id", "name", "change", "detail")
    lines = french([Change(**{f: str(r.get(f) or "") for f in fields}) for r in changes])
    lines = lines.split("\n")
    more = len(lines) - CHANGES_SHOWN
    return {
        "since": f"Depuis la publication précédente (version {previous['version']}, le {day}) :",
        "lines": lines[:CHANGES_SHOWN]
        + ([f"… et {more} autres lignes : voir le site."] if more > 0 else []),
    }


def _checked_lately(tables: dict, shown: set[str], since: str, months: int) -> str:
    """The cover's line: how many of the guide's records (its actors, their places and
    services) were checked in the last ``months`` months."""
    records = [a for a in tables["actors"] if a["id"] in shown]
    records += [s for s in tables["sites"] if s.get("actor") in shown]
    records += [s for s in tables["services"] if s.get("provider") in shown]
    lately = sum(1 for r in records if str(r.get("verified") or "") >= since)
    if lately == 0:
        return (
            f"Aucune des {len(records)} fiches de ce guide (acteurs, lieux, services) n'a été "
            f"vérifiée depuis {months} mois : appelez avant de vous déplacer."
        )
    return (
        f"{lately} des {len(records)} fiches de ce guide (acteurs, lieux, services) ont été "
        f"vérifiées depuis {months} mois ; les autres sont signalées « à vérifier »."
    )


def _initial(name: str) -> str:
    """The index's letter for ``name``: its first letter without accent ("É" -> "E")."""
    for char in unicodedata.normalize("NFD", name):
        if char.isalnum():
            return char.upper()
    return "#"


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
        by_need, key=lambda n: (pole_rank(concepts[n]["pole"]), french_key(concepts[n]["label"]))
    ):
        places = []
        for p in french_sorted(by_need[need], key=lambda p: communes.get(p.commune, p.commune)):
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
                            {"id": a, "name": name(a)} for a in french_sorted(step.actors, key=name)
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
    actor: dict,
    offers: list[tuple],
    concepts: dict[str, dict],
    closures: dict[str, list[dict]],
    since: str,
) -> dict[str, Any]:
    """An actor's entry: each of its places once (address, hours, closures, access), and
    under each place the services given there."""
    by_place: dict[str, list[tuple]] = defaultdict(list)
    places = {}
    for service, place, publics in offers:
        by_place[place["id"]].append((service, publics))
        places[place["id"]] = place
    shown = []
    for place_id in french_sorted(places, key=lambda p: places[p]["name"]):
        place = places[place_id]
        address = (
            ", ".join(str(p) for p in (place.get("complement"), place.get("street")) if p)
            + f", {place.get('postcode')} {place.get('commune')}"
        )
        services = [
            {
                "name": service["name"],
                "publics": ", ".join(_labels(publics, concepts)) or "Tous publics",
                "fee": concepts.get(service.get("fee") or "", {}).get("label", ""),
            }
            for service, publics in french_sorted(by_place[place_id], key=lambda o: o[0]["name"])
        ]
        shown.append(
            {
                "name": place["name"],
                "address": address,
                "hours": in_words(place.get("opening_hours")) or "Horaires non renseignés",
                "closures": [closure_in_words(c) for c in closures.get(place_id, [])],
                "accessibility": place.get("accessibility") or "",
                "appointment": place.get("appointment") or "",
                "services": services,
                # invented for the example (address, hours): said on the page, as on the site
                "exemple": bool(place.get("illustrative") or actor.get("illustrative")),
            }
        )
    # the latest check of the actor, its places and services in this entry
    checks = [actor.get("verified")] + [o[0].get("verified") for o in offers]
    checks += [o[1].get("verified") for o in offers]
    latest = max((str(c) for c in checks if c), default=None)
    stale = latest is None or latest < since
    checked = checked_in_words(latest)
    return {
        "id": actor["id"],
        "name": actor["name"],
        "checked": checked + (" — à vérifier : appelez avant de venir" if stale else ""),
        "stale": stale,
        "telephone": phone_display(actor.get("telephone")),  # 04 65 71 00 14, not E.164
        "email": actor.get("email") or "",
        "qr": f"qr/{actor['id']}.svg",
        "places": shown,
    }


def _commune_maps(tables: dict, listed: list[str], wanted: set[str]) -> list[dict]:
    """Per commune, its places of the guide under numbers (close places share one) and a map
    of them (SVG, drawn here)."""
    listed_set = set(listed)
    by_commune: dict[str, list[dict]] = defaultdict(list)
    for place in tables["sites"]:
        if place["actor"] in listed_set and (not wanted or place["insee"] in wanted):
            by_commune[place["insee"]].append(place)
    communes = []
    for insee, places in french_sorted(by_commune.items(), key=lambda kv: kv[1][0]["commune"]):
        svg, groups = _map_svg(french_sorted(places, key=lambda p: p["name"]))
        communes.append(
            {
                "name": places[0]["commune"],
                "insee": insee,
                "map": f"cartes/{insee}.svg",
                "svg": svg,
                "places": [
                    {"n": i + 1, "names": [p["name"] for p in group]}
                    for i, group in enumerate(groups)
                ],
            }
        )
    return communes


DOT = 9.0  # a number's disc, radius in the map's units (1/72 in at full width)
SCALES = (50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)  # metres


def _map_svg(
    places: list[dict], width: float = 360, height: float = 300
) -> tuple[str, list[list[dict]]]:
    """The map of ``places`` and its numbered groups: a place closer to a group's first place
    than two discs joins that group, so that no number hides another; a scale bar and north.
    Places without a position are listed, not drawn."""
    located = [p for p in places if p.get("latitude") is not None]
    groups: list[list[dict]] = []
    anchors: list[tuple[float, float] | None] = []
    if located:
        lats = [float(p["latitude"]) for p in located]
        lons = [float(p["longitude"]) for p in located]
        # equirectangular, corrected by the latitude's cosine; a margin of a tenth of the extent
        ratio = math.cos(math.radians(sum(lats) / len(lats)))
        span_x = max((max(lons) - min(lons)) * ratio, 0.005)
        span_y = max(max(lats) - min(lats), 0.005)
        # room kept for the scale bar (bottom left) and north (top right)
        scale = min((width - 75) / span_x, (height - 80) / span_y)
        cx, cy = (max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2
    for place in places:
        if place.get("latitude") is None:
            groups.append([place])
            anchors.append(None)
            continue
        x = (width - 15) / 2 + (float(place["longitude"]) - cx) * ratio * scale
        y = (height - 20) / 2 - (float(place["latitude"]) - cy) * scale
        near = next(
            (i for i, a in enumerate(anchors) if a and math.dist(a, (x, y)) < 2 * DOT + 2), None
        )
        if near is None:
            groups.append([place])
            anchors.append((x, y))
        else:
            groups[near].append(place)
    parts = [
        f'<rect x="1" y="1" width="{width - 2}" height="{height - 2}" '
        'fill="#ffffff" stroke="#000000"/>'
    ]
    for n, anchor in enumerate(anchors, start=1):
        if anchor is None:
            continue
        x, y = anchor
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{DOT}" fill="#1e3a8a" stroke="#fff"/>'
            f'<text x="{x:.1f}" y="{y + 3.5:.1f}" font-size="10" text-anchor="middle" '
            f'fill="#ffffff" font-family="{FAMILY}" font-weight="bold">{n}</text>'
        )
    if located:
        metres_per_unit = 111_320 / scale  # a degree of latitude is 111.32 km
        metres = max((m for m in SCALES if m / metres_per_unit <= width / 4), default=SCALES[0])
        bar = metres / metres_per_unit
        label = f"{metres // 1000} km" if metres >= 1000 else f"{metres} m"
        parts.append(
            f'<path d="M12 {height - 14} h{bar:.1f}" stroke="#000" stroke-width="3"/>'
            f'<text x="12" y="{height - 20}" font-size="10" font-family="{FAMILY}">{label}</text>'
            f'<path d="M{width - 22} 34 l8 -22 l8 22 l-8 -6 z" fill="#000"/>'
            f'<text x="{width - 14}" y="46" font-size="10" text-anchor="middle" '
            f'font-family="{FAMILY}">N</text>'
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{"".join(parts)}</svg>'
    )
    return svg, groups


# Keys of the model that are not printed as text (ids, file names, colours, drawings)
_NOT_TEXT = {"id", "qr", "map", "svg", "site_qr", "colour", "notation", "insee", "letter"}
# A word longer than this gets places where a line may break (an unbroken 200-character street
# or a long URL would run off the page: Typst breaks lines only where a word may break)
_LONG_WORD = re.compile(r"\S{22,}")
_BREAK = "\u200b"  # zero-width space: a possible line break, never printed


def breakable(text: str) -> str:
    """``text`` with a possible line break every 16 characters of its very long words and
    after each "/" of a long URL."""

    def cut(match: re.Match[str]) -> str:
        word = match.group(0).replace("/", "/" + _BREAK)
        return _BREAK.join(word[i : i + 16] for i in range(0, len(word), 16))

    return _LONG_WORD.sub(cut, text)


def _printable(value: Any, key: str = "") -> Any:
    if isinstance(value, str):
        return value if key in _NOT_TEXT else breakable(value)
    if isinstance(value, list):
        return [_printable(v, key) for v in value]
    if isinstance(value, dict):
        return {k: v if k in _NOT_TEXT else _printable(v, k) for k, v in value.items()}
    return value


def render_guide(model: dict[str, Any], output: Path) -> Path:
    """Lay the guide out with Typst into ``output`` (PDF)."""
    files = {f"qr/{actor_id}.svg": qr_svg(url) for actor_id, url in model["qr"].items()}
    if model["site_qr"]:
        files[model["site_qr"]] = qr_svg(model["site"])
    files.update({commune["map"]: commune["svg"] for commune in model["communes"]})
    printed = _printable(model)
    # an entry's QR code, only when the site is public (the proof says so otherwise)
    for commune in (c for p in printed["poles"] for n in p["needs"] for c in n["communes"]):
        for actor in commune["actors"]:
            actor["qr"] = actor["qr"] if actor["id"] in model["qr"] else ""
    files["guide.json"] = json.dumps(printed, ensure_ascii=False)
    return typeset(TEMPLATE, files, output)
