"""RDF dumps: Turtle, sorted N-Triples, JSON-LD with a published context, TriG with one named
graph per source file, and the vocabularies and shapes alone.

The network's graph is written by Oxigraph's serialisers (pyoxigraph): rdflib's Turtle and TriG
serialisers look up a prefixed name for every IRI and take minutes for a thousand actors, hours
for a national network. JSON-LD, which needs rdflib's compaction against our context, and the
small vocabulary and shapes graphs stay with rdflib.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD
from rdflib.term import Node

from graph.build import BuiltGraph
from graph.index import Index
from graph.model import CLASSES, Field
from graph.ns import PREFIXES, bind_prefixes
from graph.oxigraph import RdflibToOxigraph
from shapes import shapes_graph

# file name -> (rdflib format, media type, EU file type) of every RDF file of dist/
DUMPS = {
    "maillage.ttl": ("turtle", "text/turtle", "RDF_TURTLE"),
    "maillage.nt": ("nt", "application/n-triples", "RDF_N_TRIPLES"),
    "maillage.jsonld": ("json-ld", "application/ld+json", "JSON_LD"),
    "maillage.trig": ("trig", "application/trig", "RDF_TRIG"),
    "context.jsonld": (None, "application/ld+json", "JSON_LD"),
    "vocabulaires.ttl": ("turtle", "text/turtle", "RDF_TURTLE"),
    "formes.ttl": ("turtle", "text/turtle", "RDF_TURTLE"),
}
# Several fields share a name but not a predicate (an actor's sites, a service's sites...):
# their JSON-LD key is the predicate's own name.
_RENAMED = {"from_actor": "from", "to_actor": "to", "id": "identifier"}


def _key(f: Field, names: dict[str, set[URIRef]]) -> str:
    name = _RENAMED.get(f.name, f.name)
    if len(names[f.name]) > 1:
        return str(f.predicate).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return name


def jsonld_context() -> dict:
    """Readable keys for every field of the model, typed so that values compact cleanly."""
    names: dict[str, set[URIRef]] = {}
    for cls in CLASSES:
        for f in cls.fields:
            names.setdefault(f.name, set()).add(f.predicate)
    context: dict = {prefix: str(ns) for prefix, ns in sorted(PREFIXES.items())}
    for cls in CLASSES:
        for f in cls.fields:
            term: dict[str, str] = {"@id": _curie(f.predicate)}
            if f.kind in ("concept", "ref"):
                term["@type"] = "@id"
            elif f.kind == "langtext":
                term["@language"] = "fr"
            elif f.datatype is not None:
                term["@type"] = _curie(f.datatype)
            context[_key(f, names)] = term
    return context


def _curie(iri: URIRef) -> str:
    for prefix, ns in sorted(PREFIXES.items(), key=lambda item: -len(str(item[1]))):
        if str(iri).startswith(str(ns)):
            return f"{prefix}:{str(iri)[len(str(ns)) :]}"
    return str(iri)


class OxTerms(RdflibToOxigraph):
    """The graph's terms converted for Oxigraph's serialisers, subject by subject."""

    def subjects(self, index: Index) -> list[SubjectTriples]:
        """Each subject with its triples, so that Turtle writes each subject once.

        Subjects, predicates and objects sorted by their text, which Python compares fast (not
        as rdflib terms): the same data gives the same bytes, in any process.
        """
        by_subject = index.triples_by_subject()
        iri, term = self.iri, self.term
        return [
            (s, term(s), [(iri(p), term(o)) for p, o in sorted(by_subject[s], key=_pair_key)])
            for s in sorted(by_subject, key=str)
        ]


def _pair_key(pair: tuple[Node, Node]) -> tuple[str, str, str]:
    p, o = pair
    if isinstance(o, Literal):
        return (str(p), str(o), f"{o.language or ''}^{o.datatype or ''}")
    return (str(p), str(o), "")


SubjectTriples = tuple[Node, object, list[tuple[ox.NamedNode, object]]]


def _triples(subjects: list[SubjectTriples]) -> list[ox.Triple]:
    return [ox.Triple(subject, p, o) for _, subject, pairs in subjects for p, o in pairs]


def _prefixes() -> dict[str, str]:
    return {prefix: str(ns) for prefix, ns in sorted(PREFIXES.items())}


def source_file(built: BuiltGraph, subject: Node) -> str:
    """The data file a subject comes from: its record's file, its vocabulary, network.yaml."""
    record = built.record_of(subject)
    if record is not None:
        return record.file
    network_file = f"{built.network.data_dir.name}/network.yaml"
    concept_root = f"{built.network.base}/concept/"
    if str(subject).startswith(concept_root):
        scheme = str(subject)[len(concept_root) :].split("/", 1)[0]
        return built.vocab.files.get(scheme, network_file)
    return network_file


def source_graphs(built: BuiltGraph) -> Dataset:
    """The graph split into one named graph per source file (YAML record or vocabulary)."""
    dataset = bind_prefixes(Dataset())
    for s, p, o in built.graph:
        dataset.add((s, p, o, source_graph_name(built, source_file(built, s))))
    return dataset


def source_graph_name(built: BuiltGraph, file: str) -> URIRef:
    return URIRef(f"{built.network.base}/source/{quote(file)}")


def _source_quads(built: BuiltGraph, subjects: list[SubjectTriples]) -> list[ox.Quad]:
    """One named graph per source file, files in name order."""
    by_file: dict[str, list[SubjectTriples]] = {}
    for entry in subjects:
        by_file.setdefault(source_file(built, entry[0]), []).append(entry)
    quads = []
    for file in sorted(by_file):
        name = ox.NamedNode(str(source_graph_name(built, file)))
        for _, subject, pairs in by_file[file]:
            quads.extend(ox.Quad(subject, p, o, name) for p, o in pairs)
    return quads


def write_dumps(built: BuiltGraph, folder: Path) -> list[Path]:
    graph = built.graph
    context = jsonld_context()
    subjects = OxTerms().subjects(built.index)  # converted once for N-Triples, Turtle, TriG
    triples = _triples(subjects)
    ox.serialize(triples, folder / "maillage.nt", format=ox.RdfFormat.N_TRIPLES)
    ox.serialize(triples, folder / "maillage.ttl", format=ox.RdfFormat.TURTLE, prefixes=_prefixes())
    ox.serialize(
        _source_quads(built, subjects),
        folder / "maillage.trig",
        format=ox.RdfFormat.TRIG,
        prefixes=_prefixes(),
    )
    (folder / "maillage.jsonld").write_text(
        graph.serialize(format="json-ld", context=context, indent=1), encoding="utf-8"
    )
    (folder / "context.jsonld").write_text(
        json.dumps({"@context": context}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    vocab = bind_prefixes(Graph())
    vocab += built.vocab.graph
    vocab.serialize(destination=folder / "vocabulaires.ttl", format="turtle", encoding="utf-8")
    shapes_graph().serialize(destination=folder / "formes.ttl", format="turtle", encoding="utf-8")
    return [folder / name for name in DUMPS]


__all__ = [
    "DUMPS",
    "jsonld_context",
    "source_file",
    "source_graphs",
    "write_dumps",
    "RDF",
    "SKOS",
    "XSD",
]
