"""A compiled SHACL validator: the shapes of ``shapes/`` read once, then checked by plain Python
over an index of the data graph.

pyshacl re-reads the shapes and walks the rdflib graph triple pattern by triple pattern for
every focus node: about 700 triples/s on our shapes, hours for a national network. This engine
compiles each shape into checks once, indexes each predicate the shapes use once, and caches
``sh:node`` conformance per (shape, node) — concepts are shared by thousands of services.

It implements the SHACL Core features our shapes use — ``sh:targetClass`` (and the implicit
class target of a shape that is a class), ``sh:targetNode``, ``sh:targetSubjectsOf``,
``sh:targetObjectsOf``, predicate, sequence and inverse paths,
cardinality, ``sh:datatype``, ``sh:class``, ``sh:node``, ``sh:hasValue``, ``sh:in``,
``sh:nodeKind``, string and range constraints, ``sh:disjoint`` — and SPARQL-based constraints,
with pyshacl's own semantics for each (``tests/test_engine.py`` checks it reports exactly what
pyshacl reports). A shape using any other SHACL feature is refused when it is compiled
(:class:`UnsupportedShape`), never silently skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any

import pyoxigraph as ox
from pyshacl.rdfutil.compare import compare_literal
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

from maillage.graph.index import Index, Triple
from maillage.graph.oxigraph import RdflibToOxigraph, to_rdflib
from maillage.graph.progress import NO_PROGRESS, Progress, tracked


class UnsupportedShape(Exception):
    """A shape uses a SHACL feature this engine does not implement."""


@dataclass(frozen=True)
class Result:
    """One validation result, as pyshacl's report would give it."""

    focus: Node
    path: Node | tuple | None
    value: Node | None
    component: URIRef
    shape: Node
    severity: URIRef
    message: str | None


# Parameters that carry no constraint of their own.
_DESCRIPTIVE = {
    RDF.type,
    SH.message,
    SH.name,
    SH.description,
    SH.severity,
    SH.deactivated,
    SH.order,
    SH.group,
    SH.defaultValue,
    SH.path,
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.property,
    SH.sparql,
    SH.flags,
}

Path = tuple  # ("p", iri) | ("seq", (Path, ...)) | ("inv", Path)


Pairs = list[tuple[Node, list[Node]]]
Check = Callable[["Index", Pairs], list[tuple[Node, Node | None, URIRef]]]
"""(index, [(focus, value nodes)]) -> (focus, value, constraint component) of each failure."""


class Shape:
    def __init__(self, engine: CompiledShapes, node: Node) -> None:
        sg = engine.shapes
        self.node = node
        self.path: Path | None = None
        path = sg.value(node, SH.path)
        if path is not None:
            self.path = _compile_path(sg, path)
        self.path_term = _path_term(self.path)
        self.severity = sg.value(node, SH.severity) or SH.Violation
        self.deactivated = sg.value(node, SH.deactivated) == Literal(True)
        self.message = _message(sg, node)
        self.targets = [(p, o) for p, o in sg.predicate_objects(node) if p in _TARGETS]
        if any((node, RDF.type, cls) in sg for cls in (RDFS.Class, OWL.Class)):
            self.targets.append((SH.targetClass, node))  # an implicit class target
        self.checks: list[Check] = []
        self.properties: list[Shape] = []
        self.sparql: list[tuple[Node, str, str | None]] = []
        # What the checks read beyond the value nodes themselves (for Validation.update):
        self.value_types = False  # their rdf:type (sh:class)
        self.value_shapes: list[Node] = []  # what these shapes read from them (sh:node)
        for p, o in sg.predicate_objects(node):
            if p in _DESCRIPTIVE:
                continue
            compile_check = _CHECKS.get(p)
            if compile_check is None:
                raise UnsupportedShape(f"{node}: {p} n'est pas pris en charge")
            self.checks.append(compile_check(engine, self, o))
            if p == SH["class"]:
                self.value_types = True
            elif p == SH.node:
                self.value_shapes.append(o)
        for prop in sg.objects(node, SH.property):
            self.properties.append(engine.shape(prop))
        for constraint in sg.objects(node, SH.sparql):
            self.sparql.append(_compile_sparql(sg, constraint))

    def pairs(self, index: Index, focus: list[Node]) -> Pairs:
        if self.path is None:
            return [(f, [f]) for f in focus]
        if self.path[0] == "p":
            forward = index.forward(self.path[1]).get
            return [(f, forward(f, _EMPTY)) for f in focus]
        return [(f, index.values(f, self.path)) for f in focus]

    def evaluate(self, engine: CompiledShapes, index: Index, focus: list[Node]) -> list[Result]:
        """Every result of these focus nodes, shape by shape and constraint by constraint."""
        if self.deactivated:
            return []
        pairs = self.pairs(index, focus)
        results = [
            Result(f, self.path_term, v, component, self.node, self.severity, self.message)
            for check in self.checks
            for f, v, component in check(index, pairs)
        ]
        for prop in self.properties:
            results.extend(prop.evaluate(engine, index, focus))
        return results

    def conforms(self, engine: CompiledShapes, index: Index, focus: Node) -> bool:
        key = (self.node, focus)
        found = engine.conformance.get(key)
        if found is None:
            found = not self.evaluate(engine, index, [focus])
            if found and self.sparql:
                found = not any(engine.sparql_rows(index, self, focus_filter={focus}))
            engine.conformance[key] = found
        return found


