"""The national *lieux de médiation numérique* CSV (v1.0.2) -> maillage source records.

One actor per ``pivot`` (SIRET or RNA; rows without a known pivot are actors of their own), one
site per row, one service per offered need. Labels of the standard become concept codes through
the SKOS schemes; a near-miss label gets a "did you mean". Every record remembers its CSV line,
and every field its column, so that any later error (SHACL included) points into the CSV.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib.namespace import SKOS

from graph.errors import DataError
from graph.ns import MAI
from graph.vocab import Vocabulary

REQUIRED = ("id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj")
COLUMNS = (
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "typologie",
    "telephone",
    "courriels",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "itinerance",
    "structure_parente",
    "date_maj",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "fiche_acces_libre",
    "prise_rdv",
)
PUBLICS = {
    "Jeunes": "jeunes",
    "Étudiants": "etudiants",
    "Familles et/ou enfants": "familles",
    "Seniors": "seniors",
    "Femmes": "femmes",
}
UNKNOWN_PIVOTS = {"", "00000000000000", "000000000"}
# (record kind, field) -> the CSV column it comes from
COLUMN_OF = {
    ("actor", "name"): "nom",
    ("actor", "typology"): "typologie",
    ("actor", "telephone"): "telephone",
    ("actor", "email"): "courriels",
    ("actor", "url"): "site_web",
    ("actor", "siret"): "pivot",
    ("actor", "description"): "presentation_detail",
    ("actor", "pole"): "services",
    ("site", "name"): "nom",
    ("site", "street"): "adresse",
    ("site", "postcode"): "code_postal",
    ("site", "commune"): "commune",
    ("site", "insee"): "code_insee",
    ("site", "latitude"): "latitude",
    ("site", "longitude"): "longitude",
    ("site", "opening_hours"): "horaires",
    ("site", "id"): "id",
    ("service", "needs"): "services",
    ("service", "publics"): "publics_specifiquement_adresses",
    ("service", "fee"): "frais_a_charge",
    ("service", "modalities"): "modalites_accompagnement",
    ("service", "modified"): "date_maj",
    ("service", "name"): "services",
}


@dataclass
class Imported:
    """Actors (as the YAML mappings to write) and where each record came from in the CSV."""

    actors: dict[str, dict[str, Any]] = field(default_factory=dict)
    lines: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, id) -> CSV line
    communes: dict[str, str] = field(default_factory=dict)
    errors: list[DataError] = field(default_factory=list)
    rows: int = 0


def slug(text: str) -> str:
    """``"Médiathèque Louis Aragon"`` -> ``"mediatheque-louis-aragon"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "sans-nom"


class _Labels:
    """Label of the standard -> concept notation, for one scheme."""

    def __init__(self, vocab: Vocabulary, scheme: str, top_only: bool = False):
        graph = vocab.graph
        self.codes: dict[str, str] = {}
        for notation, concept in vocab.notations.get(scheme, {}).items():
            if top_only and graph.value(concept, SKOS.broader) is not None:
                continue
            for label in graph.objects(concept, SKOS.prefLabel):
                self.codes[str(label)] = notation
            for label in graph.objects(concept, SKOS.altLabel):
                self.codes.setdefault(str(label), notation)

    def code(self, label: str) -> str | None:
        return self.codes.get(label)

    def hint(self, label: str) -> str | None:
        close = difflib.get_close_matches(label, list(self.codes), n=2, cutoff=0.6)
        return (
            "vouliez-vous dire : " + " ou ".join(f"« {c} »" for c in close) + " ?"
            if close
            else None
        )


