"""Graph -> ``maillage.db`` with sqlite-utils only: tables, keys, link tables, FTS, one view.

The rows are read back from the validated graph (not from the YAML), so the database says exactly
what the RDF dumps say. Column names and types come from ``graph.model``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlite_utils
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from graph.build import BuiltGraph
from graph.model import CLASSES, ClassModel, Field
from graph.ns import MAI, address_iri

PYTHON_TYPES = {"decimal": float, "boolean": int}

# The flat "who does what, where" view: one row per service, need, public and site.
QUI_FAIT_QUOI_OU = """
SELECT
  actors.id AS actor_id,
  actors.name AS actor,
  services.id AS service_id,
  services.name AS service,
  pole.label AS pole,
  need.label AS need,
  public.label AS public,
  sites.commune AS commune,
  sites.insee AS insee,
  sites.street || ', ' || sites.postcode || ' ' || sites.commune AS address,
  sites.opening_hours AS opening_hours,
  sites.id AS site_id
FROM services
JOIN actors ON actors.id = services.provider
JOIN service_needs ON service_needs.service_id = services.id
JOIN concepts AS need ON need.id = service_needs.concept_id
LEFT JOIN concepts AS pole ON pole.id = need.pole
LEFT JOIN service_publics ON service_publics.service_id = services.id
LEFT JOIN concepts AS public ON public.id = service_publics.concept_id
JOIN service_sites ON service_sites.service_id = services.id
JOIN sites ON sites.id = service_sites.site_id
"""


def link_table(cls: ClassModel, f: Field) -> tuple[str, str, str, str]:
    """(table, own column, other column, other table) of a many-valued field."""
    other = "concepts" if f.kind == "concept" else f"{f.target}s"
    other_column = "concept_id" if f.kind == "concept" else f"{f.target}_id"
    return f"{cls.name}_{f.name}", f"{cls.name}_id", other_column, other


def write_database(built: BuiltGraph, path: Path) -> dict[str, int]:
    """Write a fresh database at ``path``; returns the number of rows per table."""
    db = sqlite_utils.Database(path, recreate=True)
    graph, vocab = built.graph, built.vocab
    concept_rows = [_concept_row(graph, concept, vocab.by_iri) for concept in sorted(vocab.by_iri)]
    db["concepts"].create(
        {
            "id": str,
            "iri": str,
            "scheme": str,
            "notation": str,
            "label": str,
            "broader": str,
            "pole": str,
        },
        pk="id",
    )
    db["concepts"].insert_all(concept_rows)
    counts = {"concepts": len(concept_rows)}
    for cls in CLASSES:
        rows, links = _rows(graph, cls, built)
        columns: dict[str, Any] = {"id": str, "iri": str}
        for f in cls.columns:
            columns[f.name] = PYTHON_TYPES.get(f.kind, str)
        columns.update(_extra_columns(cls))
        db[cls.table].create(columns, pk="id", foreign_keys=_foreign_keys(cls))
        db[cls.table].insert_all(rows)
        counts[cls.table] = len(rows)
        for (table, own, other_col, other), pairs in links.items():
            db[table].create(
                {own: str, other_col: str},
                pk=(own, other_col),
                foreign_keys=[(own, cls.table, "id"), (other_col, other, "id")],
            )
            db[table].insert_all([{own: a, other_col: b} for a, b in sorted(pairs)], ignore=True)
            counts[table] = len(pairs)
    _add_service_facets(db)
    db["concepts"].add_foreign_key("broader", "concepts", "id")
    db["concepts"].add_foreign_key("pole", "concepts", "id")
    for table in ("actors", "services"):
        db[table].enable_fts(
            ["name", "description"], create_triggers=False, tokenize="unicode61 remove_diacritics 2"
        )
    db.create_view("qui_fait_quoi_ou", QUI_FAIT_QUOI_OU, replace=True)
    db.index_foreign_keys()
    db.analyze()
    db.close()
    return counts


def _concept_row(graph: Graph, concept: URIRef, by_iri: dict) -> dict[str, Any]:
    scheme, notation = by_iri[concept]
    broader = graph.value(concept, SKOS.broader)
    pole = graph.value(concept, MAI.pole)
    return {
        "id": f"{scheme}/{notation}",
        "iri": str(concept),
        "scheme": scheme,
        "notation": notation,
        "label": _french(graph, concept, SKOS.prefLabel),
        "broader": _concept_id(broader, by_iri),
        "pole": _concept_id(pole, by_iri),
    }


def _concept_id(concept: Any, by_iri: dict) -> str | None:
    found = by_iri.get(concept)
    return f"{found[0]}/{found[1]}" if found else None


def _french(graph: Graph, subject: URIRef, predicate: URIRef) -> str | None:
    values = list(graph.objects(subject, predicate))
    for value in values:
        if isinstance(value, Literal) and value.language == "fr":
            return str(value)
    return str(values[0]) if values else None


def _foreign_keys(cls: ClassModel) -> list[tuple[str, str, str]]:
    keys = []
    for f in cls.columns:
        if f.kind == "ref":
            keys.append((f.name, f"{f.target}s", "id"))
        elif f.kind == "concept":
            keys.append((f.name, "concepts", "id"))
    return keys


def _extra_columns(cls: ClassModel) -> dict[str, type]:
    # Denormalised JSON arrays of labels, so that Datasette can facet services by need,
    # public and commune (`_facet_array`); the link tables stay the reference.
    if cls.name == "service":
        return {"needs": str, "publics": str, "communes": str}
    return {}


def _rows(
    graph: Graph, cls: ClassModel, built: BuiltGraph
) -> tuple[list[dict[str, Any]], dict[tuple[str, str, str, str], set[tuple[str, str]]]]:
    rows = []
    links: dict[tuple[str, str, str, str], set[tuple[str, str]]] = {}
    for f in cls.fields:
        if f.many and not (cls.name == "actor" and f.name == "sites"):
            links[link_table(cls, f)] = set()
    for subject in sorted(graph.subjects(RDF.type, cls.types[0])):
        own_id = str(graph.value(subject, DCTERMS.identifier))
        row: dict[str, Any] = {"id": own_id, "iri": str(subject)}
        for f in cls.fields:
            node = address_iri(subject) if f.via is not None else subject
            if f.many:
                key = link_table(cls, f)
                if key in links:
                    for value in graph.objects(node, f.predicate):
                        links[key].add((own_id, _cell(graph, f, value, built)))
                continue
            value = graph.value(node, f.predicate)
            row[f.name] = None if value is None else _cell(graph, f, value, built)
        rows.append(row)
    return rows, links


def _cell(graph: Graph, f: Field, value: Any, built: BuiltGraph) -> Any:
    if f.kind == "concept":
        return built.vocab.concept_id(value)
    if f.kind == "ref":
        return str(graph.value(value, DCTERMS.identifier) or str(value).rsplit("/", 1)[-1])
    if isinstance(value, Literal):
        python = value.toPython()
        if f.kind == "boolean":
            return int(bool(python))
        if f.kind == "decimal":
            return float(python)
        return str(value)
    return str(value)


def _add_service_facets(db: sqlite_utils.Database) -> None:
    labels = {row["id"]: row["label"] for row in db["concepts"].rows}
    communes: dict[str, str] = {row["id"]: row["commune"] for row in db["sites"].rows}
    by_service: dict[str, dict[str, set[str]]] = {}
    for table, column, key in (
        ("service_needs", "concept_id", "needs"),
        ("service_publics", "concept_id", "publics"),
        ("service_sites", "site_id", "communes"),
    ):
        for row in db[table].rows:
            value = communes[row[column]] if key == "communes" else labels[row[column]]
            by_service.setdefault(row["service_id"], {}).setdefault(key, set()).add(value)
    for service_id, values in by_service.items():
        db["services"].update(
            service_id,
            {key: json.dumps(sorted(v), ensure_ascii=False) for key, v in values.items()},
        )
