"""The SKOS schemes: DigComp complete, needs aligned on the national standard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import DATA, ROOT
from rdflib.namespace import SKOS

from maillage.graph.vocab import load_vocabulary

STANDARDS = ROOT / "tests" / "standards"  # the standards' own files, copied unchanged
BASE = "https://maillage.example.org/test"


@pytest.fixture(scope="module")
def vocab():
    return load_vocabulary(DATA / "vocab", BASE)


def test_digcomp_has_5_areas_and_21_competences(vocab):
    notations = set(vocab.notations["competencies"])
    assert {n for n in notations if "." not in n} == {"1", "2", "3", "4", "5"}
    assert len([n for n in notations if "." in n]) == 21


def test_every_concept_has_a_french_label(vocab):
    for concept in vocab.by_iri:
        labels = [x for x in vocab.graph.objects(concept, SKOS.prefLabel) if x.language == "fr"]
        assert labels, concept


def test_concept_iris_follow_scheme_and_notation(vocab):
    for concept, (scheme, notation) in vocab.by_iri.items():
        assert str(concept) == f"{BASE}/concept/{scheme}/{notation}"


def _standard_values(field: str) -> list[str]:
    schema = STANDARDS / "lieux-mediation-numerique" / "schema.json"
    fields = {f["name"]: f for f in json.loads(schema.read_text(encoding="utf-8"))["fields"]}
    pattern = fields[field]["constraints"]["pattern"]
    inner = pattern.split("(", 3)[3].rsplit("))", 1)[0]
    return [v.replace("\\(", "(").replace("\\)", ")") for v in inner.split("|")]


def test_top_needs_carry_the_exact_labels_of_the_lieux_standard(vocab):
    top = {
        str(vocab.graph.value(c, SKOS.prefLabel))
        for c in vocab.graph.subjects(SKOS.topConceptOf, vocab.scheme_iri("needs"))
    }
    assert top == set(_standard_values("services"))


def test_needs_match_data_inclusion_only_closely(vocab):
    graph = vocab.graph
    assert not list(graph.subject_objects(SKOS.exactMatch))
    matched = {s for s, _ in graph.subject_objects(SKOS.closeMatch)}
    for target in graph.objects(None, SKOS.closeMatch):
        assert target in vocab.by_iri, target
    assert len(matched) >= 9


def test_modalities_and_fees_are_the_standards_values(vocab):
    modalities = {
        str(vocab.graph.value(c, SKOS.prefLabel)) for c in vocab.notations["modalities"].values()
    }
    assert modalities == set(_standard_values("modalites_accompagnement"))
    fees = {str(vocab.graph.value(c, SKOS.prefLabel)) for c in vocab.notations["fees"].values()}
    assert fees == set(_standard_values("frais_a_charge"))


def test_a_value_can_be_written_as_its_label(vocab):
    by_label = vocab.resolve("needs", "Aide aux démarches administratives")
    assert by_label == vocab.resolve("needs", "aide-demarches-administratives")


def test_vocab_files_are_relative_to_the_network_base(tmp_path: Path):
    other = load_vocabulary(DATA / "vocab", "https://other.example/net")
    assert (
        str(other.resolve("poles", "necessite"))
        == "https://other.example/net/concept/poles/necessite"
    )


def test_older_labels_of_the_standards_are_alternative_labels(vocab):
    concept = vocab.notations["thematiques"]["numerique--acquerir-un-equipement"]
    alt = {str(x) for x in vocab.graph.objects(concept, SKOS.altLabel)}
    assert alt == {"Acquérir un équipement numérique"}  # the data·inclusion v0 label
    # and a value written with an older label resolves to the same concept
    assert vocab.resolve("thematiques", "Acquérir un équipement numérique") == concept
    assert vocab.resolve("needs", "Comprehension du monde numérique") == vocab.resolve(
        "needs", "comprehension-monde-numerique"
    )
