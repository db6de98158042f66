"""RDF dumps: Turtle, sorted N-Triples, JSON-LD with a published context, TriG with one named
graph per source file, and the vocabularies and shapes alone.

The N-Triples are written from the index with rdflib's own term syntax, subject by subject
(pyoxigraph would first need an Oxigraph term per rdflib term: 7.8 s against 2.2 s at 10,000
actors, ``benchmarks/ntriples.py``);
Turtle and TriG by Oxigraph's serialisers (pyoxigraph), which read them back
(:func:`convert_dumps`, a stage the build runs beside the next ones on a large network):
rdflib's Turtle and TriG serialisers look up a prefixed name for every IRI and take minutes
for a thousand actors, hours for a national network. The small vocabulary and shapes graphs
stay with rdflib.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TextIO
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD
from rdflib.plugins.serializers.nt import _quoteLiteral
from rdflib.term import Node

from maillage.graph.build import BuiltGraph
from maillage.graph.index import Index
from maillage.graph.model import CLASSES, Field
from maillage.graph.ns import PREFIXES, bind_prefixes
from maillage.shapes import shapes_graph

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


def _prefixes() -> dict[str, str]:
    return {prefix: str(ns) for prefix, ns in sorted(PREFIXES.items())}


def subject_lines(index: Index) -> Iterator[tuple[Node, str]]:
    """Each subject with its triples as N-Triples lines (rdflib's own term syntax), subject
    after subject, made as they are written: the text of a national network (a gigabyte) is
    never held whole.

    Subjects, predicates and objects are sorted by their text, which Python compares fast (not
    as rdflib terms): the same data gives the same bytes, in any process. Each subject's
    predicates are listed first, in the predicates' order, so that its lines come out sorted
    with no sort per subject; each term's text is made once per term object (the build makes
    one object for a repeated IRI or literal).
    """
    texts: dict[int, str] = {}  # id(term) -> text: the terms live in the index meanwhile
    known = texts.get

    def text(term: Node) -> str:
        found = _quoteLiteral(term) if isinstance(term, Literal) else term.n3()
        texts[id(term)] = found
        return found

    predicates: dict[Node, list[tuple[str, dict[Node, list[Node]]]]] = {}
    for p in sorted(index.predicates(), key=str):
        entry = (f" {text(p)} ", index.forward(p))
        for s in entry[1]:
            mine = predicates.get(s)
            if mine is None:
                predicates[s] = [entry]
            else:
                mine.append(entry)
    # the loop below runs once per triple: lookups inline, no call unless a term is new
    for s in sorted(predicates, key=str):
        subject = known(id(s)) or text(s)
        lines = []
        for middle, by_subject in predicates.pop(s):
            head = subject + middle
            objects = by_subject[s]
            if len(objects) == 1:
                o = objects[0]
                lines.append(f"{head}{known(id(o)) or text(o)} .\n")
            else:
                for o in sorted(objects, key=_object_key):
                    lines.append(f"{head}{known(id(o)) or text(o)} .\n")
        yield s, "".join(lines)


def _object_key(o: Node) -> tuple[str, str]:
    if isinstance(o, Literal):
        return (str(o), f"{o.language or ''}^{o.datatype or ''}")
    return (str(o), "")


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


def write_dumps(built: BuiltGraph, folder: Path) -> Graphs:
    """Write the N-Triples and the small files (vocabularies, shapes, JSON-LD context); return
    what :func:`convert_dumps` needs to write Turtle, TriG and JSON-LD from the N-Triples
    (``graphs``), which the build runs beside its next stages on a large network."""
    context = jsonld_context()
    # One named graph per source file, files in name order, for the TriG dump: which lines of
    # maillage.nt each graph holds (the converter reads them there and names their graph).
    by_file: dict[str, list[tuple[int, int]]] = {}
    for s, place in write_nt(subject_lines(built.index), folder):
        by_file.setdefault(source_file(built, s), []).append(place)
    graphs = [(str(source_graph_name(built, file)), by_file[file]) for file in sorted(by_file)]
    del by_file
    (folder / "context.jsonld").write_text(
        json.dumps({"@context": context}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    vocab = bind_prefixes(Graph())
    vocab += built.vocab.graph
    vocab.serialize(destination=folder / "vocabulaires.ttl", format="turtle", encoding="utf-8")
    shapes_graph().serialize(destination=folder / "formes.ttl", format="turtle", encoding="utf-8")
    return graphs


# Beside maillage.nt: each subject's place in it and a digest of its lines, so that the next
# build's release diff reads only the subjects that changed (publish/history.py). Its first
# line names the very file it describes (size and modification time).
SUBJECTS_FILE = "maillage.nt.index"


def subjects_header(nt: Path) -> str:
    stat = nt.stat()
    return f"# maillage.nt subjects 1 size={stat.st_size} mtime_ns={stat.st_mtime_ns}\n"


def read_blocks(handle: BinaryIO, places: Iterable[tuple[int, int]]) -> list[bytes]:
    """The bytes at these (offset, length) places of an open file: subjects' lines of
    maillage.nt, as ``write_nt`` returns them and SUBJECTS_FILE lists them. Read, not mapped:
    a mapping would count the whole dump in the reading process's memory."""
    fd = handle.fileno()
    return [os.pread(fd, length, offset) for offset, length in places]


