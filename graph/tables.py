"""Flatten the validated graph into table rows, one table per class of ``graph.model``.

The same rows feed SQLite (``publish/sqlite.py``) and the referral analytics
(``graph/network.py``), so the database and the networkx answers speak of the same network.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS
from rdflib.term import Node

from maillage.graph.build import BuiltGraph
from maillage.graph.collation import sort_text
from maillage.graph.hours import with_closures
from maillage.graph.index import Index
from maillage.graph.model import CLASSES, ClassModel, Field
from maillage.graph.ns import MAI, address_iri

Row = dict[str, Any]
Tables = dict[str, list[Row]]


def link_table(cls: ClassModel, f: Field) -> tuple[str, str, str, str]:
    """(table, own column, other column, other table) of a many-valued field."""
    other = "concepts" if f.kind == "concept" else f"{f.target}s"
    other_column = "concept_id" if f.kind == "concept" else f"{f.target}_id"
    return f"{cls.name}_{f.name}", f"{cls.name}_id", other_column, other


def link_fields(cls: ClassModel) -> list[Field]:
    """Many-valued fields stored as link tables (an actor's sites are the sites' actor column)."""
    return [
        f
        for f in cls.fields
        if f.many and f.linked and not (cls.name == "actor" and f.name == "sites")
    ]


def graph_tables(built: BuiltGraph) -> Tables:
    """Every table of the published database, as lists of rows, in a stable order."""
    index, vocab = built.index, built.vocab
    tables: Tables = {
        "concepts": [_concept_row(index, c, vocab.by_iri) for c in sorted(vocab.by_iri)]
    }
    for cls in CLASSES:
        rows, links = _rows(index, cls, built)
        tables[cls.table] = rows
        for (name, own, other_col, _), pairs in links.items():
            tables[name] = [{own: a, other_col: b} for a, b in sorted(pairs)]
    add_service_facets(tables)
    add_hours_in_force(tables)
    add_sort_keys(tables)
    return tables


# The columns that hold a text's French collation key (graph/collation.py), written at build
# time so that any SQLite reader orders by them: table -> {key column: text column}
SORT_KEYS = {
    "actors": {"name_sort": "name"},
    "sites": {"name_sort": "name", "commune_sort": "commune"},
    "services": {"name_sort": "name"},
    "concepts": {"name_sort": "label"},
}


def add_sort_keys(tables: Tables) -> None:
    for table, columns in SORT_KEYS.items():
        for row in tables.get(table, []):
            for key, column in columns.items():
                row[key] = sort_text(row.get(column))


# The sites' hours with their dated closures and exceptional hours folded in (OSM syntax, see
# graph/hours.py): what the site's "open now" reads, in one column
HOURS_IN_FORCE = "hours_in_force"


def add_hours_in_force(tables: Tables) -> None:
    closures: dict[str, list[dict]] = {}
    for row in tables.get("closures", []):
        closures.setdefault(row["site"], []).append(row)
    for row in tables["sites"]:
        row[HOURS_IN_FORCE] = with_closures(row.get("opening_hours"), closures.get(row["id"], []))


# the services' facet columns (lists of labels) and their headings on the site
SERVICE_FACET_LABELS = {
    "needs": "Besoins",
    "publics": "Publics",
    "communes": "Communes",
    "poles": "Pôles",
    "modalities": "Modalités",
    "supports": "Prises en charge spécifiques",
    "programmes": "Programmes nationaux",
}
SERVICE_FACETS = tuple(SERVICE_FACET_LABELS)


def add_service_facets(tables: Tables) -> None:
    """JSON arrays of labels on each service (needs, publics, communes, poles of its needs,
    modalities, specific support, national programmes of its places) for Datasette's array
    facets."""
    labels = {row["id"]: row["label"] for row in tables["concepts"]}
    poles = {row["id"]: labels.get(row["pole"]) for row in tables["concepts"] if row["pole"]}
    communes = {row["id"]: row["commune"] for row in tables["sites"]}
    values: dict[str, dict[str, set[str]]] = {}

    def add(service: str, key: str, value: str | None) -> None:
        if value is not None:
            values.setdefault(service, {}).setdefault(key, set()).add(value)

    for row in tables["service_needs"]:
        add(row["service_id"], "needs", labels.get(row["concept_id"]))
        add(row["service_id"], "poles", poles.get(row["concept_id"]))
    for row in tables["service_publics"]:
        add(row["service_id"], "publics", labels.get(row["concept_id"]))
    for row in tables["service_modalities"]:
        add(row["service_id"], "modalities", labels.get(row["concept_id"]))
    for row in tables.get("service_support", ()):
        add(row["service_id"], "supports", labels.get(row["concept_id"]))
    programmes: dict[str, list[str]] = {}
    for row in tables.get("site_programmes", ()):
        programmes.setdefault(row["site_id"], []).append(row["concept_id"])
    for row in tables["service_sites"]:
        add(row["service_id"], "communes", communes.get(row["site_id"]))
        for concept in programmes.get(row["site_id"], ()):
            add(row["service_id"], "programmes", labels.get(concept))
    array = json_arrays()
    for row in tables["services"]:
        mine = values.get(row["id"], {})
        for key in SERVICE_FACETS:
            row[key] = array(sorted(mine.get(key, ())))


def json_arrays() -> Callable[[Iterable[str]], str]:
    """``json.dumps`` of a list of strings, made once per distinct list: the same few lists
    come back again and again across a national network's rows."""
    made: dict[tuple[str, ...], str] = {}
    encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps makes one per call

    def array(values: Iterable[str]) -> str:
        key = tuple(values)
        text = made.get(key)
        if text is None:
            text = made[key] = encode(list(key))
        return text

    return array


