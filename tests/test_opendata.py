"""Open data: every dump holds the built graph; the catalogue is valid DCAT-AP and true."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import unquote

import pyshacl
import pytest
from conftest import DATA
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, VOID

from maillage.publish.build import check
from maillage.publish.catalog import ETALAB_2, SPDX
from maillage.publish.site import make_datasette

DCAT_AP = Path(__file__).parent / "standards" / "dcat-ap-3.0"


@pytest.fixture(scope="module")
def built():
    return check(DATA)


@pytest.fixture(scope="module")
def catalog(default_dist: Path) -> Graph:
    return Graph().parse(default_dist / "catalog.ttl")


@pytest.mark.parametrize(
    "name,fmt", [("maillage.nt", "nt"), ("maillage.ttl", "turtle"), ("maillage.jsonld", "json-ld")]
)
def test_each_dump_is_the_built_graph(name: str, fmt: str, default_dist: Path, built):
    assert isomorphic(Graph().parse(default_dist / name, format=fmt), built.graph)


def test_trig_has_one_named_graph_per_source_file(default_dist: Path, built):
    dataset = Dataset()
    dataset.parse(default_dist / "maillage.trig", format="trig")
    union = Graph()
    names = set()
    for graph in dataset.graphs():
        if len(graph):
            names.add(unquote(str(graph.identifier).rsplit("/source/", 1)[-1]))
            union += graph
    assert isomorphic(union, built.graph)
    actor_files = {f"data/actors/{p.name}" for p in (DATA / "actors").glob("*.yaml")}
    vocab_files = {f"data/vocab/{p.name}" for p in (DATA / "vocab").glob("*.ttl")}
    action_files = {f"data/actions/{p.name}" for p in (DATA / "actions").glob("*.yaml")}
    assert names == actor_files | vocab_files | action_files | {
        "data/network.yaml",
        "data/indicators.yaml",
        "data/diagnostic.yaml",
    }


def test_the_jsonld_context_gives_readable_keys(default_dist: Path):
    context = json.loads((default_dist / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    assert context["name"] == {"@id": "schema:name"}
    assert context["provider"] == {"@id": "schema:provider", "@type": "@id"}
    assert context["description"]["@language"] == "fr"
    # two fields named "sites" get the names of their predicates
    assert context["hasSite"]["@id"] == "org:hasSite"
    assert context["availableAtOrFrom"]["@id"] == "schema:availableAtOrFrom"
    dump = json.loads((default_dist / "maillage.jsonld").read_text(encoding="utf-8"))
    assert dump["@context"] == context
    service = next(n for n in dump["@graph"] if n["@id"].endswith("/service/micro-folie-fablab"))
    assert service["name"] == "FabLab : impression 3D et ateliers créatifs"
    assert service["provider"].endswith("/actor/micro-folie-miramas")


def test_consumers_can_validate_the_dump_with_the_published_shapes(default_dist: Path):
    data = Graph().parse(default_dist / "maillage.ttl")
    shapes = Graph().parse(default_dist / "formes.ttl")
    conforms, _, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    assert conforms
    vocab = Graph().parse(default_dist / "vocabulaires.ttl")
    assert len(vocab) > 1000 and len(vocab) < len(data)


@pytest.mark.parametrize("shapes", ["shapes.ttl", "range.ttl"])
def test_the_catalogue_conforms_to_dcat_ap_3(shapes: str, catalog: Graph):
    conforms, _, text = pyshacl.validate(
        catalog, shacl_graph=Graph().parse(DCAT_AP / shapes), inference="none"
    )
    assert conforms, text


def test_the_catalogue_describes_every_file_truly(catalog: Graph, default_dist: Path):
    dataset = next(catalog.subjects(RDF.type, DCAT.Dataset))
    assert catalog.value(dataset, DCTERMS.title).language == "fr"
    distributions = list(catalog.objects(dataset, DCAT.distribution))
    files = {str(d).rsplit("/", 1)[-1]: d for d in distributions}
    assert {
        "maillage.ttl",
        "maillage.nt",
        "maillage.jsonld",
        "maillage.trig",
        "context.jsonld",
        "vocabulaires.ttl",
        "formes.ttl",
        "maillage.db",
        "couverture.png",
    } <= set(files)
    for name, dist in files.items():
        content = (default_dist / name).read_bytes()
        assert catalog.value(dist, DCAT.byteSize).toPython() == len(content), name
        checksum = catalog.value(dist, SPDX.checksum)
        assert (
            str(catalog.value(checksum, SPDX.checksumValue)) == hashlib.sha256(content).hexdigest()
        ), name
        assert catalog.value(dist, DCTERMS.license) == ETALAB_2
        assert catalog.value(dist, DCAT.mediaType) is not None
    spatial = {
        str(catalog.value(s, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")))
        for s in catalog.objects(dataset, DCTERMS.spatial)
    }
    assert spatial == {"Miramas", "Martigues"}


def test_void_counts_the_triples(catalog: Graph, built):
    dataset = next(catalog.subjects(RDF.type, DCAT.Dataset))
    assert catalog.value(dataset, VOID.triples) == Literal(len(built.graph))
    partitions = {
        catalog.value(p, VOID["class"]): int(catalog.value(p, VOID.entities))
        for p in catalog.objects(dataset, VOID.classPartition)
    }
    assert partitions[URIRef("http://www.w3.org/ns/org#Organization")] == 31


async def test_the_open_data_page_links_the_catalogue_and_serves_it(default_dist: Path):
    ds = make_datasette(default_dist)
    home = await ds.client.get("/")
    assert 'href="/donnees-ouvertes"' in home.text  # off the residents' home page
    page = await ds.client.get("/donnees-ouvertes")
    assert page.status_code == 200 and "/telechargements/catalog.ttl" in page.text
    response = await ds.client.get("/telechargements/catalog.ttl")
    assert response.status_code == 200 and "dcat:Catalog" in response.text
