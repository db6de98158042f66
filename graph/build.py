"""Records -> the graph's triples: deterministic, no blank nodes, every IRI minted by ``graph.ns``.

The triples go into an :class:`~graph.index.Index` (predicate -> subject -> objects), not an
rdflib store: a national network is millions of triples, which rdflib's store takes minutes
and gigabytes to hold. ``BuiltGraph.graph`` gives the same triples as an rdflib ``Graph`` on
demand.

The builder keeps, for every subject it creates, the record it came from (file, line, fields):
SHACL reports a focus node and a path, and this turns them back into a place in a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, SDO, SKOS, XSD
from rdflib.term import Node

from maillage.graph.index import Index, Triple
from maillage.graph.levels import derived_levels, modality_levels
from maillage.graph.load import Network, Record
from maillage.graph.model import BY_NAME, Field
from maillage.graph.ns import MAI, address_iri, iri
from maillage.graph.progress import NO_PROGRESS, Progress, tracked
from maillage.graph.vocab import Vocabulary


@dataclass
class BuiltGraph:
    """The network's graph (vocabularies included) and where each subject came from.

    The graph is complete when ``build_graph`` returns; it is read, never changed, after that.
    """

    index: Index
    network: Network
    vocab: Vocabulary
    origin: dict[URIRef, Record] = field(default_factory=dict)
    network_iri: URIRef | None = None

    @property
    def graph(self) -> Graph:
        """The triples as an rdflib ``Graph`` (made on first use: keep it for small networks)."""
        return self.index.graph

    def record_of(self, subject: URIRef) -> Record | None:
        return self.origin.get(subject)


def term(f: Field, value: Any, base: str, vocab: Vocabulary) -> URIRef | Literal:
    """The RDF object for one field value.

    A value that does not fit the datatype is kept as an ill-typed literal: SHACL then reports
    it with its position, instead of the builder failing on the first one.
    """
    if f.kind == "concept":
        return vocab.resolve(f.scheme or "", str(value))
    if f.kind == "ref":
        return iri(base, f.target or "", str(value))
    if f.kind == "langtext":
        return Literal(str(value), lang="fr")
    if f.kind == "boolean" and isinstance(value, bool):
        return Literal(value)
    if f.kind == "date" and isinstance(value, date):
        return Literal(value)
    if f.datatype is not None and not _lexical_ok(f.kind, str(value)):
        # Not a value of the datatype: kept as plain text, so that SHACL's datatype check
        # reports it as written (rdflib would log a conversion error for an ill-typed literal).
        return Literal(str(value))
    text = str(value)
    if f.kind == "decimal" and "." not in text:
        text += ".0"  # the canonical form, which is what every serialiser writes back
    return Literal(text, datatype=f.datatype)


def _lexical_ok(kind: str, text: str) -> bool:
    if kind == "integer":
        return re.fullmatch(r"[+-]?\d+", text) is not None
    if kind == "decimal":
        return re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text) is not None
    if kind == "boolean":
        return text in ("true", "false", "1", "0")
    if kind == "date":
        try:
            date.fromisoformat(text)
        except ValueError:
            return False
        return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None
    return True


def build_graph(
    network: Network, vocab: Vocabulary, progress: Progress = NO_PROGRESS
) -> BuiltGraph:
    """Build the whole graph of a network; same input, same triples."""
    index = Index(vocab.graph)
    built = BuiltGraph(index, network, vocab)
    built.network_iri = _add_network(index, network)
    add = _RecordWriter(built)
    for record in tracked(network.records, "build", progress, every=5000):
        add(record)
    return built


Changes = tuple[list[Triple], list[Triple]]  # (triples removed, triples added)


def update_graph(built: BuiltGraph, removed: list[Record], added: list[Record]) -> Changes:
    """Replace the triples of ``removed`` records by those of ``added`` ones, in place.

    The caller has already put the records in ``built.network``; afterwards the graph holds
    what :func:`build_graph` makes of the network's records (``tests/test_rebuild.py``).
    Returns the triples that actually went out and came in: a record that did not change
    gives none.
    """
    writer = _RecordWriter(built)
    before = {t for record in removed for t in writer.triples(record)}
    origin: dict[URIRef, Record] = {}
    after = {t for record in added for t in writer.triples(record, origin)}
    index = built.index
    gone = [t for t in before - after if index.remove(*t)]
    for record in removed:
        subject = iri(writer.base, record.kind, record.id)
        for node in (subject, address_iri(subject)):
            if built.origin.get(node) is record:
                del built.origin[node]
    came = [t for t in after - before if index.add(*t)]
    built.origin.update(origin)
    return gone, came


def _add_network(graph: Index, network: Network) -> URIRef:
    meta = network.meta
    base = network.base
    node = iri(base, "network", str(meta["id"]))
    graph.add(node, RDF.type, ORG.OrganizationalCollaboration)
    graph.add(node, SKOS.prefLabel, Literal(str(meta["name"]), lang="fr"))
    graph.add(node, DCTERMS.identifier, Literal(str(meta["id"])))
    if meta.get("description"):
        graph.add(node, DCTERMS.description, Literal(str(meta["description"]), lang="fr"))
    for commune in meta.get("communes", []):
        place = iri(base, "commune", str(commune["insee"]))
        graph.add(node, DCTERMS.spatial, place)
        graph.add(place, RDF.type, DCTERMS.Location)
        graph.add(place, RDFS.label, Literal(str(commune["name"]), lang="fr"))
        graph.add(place, MAI.inseeCode, Literal(str(commune["insee"])))
    return node  # its members are added with the actors (_RecordWriter)


# rdflib namespaces look names up slowly
_RDF_TYPE, _POSTAL_ADDRESS, _HAS_MEMBER = RDF.type, SDO.PostalAddress, ORG.hasMember
_FROM, _TO, _LEVEL = MAI["from"], MAI["to"], MAI.level


class _RecordWriter:
    """Adds records' triples, with those the build derives from them: the network's
    ``org:hasMember`` of each actor, for SPARQL users who do not need a referral's needs
    and channel, the plain edge ``mai:refersTo`` from actor to actor, and the levels of a
    service that states none, from its modalities (``graph/levels.py``). The IRIs of references
    and concepts, and the literals, repeated across the network, are made once."""

    def __init__(self, built: BuiltGraph) -> None:
        self.built = built
        self.base = built.network.base
        self.terms: dict[tuple, URIRef | Literal] = {}
        self._plans: dict[str, _Plan] = {}
        self.levels_of = modality_levels(built.vocab)

    def __call__(self, record: Record) -> None:
        self.write(record, self.built.index.add, self.built.origin)

    def triples(self, record: Record, origin: dict[URIRef, Record] | None = None) -> list[Triple]:
        """The triples ``record`` gives, without adding them (its subjects go in ``origin``)."""
        found: list[Triple] = []
        self.write(
            record, lambda s, p, o: found.append((s, p, o)), {} if origin is None else origin
        )
        return found

    def write(
        self,
        record: Record,
        add: Callable[[Node, Node, Node], object],
        origin: dict[URIRef, Record],
    ) -> None:
        rdf_type_of = _RDF_TYPE
        plan = self._plans.get(record.kind) or self._plan(record.kind)
        subject = iri(self.base, record.kind, record.id)
        origin[subject] = record
        for rdf_type in plan.types:
            add(subject, rdf_type_of, rdf_type)
        values, terms = record.values, self.terms
        ends: dict[Node, Node] | None = {} if record.kind == "referral" else None
        address: URIRef | None = None
        for f, name, predicate, many, prefix, by_text, is_end in plan.fields:
            value = values.get(name)
            if value is None:
                continue
            node = subject
            if f.via is not None:
                if address is None:
                    address = address_iri(subject)
                    if address not in origin:
                        origin[address] = record
                        add(subject, f.via, address)
                        add(address, rdf_type_of, _POSTAL_ADDRESS)
                node = address
            for item in value if many else (value,):
                # half the literals repeat (communes, postcodes, hours, flags), and every
                # concept and reference does: each is made once
                key = (prefix, str(item)) if by_text else (prefix, item.__class__, str(item))
                found = terms.get(key)
                if found is None:
                    found = terms[key] = term(f, item, self.base, self.built.vocab)
                add(node, predicate, found)
                if is_end:
                    ends[predicate] = min(found, ends.get(predicate, found))  # type: ignore[index]
        if record.kind == "actor" and self.built.network_iri is not None:
            add(self.built.network_iri, _HAS_MEMBER, subject)
        elif ends is not None and _FROM in ends and _TO in ends:
            add(ends[_FROM], MAI.refersTo, ends[_TO])
        elif record.kind == "service":
            for level in derived_levels(values, self.built.vocab, self.levels_of):
                add(subject, _LEVEL, level)

    def _plan(self, kind: str) -> _Plan:
        """What ``write`` reads of each field of a class, looked up once per class."""
        cls = BY_NAME[kind]
        fields = []
        for f in cls.fields:
            by_text = f.kind in ("concept", "ref")  # the term is the IRI the text names
            prefix = (f.kind, f.scheme or f.target or "") if by_text else (f.kind, f.datatype)
            is_end = kind == "referral" and f.predicate in (_FROM, _TO)
            fields.append((f, f.name, f.predicate, f.many, prefix, by_text, is_end))
        plan = self._plans[kind] = _Plan(cls.types, tuple(fields))
        return plan


@dataclass(frozen=True)
class _Plan:
    types: tuple[URIRef, ...]
    fields: tuple[tuple[Field, str, URIRef, bool, tuple, bool, bool], ...]


__all__ = ["BuiltGraph", "Changes", "build_graph", "update_graph", "term", "XSD"]
