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
from collections.abc import Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib.namespace import SKOS

from maillage.graph import legacy
from maillage.graph.errors import DataError
from maillage.graph.ns import MAI
from maillage.graph.vocab import Vocabulary

# Typology codes that were renamed: Pôle emploi became France Travail on 1 January 2024 (the
# data·inclusion typologies in ../shared/standards already say FT). The mapping is ours: the
# standards' files there carry no change log of the codes.
OLD_TYPOLOGIES = {"PE": "FT"}

# The standard's closed lists kept as SKOS schemes (scripts/vocab_from_standards.py)
LISTS = {
    "prise_en_charge_specifique": "supports",
    "dispositif_programmes_nationaux": "programmes",
    "formations_labels": "labels",
    "modalites_acces": "acces",
    "itinerance": "itinerance",
}
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
# The standard's v0.1 layout (Schema_V0.1.json): renamed columns, ";" between values, and
# "publics accueillis" split in v1 into specific publics and specific support.
V0_COLUMNS = {
    "courriel": "courriels",
    "publics_accueillis": "publics_specifiquement_adresses",
    "conditions_acces": "frais_a_charge",
    "labels_autres": "autres_formations_labels",
    "accessibilite": "fiche_acces_libre",
}
V0_DROPPED = {"cle_ban"}
# v0.1's "labels nationaux" held the national programmes (and the Pass numérique's APTIC)
V0_RENAMED_LATER = {"labels_nationaux": "dispositif_programmes_nationaux"}
# v0.1 values with no v1 equivalent: dropped, and reported
V0_WITHOUT_EQUIVALENT = {
    "Accepte le Pass numérique : Il est possible d'utiliser un Pass numérique pour accéder au lieu",
}
PUBLICS = {
    "Seniors (+ 65 ans)": "Seniors",
    "Familles/enfants": "Familles et/ou enfants",
    "Jeunes (16-26 ans)": "Jeunes",
    "Uniquement femmes": "Femmes",
}
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
    ("actor", "summary"): "presentation_resume",
    ("actor", "other_typologies"): "typologie",
    ("actor", "other_emails"): "courriels",
    ("actor", "other_urls"): "site_web",
    ("site", "complement"): "complement_adresse",
    ("site", "parent"): "structure_parente",
    ("site", "itinerance"): "itinerance",
    ("site", "access"): "modalites_acces",
    ("site", "programmes"): "dispositif_programmes_nationaux",
    ("site", "labels"): "formations_labels",
    ("site", "other_labels"): "autres_formations_labels",
    ("site", "accessibility"): "fiche_acces_libre",
    ("site", "appointment"): "prise_rdv",
    ("service", "support"): "prise_en_charge_specifique",
    ("service", "other_fees"): "frais_a_charge",
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
    ("site", "verified"): "date_maj",
    ("site", "verified_by"): "source",
    ("service", "name"): "services",
}


@dataclass
class Imported:
    """Actors (as the YAML mappings to write) and where each record came from in the CSV."""

    actors: dict[str, dict[str, Any]] = field(default_factory=dict)
    lines: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, id) -> CSV line
    files: dict[tuple[str, str], str] = field(default_factory=dict)  # when not the one file
    communes: dict[str, str] = field(default_factory=dict)
    errors: list[DataError] = field(default_factory=list)
    rows: int = 0
    fixes: Counter = field(default_factory=Counter)  # corrections applied, in French
    separator: str = "|"


