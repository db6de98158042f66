"""The compiled SHACL engine reports exactly what pyshacl reports, on the same data and shapes."""

from __future__ import annotations

import json
from collections import Counter

import pyshacl
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from benchmarks.generate import DEFECTS, generate
from maillage.graph.build import build_graph
from maillage.graph.load import load_network
from maillage.graph.vocab import load_vocabulary
from maillage.shapes import pyshacl_results, shacl_results, validate
from maillage.shapes.engine import CompiledShapes, Result, UnsupportedShape


def _key(result) -> tuple:
    # sh:sourceShape is a blank node that pyshacl copies into its report: compare the rest
    return (
        result.focus,
        result.path,
        result.value,
        result.component,
        result.severity,
        result.message,
    )


def _same(found: list, expected: list) -> None:
    assert Counter(map(_key, found)) == Counter(map(_key, expected))


@pytest.fixture(scope="module")
def defective(tmp_path_factory):
    out = tmp_path_factory.mktemp("national") / "data"
    summary = generate(60, out, defects=0.5, seed=3)
    network = load_network(out, strict=False)
    built = build_graph(network, load_vocabulary(out / "vocab", network.base))
    return out, summary, built


def test_same_results_as_pyshacl_on_a_generated_network_with_defects(defective):
    out, summary, built = defective
    injected = json.loads((out / "defects.json").read_text())
    assert {d["defect"] for d in injected} == set(DEFECTS)  # every kind of defect is there
    compiled = shacl_results(built, "compiled")
    _same(compiled, pyshacl_results(built.graph))
    assert len(compiled) >= summary["defects"]


def test_every_injected_defect_is_reported_in_its_file(defective):
    out, _, built = defective
    errors = validate(built)
    files = {e.file.rsplit("/", 1)[-1] for e in errors}
    for defect in json.loads((out / "defects.json").read_text()):
        assert f"{defect['actor']}.yaml" in files, defect


def test_the_default_network_conforms_with_both_engines(default_dist):
    network = load_network("data")
    built = build_graph(network, load_vocabulary("data/vocab", network.base))
    assert shacl_results(built, "compiled") == []
    assert pyshacl_results(built.graph) == []


PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix ex: <http://example.org/> .
"""

# Every constraint the engine implements, each with data that passes and data that fails.
SHAPES = (
    PREFIXES
    + """
ex:ThingShape a sh:NodeShape ;
    sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:size ; sh:datatype xsd:integer ; sh:minExclusive 0 ;
                  sh:maxExclusive 10 ; sh:maxCount 1 ] ;
    sh:property [ sh:path ex:score ; sh:minInclusive 1.5 ; sh:maxInclusive 2.5 ] ;
    sh:property [ sh:path ex:code ; sh:pattern "^ab" ; sh:flags "i" ; sh:minLength 3 ;
                  sh:maxLength 5 ; sh:minCount 1 ] ;
    sh:property [ sh:path ex:colour ; sh:in ( "rouge" "vert" ) ; sh:nodeKind sh:Literal ] ;
    sh:property [ sh:path ex:friend ; sh:class ex:Thing ; sh:disjoint ex:enemy ] ;
    sh:property [ sh:path [ sh:inversePath ex:owns ] ; sh:minCount 1 ; sh:message "orphelin"@fr ] ;
    sh:property [ sh:path ( ex:friend ex:code ) ; sh:hasValue "abc" ] ;
    sh:property [ sh:path ex:label ; sh:datatype rdf:langString ] .
ex:Special a sh:NodeShape ; sh:targetNode ex:c ; sh:node ex:HasColour .
ex:HasColour a sh:NodeShape ; sh:property [ sh:path ex:colour ; sh:minCount 1 ] .
ex:Subjects a sh:NodeShape ; sh:targetSubjectsOf ex:enemy ; sh:class ex:Thing .
ex:Objects a sh:NodeShape ; sh:targetObjectsOf ex:owns ;
    sh:sparql [
        sh:select "SELECT $this ?value WHERE { $this ex:friend ?value . ?value ex:friend $this }" ;
                sh:message "{?value} et {$this} sont amis l'un de l'autre" ] .
"""
).replace('sh:select "SELECT', 'sh:select "PREFIX ex: <http://example.org/> SELECT')

DATA = (
    PREFIXES
    + """
