"""The OpenAPI documents of the two live APIs, made from the official ones by addition only.

``publish/apispecs/`` holds the official documents unchanged (its SOURCES.md says where from):
data·inclusion's API v1 and Open Referral's HSDS 3.0. Ours add what they leave as templates or
omit: title, licence, contact, servers; no security on open data; a 404 for an unknown id and a
422 for a bad parameter, with a French error body; Open Referral's list schemas. Every official
path, parameter and 200-response schema is kept as it is (a test checks it).
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import json
from typing import Any

SPECS = importlib.resources.files("maillage.publish") / "apispecs"
DATA_INCLUSION = "data-inclusion-api-v1.json"
HSDS = "hsds/openapi.json"
HSDS_PROFILE = "https://maillage.example.org/profils/hsds-fr"  # overridden by the site's address
LICENCE = {
    "name": "Licence Ouverte / Open Licence 2.0 (Etalab)",
    "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}

# What an error answers, in French (one shape for both APIs: FastAPI's, which data·inclusion's
# clients already read: {"detail": [{"loc", "msg", "type"}]} or {"detail": "..."}).
ERROR_SCHEMA = {
    "title": "Erreur",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["loc", "msg", "type"],
                        "properties": {
                            "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                            "msg": {"type": "string"},
                            "type": {"type": "string"},
                        },
                    },
                },
            ]
        }
    },
}


@functools.cache
def official(name: str) -> dict[str, Any]:
    """An official document as published (read once; callers must not change it)."""
    return json.loads((SPECS / name).read_text(encoding="utf-8"))


def hsds_schema(name: str) -> dict[str, Any]:
    """One of Open Referral's compiled list schemas (``service_list``...)."""
    return official(f"hsds/{name}.json")


def _error_response(description: str, ref: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


def _operations(document: dict[str, Any]):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, item, operation


def data_inclusion_document(server: str, contact: str | None = None) -> dict[str, Any]:
    """data·inclusion's API v1 as this network serves it, at ``server`` (no trailing slash)."""
    document = copy.deepcopy(official(DATA_INCLUSION))
    info = document["info"]
    info["title"] = "data·inclusion API v1 — données du réseau (maillage)"
    info["description"] = (
        "Les structures et services du réseau, dans la forme de l'API data·inclusion v1, en "
        "lecture seule et sans jeton : ce sont des données ouvertes. Mêmes paramètres, même "
        "pagination (page, size) et mêmes champs que l'export data·inclusion du réseau."
    )
    info["license"] = LICENCE
    if contact:
        info["contact"] = {"name": "Coordination du réseau", "email": contact}
    document["servers"] = [{"url": server, "description": "Le site du réseau"}]
    document["components"]["schemas"]["ErreurMaillage"] = ERROR_SCHEMA
    ref = "#/components/schemas/ErreurMaillage"
    for path, _item, operation in _operations(document):
        operation.pop("security", None)  # open data: no token
        responses = operation["responses"]
        if "{id}" in path:
            responses["404"] = _error_response("Identifiant inconnu", ref)
        if operation.get("parameters") and "422" not in responses:
            responses["422"] = _error_response("Paramètre invalide", ref)
    document.get("components", {}).pop("securitySchemes", None)
    return document


def hsds_document(server: str, profile: str, contact: str | None = None) -> dict[str, Any]:
    """Open Referral's HSDS 3.0 API as this network serves it, under ``server`` (ending in
    ``/hsds``)."""
    document = copy.deepcopy(official(HSDS))
    document["info"] = {
        "title": "Open Referral HSDS 3.0 — services du réseau (maillage)",
        "version": "3.0",
        "summary": "Les organisations, services et lieux du réseau, au standard HSDS 3.0.",
        "description": (
            "Lecture seule, sans jeton (données ouvertes). Profil français : " + profile + "."
        ),
        "contact": {"name": "Coordination du réseau", **({"email": contact} if contact else {})},
        "license": LICENCE,
    }
    document["servers"] = [{"url": server, "description": "Le site du réseau"}]
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("service_list", "organization_list", "service_at_location_list"):
        schemas[name] = hsds_schema(name)
    schemas["ErreurMaillage"] = ERROR_SCHEMA
    ref = "#/components/schemas/ErreurMaillage"
    for path, _item, operation in _operations(document):
        responses = operation["responses"]
        if "{id}" in path:
            responses["404"] = _error_response("Identifiant inconnu", ref)
        if operation.get("parameters") or path != "/":
            responses.setdefault("422", _error_response("Paramètre invalide", ref))
    return document