def slug(text: str) -> str:
    """``"Médiathèque Louis Aragon"`` -> ``"mediatheque-louis-aragon"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "sans-nom"


def free_id(base: str, taken: Container[str]) -> str:
    """``base``, or ``base-2``, ``base-3``… the first not taken."""
    found, n = base, 2
    while found in taken:
        found, n = f"{base}-{n}", n + 1
    return found


class _Labels:
    """Label of the standard -> concept notation, for one scheme."""

    def __init__(self, vocab: Vocabulary, scheme: str, top_only: bool = False):
        graph = vocab.graph
        self.codes: dict[str, str] = {}
        self.preferred: dict[str, str] = {}
        self.older: set[str] = set()  # labels that are not the current one (skos:altLabel)
        for notation, concept in vocab.notations.get(scheme, {}).items():
            self.preferred[notation] = str(graph.value(concept, SKOS.prefLabel))
            if not (top_only and graph.value(concept, SKOS.broader) is not None):
                for label in graph.objects(concept, SKOS.prefLabel):
                    self.codes[str(label)] = notation
            for label in graph.objects(concept, SKOS.altLabel):
                self.codes.setdefault(str(label), notation)
                self.older.add(str(label))

    def code(self, label: str) -> str | None:
        return self.codes.get(label)

    def hint(self, label: str) -> str | None:
        """A "did you mean" among the current labels (never an outdated one)."""
        current = [c for c in self.codes if c not in self.older]
        close = difflib.get_close_matches(label, current, n=2, cutoff=0.6)
        if not close:
            return None
        return "vouliez-vous dire : " + " ou ".join(f"« {c} »" for c in close) + " ?"


MAX_FIELD_BYTES = 128 * 1024  # the longest value of the standard, a presentation, is a few kB


def read_lieux_csv(
    text: str, display: str, vocab: Vocabulary, communes: set[str] | None = None
) -> Imported:
    """Parse a CSV in the standard into actors; every problem is located (line, column)."""
    previous = csv.field_size_limit(MAX_FIELD_BYTES)  # a process-wide setting: ours, then back
    try:
        return _read_lieux_csv(text, display, vocab, communes)
    finally:
        csv.field_size_limit(previous)


def _read_lieux_csv(
    text: str, display: str, vocab: Vocabulary, communes: set[str] | None
) -> Imported:
    result = Imported()
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    columns = list(header)  # as the file names them (a v0.1 file's are renamed below)
    legacy = bool(set(header) & (set(V0_COLUMNS) | V0_DROPPED))
    if legacy:
        result.separator = ";"
        result.fixes["fichier au format v0.1 du standard : valeurs séparées par « ; »"] += 1
        for old, new in V0_COLUMNS.items():
            if old in header:
                result.fixes[f"v0.1 : colonne « {old} » lue comme « {new} »"] += 1
        for old in V0_DROPPED:
            if old in header:
                result.fixes[f"v0.1 : colonne « {old} » ignorée (maillage ne la reprend pas)"] += 1
        for old, new in V0_RENAMED_LATER.items():
            if old in header:
                result.fixes[f"v0.1 : colonne « {old} » lue comme « {new} »"] += 1
        header = [_v1_name(c) for c in header if c not in V0_DROPPED]
        reader = _renamed(reader)
    if len(header) == 1 and ";" in header[0]:
        result.errors.append(
            DataError(
                file=display,
                line=1,
                message="les colonnes sont séparées par « ; » : le standard v1 "
                "sépare les colonnes par des virgules",
            )
        )
        return result
    for column in header:
        if column not in COLUMNS:
            close = difflib.get_close_matches(column, COLUMNS, n=1, cutoff=0.6)
            result.errors.append(
                DataError(
                    file=display,
                    line=1,
                    field=column,
                    message="colonne inconnue du standard v1.0.2",
                    hint=f"vouliez-vous dire : {close[0]} ?" if close else None,
                )
            )
    for column in REQUIRED:
        if column not in header:
            result.errors.append(
                DataError(file=display, line=1, field=column, message="colonne obligatoire absente")
            )
    if any(column not in header for column in REQUIRED):
        return result
    needs = _Labels(vocab, "needs", top_only=True)
    fees = _Labels(vocab, "fees")
    modalities = _Labels(vocab, "modalities")
    lists = {column: _Labels(vocab, scheme) for column, scheme in LISTS.items()}
    poles = {
        n: str(vocab.graph.value(c, MAI.pole)).rsplit("/", 1)[-1]
        for n, c in vocab.notations.get("needs", {}).items()
    }
    typologies = set(vocab.notations.get("typologies", {}))
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:  # a field past the csv module's limit, a stray quote...
            line, column = reader.line_num + 1, None  # the line being read
            if "field larger than field limit" in str(exc):
                line, column = _oversized(text, columns)
            problem = _csv_problem(exc)
            result.errors.append(DataError(file=display, line=line, field=column, message=problem))
            return result
        line = reader.line_num
        if None in row or None in row.values():  # too many fields, or too few
            given = sum(v is not None for k, v in row.items() if k is not None)
            given += len(row.get(None) or [])
            result.errors.append(
                DataError(
                    file=display,
                    line=line,
                    message=f"ligne de {given} colonnes au lieu de {len(header)} : une virgule "
                    "manque ou est en trop (mettez entre guillemets une valeur qui en contient)",
                )
            )
            continue
        if communes and row.get("code_insee") not in communes:
            continue
        result.rows += 1
        _row(result, row, line, display, needs, fees, modalities, poles, typologies, lists)
    if result.rows == 0 and not result.errors:
        result.errors.append(DataError(file=display, message="aucune ligne utilisable"))
    return result


def _oversized(text: str, header: list[str]) -> tuple[int, str | None]:
    """The line and column of the first value past :data:`MAX_FIELD_BYTES` (the csv module
    says neither), read again without the limit once the file is refused anyway."""
    previous = csv.field_size_limit(len(text) + 1)
    try:
        reader = csv.reader(io.StringIO(text))
        start = 1
        for row in reader:
            for index, value in enumerate(row):
                if len(value) > MAX_FIELD_BYTES:
                    column = header[index] if start > 1 and index < len(header) else None
                    return start, column or f"colonne {index + 1}"
            start = reader.line_num + 1
    finally:
        csv.field_size_limit(previous)
    return start, None


def _csv_problem(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"valeur trop longue (plus de {MAX_FIELD_BYTES // 1024} Kio)"
    return f"CSV mal formé : {exc}"


class _renamed:
    """A DictReader over a v0.1 file whose rows carry the v1 column names."""

    def __init__(self, reader: csv.DictReader):
        self.reader = reader

    @property
    def line_num(self) -> int:
        return self.reader.line_num

    def __iter__(self):
        for row in self.reader:
            yield {_v1_name(k): v for k, v in row.items() if k not in V0_DROPPED}


def _v1_name(column: str) -> str:
    return V0_COLUMNS.get(column) or V0_RENAMED_LATER.get(column) or column


def _values(
    result: Imported, row: dict, column: str, line: int, display: str, record: str
) -> list[str]:
    raw = (row.get(column) or "").strip()
    if not raw:
        return []
    if result.separator == ";":  # the v0.1 layout
        return [v.strip() for v in raw.split(";") if v.strip()]
    if ";" in raw and "|" not in raw:
        message = "valeurs séparées par « ; » : le standard les sépare par « | »"
        at = _at(display, line, record, column)
        result.errors.append(DataError(**at, message=message, value=raw))
        return []
    return [v.strip() for v in raw.split("|") if v.strip()]


def _at(display: str, line: int, record: str, column: str) -> dict[str, Any]:
    """Where a cell is, as DataError's fields."""
    return {"file": display, "line": line, "record": record, "field": column}