_EMPTY: list[Node] = []
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


class CompiledShapes:
    """Shapes compiled once; :meth:`validate` any number of data graphs against them."""

    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        self._shapes: dict[Node, Shape] = {}
        self.conformance: dict[tuple[Node, Node], bool] = {}
        self.solutions: dict[str, list[dict[str, Node]]] = {}  # per query, for one data graph
        self.live: Validation | None = None  # set while a Validation checks its changes
        # per value check, its result for each IRI value, for one data graph
        self.memo: dict[object, dict[Node, bool]] = {}
        roots = set(shapes.subjects(RDF.type, SH.NodeShape))
        roots |= {s for t in _TARGETS for s in shapes.subjects(t, None)}
        self.roots = [self.shape(node) for node in sorted(roots)]

    def shape(self, node: Node) -> Shape:
        found = self._shapes.get(node)
        if found is None:
            found = self._shapes[node] = Shape(self, node)
        return found

    def focus_nodes(self, index: Index, shape: Shape) -> list[Node]:
        found: dict[Node, None] = {}
        for kind, target in shape.targets:
            if kind == SH.targetClass:
                found.update(dict.fromkeys(index.instances(target)))
            elif kind == SH.targetNode:
                found[target] = None
            elif kind == SH.targetSubjectsOf:
                found.update(dict.fromkeys(index.forward(target)))
            else:
                found.update(dict.fromkeys(index.backward(target)))
        return list(found)

    def validate(self, data: Graph | Index, progress: Progress = NO_PROGRESS) -> list[Result]:
        """Every result of the data graph against the shapes (pyshacl's top-level results).

        ``data`` is an rdflib graph, or the :class:`~graph.index.Index` a build made.
        """
        self.conformance, self.solutions, self.memo = {}, {}, {}
        index = data if isinstance(data, Index) else Index.of_graph(data)
        results: list[Result] = []
        for shape in tracked(self.roots, "validate", progress, every=1):
            if shape.deactivated or not shape.targets:
                continue
            focus = self.focus_nodes(index, shape)
            results.extend(shape.evaluate(self, index, focus))
            if shape.sparql:
                results.extend(self.sparql_results(index, shape, set(focus)))
        return results

    def sparql_rows(
        self, index: Index, shape: Shape, focus_filter: set[Node]
    ) -> Iterable[tuple[Node, dict[str, Node], Node, str | None]]:
        if self.live is not None:
            yield from self.live.sparql_rows(shape, focus_filter)
            return
        for constraint, query, message in shape.sparql:
            solutions = self.solutions.get(query)
            if solutions is None:  # the same for every focus node: run once per data graph
                solutions = self.solutions[query] = list(_solutions(index, query))
            for bound in solutions:
                if bound.get("this") in focus_filter:
                    yield constraint, dict(bound), bound["this"], message  # callers pop keys

    def sparql_results(self, index: Index, shape: Shape, focus: set[Node]) -> list[Result]:
        """SPARQL constraints run once over the whole graph, rows kept for the focus nodes.

        pyshacl runs the query once per focus node with ``$this`` pre-bound; for queries where
        ``$this`` is an ordinary variable (ours) the rows are the same.
        """
        seen: set[tuple] = set()
        results = []
        for constraint, bound, this, message in self.sparql_rows(index, shape, focus):
            path = bound.pop("path", None)
            value = bound.pop("value", None)
            bound.pop("this", None)
            key = (constraint, this, path, value, tuple(sorted(bound.items())))
            if key in seen:
                continue
            seen.add(key)
            if value is None and shape.path is None:
                value = this
            text = message if message is not None else shape.message
            if text is not None:
                for var, val in {"this": this, "path": path, "value": value, **bound}.items():
                    if val is not None:
                        text = re.sub(f"{{[?$]{var}}}", str(val), text)
            results.append(
                Result(
                    this,
                    path if path is not None else _path_term(shape.path),
                    value,
                    SH.SPARQLConstraintComponent,
                    shape.node,
                    shape.severity,
                    text,
                )
            )
        return results


