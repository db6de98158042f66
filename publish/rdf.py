"""RDF dumps through rdflib's serialisers: Turtle, sorted N-Triples, JSON-LD with a published
context, TriG with one named graph per source file, and the vocabularies and shapes alone."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import RDF, SKOS, XSD

from graph.build import BuiltGraph
from graph.model import CLASSES, Field
from graph.ns import PREFIXES, bind_prefixes
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


def sorted_ntriples(graph: Graph) -> str:
    """N-Triples with lines sorted: the same graph gives the same bytes, build after build."""
    lines = {line for line in graph.serialize(format="nt").splitlines() if line.strip()}
    return "\n".join(sorted(lines)) + "\n"


def source_graphs(built: BuiltGraph) -> Dataset:
    """The graph split into one named graph per source file (YAML record or vocabulary)."""
    base = built.network.base
    dataset = Dataset()
    bind_prefixes(dataset)
    network_file = f"{built.network.data_dir.name}/network.yaml"
    graphs: dict[str, Graph] = {}
    concept_root = f"{base}/concept/"
    for s, p, o in built.graph:
        record = built.record_of(s)
        if record is not None:
            file = record.file
        elif str(s).startswith(concept_root):
            scheme = str(s)[len(concept_root) :].split("/", 1)[0]
            file = built.vocab.files.get(scheme, network_file)
        else:
            file = network_file
        if file not in graphs:
            graphs[file] = dataset.graph(URIRef(f"{base}/source/{quote(file)}"))
        graphs[file].add((s, p, o))
    return dataset


def write_dumps(built: BuiltGraph, folder: Path) -> list[Path]:
    graph = built.graph
    context = jsonld_context()
    (folder / "maillage.nt").write_text(sorted_ntriples(graph), encoding="utf-8")
    graph.serialize(destination=folder / "maillage.ttl", format="turtle", encoding="utf-8")
    (folder / "maillage.jsonld").write_text(
        graph.serialize(format="json-ld", context=context, indent=1), encoding="utf-8"
    )
    (folder / "context.jsonld").write_text(
        json.dumps({"@context": context}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    source_graphs(built).serialize(
        destination=folder / "maillage.trig", format="trig", encoding="utf-8"
    )
    vocab = bind_prefixes(Graph())
    vocab += built.vocab.graph
    vocab.serialize(destination=folder / "vocabulaires.ttl", format="turtle", encoding="utf-8")
    shapes_graph().serialize(destination=folder / "formes.ttl", format="turtle", encoding="utf-8")
    return [folder / name for name in DUMPS]


__all__ = [
    "DUMPS",
    "jsonld_context",
    "sorted_ntriples",
    "source_graphs",
    "write_dumps",
    "RDF",
    "SKOS",
    "XSD",
]
