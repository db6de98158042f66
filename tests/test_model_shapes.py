"""graph/model.py and shapes/*.ttl must name the same properties for each class."""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import RDF, SDO, SH

from maillage.graph.model import CLASSES
from maillage.shapes import shapes_graph


def _shape_paths(target: URIRef) -> set[URIRef]:
    g = shapes_graph()
    paths: set[URIRef] = set()
    for shape in g.subjects(SH.targetClass, target):
        for prop in g.objects(shape, SH.property):
            path = g.value(prop, SH.path)
            if isinstance(path, URIRef):
                paths.add(path)
    return paths


def test_every_model_field_has_a_shape_and_back():
    for cls in CLASSES:
        own = {f.predicate for f in cls.fields if f.via is None}
        via = {f.predicate for f in cls.fields if f.via is not None}
        assert _shape_paths(cls.types[0]) == own | ({SDO.address} if via else set()), cls.name
        if via:
            assert _shape_paths(SDO.PostalAddress) == via


def test_every_property_shape_has_a_french_message():
    g = shapes_graph()
    for prop in set(g.objects(None, SH.property)):
        if (None, SH.targetClass, None) in g and g.value(prop, SH.path) is not None:
            parents = list(g.subjects(SH.property, prop))
            if any(g.value(p, SH.targetClass) for p in parents):
                message = g.value(prop, SH.message)
                assert message is not None and message.language == "fr", g.value(prop, SH.path)
    assert (None, RDF.type, SH.NodeShape) in g
