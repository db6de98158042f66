"""Exports in the national standards: the *lieux de médiation numérique* CSV (v1.0.2, one row
per site) and *data·inclusion* v1 JSON (structures and services).

Codes come from the SKOS schemes: a need's top concept carries the lieux standard's label, its
``skos:closeMatch`` the data·inclusion thématiques; publics, fees and typologies are the
standards' own codes.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

from rdflib import URIRef
from rdflib.namespace import SKOS

from maillage.graph.build import BuiltGraph
from maillage.graph.data_inclusion_in import MOBILISATION, PRESCRIPTION, RESEAUX, SUPPORT_PREFIX
from maillage.graph.standards_in import COLUMNS, PUBLICS
from maillage.graph.tables import Tables
from maillage.publish.csvcells import SafeDictWriter

# The columns of the standard (schema.json v1.0.2), in its order, and its publics.
LIEUX_COLUMNS = COLUMNS
LIEUX_PUBLICS = {f"publics/{code}": label for label, code in PUBLICS.items()}
UNKNOWN_PIVOT = "00000000000000"  # what the national cartography uses when no SIRET is known
LIEUX_FILE = "lieux-mediation-numerique.csv"


class Standards:
    """Look-ups between the network's concepts and the standards' codes and labels."""

    def __init__(self, built: BuiltGraph, tables: Tables):
        vocab = built.vocab
        self.labels = {row["id"]: row["label"] for row in tables["concepts"]}
        self.broader = {row["id"]: row["broader"] for row in tables["concepts"] if row["broader"]}
        self.thematiques: dict[str, list[str]] = {}
        for concept, (scheme, notation) in vocab.by_iri.items():
            if scheme != "needs":
                continue
            matches = [
                vocab.by_iri[m][1]
                for m in vocab.graph.objects(concept, SKOS.closeMatch)
                if isinstance(m, URIRef) and m in vocab.by_iri
            ]
            self.thematiques[f"needs/{notation}"] = sorted(matches)

    def top_need(self, need: str) -> str:
        while need in self.broader:
            need = self.broader[need]
        return need

    def lieux_service(self, need: str) -> str:
        return self.labels[self.top_need(need)]

    def di_thematiques(self, need: str) -> list[str]:
        return self.thematiques.get(need) or self.thematiques.get(self.top_need(need), [])


def _by(rows: list[dict], key: str) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def _links(tables: Tables, table: str, own: str, other: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for row in tables[table]:
        found.setdefault(row[own], []).append(row[other])
    return found


def _concepts(tables: Tables, *names: str) -> list[dict[str, list[str]]]:
    """Each link table's concepts by owner: ``service_needs`` gives each service's needs."""
    return [_links(tables, name, f"{name.split('_', 1)[0]}_id", "concept_id") for name in names]


def _today() -> str:
    return time.strftime("%Y-%m-%d")


def lieux_rows(built: BuiltGraph, tables: Tables) -> list[dict[str, str]]:
    """One row per site, as the lieux de médiation numérique standard wants it."""
    std = Standards(built, tables)
    actors = {row["id"]: row for row in tables["actors"]}
    services_at = _links(tables, "service_sites", "site_id", "service_id")
    services = {row["id"]: row for row in tables["services"]}
    needs, publics, modalities, supports, other_fees, other_typologies = _concepts(
        tables,
        *("service_needs", "service_publics", "service_modalities", "service_support"),
        *("service_other_fees", "actor_other_typologies"),
    )
    site_lists = {
        column: _links(tables, f"site_{name}", "site_id", "concept_id")
        for column, name in SITE_LISTS.items()
    }
    source = str(built.network.meta.get("id"))
    rows = []
    for site in sorted(tables["sites"], key=lambda s: s["id"]):
        actor = actors[site["actor"]]
        offered = sorted(services_at.get(site["id"], []))
        labels = _ordered(std.lieux_service(n) for s in offered for n in needs.get(s, []))
        dates = [services[s]["modified"] for s in offered if services[s].get("modified")]
        # date_maj is when the facts were last updated: a check, or else the source's date
        checked = site.get("verified") or actor.get("verified") or actor.get("source_date")
        description = actor.get("description") or ""
        fees = [services[s]["fee"] for s in offered if services[s].get("fee")]
        fees += [f for s in offered for f in other_fees.get(s, [])]
        typologies = [actor.get("typology")] + sorted(other_typologies.get(actor["id"], []))
        rows.append(
            {
                "id": site["id"],
                "pivot": actor.get("siret") or UNKNOWN_PIVOT,
                "nom": site["name"],
                "commune": site["commune"],
                "code_postal": site["postcode"],
                "code_insee": site["insee"],
                "adresse": site["street"],
                "complement_adresse": site.get("complement") or "",
                "latitude": _number(site.get("latitude")),
                "longitude": _number(site.get("longitude")),
                "typologie": "|".join(
                    t.removeprefix("typologies/") for t in _ordered_first(typologies)
                ),
                "telephone": actor.get("telephone") or "",
                "courriels": "|".join(_ordered_first([actor.get("email")], actor, "other_emails")),
                "site_web": "|".join(_ordered_first([actor.get("url")], actor, "other_urls")),
                "horaires": site.get("opening_hours") or "",
                "presentation_resume": actor.get("summary") or _shorten(description, 280),
                "presentation_detail": description,
                "source": site.get("verified_by") or source,
                "itinerance": _labels(std, site_lists["itinerance"].get(site["id"], [])),
                "structure_parente": site.get("parent") or "",
                "date_maj": checked or (max(dates) if dates else _today()),
                "services": "|".join(labels),
                "publics_specifiquement_adresses": "|".join(
                    _ordered(
                        LIEUX_PUBLICS[p]
                        for s in offered
                        for p in publics.get(s, [])
                        if p in LIEUX_PUBLICS
                    )
                ),
                "prise_en_charge_specifique": _labels(
                    std, [c for s in offered for c in supports.get(s, [])]
                ),
                "frais_a_charge": _labels(std, fees),
                "dispositif_programmes_nationaux": _labels(
                    std, site_lists["dispositif_programmes_nationaux"].get(site["id"], [])
                ),
                "formations_labels": _labels(
                    std, site_lists["formations_labels"].get(site["id"], [])
                ),
                "autres_formations_labels": "|".join(_json_list(site.get("other_labels"))),
                "modalites_acces": _labels(std, site_lists["modalites_acces"].get(site["id"], [])),
                "modalites_accompagnement": _labels(
                    std, [m for s in offered for m in modalities.get(s, [])]
                ),
                "fiche_acces_libre": site.get("accessibility") or "",
                "prise_rdv": site.get("appointment") or "",
            }
        )
    return [{column: row.get(column, "") for column in LIEUX_COLUMNS} for row in rows]


def _ordered(values) -> list[str]:
    return sorted(set(values))


# columns of the standard kept as a site's concepts: column -> the site's link table
SITE_LISTS = {
    "itinerance": "itinerance",
    "dispositif_programmes_nationaux": "programmes",
    "formations_labels": "labels",
    "modalites_acces": "access",
}


def _labels(std: Standards, concepts: list[str]) -> str:
    """The standard's labels of these concepts, "|" between them."""
    return "|".join(_ordered(std.labels[c] for c in concepts))