def read_lieux_csv(
    text: str, display: str, vocab: Vocabulary, communes: set[str] | None = None
) -> Imported:
    """Parse a CSV in the standard into actors; every problem is located (line, column)."""
    result = Imported()
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if len(header) == 1 and ";" in header[0]:
        result.errors.append(
            DataError(
                display,
                1,
                None,
                None,
                "les colonnes sont séparées par « ; » : le standard v1 "
                "sépare les colonnes par des virgules",
            )
        )
        return result
    for column in header:
        if column not in COLUMNS:
            close = difflib.get_close_matches(column, COLUMNS, n=1, cutoff=0.6)
            result.errors.append(
                DataError(
                    display,
                    1,
                    None,
                    column,
                    "colonne inconnue du standard v1.0.2",
                    f"vouliez-vous dire : {close[0]} ?" if close else None,
                )
            )
    for column in REQUIRED:
        if column not in header:
            result.errors.append(DataError(display, 1, None, column, "colonne obligatoire absente"))
    if any(column not in header for column in REQUIRED):
        return result
    needs = _Labels(vocab, "needs", top_only=True)
    fees = _Labels(vocab, "fees")
    modalities = _Labels(vocab, "modalities")
    poles = {
        n: str(vocab.graph.value(c, MAI.pole)).rsplit("/", 1)[-1]
        for n, c in vocab.notations.get("needs", {}).items()
    }
    typologies = set(vocab.notations.get("typologies", {}))
    for row in reader:
        line = reader.line_num
        if communes and row.get("code_insee") not in communes:
            continue
        result.rows += 1
        _row(result, row, line, display, needs, fees, modalities, poles, typologies)
    if result.rows == 0 and not result.errors:
        result.errors.append(DataError(display, None, None, None, "aucune ligne utilisable"))
    return result


def _values(
    result: Imported, row: dict, column: str, line: int, display: str, record: str
) -> list[str]:
    raw = (row.get(column) or "").strip()
    if not raw:
        return []
    if ";" in raw and "|" not in raw:
        result.errors.append(
            DataError(
                display,
                line,
                record,
                column,
                "valeurs séparées par « ; » : le standard les sépare par « | »",
                value=raw,
            )
        )
        return []
    return [v.strip() for v in raw.split("|") if v.strip()]


def _codes(result, row, column, line, display, record, labels: _Labels) -> list[str]:
    codes = []
    for value in _values(result, row, column, line, display, record):
        code = labels.code(value)
        if code is None:
            result.errors.append(
                DataError(
                    display,
                    line,
                    record,
                    column,
                    f"valeur inconnue du standard : « {value} »",
                    labels.hint(value),
                    value=value,
                )
            )
        else:
            codes.append(code)
    return codes