ex:Special2 rdfs:subClassOf ex:Thing .
ex:a a ex:Thing ; ex:size 3 ; ex:score 2.0 ; ex:code "ABcd" ; ex:colour "rouge" ;
    ex:friend ex:b ; ex:label "un"@fr .
ex:b a ex:Special2 ; ex:size 0, 12 ; ex:score 3 ; ex:code "xyz", "abcdefg" ; ex:colour ex:vert ;
    ex:friend ex:a, ex:z ; ex:enemy ex:a, ex:z ; ex:label "deux" .
ex:c a ex:Thing ; ex:size "trois"^^xsd:integer ; ex:score "bas" ; ex:code "ab" ;
    ex:friend "texte" .
ex:owner ex:owns ex:a, ex:b .
ex:z ex:enemy ex:a .
"""
)


def test_each_constraint_matches_pyshacl_on_passing_and_failing_data():
    shapes = Graph().parse(data=SHAPES, format="turtle")
    data = Graph().parse(data=DATA, format="turtle")
    compiled = CompiledShapes(shapes).validate(data)
    components = {r.component.rsplit("#", 1)[-1] for r in compiled}
    # each implemented constraint failed at least once, so each is compared
    for name in (
        "Datatype",
        "MinExclusive",
        "MaxExclusive",
        "MinInclusive",
        "MaxInclusive",
        "MaxCount",
        "MinCount",
        "Pattern",
        "MinLength",
        "MaxLength",
        "In",
        "NodeKind",
        "Class",
        "Disjoint",
        "HasValue",
        "Node",
        "SPARQL",
    ):
        assert f"{name}ConstraintComponent" in components, name

    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    expected = [
        Result(
            report.value(r, SH.focusNode),
            None,
            report.value(r, SH.value),
            report.value(r, SH.sourceConstraintComponent),
            None,
            report.value(r, SH.resultSeverity),
            None,
        )
        for top in report.subjects(RDF.type, SH.ValidationReport)
        for r in report.objects(top, SH.result)
    ]
    found = [
        r.__class__(r.focus, None, r.value, r.component, None, r.severity, None) for r in compiled
    ]
    assert Counter(found) == Counter(expected)


def test_a_shape_using_an_unimplemented_feature_is_refused():
    shapes = Graph().parse(
        data=PREFIXES + "ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:or ( ex:A ex:B ) .",
        format="turtle",
    )
    with pytest.raises(UnsupportedShape, match="or"):
        CompiledShapes(shapes)


def test_sparql_constraints_with_a_variable_predicate_are_answered_by_rdflib_alike():
    from maillage.shapes.engine import _predicates

    query = "SELECT ?this ?value WHERE { ?this ?p ?value . FILTER (isLiteral(?value)) }"
    assert _predicates(query) is None  # no constant predicates to copy: rdflib answers
    assert _predicates("SELECT ?this WHERE { ?this <http://ex.org/p> ?v }") == {
        URIRef("http://ex.org/p")
    }
    shapes = Graph().parse(
        data=PREFIXES
        + f"""ex:S a sh:NodeShape ; sh:targetClass ex:Thing ;
            sh:sparql [ sh:select "{query.replace("?this", "$this")}" ;
                        sh:message "littéral {{?value}}" ] .""",
        format="turtle",
    )
    data = Graph().parse(data=DATA, format="turtle")
    compiled = CompiledShapes(shapes).validate(data)
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    expected = Counter(
        (
            report.value(r, SH.focusNode),
            report.value(r, SH.value),
            str(report.value(r, SH.resultMessage)),
        )
        for r in report.subjects(SH.focusNode, None)
    )
    assert Counter((r.focus, r.value, r.message) for r in compiled) == expected
    assert len(compiled) > 3


def test_a_shape_that_is_also_a_class_targets_its_instances_as_pyshacl_does():
    shapes = Graph().parse(
        data=PREFIXES
        + "ex:Thing a rdfs:Class, sh:NodeShape ;"
        + " sh:property [ sh:path ex:colour ; sh:minCount 1 ] .",
        format="turtle",
    )
    data = Graph().parse(data=DATA, format="turtle")
    compiled = CompiledShapes(shapes).validate(data)
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    assert Counter(r.focus for r in compiled) == Counter(report.objects(None, SH.focusNode))
    assert {r.focus.rsplit("/", 1)[-1] for r in compiled} == {"c"}  # b has a colour, an IRI