def write_nt(
    subjects: Iterable[tuple[Node, str]], folder: Path
) -> list[tuple[Node, tuple[int, int]]]:
    """maillage.nt from each subject's lines, and its subjects' index (SUBJECTS_FILE):
    blake2b-64 digest, offset and length in bytes, subject. Returns each subject with the
    offset and length of its lines, in the file's order."""
    entries = []
    places = []
    offset = 0
    path = folder / "maillage.nt"
    with path.open("wb") as nt:
        for s, lines in subjects:
            block = lines.encode("utf-8")
            nt.write(block)
            digest = hashlib.blake2b(block, digest_size=8).hexdigest()
            entries.append(f"{digest}\t{offset}\t{len(block)}\t{lines[: lines.index(' ')]}\n")
            places.append((s, (offset, len(block))))
            offset += len(block)
    with (folder / SUBJECTS_FILE).open("w", encoding="utf-8") as index:
        index.write(subjects_header(path))
        index.writelines(entries)
    return places


# The TriG dump's named graphs: each graph's IRI and its subjects' lines in maillage.nt
# (offset and length in bytes).
Graphs = list[tuple[str, list[tuple[int, int]]]]


def convert_dumps(folder: Path | str, graphs: Graphs) -> dict[str, str]:
    """maillage.nt -> maillage.ttl and maillage.jsonld (from one reading), and maillage.trig
    (its lines in ``graphs``); returns their SHA-256, for the catalogue."""
    root = Path(folder)
    context = jsonld_context()
    triples = ox.parse(path=root / "maillage.nt", format=ox.RdfFormat.N_TRIPLES)
    with (root / "maillage.jsonld").open("w", encoding="utf-8") as jsonld:
        ox.serialize(
            write_jsonld(triples, jsonld, context),
            root / "maillage.ttl",
            format=ox.RdfFormat.TURTLE,
            prefixes=_prefixes(),
        )
    ox.serialize(
        _quads(root / "maillage.nt", graphs),
        root / "maillage.trig",
        format=ox.RdfFormat.TRIG,
        prefixes=_prefixes(),
    )
    return {name: sha256_of(root / name) for name in CONVERTED}


CONVERTED = ("maillage.ttl", "maillage.jsonld", "maillage.trig")


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:  # read by blocks: hundreds of MB on a national network
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _quads(nt: Path, graphs: Graphs) -> Iterator[ox.Quad]:
    """The lines of each graph, read in the N-Triples file, as N-Quads in that graph."""
    with nt.open("rb") as handle:
        for graph, places in graphs:
            block = b"".join(read_blocks(handle, places))
            # " .\n" ends a line only: a literal's line breaks are escaped in N-Triples
            block = block.replace(b" .\n", f" <{graph}> .\n".encode())
            yield from ox.parse(block, format=ox.RdfFormat.N_QUADS)


def write_jsonld(triples: Iterable[ox.Triple], out: TextIO, context: dict) -> Iterator[ox.Triple]:
    """Write a JSON-LD document of ``triples`` grouped by subject (they come sorted by subject),
    compacted against ``context``, into ``out``, as they pass: each triple is yielded on, so
    that the Turtle serialiser reads the same parse. The document is complete once they all
    have.

    rdflib's JSON-LD compaction costs about 20 µs a triple (over a minute and a half on a
    national network), pyld's 530 µs against this writer's 5.4 µs (``benchmarks/jsonld.py``),
    and Oxigraph writes expanded JSON-LD only. Our context is generated from
    the model, one term per field with the type its values have: compacting is choosing, for
    each value, the term whose ``@id`` is the predicate and whose type fits the value, or else
    the predicate's compact IRI with an explicit value object. The tests parse the result back
    with rdflib and compare it with the built graph.
    """
    compact = _Compactor(context)
    encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps makes one per call
    out.write('{\n "@context": ')
    out.write(json.dumps(context, ensure_ascii=False, indent=1).replace("\n", "\n "))
    out.write(',\n "@graph": [')
    separator = "\n  "
    subject = None
    pairs: list[tuple[ox.NamedNode, object]] = []
    for triple in triples:
        yield triple
        if triple.subject != subject:
            if pairs:
                out.write(separator)
                separator = ",\n  "
                out.write(encode(compact.node(subject, pairs)))
            subject, pairs = triple.subject, []
        pairs.append((triple.predicate, triple.object))
    if pairs:
        out.write(separator)
        out.write(encode(compact.node(subject, pairs)))
    out.write("\n ]\n}\n")


