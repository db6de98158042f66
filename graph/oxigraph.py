"""Terms between rdflib and pyoxigraph, for the stages that hand bulk work to Oxigraph
(the RDF dumps, the SHACL-SPARQL constraints)."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node


class RdflibToOxigraph:
    """rdflib terms to pyoxigraph terms, each IRI converted once."""

    def __init__(self) -> None:
        self._iris: dict[Node, ox.NamedNode] = {}

    def iri(self, term: Node) -> ox.NamedNode:
        found = self._iris.get(term)
        if found is None:
            found = self._iris[term] = ox.NamedNode(str(term))
        return found

    def term(self, term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if type(term) is URIRef:
            return self.iri(term)
        if isinstance(term, Literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype is not None:
                return ox.Literal(str(term), datatype=self.iri(term.datatype))
            return ox.Literal(str(term))
        if isinstance(term, BNode):
            return ox.BlankNode(str(term))
        return self.iri(term)


_XSD_STRING = str(XSD.string)


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    """A pyoxigraph term as rdflib writes it (a plain literal has no datatype in rdflib)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    return Literal(term.value, datatype=None if datatype == _XSD_STRING else URIRef(datatype))
