"""The national aggregate *data·inclusion* v1 (``structures.json``, ``services.json``) ->
maillage source records, as ``graph.standards_in`` does for the lieux CSV.

One actor per structure, with a site at the structure's address; one service per service whose
thématiques match the network's needs (data·inclusion lists every social service: the others are
left out, and counted). A service at another address gets a site of its own. Each record
remembers the line of its JSON object, so that any later error (SHACL included) points into
the file; the exports' mappings (``publish.standards_out``) are read backwards.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from rdflib import URIRef
from rdflib.namespace import SKOS

from maillage.graph.errors import DataError
from maillage.graph.ns import MAI
from maillage.graph.standards_in import Imported, free_id, slug
from maillage.graph.vocab import Vocabulary

# The standard's national programmes and data·inclusion's reseaux porteurs, where one is the
# other (our mapping: neither schema names the other's codes). The export (publish/
# standards_out.py) reads them forwards, the import backwards.
RESEAUX = {
    "programmes/aidants-connect": "aidants-connect",
    "programmes/conseillers-numeriques": "conseillers-numeriques",
    "programmes/emmaus-connect": "emmaus",
    "programmes/relais-numerique-emmaus-connect": "emmaus",
    "programmes/france-services": "france-service",
    "programmes/grande-ecole-du-numerique": "grandes-ecoles-du-numerique",
    "programmes/la-croix-rouge": "croix-rouge",
    "programmes/point-d-acces-numerique-caf": "caf",
}
# modalites_acces -> data·inclusion modes_mobilisation (who gets in touch, and how)
PRESCRIPTION = "acces/envoyer-un-mail-avec-une-fiche-de-prescription"
MOBILISATION = {
    "acces/se-presenter": "se-presenter",
    "acces/telephoner": "telephoner",
    "acces/contacter-par-mail": "envoyer-un-courriel",
    "acces/prendre-un-rdv-en-ligne": "utiliser-lien-mobilisation",
    PRESCRIPTION: "envoyer-un-courriel",
}
SUPPORT_PREFIX = "Prise en charge spécifique : "  # in publics_precisions


def _backwards(mapping: dict[str, str], skip: tuple[str, ...] = ()) -> dict[str, str]:
    """data·inclusion code -> our notation; of two concepts with one code, the first."""
    found: dict[str, str] = {}
    for concept, code in mapping.items():
        if concept not in skip:
            found.setdefault(code, concept.split("/", 1)[1])
    return found


PROGRAMMES = _backwards(RESEAUX)
ACCESS = _backwards(MOBILISATION, skip=(PRESCRIPTION,))
# data·inclusion's (source, id) of a structure or a service is what identifies it
ADDRESS = ("adresse", "complement_adresse", "code_postal", "code_insee", "commune")
COLUMN_OF = {
    ("actor", "name"): "nom",
    ("actor", "siret"): "siret",
    ("actor", "telephone"): "telephone",
    ("actor", "email"): "courriel",
    ("actor", "url"): "site_web",
    ("actor", "description"): "description",
    ("actor", "verified"): "date_maj",
    ("site", "street"): "adresse",
    ("site", "complement"): "complement_adresse",
    ("site", "postcode"): "code_postal",
    ("site", "insee"): "code_insee",
    ("site", "commune"): "commune",
    ("site", "latitude"): "latitude",
    ("site", "longitude"): "longitude",
    ("site", "opening_hours"): "horaires_accueil",
    ("site", "accessibility"): "accessibilite_lieu",
    ("site", "appointment"): "lien_mobilisation",
    ("site", "access"): "modes_mobilisation",
    ("site", "programmes"): "reseaux_porteurs",
    ("service", "name"): "nom",
    ("service", "description"): "description",
    ("service", "needs"): "thematiques",
    ("service", "publics"): "publics",
    ("service", "fee"): "frais",
    ("service", "other_fees"): "frais_precisions",
    ("service", "support"): "publics_precisions",
    ("service", "verified"): "date_maj",
    ("service", "modalities"): "modes_accueil",
}


MAX_ITEMS = 1_000_000  # the national files hold about 90,000 services
MAX_DIGITS = 100  # no field of the schema holds a longer number


class _Refused(ValueError):
    """A JSON value the import refuses (its French reason)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _Refused(f"clé « {key[:80]} » en double dans un même objet")
        found[key] = value
    return found