_RDF_TYPE = ox.NamedNode(str(RDF.type))
_XSD_STRING = str(XSD.string)


class _Compactor:
    """Each triple's key and value in the compacted node. The choice depends only on the
    predicate (and, for a literal, its datatype and language): it is made once for each and
    remembered, as are the compact IRIs of types and datatypes (a national network has a few
    hundred of each for millions of triples)."""

    def __init__(self, context: dict) -> None:
        self.prefixes = sorted(
            ((k, v) for k, v in context.items() if isinstance(v, str)), key=lambda kv: -len(kv[1])
        )
        self.terms: dict[str, list[tuple[str, str | None, str | None]]] = {}
        for key, definition in sorted(context.items()):
            if isinstance(definition, dict):
                coerce = definition.get("@type")
                if coerce not in (None, "@id"):
                    coerce = self.expand(coerce)
                entry = (key, coerce, definition.get("@language"))
                self.terms.setdefault(self.expand(definition["@id"]), []).append(entry)
        self._curies: dict[str, str] = {}
        # predicate -> (key, whether the value is the plain IRI) for an IRI or blank node
        self._reference_keys: dict[ox.NamedNode, tuple[str, bool]] = {}
        # (predicate, datatype, language) -> (key, the value's form) for a literal
        self._literal_keys: dict[tuple, tuple[str, str]] = {}

    def expand(self, curie: str) -> str:
        prefix, _, local = curie.partition(":")
        for name, ns in self.prefixes:
            if name == prefix:
                return ns + local
        return curie

    def curie(self, iri: str) -> str:
        found = self._curies.get(iri)
        if found is None:
            found = self._curies[iri] = self._make_curie(iri)
        return found

    def _make_curie(self, iri: str) -> str:
        for name, ns in self.prefixes:
            if iri.startswith(ns) and not iri[len(ns) :].startswith("//"):
                return f"{name}:{iri[len(ns) :]}"
        return iri

    def node(self, subject: object, pairs: list[tuple[ox.NamedNode, object]]) -> dict:
        node: dict = {"@id": _id(subject)}
        for p, o in pairs:
            if isinstance(o, ox.Literal):
                key, value = self.literal(p, o)
            elif p == _RDF_TYPE and isinstance(o, ox.NamedNode):
                key, value = "@type", self.curie(o.value)
            else:
                key, value = self.reference(p, o)
            values = node.get(key)
            if values is None:
                node[key] = [value]
            else:
                values.append(value)
        return {k: v[0] if len(v) == 1 else v for k, v in node.items()}

    def reference(self, p: ox.NamedNode, o: object) -> tuple[str, object]:
        choice = self._reference_keys.get(p)
        if choice is None:
            choice = self._reference_keys[p] = self._reference_key(p.value)
        key, plain = choice
        return (key, _id(o)) if plain else (key, {"@id": _id(o)})

    def _reference_key(self, predicate: str) -> tuple[str, bool]:
        for key, coerce, _ in self.terms.get(predicate, ()):
            if coerce == "@id":
                return key, True
        return self.curie(predicate), False

    def literal(self, p: ox.NamedNode, o: ox.Literal) -> tuple[str, object]:
        datatype, language = o.datatype, o.language
        choice = self._literal_keys.get((p, datatype, language))
        if choice is None:
            choice = self._literal_keys[(p, datatype, language)] = self._literal_key(
                p.value, datatype.value, language
            )
        key, form = choice
        if form == "plain":
            return key, o.value
        if form == "language":
            return key, {"@value": o.value, "@language": language}
        if form == "string":
            return key, {"@value": o.value}
        return key, {"@value": o.value, "@type": form}

    def _literal_key(self, predicate: str, datatype: str, language: str | None) -> tuple[str, str]:
        """The key and the form: "plain" (the value alone, the term coerces it), "language",
        "string", or else the datatype's compact IRI (a typed value object)."""
        for key, coerce, term_language in self.terms.get(predicate, ()):
            if coerce == "@id":
                continue
            if term_language is not None:
                if language == term_language:
                    return key, "plain"
            elif coerce is not None:
                if not language and datatype == coerce:
                    return key, "plain"
            elif not language and datatype == _XSD_STRING:
                return key, "plain"
        key = self.curie(predicate)
        if language:
            return key, "language"
        if datatype == _XSD_STRING:
            return key, "string"
        return key, self.curie(datatype)


def _id(term: object) -> str:
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value


__all__ = [
    "DUMPS",
    "jsonld_context",
    "source_file",
    "source_graphs",
    "convert_dumps",
    "write_dumps",
    "RDF",
    "SKOS",
    "XSD",
]
