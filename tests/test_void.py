"""The catalogue's VoID statistics are rdflib's own (``generateVoID``), computed from the index."""

import pytest
from conftest import DATA
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, VOID
from rdflib.void import generateVoID

from maillage.publish.build import check
from maillage.publish.void import void_description

DATASET = URIRef("https://example.org/jeu")


@pytest.fixture(scope="module")
def built():
    return check(DATA)


def _statements(void: Graph) -> set[tuple]:
    """The description with each partition named by what it partitions, not by its number."""

    def name(node):
        for kind in (VOID["class"], VOID.property):
            target = void.value(node, kind)
            if target is not None:
                return (kind, target)
        return node

    return {(name(s), p, name(o)) for s, p, o in void}


def test_void_equals_rdflibs_on_the_default_network(built):
    expected, _ = generateVoID(built.graph, dataset=DATASET)
    mine = void_description(built.index, DATASET)
    assert _statements(mine) == _statements(expected)
    assert len(mine) == len(expected)
    assert (DATASET, RDF.type, VOID.Dataset) in mine


def test_partitions_are_numbered_the_same_at_every_build(built):
    first = void_description(built.index, DATASET)
    classes = sorted(first.objects(None, VOID["class"]))
    assert first.value(URIRef(f"{DATASET}_class0"), VOID["class"]) == classes[0]