def _row(result, row, line, display, needs, fees, modalities, poles, typologies) -> None:
    site_id = slug(row["id"])
    record = f"site {site_id}"
    pivot = (row.get("pivot") or "").strip()
    actor_id = None
    if pivot not in UNKNOWN_PIVOTS:  # one actor per known pivot
        actor_id = next((a for a, v in result.actors.items() if v["_pivot"] == pivot), None)
    if actor_id is None:
        base = slug(row["nom"])
        actor_id, n = base, 2
        while actor_id in result.actors:
            actor_id, n = f"{base}-{n}", n + 1
    need_codes = _codes(result, row, "services", line, display, record, needs)
    typology = [t for t in _values(result, row, "typologie", line, display, record)]
    for code in typology:
        if code not in typologies:
            close = difflib.get_close_matches(code, sorted(typologies), n=2, cutoff=0.6)
            result.errors.append(
                DataError(
                    display,
                    line,
                    record,
                    "typologie",
                    f"typologie inconnue : « {code} »",
                    "vouliez-vous dire : " + ", ".join(close) + " ?" if close else None,
                    value=code,
                )
            )
    publics = []
    for value in _values(result, row, "publics_specifiquement_adresses", line, display, record):
        if value in PUBLICS:
            publics.append(PUBLICS[value])
        else:
            close = difflib.get_close_matches(value, list(PUBLICS), n=1, cutoff=0.6)
            result.errors.append(
                DataError(
                    display,
                    line,
                    record,
                    "publics_specifiquement_adresses",
                    f"valeur inconnue du standard : « {value} »",
                    f"vouliez-vous dire : « {close[0]} » ?" if close else None,
                    value=value,
                )
            )
    fee = _codes(result, row, "frais_a_charge", line, display, record, fees)
    modes = _codes(result, row, "modalites_accompagnement", line, display, record, modalities)
    if not need_codes and not (row.get("services") or "").strip():
        result.errors.append(
            DataError(
                display,
                line,
                record,
                "services",
                "aucun service : un lieu importé doit offrir au moins un "
                "des 9 services du standard",
            )
        )
    actor = result.actors.setdefault(
        actor_id,
        {
            "_pivot": pivot,
            "name": row["nom"].strip(),
            "description": (
                row.get("presentation_detail") or row.get("presentation_resume") or ""
            ).strip()
            or None,
            "typology": typology[0] if typology else "Autre",
            "pole": None,
            "siret": pivot
            if re.fullmatch(r"\d{14}", pivot) and pivot not in UNKNOWN_PIVOTS
            else None,
            "url": _first(row.get("site_web")),
            "email": _first(row.get("courriels")),
            "telephone": (row.get("telephone") or "").strip() or None,
            "source": _provenance(row),
            "sites": [],
            "services": [],
            "_needs": Counter(),
        },
    )
    result.lines.setdefault(("actor", actor_id), line)
    street = row["adresse"].strip()
    if (row.get("complement_adresse") or "").strip():
        street += ", " + row["complement_adresse"].strip()
    site = {
        "id": site_id,
        "name": row["nom"].strip(),
        "street": street,
        "postcode": row["code_postal"].strip(),
        "commune": row["commune"].strip(),
        "insee": (row.get("code_insee") or "").strip() or None,
        "latitude": (row.get("latitude") or "").strip() or None,
        "longitude": (row.get("longitude") or "").strip() or None,
        "opening_hours": (row.get("horaires") or "").strip() or None,
    }
    actor["sites"].append({k: v for k, v in site.items() if v is not None})
    result.lines[("site", site_id)] = line
    if site["insee"]:
        result.communes.setdefault(site["insee"], site["commune"])
    for code in need_codes:
        service_id = f"{site_id}-{code}"
        actor["_needs"][code] += 1
        service = {
            "id": service_id,
            "name": needs_label(needs, code),
            "sites": [site_id],
            "needs": [code],
            "publics": publics or ["tous-publics"],
            "modalities": modes or None,
            "fee": fee[0] if fee else None,
            "modified": (row.get("date_maj") or "").strip() or None,
        }
        actor["services"].append({k: v for k, v in service.items() if v is not None})
        result.lines[("service", service_id)] = line
    if actor["_needs"]:
        actor["pole"] = poles.get(actor["_needs"].most_common(1)[0][0])


def needs_label(labels: _Labels, code: str) -> str:
    return next(label for label, c in labels.codes.items() if c == code)


def _provenance(row: dict) -> str:
    source = (row.get("source") or "").strip()
    return (
        f"lieux de médiation numérique, source « {source} », id {row['id']}, "
        f"mis à jour le {row.get('date_maj', '')}"
    )


def _first(value: str | None) -> str | None:
    parts = [v.strip() for v in (value or "").split("|") if v.strip()]
    return parts[0] if parts else None


def actor_documents(result: Imported) -> dict[str, dict[str, Any]]:
    """The YAML mappings to write, one per actor, without the importer's bookkeeping."""
    documents = {}
    for actor_id, actor in result.actors.items():
        documents[actor_id] = {
            k: v for k, v in actor.items() if not k.startswith("_") and v not in (None, [])
        }
    return documents


def locate(error: DataError, result: Imported, display: str) -> DataError:
    """Turn an error found in the written YAML back into a CSV line and column."""
    if not error.record or " " not in error.record:
        return error
    kind, record_id = error.record.split(" ", 1)
    line = result.lines.get((kind, record_id))
    if line is None:
        return error
    column = COLUMN_OF.get((kind, error.field or ""), error.field)
    return DataError(
        display, line, error.record, column, error.message, error.hint, value=error.value
    )


__all__ = ["Imported", "actor_documents", "locate", "read_lieux_csv", "slug", "Path"]