class Validation:
    """The results of one data index, kept by focus node and checked again where it changes.

    A focus node's results depend only on the triples of the nodes its shapes read: itself,
    the nodes its paths lead to, their types (``sh:class``) and what nested shapes
    (``sh:node``) read from there — at most ``reach`` hops away, over the ``links``
    predicates (:func:`dependencies`). So when triples change, the focus nodes checked again
    are those that many hops back from the changed triples' subjects; every other focus node
    keeps its results. ``tests/test_rebuild.py`` checks that the results are then exactly
    those of a whole validation.
    """

    def __init__(
        self, engine: CompiledShapes, index: Index, progress: Progress = NO_PROGRESS
    ) -> None:
        self.engine, self.index = engine, index
        self.reach, self.links, self.sparql_links = dependencies(engine)
        self.by_focus: dict[Node, list[Result]] = {}
        for result in engine.validate(index, progress):
            self.by_focus.setdefault(result.focus, []).append(result)
        self.conformance, self.memo = engine.conformance, engine.memo
        self._convert = RdflibToOxigraph().term
        self._stores: dict[str, tuple[ox.Store, frozenset[URIRef]]] = {}
        for shape in engine._shapes.values():
            for _, query, _ in shape.sparql:
                if query not in self._stores:
                    self._stores[query] = self._store(query)
        self._affected(set())  # makes the reverse maps it follows, once

    def _store(self, query: str) -> tuple[ox.Store, frozenset[URIRef]]:
        predicates = _predicates(query) or frozenset()
        return _predicate_store(self.index, predicates, self._convert), predicates

    def results(self) -> list[Result]:
        return [result for found in self.by_focus.values() for result in found]

    def update(
        self, removed: Iterable[Triple], added: Iterable[Triple], nodes: Iterable[Node] = ()
    ) -> set[Node]:
        """Check again what the changed triples (already applied to the index) can affect,
        and ``nodes`` with what depends on them; returns the focus nodes checked again."""
        removed, added = list(removed), list(added)
        convert = self._convert
        for store, predicates in self._stores.values():
            for triples, apply in ((removed, store.remove), (added, store.add)):
                for s, p, o in triples:
                    if p in predicates:
                        apply(ox.Quad(convert(s), convert(p), convert(o)))
        touched = {s for s, _, _ in removed + added} | set(nodes)
        touched |= {o for _, p, o in removed + added if p in self.sparql_links}
        affected = self._affected(touched)
        engine, index = self.engine, self.index
        self.conformance = {k: v for k, v in self.conformance.items() if k[1] not in affected}
        for results in self.memo.values():
            for node in affected:
                results.pop(node, None)
        engine.conformance, engine.memo, engine.live = self.conformance, self.memo, self
        try:
            for node in affected:
                self.by_focus.pop(node, None)
            for shape in engine.roots:
                if shape.deactivated or not shape.targets:
                    continue
                focus = [n for n in affected if _is_target(index, shape, n)]
                if not focus:
                    continue
                found = shape.evaluate(engine, index, focus)
                if shape.sparql:
                    found.extend(engine.sparql_results(index, shape, set(focus)))
                for result in found:
                    self.by_focus.setdefault(result.focus, []).append(result)
        finally:
            engine.live = None
        return affected

    def _affected(self, touched: set[Node]) -> set[Node]:
        index = self.index
        backward = [index.backward(p) for p in self.links | self.sparql_links]
        forward = [index.forward(p) for p in self.sparql_links]
        found, frontier = set(touched), touched
        for _ in range(self.reach):
            step: set[Node] = set()
            for edges in backward + forward:
                for node in frontier:
                    step.update(edges.get(node, _EMPTY))
            frontier = step - found
            found |= frontier
        return found

    def sparql_rows(
        self, shape: Shape, focus: set[Node]
    ) -> Iterable[tuple[Node, dict[str, Node], Node, str | None]]:
        """The rows of the shape's SPARQL constraints for these focus nodes only ($this bound)."""
        this = ox.Variable("this")
        for constraint, query, message in shape.sparql:
            store = self._stores[query][0]
            for node in focus:
                solutions = store.query(query, substitutions={this: self._convert(node)})
                for bound in _bindings(solutions):
                    bound["this"] = node
                    yield constraint, bound, node, message