def _codes(result, row, column, line, display, record, labels: _Labels) -> list[str]:
    codes = []
    for value in _values(result, row, column, line, display, record):
        if result.separator == ";" and value in V0_WITHOUT_EQUIVALENT:
            result.fixes[f"ancienne valeur « {value} » ignorée (sans équivalent v1)"] += 1
            continue
        code = labels.code(value)
        if code is not None and value in labels.older:
            result.fixes[f"ancienne valeur « {value} » lue comme « {labels.preferred[code]} »"] += 1
        if code is None:
            result.errors.append(
                DataError(
                    **_at(display, line, record, column),
                    message=f"valeur inconnue du standard : « {value} »",
                    hint=labels.hint(value),
                    value=value,
                )
            )
        else:
            codes.append(code)
    return codes


def _row(result, row, line, display, needs, fees, modalities, poles, typologies, lists) -> None:
    site_id = slug(row["id"])
    record = f"site {site_id}"
    pivot = (row.get("pivot") or "").strip()
    actor_id = None
    if pivot not in UNKNOWN_PIVOTS:  # one actor per known pivot
        actor_id = next((a for a, v in result.actors.items() if v["_pivot"] == pivot), None)
    if actor_id is None:
        actor_id = free_id(slug(row["nom"]), result.actors)
    need_codes = _codes(result, row, "services", line, display, record, needs)

    def unknown(column: str, message: str, hint: str | None, value: str) -> None:
        at = _at(display, line, record, column)
        result.errors.append(DataError(**at, message=message, hint=hint, value=value))

    typology = []
    for code in _values(result, row, "typologie", line, display, record):
        current = OLD_TYPOLOGIES.get(code, code)
        if current != code:
            result.fixes[f"typologie « {code} » lue comme « {current} »"] += 1
        typology.append(current)
    for code in typology:
        if code not in typologies:
            close = difflib.get_close_matches(code, sorted(typologies), n=2, cutoff=0.6)
            hint = "vouliez-vous dire : " + ", ".join(close) + " ?" if close else None
            unknown("typologie", f"typologie inconnue : « {code} »", hint, code)
    publics, v0_supports = [], []
    for value in _values(result, row, "publics_specifiquement_adresses", line, display, record):
        if result.separator == ";":  # v0.1 "publics accueillis" (graph/legacy.py)
            if value in legacy.SUPPORTS:
                support = legacy.SUPPORTS[value].value
                result.fixes[
                    f"ancien public « {value} » lu comme prise en charge spécifique « {support} »"
                ] += 1
                v0_supports.append(lists["prise_en_charge_specifique"].code(support))
                continue
            if value in legacy.PUBLICS:
                new = legacy.PUBLICS[value].value
                result.fixes[f"ancien public « {value} » lu comme « {new} »"] += 1
                value = new
            else:
                result.fixes[f"ancien public « {value} » ignoré (pas de public v1 équivalent)"] += 1
                continue
        if value in PUBLICS:
            publics.append(PUBLICS[value])
        else:
            close = difflib.get_close_matches(value, list(PUBLICS), n=1, cutoff=0.6)
            hint = f"vouliez-vous dire : « {close[0]} » ?" if close else None
            message = f"valeur inconnue du standard : « {value} »"
            unknown("publics_specifiquement_adresses", message, hint, value)
    fee = _codes(result, row, "frais_a_charge", line, display, record, fees)
    modes = _codes(result, row, "modalites_accompagnement", line, display, record, modalities)
    if result.separator == ";":  # v0.1 "labels nationaux": programmes, labels or free labels
        row = _v0_national_labels(result, row, line, display, record)
    listed = {
        column: _codes(result, row, column, line, display, record, labels)
        for column, labels in lists.items()
    }
    support = _ordered_union(v0_supports, listed["prise_en_charge_specifique"])
    if not need_codes and not (row.get("services") or "").strip():
        result.errors.append(
            DataError(
                file=display,
                line=line,
                record=record,
                field="services",
                message="aucun service : un lieu importé doit offrir au moins un "
                "des 9 services du standard",
            )
        )
    actor = result.actors.setdefault(
        actor_id,
        {
            "_pivot": pivot,
            "name": row["nom"].strip(),
            "description": (row.get("presentation_detail") or "").strip() or None,
            "summary": (row.get("presentation_resume") or "").strip() or None,
            "typology": typology[0] if typology else "Autre",
            "other_typologies": typology[1:] or None,
            "pole": None,
            "siret": pivot
            if re.fullmatch(r"\d{14}", pivot) and pivot not in UNKNOWN_PIVOTS
            else None,
            "url": _first(row.get("site_web")),
            "other_urls": _split(row.get("site_web"))[1:] or None,
            "email": _first(row.get("courriels")),
            "other_emails": _split(row.get("courriels"))[1:] or None,
            "telephone": (row.get("telephone") or "").strip() or None,
            "source": _provenance(row),
            "sites": [],
            "services": [],
            "_needs": Counter(),
        },
    )
    result.lines.setdefault(("actor", actor_id), line)
    street = row["adresse"].strip()
    postcode, insee = _leading_zeros(result, row["code_postal"], row.get("code_insee"))
    site = {
        "id": site_id,
        "name": row["nom"].strip(),
        "street": street,
        "postcode": postcode,
        "commune": row["commune"].strip(),
        "insee": insee or None,
        "complement": (row.get("complement_adresse") or "").strip() or None,
        "latitude": (row.get("latitude") or "").strip() or None,
        "longitude": (row.get("longitude") or "").strip() or None,
        "opening_hours": (row.get("horaires") or "").strip() or None,
        # the producer's date of the place's information: when it was last checked
        "verified": (row.get("date_maj") or "").strip() or None,
        "verified_by": (row.get("source") or "").strip() or None,
        "parent": (row.get("structure_parente") or "").strip() or None,
        "accessibility": (row.get("fiche_acces_libre") or "").strip() or None,
        "appointment": (row.get("prise_rdv") or "").strip() or None,
        "itinerance": listed["itinerance"] or None,
        "access": listed["modalites_acces"] or None,
        "programmes": listed["dispositif_programmes_nationaux"] or None,
        "labels": listed["formations_labels"] or None,
        "other_labels": _values(result, row, "autres_formations_labels", line, display, record)
        or None,
    }
    actor["sites"].append({k: v for k, v in site.items() if v is not None})
    result.lines[("site", site_id)] = line
    if site["insee"]:
        result.communes.setdefault(site["insee"], site["commune"])
    for code in need_codes:
        service_id = f"{site_id}-{code}"
        if any(s["id"] == service_id for s in actor["services"]):
            # old services condensed into one need: one service per place and need (a row's
            # details are the place's, so the union of theirs is the one already there)
            result.fixes["v0.1 : services condensés dans un même besoin, fusionnés par lieu"] += 1
            continue
        actor["_needs"][code] += 1
        service = {
            "id": service_id,
            "name": needs_label(needs, code),
            "sites": [site_id],
            "needs": [code],
            "publics": publics or ["tous-publics"],
            "modalities": modes or None,
            "fee": fee[0] if fee else None,
            "other_fees": fee[1:] or None,
            "support": support or None,
            "modified": (row.get("date_maj") or "").strip() or None,
        }
        actor["services"].append({k: v for k, v in service.items() if v is not None})
        result.lines[("service", service_id)] = line
    if actor["_needs"]:
        actor["pole"] = poles.get(actor["_needs"].most_common(1)[0][0])