def _concept_row(graph: Index, concept: URIRef, by_iri: dict) -> Row:
    scheme, notation = by_iri[concept]
    return {
        "id": f"{scheme}/{notation}",
        "iri": str(concept),
        "scheme": scheme,
        "notation": notation,
        "label": _french(graph, concept, SKOS.prefLabel),
        "broader": _concept_id(graph.value(concept, SKOS.broader), by_iri),
        "pole": _concept_id(graph.value(concept, MAI.pole), by_iri),
    }


def _concept_id(concept: Any, by_iri: dict) -> str | None:
    found = by_iri.get(concept)
    return f"{found[0]}/{found[1]}" if found else None


def _french(graph: Index, subject: URIRef, predicate: URIRef) -> str | None:
    values = list(graph.objects(subject, predicate))
    for value in values:
        if isinstance(value, Literal) and value.language == "fr":
            return str(value)
    return str(values[0]) if values else None


_IDENTIFIER = DCTERMS.identifier  # rdflib namespaces look names up slowly


def _rows(
    graph: Index, cls: ClassModel, built: BuiltGraph
) -> tuple[list[Row], dict[tuple[str, str, str, str], set[tuple[str, str]]]]:
    """Column by column: one predicate's {subject: objects} is read once for every row."""
    subjects = sorted(graph.backward(RDF.type).get(cls.types[0], []))
    identifiers = graph.forward(_IDENTIFIER)
    ids = [str(_one(identifiers.get(s))) for s in subjects]
    rows: list[Row] = [{"id": i, "iri": str(s)} for i, s in zip(ids, subjects, strict=True)]
    links = {link_table(cls, f): set() for f in link_fields(cls)}
    addresses: list[Node] | None = None
    for f in cls.fields:
        nodes: list[Node] = subjects
        if f.via is not None:
            if addresses is None:
                addresses = [address_iri(s) for s in subjects]
            nodes = addresses
        objects_of = graph.forward(f.predicate)
        cell = _converter(graph, f, built)
        if f.many and not f.linked:  # a list of plain values: a JSON array, sorted
            array = json_arrays()
            for row, node in zip(rows, nodes, strict=True):
                found = objects_of.get(node)
                row[f.name] = array(sorted(str(v) for v in found)) if found else None
            continue
        if f.many:
            pairs = links.get(link_table(cls, f))
            if pairs is not None:
                for own_id, node in zip(ids, nodes, strict=True):
                    for value in objects_of.get(node, ()):
                        pairs.add((own_id, cell(value)))
            continue
        name = f.name
        if f.kind not in _CONVERTED:  # the cell is the value's text: no call per cell
            for row, node in zip(rows, nodes, strict=True):
                found = objects_of.get(node)
                if not found:
                    row[name] = None
                else:
                    row[name] = str(found[0] if len(found) == 1 else min(found))
            continue
        for row, node in zip(rows, nodes, strict=True):
            found = objects_of.get(node)
            row[name] = None if not found else cell(_one(found))
    return rows, links


# the kinds whose cell is not the value's text (_cell)
_CONVERTED = frozenset({"concept", "ref", "boolean", "decimal", "integer"})


def _one(values: list[Node] | None) -> Node | None:
    """The value ``Index.value`` gives: the smallest, so that it is the same every time."""
    if not values:
        return None
    return values[0] if len(values) == 1 else min(values)


_MISSING = object()


def _converter(graph: Index, f: Field, built: BuiltGraph) -> Callable[[Node], Any]:
    """``_cell`` for one field; remembered per value for concepts, references and flags, which
    repeat across the network."""
    if f.kind not in ("concept", "ref", "boolean", "integer"):
        return lambda value: _cell(graph, f, value, built)
    seen: dict[Node, Any] = {}

    def cell(value: Node) -> Any:
        found = seen.get(value, _MISSING)
        if found is _MISSING:
            found = seen[value] = _cell(graph, f, value, built)
        return found

    return cell


def _cell(graph: Index, f: Field, value: Any, built: BuiltGraph) -> Any:
    if f.kind == "concept":
        return built.vocab.concept_id(value)
    if f.kind == "ref":
        return str(graph.value(value, _IDENTIFIER) or str(value).rsplit("/", 1)[-1])
    if isinstance(value, Literal) and f.kind in ("boolean", "decimal", "integer"):
        python = value.toPython()
        if f.kind == "boolean":
            return int(bool(python))
        if f.kind == "decimal":
            return float(python)
        if f.kind == "integer":
            return int(python)
    return str(value)