def _number(text: str) -> Any:
    if len(text) > MAX_DIGITS:
        raise _Refused(f"nombre de {len(text)} chiffres : trop long")
    return int(text) if text.lstrip("-").isdigit() else float(text)


def _constant(name: str) -> Any:
    raise _Refused(f"valeur « {name} » : ce n'est pas du JSON")


def json_items(text: str, display: str, errors: list[DataError]) -> list[tuple[int, Any]]:
    """The items of a JSON array with the line each starts at; a malformed file is one
    located error. Duplicate keys, numbers of more than :data:`MAX_DIGITS` digits, NaN and
    nesting too deep for the parser are refused at their item's line; lines are counted once,
    as the items go (a file of two million items is read in one pass)."""
    decoder = json.JSONDecoder(
        object_pairs_hook=_unique_keys,
        parse_int=_number,
        parse_float=_number,
        parse_constant=_constant,
    )
    at = len(text) - len(text.lstrip())
    if not text[at:].startswith("["):
        errors.append(DataError(file=display, line=1, message="JSON attendu : une liste [ … ]"))
        return []
    line, counted = text.count("\n", 0, at) + 1, at
    at += 1
    items = []
    try:
        while True:
            while at < len(text) and text[at] in " \t\r\n,":
                at += 1
            if at >= len(text):
                raise json.JSONDecodeError("liste non fermée", text, at)
            if text[at] == "]":
                break
            line += text.count("\n", counted, at)
            counted = at
            if len(items) >= MAX_ITEMS:
                errors.append(
                    DataError(
                        file=display,
                        line=line,
                        message=f"plus de {MAX_ITEMS:,} objets : fichier trop grand".replace(
                            ",", " "
                        ),
                    )
                )
                return []
            try:
                value, end = decoder.raw_decode(text, at)
            except _Refused as exc:
                errors.append(DataError(file=display, line=line, message=str(exc)))
                return []
            except RecursionError:
                errors.append(
                    DataError(
                        file=display,
                        line=line,
                        message="listes ou objets imbriqués trop profondément",
                    )
                )
                return []
            items.append((line, value))
            at = end
    except json.JSONDecodeError as exc:
        errors.append(
            DataError(file=display, line=exc.lineno, message=f"JSON mal formé : {exc.msg}")
        )
        return []
    return items


LISTS = ("thematiques", "publics", "modes_accueil", "reseaux_porteurs", "modes_mobilisation")


def _lists_are_lists(item: dict, display: str, line: int, kind: str, result: Imported) -> bool:
    """The schema's list fields hold lists (of text): a string there is an error, never
    dropped without a word."""
    ok = True
    for key in LISTS:
        value = item.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            result.errors.append(
                DataError(
                    file=display,
                    line=line,
                    record=f"{kind} {item.get('id')}",
                    field=key,
                    message='liste de codes attendue, par exemple ["numerique"]',
                    value=str(value)[:200],
                )
            )
            ok = False
    return ok


class _Needs:
    """data·inclusion thématiques -> the network's needs (their ``skos:closeMatch``)."""

    def __init__(self, vocab: Vocabulary):
        graph = vocab.graph
        self.matches: dict[str, set[str]] = {}
        self.pole: dict[str, str] = {}
        for notation, concept in vocab.notations.get("needs", {}).items():
            found = {
                vocab.by_iri[m][1]
                for m in graph.objects(concept, SKOS.closeMatch)
                if isinstance(m, URIRef) and m in vocab.by_iri
            }
            if found:
                self.matches[notation] = found
            pole = graph.value(concept, MAI.pole)
            if pole is not None:
                self.pole[notation] = str(pole).rsplit("/", 1)[-1]

    def of(self, thematiques: list[str]) -> list[str]:
        """The fewest needs whose thématiques are all among these, largest first."""
        given, needs, covered = set(thematiques), [], set()
        candidates = sorted(
            (n for n, m in self.matches.items() if m <= given), key=lambda n: -len(self.matches[n])
        )
        for need in candidates:
            if not self.matches[need] <= covered:
                needs.append(need)
                covered |= self.matches[need]
        return needs