def dependencies(engine: CompiledShapes) -> tuple[int, frozenset[Node], frozenset[URIRef]]:
    """How far a focus node's results reach: (hops, predicates followed, SPARQL predicates).

    Raises :class:`UnsupportedShape` for shapes whose reach this cannot bound (inverse paths,
    ``sh:targetObjectsOf``, recursive ``sh:node``, SPARQL with a variable predicate).
    """
    reach, links, sparql = 0, set(), set()
    for shape in engine.roots:
        if any(kind == SH.targetObjectsOf for kind, _ in shape.targets):
            raise UnsupportedShape(f"{shape.node}: sh:targetObjectsOf")
        hops = _reach(engine, shape, links, sparql, frozenset())
        reach = max(reach, hops)
    return reach, frozenset(links), frozenset(sparql)


def _reach(
    engine: CompiledShapes, shape: Shape, links: set, sparql: set, visiting: frozenset
) -> int:
    """The farthest hop whose triples ``shape`` reads from its focus node (0: its own)."""
    if shape.node in visiting:
        raise UnsupportedShape(f"{shape.node}: sh:node récursif")
    visiting = visiting | {shape.node}
    steps = _steps(shape.path)
    links.update(steps[:-1])  # followed to read the next step's triples
    hops = max(len(steps) - 1, 0)
    deeper = [0] if shape.value_types else []
    deeper += [_reach(engine, engine.shape(n), links, sparql, visiting) for n in shape.value_shapes]
    if deeper:
        hops = max(hops, len(steps) + max(deeper))
        links.update(steps[-1:])
    for prop in shape.properties:
        hops = max(hops, _reach(engine, prop, links, sparql, visiting))
    for _, query, _ in shape.sparql:
        predicates = _predicates(query)
        if predicates is None:
            raise UnsupportedShape(f"{shape.node}: SPARQL à prédicat variable")
        sparql.update(predicates)
        hops = max(hops, _pattern_count(query))  # $this is the focus node, not a value
    return hops


def _steps(path: Path | None) -> list[URIRef]:
    if path is None:
        return []
    if path[0] == "p":
        return [path[1]]
    if path[0] == "seq":
        return [step for inner in path[1] for step in _steps(inner)]
    raise UnsupportedShape("chemin inverse")


