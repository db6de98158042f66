"""Records -> rdflib Graph: deterministic, no blank nodes, every IRI minted by ``graph.ns``.

The builder keeps, for every subject it creates, the record it came from (file, line, fields):
SHACL reports a focus node and a path, and this index turns them back into a place in a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, SDO, SKOS, XSD

from graph.index import Index
from graph.load import Network, Record
from graph.model import BY_NAME, Field
from graph.ns import MAI, address_iri, bind_prefixes, iri
from graph.progress import NO_PROGRESS, Progress, tracked
from graph.vocab import Vocabulary


@dataclass
class BuiltGraph:
    """The network's graph (vocabularies included) and where each subject came from.

    The graph is complete when ``build_graph`` returns; it is read, never changed, after that.
    """

    graph: Graph
    network: Network
    vocab: Vocabulary
    origin: dict[URIRef, Record] = field(default_factory=dict)
    network_iri: URIRef | None = None

    @cached_property
    def index(self) -> Index:
        """The graph's predicate index, shared by the validator and the table writer."""
        return Index(self.graph).read_all()

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
    base = network.base
    graph = bind_prefixes(Graph())
    graph += vocab.graph
    built = BuiltGraph(graph, network, vocab)
    built.network_iri = _add_network(graph, network)
    for record in tracked(network.records, "build", progress, every=5000):
        _add_record(built, record, base)
    # The plain edge actor -> actor, derived for SPARQL users who do not need the referral's
    # needs and channel.
    for referral in graph.subjects(RDF.type, MAI.Referral):
        source, target = graph.value(referral, MAI["from"]), graph.value(referral, MAI["to"])
        if source is not None and target is not None:
            graph.add((source, MAI.refersTo, target))
    return built


def _add_network(graph: Graph, network: Network) -> URIRef:
    meta = network.meta
    base = network.base
    node = iri(base, "network", str(meta["id"]))
    graph.add((node, RDF.type, ORG.OrganizationalCollaboration))
    graph.add((node, SKOS.prefLabel, Literal(str(meta["name"]), lang="fr")))
    graph.add((node, DCTERMS.identifier, Literal(str(meta["id"]))))
    if meta.get("description"):
        graph.add((node, DCTERMS.description, Literal(str(meta["description"]), lang="fr")))
    for commune in meta.get("communes", []):
        place = iri(base, "commune", str(commune["insee"]))
        graph.add((node, DCTERMS.spatial, place))
        graph.add((place, RDF.type, DCTERMS.Location))
        graph.add((place, RDFS.label, Literal(str(commune["name"]), lang="fr")))
        graph.add((place, MAI.inseeCode, Literal(str(commune["insee"]))))
    for record in network.of_kind("actor"):
        graph.add((node, ORG.hasMember, iri(base, "actor", record.id)))
    return node


def _add_record(built: BuiltGraph, record: Record, base: str) -> None:
    graph = built.graph
    cls = BY_NAME[record.kind]
    subject = iri(base, record.kind, record.id)
    built.origin[subject] = record
    for rdf_type in cls.types:
        graph.add((subject, RDF.type, rdf_type))
    for f in cls.fields:
        value = record.values.get(f.name)
        if value is None:
            continue
        node = subject
        if f.via is not None:
            node = address_iri(subject)
            if node not in built.origin:
                built.origin[node] = record
                graph.add((subject, f.via, node))
                graph.add((node, RDF.type, SDO.PostalAddress))
        for item in value if f.many else [value]:
            graph.add((node, f.predicate, term(f, item, base, built.vocab)))


__all__ = ["BuiltGraph", "build_graph", "term", "XSD"]