def read_data_inclusion(
    structures_text: str,
    services_text: str,
    displays: tuple[str, str],
    vocab: Vocabulary,
    communes: set[str] | None = None,
) -> Imported:
    """Parse the two files into actors; every problem is located (file, line, record, field)."""
    result = Imported()
    structures_file, services_file = displays
    structures = json_items(structures_text, structures_file, result.errors)
    services = json_items(services_text, services_file, result.errors)
    if result.errors:
        return result
    needs = _Needs(vocab)
    fee_labels = {
        str(vocab.graph.value(c, SKOS.prefLabel)): n
        for n, c in vocab.notations.get("fees", {}).items()
    }
    support_labels = {
        str(vocab.graph.value(c, SKOS.prefLabel)): n
        for n, c in vocab.notations.get("supports", {}).items()
    }
    by_key: dict[tuple[str, str], str] = {}  # (source, id) of a structure -> actor id
    for line, item in structures:
        if not _is_record(item, structures_file, line, "structure", result):
            continue
        if communes and item.get("code_insee") not in communes:
            continue
        result.rows += 1
        if not _lists_are_lists(item, structures_file, line, "structure", result):
            continue
        if (str(item.get("source")), str(item["id"])) in by_key:
            result.errors.append(
                DataError(
                    file=structures_file,
                    line=line,
                    record=f"structure {item['id']}",
                    field="id",
                    message=f"deux structures de la source « {item.get('source')} » ont "
                    f"l'identifiant « {item['id']} »",
                )
            )
            continue
        actor_id = free_id(slug(str(item["id"])), result.actors)
        if actor_id != item["id"]:
            result.fixes["identifiant de structure ramené en minuscules sans accents"] += 1
        by_key[(str(item.get("source")), str(item["id"]))] = actor_id
        site = _site(actor_id, item)
        reseaux = item.get("reseaux_porteurs") or []
        programmes = [PROGRAMMES[r] for r in reseaux if r in PROGRAMMES]
        for other in reseaux:
            if other not in PROGRAMMES:
                result.fixes[f"réseau porteur « {other} » gardé en structure parente"] += 1
        others = [r for r in reseaux if r not in PROGRAMMES]
        site.update(
            {
                "accessibility": item.get("accessibilite_lieu"),
                "programmes": programmes or None,
                "parent": ", ".join(others) or None,
                "verified": item.get("date_maj"),
                "verified_by": item.get("source"),
            }
        )
        result.actors[actor_id] = {
            "name": str(item.get("nom") or "").strip(),
            "description": item.get("description"),
            "typology": "Autre",  # data·inclusion v1 structures carry no typology
            "pole": None,
            "siret": item.get("siret"),
            "url": item.get("site_web"),
            "email": item.get("courriel"),
            "telephone": item.get("telephone"),
            "verified": item.get("date_maj"),
            "verified_by": item.get("source"),
            "source": f"data·inclusion, source « {item.get('source')} », id {item['id']}",
            "sites": [_clean(site)],
            "services": [],
            "_pivot": "",
            "_needs": Counter(),
            "_address": tuple(item.get(k) for k in ADDRESS),
        }
        for key in (("actor", actor_id), ("site", actor_id)):
            result.lines[key], result.files[key] = line, structures_file
        if item.get("code_insee"):
            result.communes.setdefault(item["code_insee"], str(item.get("commune") or ""))
    left_out, service_ids = 0, set()
    for line, item in services:
        if not _is_record(item, services_file, line, "service", result):
            continue
        if not _lists_are_lists(item, services_file, line, "service", result):
            continue
        actor_id = by_key.get((str(item.get("source")), str(item.get("structure_id"))))
        if actor_id is None:
            if communes:
                continue  # its structure is in another commune
            result.errors.append(
                DataError(
                    file=services_file,
                    line=line,
                    record=f"service {item['id']}",
                    field="structure_id",
                    message=f"structure inconnue : « {item.get('structure_id')} » n'est pas dans "
                    f"{structures_file} (même source)",
                )
            )
            continue
        codes = needs.of(item.get("thematiques") or [])
        if not codes:
            left_out += 1
            continue
        actor = result.actors[actor_id]
        service_id = free_id(slug(str(item["id"])), service_ids)
        service_ids.add(service_id)
        site_id = actor_id
        if any(item.get(k) for k in ADDRESS) and tuple(item.get(k) for k in ADDRESS) != actor.get(
            "_address"
        ):
            site_id = f"{service_id}-lieu"
            actor["sites"].append(_clean(_site(site_id, item)))
            result.lines[("site", site_id)] = line
            result.files[("site", site_id)] = services_file
        site = next(s for s in actor["sites"] if s["id"] == site_id)
        _merge_site(site, item)
        fees = _fees(item, fee_labels)
        support = _support(item, support_labels)
        actor["_needs"].update(codes)
        actor["services"].append(
            _clean(
                {
                    "id": service_id,
                    "name": str(item.get("nom") or "").strip(),
                    "description": item.get("description"),
                    "sites": [site_id],
                    "needs": codes,
                    "publics": item.get("publics") or ["tous-publics"],
                    "modalities": _modalities(item.get("modes_accueil") or []),
                    "fee": fees[0] if fees else None,
                    "other_fees": fees[1:] or None,
                    "support": support or None,
                    "verified": item.get("date_maj"),
                    "verified_by": item.get("source"),
                }
            )
        )
        result.lines[("service", service_id)] = line
        result.files[("service", service_id)] = services_file
    if left_out:
        result.fixes["services sans besoin numérique du réseau (thématiques) laissés de côté"] += (
            left_out
        )
    for actor_id in [a for a, v in result.actors.items() if not v["services"]]:
        del result.actors[actor_id]
        result.fixes["structures sans service numérique laissées de côté"] += 1
    for actor in result.actors.values():
        actor["pole"] = needs.pole.get(actor["_needs"].most_common(1)[0][0])
        del actor["_address"]
    if not result.actors and not result.errors:
        result.errors.append(
            DataError(file=services_file, message="aucun service d'inclusion numérique à importer")
        )
    return result


