"""``maillage fiches``: one printable verification sheet per partner, of everything the
network publishes about it, the missing fields marked, a box to correct each field by hand,
the date and the coordinator's contact: what the coordinator sends before each edition of the
guide. A4 PDF laid out by Typst (the guide's renderer), or HTML with print CSS, from the
published tables."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from maillage.graph.contact import phone_display
from maillage.graph.freshness import checked_in_words, french_date
from maillage.graph.hours import closure_in_words, in_words
from maillage.publish.guide import closures_to_come
from maillage.publish.typeset import typeset

TEMPLATES = Path(__file__).parent / "templates" / "fiches"
PDF_TEMPLATE = Path(__file__).parent / "templates" / "guide" / "verification.typ"
TABLES = (
    "actors",
    "sites",
    "services",
    "referrals",
    "referral_needs",
    "concepts",
    "publication",
    "closures",
)
NO_CLOSURE = "Aucune fermeture ni horaire exceptionnel annoncé"


def _place_on_map(site: dict) -> str | None:
    """Where the map puts the place, in words a partner can check against the site's map."""
    if site.get("latitude") is None or site.get("longitude") is None:
        return None
    where = f"{float(site['latitude']):.5f} N, {float(site['longitude']):.5f} E".replace(".", ",")
    return f"{where} (voyez le point sur la carte du site)"


def _labels(value: Any) -> str:
    try:
        items = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    return ", ".join(map(str, items or []))


def sheet_context(tables: dict[str, list[dict]], actor_id: str, today: date) -> dict[str, Any]:
    """What a partner's sheet asks: each published field as a question, with its value (None
    when missing), and the closures to come of each place."""
    actors = {a["id"]: a for a in tables["actors"]}
    concepts = {c["id"]: c["label"] for c in tables["concepts"]}
    actor = actors[actor_id]
    publication = (tables.get("publication") or [{}])[0]
    # each field asked as a question a partner answers with a tick or a correction
    actor_fields = [
        ("Le nom de votre structure est-il bien écrit ?", actor.get("name")),
        ("La présentation de votre structure est-elle juste ?", actor.get("description")),
        (
            "Votre type de structure est-il le bon ?",
            concepts.get(actor.get("typology") or "", actor.get("typology")),
        ),
        (
            "Le pôle du réseau où vous êtes rangés est-il le bon ?",
            concepts.get(actor.get("pole") or "", actor.get("pole")),
        ),
        (
            "Le numéro de téléphone de l'accueil est-il le bon ?",
            phone_display(actor.get("telephone")) or None,
        ),
        ("L'adresse électronique de l'accueil est-elle la bonne ?", actor.get("email")),
        ("L'adresse de votre site web est-elle la bonne ?", actor.get("url")),
        ("Votre numéro SIRET est-il le bon ?", actor.get("siret")),
    ]
    closures = closures_to_come(tables.get("closures", []), today)
    sites = [
        [
            ("Le nom du lieu est-il le bon ?", site.get("name")),
            (
                "L'adresse est-elle complète et juste ?",
                f"{site.get('street')}, {site.get('postcode')} {site.get('commune')}",
            ),
            ("Les horaires d'ouverture sont-ils les bons ?", in_words(site.get("opening_hours"))),
            (
                "Les fermetures et horaires exceptionnels à venir sont-ils justes ?",
                "\n".join(closure_in_words(c) for c in closures.get(site["id"], [])) or NO_CLOSURE,
            ),
            ("Le quartier est-il le bon ?", site.get("neighbourhood")),
            ("Le point sur la carte est-il au bon endroit ?", _place_on_map(site)),
        ]
        for site in sorted(tables["sites"], key=lambda s: s["id"])
        if site["actor"] == actor_id
    ]
    services = [
        [
            ("Le nom du service est-il le bon ?", service.get("name")),
            ("La description du service est-elle juste ?", service.get("description")),
            ("Répond-il bien à ces besoins ?", _labels(service.get("needs"))),
            ("Accueille-t-il bien ces publics ?", _labels(service.get("publics"))),
            ("Accompagnez-vous bien de ces façons ?", _labels(service.get("modalities"))),
            (
                "Est-il gratuit ou payant comme indiqué ?",
                concepts.get(service.get("fee") or "", service.get("fee")),
            ),
        ]
        for service in sorted(tables["services"], key=lambda s: s["id"])
        if service["provider"] == actor_id
    ]
    needs_of: dict[str, list[str]] = {}
    for link in tables["referral_needs"]:
        needs_of.setdefault(link["referral_id"], []).append(
            concepts.get(link["concept_id"], link["concept_id"])
        )
    referrals = [
        (
            actors.get(r["to_actor"], {}).get("name", r["to_actor"]),
            ", ".join(sorted(needs_of.get(r["id"], []))) or "tous les besoins",
        )
        for r in sorted(tables["referrals"], key=lambda r: r["id"])
        if r["from_actor"] == actor_id
    ]
    return {
        "actor": actor,
        "network": publication.get("network") or "",
        "contact": publication.get("contact") or "",
        "edited": french_date(today),
        "checked": checked_in_words(actor.get("verified")),
        "actor_fields": actor_fields,
        "sites": sites,
        "services": services,
        "referrals": referrals,
    }


def write_sheets(
    tables: dict[str, list[dict]],
    folder: Path,
    actor_ids: list[str] | None = None,
    today: date | None = None,
    fmt: str = "pdf",
) -> list[Path]:
    """One ``{actor}.pdf`` (laid out by Typst, like the guide) or ``{actor}.html`` (print CSS)
    per partner, or per one of ``actor_ids``, in ``folder``."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    template = environment.get_template("fiche.html")
    known = {a["id"] for a in tables["actors"]}
    unknown = [a for a in actor_ids or [] if a not in known]
    if unknown:
        raise KeyError(", ".join(unknown))
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for actor_id in actor_ids or sorted(known):
        context = sheet_context(tables, actor_id, today or date.today())
        path = folder / f"{actor_id}.{fmt}"
        if fmt == "pdf":
            sheet = json.dumps(context, ensure_ascii=False, default=str)
            typeset(PDF_TEMPLATE, {"sheet.json": sheet}, path)
        else:
            path.write_text(template.render(context), encoding="utf-8")
        written.append(path)
    return written
