"""The referral slip of ``maillage refer --format pdf``: one A4 page a partner hands over,
laid out by Typst like the guide (``templates/guide/fiche.typ``). The site's own slip is the
print view of the ``orienter`` answer (``templates/_fiche_orientation.html``)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from maillage.graph.contact import phone_display
from maillage.graph.freshness import french_date
from maillage.graph.hours import closure_in_words, in_words
from maillage.graph.network import Orientation
from maillage.publish.address import PROOF, public_site
from maillage.publish.guide import actor_page, closures_to_come
from maillage.publish.typeset import qr_svg, typeset

TEMPLATE = Path(__file__).parent / "templates" / "guide" / "fiche.typ"
SLIP_TABLES = ("actors", "sites", "site_access", "concepts", "closures", "publication")


def how_to_go(hops: int | None, via: list[str], origin: str, destination: str) -> str:
    """What the person does, in the words of the slip: go straight there, or first see the
    partner who passes them on (the first of ``via``, the partners between the two)."""
    if hops == 0:
        return f"Sur place, chez {origin}."
    if hops is None or not via:
        return "Allez-y directement."
    return f"Passez d'abord par {via[0]}, qui vous oriente vers {destination}."


def slip_model(
    answer: Orientation,
    need: str,
    source: str,
    tables: dict[str, list[dict]],
    today: date,
    half: bool = False,
) -> dict[str, Any]:
    """What the slip prints, from one answer of the orienter (its actor, service, site, hops
    and the names along its path) and the published tables; ``half``: the half-A4 (A5) slip
    of a desk."""
    concepts = {c["id"]: c["label"] for c in tables["concepts"]}
    actors = {a["id"]: a for a in tables["actors"]}
    place = next((s for s in tables["sites"] if answer.site and s["id"] == answer.site.id), {})
    access = sorted(
        concepts.get(r["concept_id"], r["concept_id"])
        for r in tables["site_access"]
        if place and r["site_id"] == place["id"]
    )
    publication = (tables.get("publication") or [{}])[0]
    site = public_site(publication.get("site"))
    origin = actors.get(source, {"name": source})
    if answer.hops is None:
        path = "Pas d'orientation habituelle entre ces partenaires : présentez-vous directement."
    elif answer.hops == 0:
        path = f"Sur place, chez {origin['name']}."
    else:
        via = ", ".join(answer.path_names[1:-1])
        path = f"Orienté par {origin['name']}" + (f", via {via}" if via else "") + "."
    address = ", ".join(
        str(p) for p in (place.get("complement"), answer.site and answer.site.address) if p
    )
    return {
        "network": str(publication.get("network") or ""),
        "date": french_date(today),
        "from_name": origin["name"],
        "from_telephone": phone_display(origin.get("telephone")),
        "need": concepts.get(f"needs/{need}", need),
        "actor": answer.actor_name,
        "service": answer.service_name,
        "address": address or "Adresse non renseignée",
        "hours": in_words(place.get("opening_hours")) or "Non renseignés : appelez avant de venir.",
        "closures": [
            closure_in_words(c)
            for c in closures_to_come(tables.get("closures", []), today).get(place.get("id"), [])
        ],
        "access": ", ".join(access),
        "appointment": place.get("appointment") or "",
        "telephone": phone_display(actors.get(answer.actor, {}).get("telephone")),
        "email": actors.get(answer.actor, {}).get("email") or "",
        "how": how_to_go(
            answer.hops, list(answer.path_names[1:-1]), origin["name"], answer.actor_name
        ),
        "path": path,
        # no QR code while the network has no public https address: it would open nothing
        "page": actor_page(site, answer.actor) if site else "",
        "proof": "" if site else PROOF,
        "half": half,
        # a place invented for the example (the default network's): never handed to a person
        "exemple": bool(
            place.get("illustrative") or actors.get(answer.actor, {}).get("illustrative")
        ),
    }


def render_slip(model: dict[str, Any], output: Path) -> Path:
    files = {"fiche.json": json.dumps(model, ensure_ascii=False)}
    if model["page"]:
        files["qr.svg"] = qr_svg(model["page"])
    return typeset(TEMPLATE, files, output)