def _is_record(item: Any, display: str, line: int, kind: str, result: Imported) -> bool:
    if not isinstance(item, dict):
        result.errors.append(
            DataError(
                file=display, line=line, message=f"un(e) {kind} doit être un objet JSON {{ … }}"
            )
        )
        return False
    missing = [k for k in ("source", "id", "nom") if not item.get(k)]
    if missing:
        result.errors.append(
            DataError(
                file=display,
                line=line,
                record=f"{kind} {item.get('id', '?')}",
                field=missing[0],
                message="champ obligatoire absent",
            )
        )
        return False
    return True


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _site(site_id: str, item: dict) -> dict[str, Any]:
    return {
        "id": site_id,
        "name": str(item.get("nom") or "").strip(),
        "street": item.get("adresse"),
        "complement": item.get("complement_adresse"),
        "postcode": item.get("code_postal"),
        "commune": item.get("commune"),
        "insee": item.get("code_insee"),
        "latitude": _text(item.get("latitude")),
        "longitude": _text(item.get("longitude")),
        "opening_hours": item.get("horaires_accueil"),
    }


def _merge_site(site: dict, service: dict) -> None:
    """What a service says of how to reach it belongs to its place (the union of them)."""
    if service.get("lien_mobilisation") and not site.get("appointment"):
        site["appointment"] = service["lien_mobilisation"]
    ways = [ACCESS[m] for m in service.get("modes_mobilisation") or [] if m in ACCESS]
    if "professionnels" in (service.get("mobilisable_par") or []) and "envoyer-un-courriel" in (
        service.get("modes_mobilisation") or []
    ):
        ways = [w for w in ways if w != "contacter-par-mail"]
        ways.append(PRESCRIPTION.split("/", 1)[1])
    if ways:
        site["access"] = list(dict.fromkeys([*site.get("access", []), *ways]))


def _fees(item: dict, labels: dict[str, str]) -> list[str]:
    """The export writes the main fee in ``frais`` and, when there are more or a condition,
    every one in ``frais_precisions`` by label."""
    said = [labels.get(p.strip()) for p in (item.get("frais_precisions") or "").split(",")]
    if said and all(said):
        return said
    return [item["frais"]] if item.get("frais") in ("gratuit", "payant") else []


def _support(item: dict, labels: dict[str, str]) -> list[str]:
    text = item.get("publics_precisions") or ""
    if not text.startswith(SUPPORT_PREFIX):
        return []
    return [
        labels[p.strip()] for p in text[len(SUPPORT_PREFIX) :].split(",") if p.strip() in labels
    ]


def _modalities(modes: list[str]) -> list[str] | None:
    found = []
    for mode in modes:
        found.append("a-distance" if mode == "a-distance" else "accompagnement-individuel")
    return list(dict.fromkeys(found)) or None


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v not in (None, "", [])}


__all__ = [
    "COLUMN_OF",
    "MOBILISATION",
    "PRESCRIPTION",
    "RESEAUX",
    "SUPPORT_PREFIX",
    "json_items",
    "read_data_inclusion",
]
