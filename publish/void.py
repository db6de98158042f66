"""VoID statistics of the graph, read from its index.

The same description as ``rdflib.void.generateVoID`` (same properties, same counts), computed
predicate by predicate over :class:`~graph.index.Index` instead of triple by triple over an
rdflib store: seconds instead of a minute on a national network. Partitions are numbered in
the order of their class or property IRI, so that the catalogue is the same at every build
(rdflib numbers them in set order, which changes with the process's hash seed).
"""

from __future__ import annotations

from collections import Counter
from itertools import chain

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, VOID
from rdflib.term import Node

from maillage.graph.index import Index


def void_description(index: Index, dataset: URIRef) -> Graph:
    """``dataset`` described in VoID: its triples, classes and properties, and one partition
    per class and per property (distinct subjects and objects counted in each)."""
    members = index.backward(RDF.type)  # class -> its entities
    # entity -> its classes, one tuple object per distinct set of classes
    kinds: dict[tuple[Node, ...], tuple[Node, ...]] = {}
    group_of = {
        s: kinds.setdefault(tuple(cs), tuple(cs)) for s, cs in index.forward(RDF.type).items()
    }
    class_triples = dict.fromkeys(members, 0)
    class_props: dict[Node, set[Node]] = {c: set() for c in members}
    class_objects: dict[Node, set[Node]] = {c: set() for c in members}
    subjects: set[Node] = set()
    objects: set[Node] = set()
    by_property = []
    for p in index.predicates():
        by_subject = index.forward(p)
        subjects.update(by_subject)
        # the subjects' value lists, by the subjects' classes (counted in C: a predicate of the
        # model is used by one class, whose distinct objects are then the predicate's)
        sizes = Counter(map(group_of.get, by_subject))
        if len(sizes) == 1:
            p_objects = set(chain.from_iterable(by_subject.values()))
            groups = {next(iter(sizes)): (p_objects, sum(map(len, by_subject.values())))}
        else:
            lists: dict[tuple[Node, ...] | None, list[list[Node]]] = {}
            for s, values in by_subject.items():
                lists.setdefault(group_of.get(s), []).append(values)
            groups = {
                classes: (set(chain.from_iterable(values)), sum(map(len, values)))
                for classes, values in lists.items()
            }
            p_objects = set().union(*(found for found, _ in groups.values()))
        entities = sum(n for classes, n in sizes.items() if classes)
        p_classes = set(chain.from_iterable(classes for classes in sizes if classes))
        for classes, (group_objects, count) in groups.items():
            for c in classes or ():
                class_triples[c] += count
                class_props[c].add(p)
                class_objects[c] |= group_objects
        objects |= p_objects
        triples = sum(count for _, count in groups.values())
        by_property.append((p, triples, entities, len(p_classes), len(by_subject), len(p_objects)))

    void = Graph()
    void.add((dataset, RDF.type, VOID.Dataset))
    for prop, value in (
        (VOID.triples, len(index)),
        (VOID.classes, len(members)),
        (VOID.distinctObjects, len(objects)),
        (VOID.distinctSubjects, len(subjects)),
        (VOID.properties, len(by_property)),
    ):
        void.add((dataset, prop, Literal(value)))
    for i, c in enumerate(sorted(members)):
        entities = len(members[c])  # each entity once: the index holds no duplicate triple
        part = URIRef(f"{dataset}_class{i}")
        void.add((dataset, VOID.classPartition, part))
        void.add((part, RDF.type, VOID.Dataset))
        void.add((part, VOID["class"], c))
        for prop, value in (
            (VOID.triples, class_triples[c]),
            (VOID.classes, 1),
            (VOID.entities, entities),
            (VOID.distinctSubjects, entities),
            (VOID.properties, len(class_props[c])),
            (VOID.distinctObjects, len(class_objects[c])),
        ):
            void.add((part, prop, Literal(value)))
    for i, (p, count, entities, classes, n_subjects, n_objects) in enumerate(sorted(by_property)):
        part = URIRef(f"{dataset}_property{i}")
        void.add((dataset, VOID.propertyPartition, part))
        void.add((part, RDF.type, VOID.Dataset))
        void.add((part, VOID.property, p))
        for prop, value in (
            (VOID.triples, count),
            (VOID.properties, 1),
            (VOID.entities, entities),
            (VOID.classes, classes),
            (VOID.distinctSubjects, n_subjects),
            (VOID.distinctObjects, n_objects),
        ):
            void.add((part, prop, Literal(value)))
    return void
