"""The network's triples, held by predicate: the store the build writes and every stage reads.

rdflib's in-memory store costs 24-36 µs and about 900 bytes per triple added, and microseconds
per triple pattern answered: minutes and gigabytes on a national network. The builder, the
validator, the table writer and the dumps only ever ask "the objects of this predicate for
this subject" (or the reverse): plain dictionaries answer that, a triple costs about a
microsecond to add. An rdflib ``Graph`` of the same triples is made on demand (:meth:`graph`)
for the callers that want rdflib's API on a small network.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rdflib import Graph
from rdflib.namespace import RDF, RDFS
from rdflib.term import Literal, Node

Triple = tuple[Node, Node, Node]

# Above this many objects for one (predicate, subject), duplicates are found with a set rather
# than by scanning the list (a network has one member per actor: tens of thousands).
_SCAN = 8
_SUBCLASS_OF = RDFS.subClassOf
# From this many items, removing one keeps a map item -> position instead of list.remove, which
# compares with rdflib's __eq__, a Python call per item: a class's members, a concept's
# services are tens or hundreds of thousands.
_POSITIONS_FROM = 256


class Index:
    """A set of triples, indexed predicate -> subject -> [objects], in insertion order."""

    def __init__(self, triples: Iterable[Triple] = ()) -> None:
        self._forward: dict[Node, dict[Node, list[Node]]] = {}
        self._backward: dict[Node, dict[Node, list[Node]]] = {}
        self._seen: dict[tuple[Node, Node], set[Node]] = {}
        self._positions: dict[int, dict[Node, int]] = {}  # id(list) -> item -> its position
        self._supers: dict[Node, set[Node]] = {}
        self._graph: Graph | None = None
        self._len = 0
        for s, p, o in triples:
            self.add(s, p, o)

    @classmethod
    def of_graph(cls, graph: Graph) -> Index:
        index = cls(graph)
        index._graph = graph
        return index

    def add(self, s: Node, p: Node, o: Node) -> bool:
        """Add one triple; False when it was already there (it is not added twice)."""
        by_subject = self._forward.get(p)
        if by_subject is None:
            by_subject = self._forward[p] = {}
            if self._backward.pop(p, None) is not None:
                self._positions.clear()  # their lists are gone
        objects = by_subject.get(s)
        if objects is None:
            by_subject[s] = [o]
        elif len(objects) < _SCAN:
            if o in objects:
                return False
            objects.append(o)
            if self._positions:
                self._placed(objects, o)
        else:
            seen = self._seen.get((p, s))
            if seen is None:
                seen = self._seen[(p, s)] = set(objects)
            if o in seen:
                return False
            seen.add(o)
            objects.append(o)
            if self._positions:
                self._placed(objects, o)
        self._len += 1
        if p in self._backward:
            subjects = self._backward[p].setdefault(o, [])
            subjects.append(s)
            if self._positions:
                self._placed(subjects, s)
        self._graph = None
        if self._supers and p == _SUBCLASS_OF:
            self._supers.clear()
        return True

    def remove(self, s: Node, p: Node, o: Node) -> bool:
        """Remove one triple; False when it was not there."""
        by_subject = self._forward.get(p)
        objects = by_subject.get(s) if by_subject is not None else None
        if not objects or not self._drop(objects, o):
            return False
        if len(objects) < _SCAN:
            self._seen.pop((p, s), None)  # add() scans short lists, without the set
        else:
            self._seen.get((p, s), set()).discard(o)
        if not objects:
            del by_subject[s]  # type: ignore[union-attr]
            if not by_subject:
                del self._forward[p]
        backward = self._backward.get(p)
        if backward is not None:
            subjects = backward[o]
            self._drop(subjects, s)
            if not subjects:
                del backward[o]
        self._len -= 1
        self._graph = None
        if p == _SUBCLASS_OF:
            self._supers.clear()
        return True

    def _drop(self, items: list[Node], node: Node) -> bool:
        """Remove ``node`` from ``items`` (a long list: by its position, the last item taking
        its place); False when it is not there."""
        positions = self._positions.get(id(items))
        if positions is None:
            if len(items) < _POSITIONS_FROM:
                try:
                    items.remove(node)
                except ValueError:
                    return False
                return True
            positions = self._positions[id(items)] = {x: i for i, x in enumerate(items)}
        i = positions.pop(node, None)
        if i is None:
            return False
        last = items.pop()
        if i < len(items):
            items[i] = last
            positions[last] = i
        if not items:
            del self._positions[id(items)]  # the caller drops the empty list
        return True

    def _placed(self, items: list[Node], node: Node) -> None:
        positions = self._positions.get(id(items))
        if positions is not None:
            positions[node] = len(items) - 1

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Triple]:
        for p, objects_of in self._forward.items():
            for s, objects in objects_of.items():
                for o in objects:
                    yield s, p, o

    @property
    def graph(self) -> Graph:
        """The same triples in an rdflib ``Graph``, made once (for rdflib's API, pyshacl, and
        the SPARQL constraints Oxigraph cannot take): a national network takes gigabytes there."""
        if self._graph is None:
            from maillage.graph.ns import bind_prefixes

            graph = bind_prefixes(Graph())
            add = graph.add
            for triple in self:
                add(triple)
            self._graph = graph
        return self._graph

    def predicates(self) -> list[Node]:
        return list(self._forward)

    def forward(self, predicate: Node) -> dict[Node, list[Node]]:
        """{subject: [objects]} of one predicate (do not change it)."""
        return self._forward.get(predicate, {})

    def backward(self, predicate: Node) -> dict[Node, list[Node]]:
        """{object: [subjects]} of one predicate, made on first use (do not change it)."""
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
            sub_of = self.forward(_SUBCLASS_OF)
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