def _v0_national_labels(result, row: dict, line: int, display: str, record: str) -> dict:
    """A v0.1 row's national labels moved to their v1 columns (graph/legacy.py); an unknown
    one stays where it was, for the reader's own "valeur inconnue" error."""
    columns: dict[str, list[str]] = {
        column: _split_v0(row.get(column)) for column in (legacy.LABELS, legacy.FREE_LABELS)
    }
    kept = []
    for value in _values(result, row, legacy.PROGRAMMES, line, display, record):
        equivalent = legacy.NATIONAL_LABELS.get(value)
        if equivalent is None or equivalent.column == legacy.PROGRAMMES:
            kept.append(equivalent.value if equivalent else value)
            if equivalent and equivalent.value != value:
                result.fixes[
                    f"ancien label national « {value} » lu comme « {equivalent.value} »"
                ] += 1
            continue
        columns[equivalent.column].append(equivalent.value)
        where = "label" if equivalent.column == legacy.LABELS else "label libre"
        result.fixes[
            f"ancien label national « {value} » gardé comme {where} « {equivalent.value} »"
        ] += 1
    return {**row, legacy.PROGRAMMES: ";".join(kept)} | {
        column: ";".join(dict.fromkeys(values)) for column, values in columns.items()
    }


def _split_v0(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(";") if v.strip()]