def _is_target(index: Index, shape: Shape, node: Node) -> bool:
    for kind, target in shape.targets:
        if kind == SH.targetClass and index.has_class(node, target):
            return True
        if kind == SH.targetNode and node == target:
            return True
        if kind == SH.targetSubjectsOf and node in index.forward(target):
            return True
    return False


def _message(sg: Graph, node: Node) -> str | None:
    messages = list(sg.objects(node, SH.message))
    return str(messages[0]) if messages else None


def _compile_path(sg: Graph, path: Node) -> Path:
    if isinstance(path, URIRef):
        return ("p", path)
    if sg.value(path, RDF.first) is not None:
        return ("seq", tuple(_compile_path(sg, step) for step in Collection(sg, path)))
    inverse = sg.value(path, SH.inversePath)
    if isinstance(inverse, URIRef):
        return ("inv", ("p", inverse))
    raise UnsupportedShape(f"chemin SHACL non pris en charge : {path}")


def _path_term(path: Path | None) -> Node | tuple | None:
    if path is None:
        return None
    return path[1] if path[0] == "p" else path


def _solutions(index: Index, query: str) -> Iterable[dict[str, Node]]:
    """The query's solutions over the data graph, as rdflib terms.

    When every triple pattern of the query has a constant predicate, only those predicates'
    triples are copied from the index into an Oxigraph store, which answers in a fraction of
    rdflib's time on a national network; otherwise rdflib queries the whole graph.
    """
    predicates = _predicates(query)
    if predicates is None:
        for row in index.graph.query(query):
            yield {str(k): v for k, v in row.asdict().items()}
        return
    back: dict[object, Node] = {}
    convert = RdflibToOxigraph().term

    def ox_term(term: Node) -> object:
        converted = convert(term)
        back[converted] = term
        return converted

    yield from _bindings(_predicate_store(index, predicates, ox_term).query(query), back)


def _predicate_store(
    index: Index, predicates: Iterable[URIRef], convert: Callable[[Node], Any]
) -> ox.Store:
    """An Oxigraph store of these predicates' triples, which the SPARQL constraints query."""
    store = ox.Store()
    store.extend(
        ox.Quad(convert(s), convert(p), convert(o))
        for p in predicates
        for s, objects in index.forward(p).items()
        for o in objects
    )
    return store


def _bindings(
    solutions: ox.QuerySolutions, back: dict[object, Node] | None = None
) -> Iterator[dict[str, Node]]:
    """Each solution's bound variables as rdflib terms (``back``: the terms converted from)."""
    variables = solutions.variables
    for solution in solutions:
        bound = {}
        for variable in variables:
            value = solution[variable]
            if value is not None:
                bound[variable.value] = (back and back.get(value)) or to_rdflib(value)
        yield bound


@cache
def _patterns(query: str) -> tuple[URIRef, ...] | None:
    """The predicate of each of the query's triple patterns; None if one is a variable or a
    path."""
    found: list[URIRef] = []

    def walk(node: object) -> bool:
        if isinstance(node, CompValue):
            if node.name == "BGP":
                for _, p, _ in node.get("triples", []):
                    if not isinstance(p, URIRef):
                        return False
                    found.append(p)
            return all(walk(v) for v in node.values())
        if isinstance(node, (list, tuple)):
            return all(walk(v) for v in node)
        return True

    return tuple(found) if walk(prepareQuery(query).algebra) else None


def _predicates(query: str) -> frozenset[URIRef] | None:
    """The predicates of the query's triple patterns; None if one is a variable or a path."""
    patterns = _patterns(query)
    return None if patterns is None else frozenset(patterns)


def _pattern_count(query: str) -> int:
    return len(_patterns(query) or ())


def _compile_sparql(sg: Graph, constraint: Node) -> tuple[Node, str, str | None]:
    select = sg.value(constraint, SH.select)
    if select is None:
        raise UnsupportedShape(f"{constraint}: seul sh:select est pris en charge")
    if sg.value(constraint, SH.prefixes) is not None:
        raise UnsupportedShape(f"{constraint}: sh:prefixes n'est pas pris en charge")
    query = re.sub(r"\$this\b", "?this", str(select))
    return constraint, query, _message(sg, constraint)