def _json_list(cell: str | None) -> list[str]:
    """A list of plain values, which a table holds as a JSON array."""
    return json.loads(cell) if cell else []


def _ordered_first(first: list, record: dict | None = None, more: str = "") -> list[str]:
    """The main value first, then the others of ``record[more]`` (a JSON array), once each."""
    values = [v for v in first if v]
    if record is not None:
        values += _json_list(record.get(more))
    return list(dict.fromkeys(values))


def _number(value) -> str:
    return "" if value is None else repr(float(value))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def write_lieux_csv(built: BuiltGraph, tables: Tables, path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = SafeDictWriter(handle, fieldnames=LIEUX_COLUMNS)
        writer.writeheader()
        writer.writerows(lieux_rows(built, tables))
    return path


def data_inclusion(built: BuiltGraph, tables: Tables) -> tuple[list[dict], list[dict]]:
    """(structures, services) in the data·inclusion v1 schemas."""
    std = Standards(built, tables)
    source = f"maillage-{built.network.meta.get('id')}"
    sites = {row["id"]: row for row in tables["sites"]}
    actors_by_id = {row["id"]: row for row in tables["actors"]}
    sites_of = _by(tables["sites"], "actor")
    needs = _links(tables, "service_needs", "service_id", "concept_id")
    publics = _links(tables, "service_publics", "service_id", "concept_id")
    modalities = _links(tables, "service_modalities", "service_id", "concept_id")
    service_sites = _links(tables, "service_sites", "service_id", "site_id")
    services_of = _by(tables["services"], "provider")
    supports = _links(tables, "service_support", "service_id", "concept_id")
    other_fees = _links(tables, "service_other_fees", "service_id", "concept_id")
    programmes = _links(tables, "site_programmes", "site_id", "concept_id")
    access = _links(tables, "site_access", "site_id", "concept_id")
    structures, services = [], []
    for actor in sorted(tables["actors"], key=lambda a: a["id"]):
        first = sorted(sites_of.get(actor["id"], []), key=lambda s: s["id"])
        place = first[0] if first else {}
        dates = [s["modified"] for s in services_of.get(actor["id"], []) if s.get("modified")]
        checked = actor.get("verified") or place.get("verified") or actor.get("source_date")
        structures.append(
            {
                "source": _producer(actor, source),
                "id": actor["id"],
                "nom": _name(actor["name"]),
                "date_maj": checked or (max(dates) if dates else _today()),
                "siret": actor.get("siret"),
                "telephone": actor.get("telephone"),
                "courriel": actor.get("email"),
                "site_web": actor.get("url"),
                "description": _description(actor.get("description"), actor["name"]),
                **_address(place),
                "accessibilite_lieu": place.get("accessibility"),
                "reseaux_porteurs": _ordered(
                    RESEAUX[p] for s in first for p in programmes.get(s["id"], []) if p in RESEAUX
                )
                or None,
            }
        )
    for service in sorted(tables["services"], key=lambda s: s["id"]):
        at = [sites[s] for s in sorted(service_sites.get(service["id"], []))]
        place = at[0] if at else {}
        fee = (service.get("fee") or "").removeprefix("fees/")
        fees = [service["fee"]] if service.get("fee") else []
        fees += sorted(other_fees.get(service["id"], []))
        labels = [std.labels[n] for n in needs.get(service["id"], [])]
        ways = sorted({m for s in at for m in access.get(s["id"], [])})
        specific = [std.labels[c] for c in sorted(supports.get(service["id"], []))]
        services.append(
            {
                "source": _producer(service, _producer(actors_by_id[service["provider"]], source)),
                "structure_id": service["provider"],
                "id": service["id"],
                "nom": _name(service["name"]),
                "description": _description(
                    service.get("description"), f"{service['name']} : {', '.join(labels)}."
                ),
                "date_maj": service.get("verified")
                or place.get("verified")
                or actors_by_id.get(service["provider"], {}).get("verified")
                or actors_by_id.get(service["provider"], {}).get("source_date")
                or service.get("modified")
                or _today(),
                "thematiques": _ordered(
                    t for n in needs.get(service["id"], []) for t in std.di_thematiques(n)
                )
                or None,
                "publics": _ordered(
                    p.removeprefix("publics/") for p in publics.get(service["id"], [])
                )
                or None,
                "frais": {
                    "gratuit": "gratuit",
                    "payant": "payant",
                    "gratuit-sous-condition": "gratuit",
                }.get(fee),
                # data·inclusion has one fee: the others, and a condition, are said in words
                "frais_precisions": ", ".join(std.labels[f] for f in fees)
                if fee == "gratuit-sous-condition" or len(fees) > 1
                else None,
                "publics_precisions": SUPPORT_PREFIX + ", ".join(specific) if specific else None,
                "modes_mobilisation": _ordered(MOBILISATION[m] for m in ways if m in MOBILISATION)
                or None,
                "mobilisable_par": _ordered(
                    "professionnels" if m == PRESCRIPTION else "usagers"
                    for m in ways
                    if m in MOBILISATION
                )
                or None,
                "lien_mobilisation": place.get("appointment"),
                "modes_accueil": _ordered(
                    "a-distance" if m == "modalities/a-distance" else "en-presentiel"
                    for m in modalities.get(service["id"], [])
                )
                or None,
                **_address(place),
            }
        )
    return structures, services


def _producer(record: dict, default: str) -> str:
    """data·inclusion's source of a record imported from it: its producer's identifier, kept
    as who checked it (``dora``, ``mediation-numerique``); otherwise this network."""
    checked_by = record.get("verified_by") or ""
    return checked_by if re.fullmatch(r"[a-z0-9]+([-_][a-z0-9]+)*", checked_by) else default


def _name(name: str) -> str:
    name = name.rstrip(".").strip()
    return _shorten(name, 150) if len(name) >= 3 else name.ljust(3, "_")


def _description(text: str | None, fallback: str) -> str | None:
    text = (text or fallback or "").strip()
    return _shorten(text, 10000) if len(text) >= 5 else None


def _address(site: dict) -> dict:
    if not site:
        return {}
    return {
        "adresse": site.get("street"),
        "complement_adresse": site.get("complement"),
        "code_postal": site.get("postcode"),
        "code_insee": site.get("insee"),
        "commune": site.get("commune"),
        "latitude": site.get("latitude"),
        "longitude": site.get("longitude"),
        "horaires_accueil": site.get("opening_hours"),
    }


def write_data_inclusion(built: BuiltGraph, tables: Tables, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    structures, services = data_inclusion(built, tables)
    paths = []
    for name, items in (("structures.json", structures), ("services.json", services)):
        path = folder / name
        path.write_text(json.dumps(items, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


# --- Open Referral HSDS 3.0 -------------------------------------------------------------------

HSDS_FILES = ("organizations", "services", "locations", "service_at_locations", "taxonomy_terms")


def _uuid(iri: str) -> str:
    """A stable HSDS id (HSDS wants UUIDs): uuid5 of the resource's IRI."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, iri))


def openreferral(built: BuiltGraph, tables: Tables) -> dict[str, list[dict]]:
    """HSDS 3.0 objects: organizations, services, locations, service_at_locations and the
    taxonomy terms (needs and publics) that services are tagged with (as attributes)."""
    std = Standards(built, tables)
    concepts = {row["id"]: row for row in tables["concepts"]}
    used = {r["concept_id"] for name in ("service_needs", "service_publics") for r in tables[name]}
    terms = {}
    for concept_id in sorted(used):
        row = concepts[concept_id]
        definition = built.vocab.graph.value(URIRef(row["iri"]), SKOS.definition)
        terms[concept_id] = {
            "id": _uuid(row["iri"]),
            "code": row["notation"],
            "name": row["label"],
            "description": str(definition) if definition else row["label"],
            "taxonomy": f"maillage:{row['scheme']}",
            "language": "fr",
            "term_uri": row["iri"],
        }
        if row["broader"] in concepts:
            terms[concept_id]["parent_id"] = _uuid(concepts[row["broader"]]["iri"])
    organizations = []
    for actor in sorted(tables["actors"], key=lambda a: a["id"]):
        organization = {
            "id": _uuid(actor["iri"]),
            "name": actor["name"],
            "description": actor.get("description") or actor["name"],
            "website": actor.get("url"),
            "email": actor.get("email"),
        }
        if actor.get("siret"):
            organization["organization_identifiers"] = [
                {
                    "id": _uuid(actor["iri"] + "#siret"),
                    "organization_id": organization["id"],
                    "identifier_type": "SIRET",
                    "identifier": actor["siret"],
                    "identifier_scheme": "FR-SIRET",
                }
            ]
        if actor.get("telephone"):
            organization["phones"] = [
                {
                    "id": _uuid(actor["iri"] + "#phone"),
                    "organization_id": organization["id"],
                    "number": actor["telephone"],
                }
            ]
        organizations.append({k: v for k, v in organization.items() if v is not None})
    sites = {row["id"]: row for row in tables["sites"]}
    actor_iris = {row["id"]: row["iri"] for row in tables["actors"]}
    locations = []
    for site in sorted(tables["sites"], key=lambda s: s["id"]):
        location_id = _uuid(site["iri"])
        location = {
            "id": location_id,
            "location_type": "physical",
            "name": site["name"],
            "organization_id": _uuid(actor_iris[site["actor"]]),
            "latitude": site.get("latitude"),
            "longitude": site.get("longitude"),
            "addresses": [
                {
                    "id": _uuid(site["iri"] + "#address"),
                    "location_id": location_id,
                    "address_1": site["street"],
                    "address_2": site.get("complement"),
                    "city": site["commune"],
                    # HSDS asks for a region; the département code is what the INSEE code gives
                    "state_province": site["insee"][:2],
                    "postal_code": site["postcode"],
                    "country": "FR",
                    "address_type": "physical",
                }
            ],
        }
        if site.get("accessibility"):
            location["accessibility"] = [
                {
                    "id": _uuid(site["iri"] + "#accessibility"),
                    "location_id": location_id,
                    "description": "Fiche acceslibre du lieu",
                    "url": site["accessibility"],
                }
            ]
        location["addresses"][0] = {
            k: v for k, v in location["addresses"][0].items() if v is not None
        }
        if site.get("opening_hours"):
            location["schedules"] = [
                {
                    "id": _uuid(site["iri"] + "#schedule"),
                    "location_id": location_id,
                    "description": f"Horaires (format OpenStreetMap) : {site['opening_hours']}",
                }
            ]
        locations.append({k: v for k, v in location.items() if v is not None})
    service_sites = _links(tables, "service_sites", "service_id", "site_id")
    needs, publics, supports, access, site_labels = _concepts(
        tables, "service_needs", "service_publics", "service_support", "site_access", "site_labels"
    )
    services, at_locations = [], []
    for service in sorted(tables["services"], key=lambda s: s["id"]):
        service_id = _uuid(service["iri"])
        tagged = needs.get(service["id"], []) + publics.get(service["id"], [])
        labels = [std.labels[n] for n in needs.get(service["id"], [])]
        at = sorted(service_sites.get(service["id"], []))
        specific = sorted(supports.get(service["id"], []))
        ways = _ordered(std.labels[m] for s in at for m in access.get(s, []))
        awarded = _ordered(std.labels[c] for s in at for c in site_labels.get(s, []))
        awarded += _ordered(v for s in at for v in _json_list(sites[s].get("other_labels")))
        booking = next((sites[s]["appointment"] for s in at if sites[s].get("appointment")), None)
        extra = {
            "languages": _hsds_languages(service, specific),
            "interpretation_services": ", ".join(std.labels[c] for c in specific) or None,
            "application_process": "; ".join(
                ways + ([f"rendez-vous : {booking}"] if booking else [])
            )
            or None,
            "accreditations": ", ".join(awarded) or None,
        }
        services.append(
            {
                **{k: v for k, v in extra.items() if v},
                "id": service_id,
                "organization_id": _uuid(actor_iris[service["provider"]]),
                "name": service["name"],
                "description": service.get("description")
                or f"{service['name']} : {', '.join(labels)}.",
                "status": "active",
                "attributes": [
                    {
                        "id": _uuid(service["iri"] + "#" + t),
                        "link_id": service_id,
                        "link_type": "service",
                        "link_entity": "service",
                        "taxonomy_term_id": terms[t]["id"],
                    }
                    for t in sorted(tagged)
                ],
            }
        )
        for site_id in sorted(service_sites.get(service["id"], [])):
            at_locations.append(
                {
                    "id": _uuid(f"{service['iri']}@{sites[site_id]['iri']}"),
                    "service_id": service_id,
                    "location_id": _uuid(sites[site_id]["iri"]),
                }
            )
    return {
        "organizations": organizations,
        "services": services,
        "locations": locations,
        "service_at_locations": at_locations,
        "taxonomy_terms": [terms[k] for k in sorted(terms)],
    }


# The standard's foreign languages, in ISO 639-1 where it names one
HSDS_LANGUAGES = {"supports/langues-etrangeres-anglais": ("anglais", "en")}


def _hsds_languages(service: dict, specific: list[str]) -> list[dict]:
    """French, and the foreign languages the service's specific support names."""
    spoken = [("français", "fr")] + [HSDS_LANGUAGES[c] for c in specific if c in HSDS_LANGUAGES]
    if "supports/langues-etrangeres-autres" in specific:
        spoken.append(("autres langues étrangères", None))
    service_id = _uuid(service["iri"])
    return [
        {
            k: v
            for k, v in {
                "id": _uuid(f"{service['iri']}#language-{name}"),
                "service_id": service_id,
                "name": name,
                "code": code,
            }.items()
            if v is not None
        }
        for name, code in spoken
    ]


def write_openreferral(built: BuiltGraph, tables: Tables, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, items in openreferral(built, tables).items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(items, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