def _leading_zeros(result: Imported, postcode: str, insee: str | None) -> tuple[str, str]:
    """Codes a spreadsheet read as numbers (``1000`` for ``01000``, ``1053`` for ``01053``)
    get their zero back, when the two then agree on the department (a 4-digit postcode beside
    the INSEE code of another department is a typing mistake, reported by validation)."""
    postcode, insee = postcode.strip(), (insee or "").strip()
    padded_insee = "0" + insee if re.fullmatch(r"\d{4}", insee) else insee
    if re.fullmatch(r"\d{4}", postcode) and padded_insee.startswith("0" + postcode[0]):
        result.fixes["code_postal à 4 chiffres (zéro initial perdu par un tableur) complété"] += 1
        postcode = "0" + postcode
    if padded_insee != insee and postcode[:2] == padded_insee[:2]:
        result.fixes["code_insee à 4 chiffres (zéro initial perdu par un tableur) complété"] += 1
        insee = padded_insee
    return postcode, insee


def needs_label(labels: _Labels, code: str) -> str:
    return labels.preferred[code]


def _provenance(row: dict) -> str:
    source = (row.get("source") or "").strip()
    return (
        f"lieux de médiation numérique, source « {source} », id {row['id']}, "
        f"mis à jour le {row.get('date_maj', '')}"
    )


def _split(value: str | None) -> list[str]:
    """The addresses of a ``courriels`` or ``site_web`` cell ("|" in v1; "," or ";" in older
    files)."""
    return [v.strip() for v in re.split(r"[|,;]", value or "") if v.strip()]


def _first(value: str | None) -> str | None:
    parts = _split(value)
    return parts[0] if parts else None


def _ordered_union(*lists: list[str]) -> list[str]:
    return list(dict.fromkeys(code for codes in lists for code in codes))


def actor_documents(result: Imported) -> dict[str, dict[str, Any]]:
    """The YAML mappings to write, one per actor, without the importer's bookkeeping."""
    documents = {}
    for actor_id, actor in result.actors.items():
        documents[actor_id] = {
            k: v for k, v in actor.items() if not k.startswith("_") and v not in (None, [])
        }
    return documents


def locate(
    error: DataError,
    result: Imported,
    display: str,
    columns: dict[tuple[str, str], str] | None = None,
) -> DataError:
    """Turn an error found in the written YAML back into a line and column (a field of
    ``columns``, the CSV's by default) of the imported file."""
    if not error.record or " " not in error.record:
        return error
    kind, record_id = error.record.split(" ", 1)
    line = result.lines.get((kind, record_id))
    if line is None:
        return error
    column = (columns or COLUMN_OF).get((kind, error.field or ""), error.field)
    return DataError(
        file=result.files.get((kind, record_id), display),
        line=line,
        record=error.record,
        field=column,
        message=error.message,
        hint=error.hint,
        value=error.value,
    )


__all__ = ["Imported", "actor_documents", "free_id", "locate", "read_lieux_csv", "slug", "Path"]
