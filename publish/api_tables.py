"""The data·inclusion and Open Referral documents of the network, written into the published
database at build time: the live APIs (:mod:`maillage.publish.api`) and the exports' files
(``maillage export``) read these rows, so both give the same documents.

Each table has the columns the APIs filter on, and the document itself as JSON (``document``;
for Open Referral also ``full``, the fully nested form its ``/{id}`` endpoints answer).
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import sqlite_utils

from maillage.graph.build import BuiltGraph
from maillage.graph.tables import Tables
from maillage.publish.standards_out import data_inclusion, openreferral

# What the data·inclusion API adds to the schema's fields: whether the address was geocoded
# by the BAN (never here: the network's own addresses), the quality score (0-1: the record's
# completeness score, graph/completeness.py) and the structures found to be duplicates.
API_ONLY = ("adresse_certifiee", "score_qualite", "doublons")
HSDS_TAXONOMIES = {
    "needs": "Besoins (maillage), alignés sur les services du standard des lieux de médiation"
    " numérique et les thématiques de data·inclusion",
    "publics": "Publics (maillage), les codes publics de data·inclusion",
}


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _uuid(iri: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, iri))


def data_inclusion_rows(
    built: BuiltGraph, tables: Tables, scores: dict[tuple[str, str], int]
) -> dict[str, Iterator[dict]]:
    """``api_structures``, ``api_services`` and ``api_sources``: the export's documents with
    the API's own fields, and the columns its filters read. Each table's rows are made as they
    are written (generators), so that their JSON never all sits in memory at once; a service's
    structure is joined at request time, not copied into every service."""
    structures, services = data_inclusion(built, tables)

    def structure_rows() -> Iterator[dict]:
        for item in structures:
            document = {
                **item,
                "adresse_certifiee": False,
                "score_qualite": scores.get(("acteur", item["id"]), 0) / 100,
                "doublons": [],
            }
            yield {
                "id": item["id"],
                "source": item["source"],
                "code_insee": item.get("code_insee"),
                "reseaux_porteurs": _json(item.get("reseaux_porteurs") or []),
                "date_maj": item["date_maj"],
                "document": _json(document),
            }

    def service_rows() -> Iterator[dict]:
        for item in services:
            document = {
                **item,
                "adresse_certifiee": False,
                "score_qualite": scores.get(("service", item["id"]), 0) / 100,
            }
            yield {
                "id": item["id"],
                "structure_id": item["structure_id"],
                "source": item["source"],
                "code_insee": item.get("code_insee"),
                "latitude": item.get("latitude"),
                "longitude": item.get("longitude"),
                "thematiques": _json(item.get("thematiques") or []),
                "publics": _json(item.get("publics") or []),
                "frais": item.get("frais"),
                "modes_accueil": _json(item.get("modes_accueil") or []),
                # given at a distance: found by a search from anywhere
                "a_distance": int("a-distance" in (item.get("modes_accueil") or [])),
                "type": item.get("type"),
                "date_maj": item["date_maj"],
                "document": _json(document),
            }

    network = built.network.meta
    own = f"maillage-{network.get('id')}"
    slugs = sorted({s["source"] for s in structures} | {s["source"] for s in services})
    sources = [
        {
            "slug": slug,
            "nom": str(network.get("name")) if slug == own else slug,
            "description": (
                "Les acteurs, lieux et services que le réseau décrit lui-même"
                if slug == own
                else f"Fiches importées de la source « {slug} »"
            ),
        }
        for slug in slugs
    ]
    return {
        "api_structures": structure_rows(),
        "api_services": service_rows(),
        "api_sources": iter(sources),
    }


def openreferral_rows(built: BuiltGraph, tables: Tables) -> dict[str, list[dict]]:
    """``hsds_*``: the Open Referral objects, their list form (``document``) and their fully
    nested form (``full``), with the columns the API filters on."""
    found = openreferral(built, tables)
    base = built.network.base
    taxonomies = {
        scheme: {
            "id": _uuid(f"{base}/concept/{scheme}"),
            "name": f"maillage:{scheme}",
            "description": description,
            "uri": f"{base}/concept/{scheme}",
            "version": "1",
        }
        for scheme, description in HSDS_TAXONOMIES.items()
    }
    terms = []
    for term in found["taxonomy_terms"]:
        scheme = term["taxonomy"].removeprefix("maillage:")
        terms.append({**term, "taxonomy_id": taxonomies[scheme]["id"]})
    term_taxonomy = {t["id"]: t["taxonomy_id"] for t in terms}
    organizations = {o["id"]: o for o in found["organizations"]}
    locations = {loc["id"]: loc for loc in found["locations"]}
    modified = {s["iri"]: s.get("modified") for s in tables["services"]}
    service_iri = {_uuid(s["iri"]): s["iri"] for s in tables["services"]}
    service_terms = {
        s["id"]: sorted({a["taxonomy_term_id"] for a in s.get("attributes", [])})
        for s in found["services"]
    }
    at_by_service: dict[str, list[dict]] = {}
    for at in found["service_at_locations"]:
        at_by_service.setdefault(at["service_id"], []).append(at)
    # each service's list form and nested form as dicts (they share their parts); the JSON of
    # each row is made only as the row is written
    services: list[dict] = []
    list_fields = _list_fields("service")
    for service in found["services"]:
        last = modified.get(service_iri.get(service["id"], ""))
        listed = {k: v for k, v in service.items() if k in list_fields}
        if last:
            listed["last_modified"] = f"{last}T00:00:00Z"
        organization = organizations.get(service.get("organization_id"))
        full = {
            **service,
            **({"last_modified": listed["last_modified"]} if last else {}),
            "organization": _organization_list(organization) if organization else None,
            "service_at_locations": [
                {**at, "location": locations.get(at["location_id"])}
                for at in at_by_service.get(service["id"], [])
            ],
        }
        term_ids = service_terms[service["id"]]
        services.append(
            {
                "id": service["id"],
                "organization_id": service.get("organization_id"),
                "name": service["name"],
                "description": service.get("description"),
                "last_modified": listed.get("last_modified"),
                "taxonomy_term_ids": _json(term_ids),
                "taxonomy_ids": _json(sorted({term_taxonomy[t] for t in term_ids})),
                "document": listed,
                "full": {k: v for k, v in full.items() if v is not None},
            }
        )
    by_service = {s["id"]: s for s in services}
    listed_of: dict[str, list[dict]] = {}  # each organization's services, in one pass
    for s in services:
        listed_of.setdefault(s["organization_id"], []).append(s["document"])

    def service_rows() -> Iterator[dict]:
        for row in services:
            yield {**row, "document": _json(row["document"]), "full": _json(row["full"])}

    def organization_rows() -> Iterator[dict]:
        for organization in found["organizations"]:
            own_services = listed_of.get(organization["id"], [])
            yield {
                "id": organization["id"],
                "name": organization["name"],
                "description": organization.get("description"),
                "document": _json(_organization_list(organization)),
                "full": _json({**organization, "services": own_services}),
            }

    def at_rows() -> Iterator[dict]:
        for at in found["service_at_locations"]:
            location = locations.get(at["location_id"]) or {}
            service = by_service[at["service_id"]]
            address = (location.get("addresses") or [{}])[0]
            listed = {**at, "location": _location_list(location), "service": service["document"]}
            yield {
                "id": at["id"],
                "service_id": at["service_id"],
                "location_id": at["location_id"],
                "organization_id": service["organization_id"],
                "name": service["name"],
                "description": service["description"],
                "postcode": address.get("postal_code"),
                "latitude": location.get("latitude"),
                "longitude": location.get("longitude"),
                "last_modified": service["last_modified"],
                "taxonomy_term_ids": service["taxonomy_term_ids"],
                "taxonomy_ids": service["taxonomy_ids"],
                "document": _json(listed),
                "full": _json({**at, "location": location, "service": service["full"]}),
            }

    return {
        "hsds_organizations": organization_rows(),
        "hsds_services": service_rows(),
        "hsds_service_at_locations": at_rows(),
        "hsds_taxonomies": [
            {
                "id": t["id"],
                "name": t["name"],
                "description": t["description"],
                "document": _json(t),
            }
            for t in taxonomies.values()
        ],
        "hsds_taxonomy_terms": [
            {
                "id": t["id"],
                "taxonomy_id": t["taxonomy_id"],
                "parent_id": t.get("parent_id"),
                "name": t["name"],
                "description": t.get("description"),
                "document": _json(t),
            }
            for t in terms
        ],
    }


@functools.cache
def _list_fields(name: str) -> frozenset[str]:
    """The one-to-one fields Open Referral's list form of an object keeps (its compiled
    ``*_list.json`` schema, shipped with the package)."""
    from maillage.publish.openapi import hsds_schema

    return frozenset(hsds_schema(f"{name}_list")["properties"])


def _organization_list(organization: dict) -> dict:
    keep = _list_fields("organization")
    return {k: v for k, v in organization.items() if k in keep}


def _location_list(location: dict) -> dict:
    keep = {"id", "location_type", "name", "organization_id", "latitude", "longitude"}
    return {k: v for k, v in location.items() if k in keep}


KEYS = {"api_sources": "slug"}
INDEXES = (
    ("api_services", "code_insee"),
    ("api_services", "latitude"),
    ("api_services", "a_distance"),
    ("api_services", "structure_id"),
    ("api_structures", "code_insee"),
    ("hsds_service_at_locations", "postcode"),
    ("hsds_services", "organization_id"),
)


def write_api_tables(
    database: Path, built: BuiltGraph, tables: Tables, analytics: Tables
) -> dict[str, int]:
    """Every API table (the build's ``api`` stage) into the database the build is writing,
    with their indexes: one family of documents at a time, each row made as it is inserted."""
    scores = {(r["type"], r["id"]): r["score"] for r in analytics.get("completude", [])}
    db = sqlite_utils.Database(database)
    counts: dict[str, int] = {}
    try:
        for family in (
            lambda: data_inclusion_rows(built, tables, scores),
            lambda: openreferral_rows(built, tables),
        ):
            for name, items in family().items():
                counted = _counted(items, counts, name)
                db[name].insert_all(counted, pk=KEYS.get(name, "id"), batch_size=1000)
        for name, column in INDEXES:
            if db[name].exists():
                db[name].create_index([column], if_not_exists=True)
    finally:
        db.close()
    return counts


def _counted(items: Iterable[dict], counts: dict[str, int], name: str) -> Iterator[dict]:
    counts[name] = 0
    for item in items:
        counts[name] += 1
        yield item
