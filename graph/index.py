"""A graph seen through its predicates: each one read once from the store into dictionaries.

rdflib's in-memory store answers one triple pattern in microseconds, which adds up to minutes
over a national network looked up field by field. The validator and the table writer ask for
the same few predicates over and over: they share this index (``BuiltGraph.index``).
"""

from __future__ import annotations

from rdflib import Graph
from rdflib.namespace import RDF, RDFS
from rdflib.term import Literal, Node


class Index:
    """The data graph seen through the predicates the shapes use, each read once."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._forward: dict[Node, dict[Node, list[Node]]] = {}
        self._backward: dict[Node, dict[Node, list[Node]]] = {}
        self._supers: dict[Node, set[Node]] = {}
        self._complete = False

    def read_all(self) -> Index:
        """Index every predicate in one pass over the graph (a pass per predicate costs about
        three times more in rdflib's store)."""
        forward: dict[Node, dict[Node, list[Node]]] = {}
        for s, p, o in self.graph:
            by_subject = forward.get(p)
            if by_subject is None:
                by_subject = forward[p] = {}
            objects = by_subject.get(s)
            if objects is None:
                by_subject[s] = [o]
            else:
                objects.append(o)
        self._forward = forward
        self._complete = True
        return self

    def triples_by_subject(self) -> dict[Node, list[tuple[Node, Node]]]:
        """Every triple of the graph, grouped by subject: {subject: [(predicate, object)]}."""
        if not self._complete:
            self.read_all()
        by_subject: dict[Node, list[tuple[Node, Node]]] = {}
        for p, objects_of in self._forward.items():
            for s, objects in objects_of.items():
                pairs = by_subject.get(s)
                if pairs is None:
                    pairs = by_subject[s] = []
                pairs.extend((p, o) for o in objects)
        return by_subject

    def forward(self, predicate: Node) -> dict[Node, list[Node]]:
        found = self._forward.get(predicate)
        if found is None:
            found = {}
            if self._complete:  # every predicate was read: this one is not in the graph
                return found
            for s, _, o in self.graph.triples((None, predicate, None)):
                found.setdefault(s, []).append(o)
            self._forward[predicate] = found
        return found

    def backward(self, predicate: Node) -> dict[Node, list[Node]]:
        found = self._backward.get(predicate)
        if found is None:
            found = {}
            for s, objects in self.forward(predicate).items():
                for o in objects:
                    found.setdefault(o, []).append(s)
            self._backward[predicate] = found
        return found

    def values(self, focus: Node, path: tuple) -> list[Node]:
        """Value nodes of a SHACL path: ("p", iri), ("inv", path) or ("seq", (path, ...))."""
        if path[0] == "p":
            return self.forward(path[1]).get(focus, [])
        if path[0] == "inv":
            inner = path[1]
            if inner[0] != "p":
                raise ValueError("only the inverse of a predicate is supported")
            return self.backward(inner[1]).get(focus, [])
        nodes = [focus]
        for step in path[1]:
            nodes = list(dict.fromkeys(v for n in nodes for v in self.values(n, step)))
        return nodes

    def value(self, subject: Node, predicate: Node) -> Node | None:
        """One value (the smallest, so that it is the same every time), like Graph.value."""
        found = self.forward(predicate).get(subject)
        if not found:
            return None
        return found[0] if len(found) == 1 else min(found)

    def objects(self, subject: Node, predicate: Node) -> list[Node]:
        return self.forward(predicate).get(subject, [])

    def superclasses(self, cls: Node) -> set[Node]:
        """``cls`` and every class it is an rdfs:subClassOf*, in the data graph."""
        found = self._supers.get(cls)
        if found is None:
            found, todo = {cls}, [cls]
            sub_of = self.forward(RDFS.subClassOf)
            while todo:
                for parent in sub_of.get(todo.pop(), []):
                    if parent not in found:
                        found.add(parent)
                        todo.append(parent)
            self._supers[cls] = found
        return found

    def instances(self, cls: Node) -> list[Node]:
        found: dict[Node, None] = {}
        for rdf_type, members in self.backward(RDF.type).items():
            if cls in self.superclasses(rdf_type):
                found.update(dict.fromkeys(members))
        return list(found)

    def has_class(self, node: Node, cls: Node) -> bool:
        if isinstance(node, Literal):
            return False
        return any(cls in self.superclasses(t) for t in self.forward(RDF.type).get(node, []))
