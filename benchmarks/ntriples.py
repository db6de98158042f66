"""maillage's N-Triples writer against pyoxigraph's on the same built graph (issue 26).

    python benchmarks/ntriples.py DATA_FOLDER

The graph the build shares is made of rdflib terms; pyoxigraph serialises its own, so its
path is: make an Oxigraph term for each distinct rdflib term, a triple for each triple, then
serialise, then sort (the same data must give the same bytes).
"""

from __future__ import annotations

import argparse
import time

import pyoxigraph as ox
from rdflib import Literal
from rdflib.term import Node

from maillage.graph.index import Index
from maillage.publish.build import check
from maillage.publish.rdf import subject_lines

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def oxigraph_triples(index: Index) -> list[ox.Triple]:
    made: dict[int, object] = {}  # one Oxigraph term per rdflib term object

    def term(node: Node) -> object:
        found = made.get(id(node))
        if found is None:
            if isinstance(node, Literal):
                if node.language:
                    found = ox.Literal(str(node), language=node.language)
                else:
                    datatype = ox.NamedNode(str(node.datatype or XSD_STRING))
                    found = ox.Literal(str(node), datatype=datatype)
            else:
                found = ox.NamedNode(str(node))
            made[id(node)] = found
        return found

    return [
        ox.Triple(term(s), term(p), term(o))
        for p in index.predicates()
        for s, objects in index.forward(p).items()
        for o in objects
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="a data folder (benchmarks/generate.py writes one)")
    args = parser.parse_args()
    index = check(args.data).index
    start = time.perf_counter()
    size = sum(len(lines) for _, lines in subject_lines(index))
    ours = time.perf_counter() - start
    print(
        f"maillage: sorted N-Triples text, subject by subject: {ours:.2f} s ({size / 1e6:.0f} MB)"
    )
    start = time.perf_counter()
    triples = oxigraph_triples(index)
    terms = time.perf_counter() - start
    start = time.perf_counter()
    ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    written = time.perf_counter() - start
    start = time.perf_counter()
    triples.sort(key=str)
    ordered = time.perf_counter() - start
    print(
        f"pyoxigraph: {len(triples)} triples; terms {terms:.2f} s, serialise {written:.2f} s, "
        f"sort {ordered:.2f} s: {terms + written + ordered:.2f} s"
    )


if __name__ == "__main__":
    main()