def _int(o: Node) -> int:
    return int(o.toPython()) if isinstance(o, Literal) else int(str(o))


def _min_count(engine: CompiledShapes, shape: Shape, o: Node) -> Check:
    n, component = _int(o), SH.MinCountConstraintComponent
    return lambda index, pairs: [(f, None, component) for f, values in pairs if len(values) < n]


def _max_count(engine: CompiledShapes, shape: Shape, o: Node) -> Check:
    n, component = _int(o), SH.MaxCountConstraintComponent
    return lambda index, pairs: [(f, None, component) for f, values in pairs if len(values) > n]


def _per_value(
    engine: CompiledShapes, component: URIRef, ok: Callable[[Index, Node], bool]
) -> Check:
    """A check of each value node on its own; IRIs, repeated across the graph, are cached for
    the whole validation (``engine.memo``), other nodes for this call, by identity: the build
    makes one object of a repeated literal, and the call's ``pairs`` hold every value while it
    runs, so no identity is reused meanwhile."""
    key = object()  # this check's own entry in engine.memo

    def check(index: Index, pairs: Pairs) -> list[tuple[Node, Node | None, URIRef]]:
        cache = engine.memo.get(key)
        if cache is None:
            cache = engine.memo[key] = {}
        seen: dict[int, bool] = {}
        failures = []
        for f, values in pairs:
            for v in values:
                if type(v) is URIRef:
                    good = cache.get(v)
                    if good is None:
                        good = cache[v] = ok(index, v)
                else:
                    good = seen.get(id(v))
                    if good is None:
                        good = seen[id(v)] = ok(index, v)
                if not good:
                    failures.append((f, v, component))
        return failures

    return check


_PYTHON_TYPES = {
    XSD.integer: int,
    XSD.float: float,
    XSD.decimal: Decimal,
    XSD.boolean: bool,
    XSD.date: date,
    XSD.time: time,
    XSD.dateTime: datetime,
}


_TEXT_TYPES = (XSD.string, RDF.langString)


def _actual_datatype(value: Literal, datatype: Node) -> bool:
    python = value.value
    if datatype in _TEXT_TYPES:
        return isinstance(python, (str, bytes))
    expected = _PYTHON_TYPES.get(datatype)
    return expected is None or isinstance(python, expected)


def _datatype(engine: CompiledShapes, shape: Shape, dt: Node) -> Check:
    literal, xsd_string, lang_string = RDFS.Literal, XSD.string, RDF.langString
    datatype_class = RDFS.Datatype

    def ok(index: Index, v: Node) -> bool:
        if not isinstance(v, Literal):
            return False
        if v.datatype == dt:
            return v.ill_typed is not True and _actual_datatype(v, dt)
        if dt == literal or (dt == datatype_class and v.datatype):
            return True
        if v.datatype is None and v.language is None and dt == xsd_string:
            return _actual_datatype(v, dt)
        if dt == lang_string and v.language:
            return _actual_datatype(v, dt)
        return False

    return _per_value(engine, SH.DatatypeConstraintComponent, ok)


def _class(engine: CompiledShapes, shape: Shape, cls: Node) -> Check:
    return _per_value(engine, SH.ClassConstraintComponent, lambda index, v: index.has_class(v, cls))


def _node(engine: CompiledShapes, shape: Shape, other: Node) -> Check:
    target = engine.shape(other)
    return _per_value(
        engine, SH.NodeConstraintComponent, lambda index, v: target.conforms(engine, index, v)
    )


def _has_value(engine: CompiledShapes, shape: Shape, expected: Node) -> Check:
    component = SH.HasValueConstraintComponent
    return lambda index, pairs: [(f, None, component) for f, vs in pairs if expected not in vs]


def _in(engine: CompiledShapes, shape: Shape, members: Node) -> Check:
    allowed = set(Collection(engine.shapes, members))
    return _per_value(engine, SH.InConstraintComponent, lambda index, v: v in allowed)


_KINDS = {
    SH.IRI: (URIRef,),
    SH.BlankNode: (BNode,),
    SH.Literal: (Literal,),
    SH.BlankNodeOrIRI: (BNode, URIRef),
    SH.BlankNodeOrLiteral: (BNode, Literal),
    SH.IRIOrLiteral: (URIRef, Literal),
}


def _node_kind(engine: CompiledShapes, shape: Shape, kind: Node) -> Check:
    allowed = _KINDS[kind]
    return _per_value(
        engine, SH.NodeKindConstraintComponent, lambda index, v: isinstance(v, allowed)
    )


_PLAIN = (None, RDF.langString, XSD.string)


def _string(v: Node) -> str:
    """pyshacl's ``value_node_to_string``."""
    if isinstance(v, Literal) and v.value is not None and v.datatype in _PLAIN:
        return str(v.value)
    return str(v)


def _pattern(engine: CompiledShapes, shape: Shape, pattern: Node) -> Check:
    flags = 0
    for letter in str(engine.shapes.value(shape.node, SH.flags) or ""):
        flags |= {"i": re.I, "m": re.M, "s": re.S, "x": re.X}.get(letter, 0)
    search = re.compile(str(pattern), flags).search
    return _per_value(
        engine,
        SH.PatternConstraintComponent,
        lambda index, v: not isinstance(v, BNode) and search(_string(v)) is not None,
    )


def _min_length(engine: CompiledShapes, shape: Shape, o: Node) -> Check:
    n = _int(o)
    return _per_value(
        engine,
        SH.MinLengthConstraintComponent,
        lambda index, v: n == 0 or (not isinstance(v, BNode) and len(_string(v)) >= n),
    )


def _max_length(engine: CompiledShapes, shape: Shape, o: Node) -> Check:
    n = _int(o)
    return _per_value(
        engine,
        SH.MaxLengthConstraintComponent,
        lambda index, v: not isinstance(v, BNode) and len(_string(v)) <= n,
    )


def _range(component: URIRef, accept: Callable[[int], bool]) -> Callable[..., Check]:
    def compile_check(engine: CompiledShapes, shape: Shape, bound: Node) -> Check:
        bound_is_string = isinstance(bound, Literal) and isinstance(bound.value, str)

        def ok(index: Index, v: Node) -> bool:
            if not isinstance(v, Literal) or isinstance(v.value, str) != bound_is_string:
                return False
            try:
                return accept(compare_literal(v, bound))
            except (TypeError, NotImplementedError):
                return False

        return _per_value(engine, component, ok)

    return compile_check


def _disjoint(engine: CompiledShapes, shape: Shape, other: Node) -> Check:
    component = SH.DisjointConstraintComponent

    def check(index: Index, pairs: Pairs) -> list[tuple[Node, Node | None, URIRef]]:
        others = index.forward(other)
        return [
            (f, v, component)
            for f, values in pairs
            if f in others
            for v in values
            if v in set(others[f])
        ]

    return check


_CHECKS: dict[Node, Callable[[CompiledShapes, Shape, Any], Check]] = {
    SH.minCount: _min_count,
    SH.maxCount: _max_count,
    SH.datatype: _datatype,
    SH["class"]: _class,
    SH.node: _node,
    SH.hasValue: _has_value,
    SH["in"]: _in,
    SH.nodeKind: _node_kind,
    SH.pattern: _pattern,
    SH.minLength: _min_length,
    SH.maxLength: _max_length,
    SH.minInclusive: _range(SH.MinInclusiveConstraintComponent, lambda c: c >= 0),
    SH.minExclusive: _range(SH.MinExclusiveConstraintComponent, lambda c: c > 0),
    SH.maxInclusive: _range(SH.MaxInclusiveConstraintComponent, lambda c: c <= 0),
    SH.maxExclusive: _range(SH.MaxExclusiveConstraintComponent, lambda c: c < 0),
    SH.disjoint: _disjoint,
}
