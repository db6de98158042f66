"""The live APIs (data·inclusion v1 and Open Referral HSDS 3.0), proven by their own documents:
schemathesis generates requests from our OpenAPI documents and checks every answer against
them; the official schemas check the documents; and what an OpenAPI cannot say is asserted."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import jsonschema
import pytest
import schemathesis
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from schemathesis.checks import content_type_conformance

from maillage.publish.openapi import DATA_INCLUSION, HSDS, official
from maillage.publish.site import make_datasette

STANDARDS = ROOT / "tests" / "standards"
HSDS_FILES = STANDARDS / "openreferral-hsds-3.0"
REMOTE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"


@pytest.fixture(scope="module")
def site(default_dist: Path):
    return make_datasette(default_dist)


def get(site, path: str):
    return asyncio.run(site.client.get(path))


def local_refs(node):
    """The document with Open Referral's remote schemas read from the copies in tests/
    (nothing outside can be reached)."""
    if isinstance(node, dict):
        return {k: local_refs(v) for k, v in node.items()}
    if isinstance(node, list):
        return [local_refs(v) for v in node]
    if isinstance(node, str) and node.startswith(REMOTE):
        return (HSDS_FILES / node.removeprefix(REMOTE)).as_uri()
    return node


def _schema(site, path: str):
    document = local_refs(get(site, path).json())
    schema = schemathesis.openapi.from_dict(document)
    schema.app = site.app()
    return schema


@pytest.fixture(scope="module")
def data_inclusion_schema(site):
    return _schema(site, "/api/openapi.json")


@pytest.fixture(scope="module")
def hsds_schema(site):
    return _schema(site, "/hsds/openapi.json")


SETTINGS = settings(
    max_examples=25,
    derandomize=True,  # the same generated cases on every run
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


def follow_the_document(schema) -> int:
    """Every operation of ``schema``, with the cases hypothesis generates for it (a fixed
    seed): each answer checked by schemathesis (no server error, documented status, content
    type and body schema). Returns how many operations were run."""
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:

        @given(case=operation.as_strategy())
        @SETTINGS
        def run(case) -> None:
            if (case.query or {}).get("format") != "ndjson":
                case.call_and_validate()
                return
            # HSDS documents ``format=ndjson`` as a parameter but only application/json as an
            # answer: the stream is checked for what the parameter promises, a JSON object a line
            answer = case.call_and_validate(excluded_checks=[content_type_conformance])
            if answer.status_code == 200:
                assert answer.headers["content-type"][0].startswith("application/x-ndjson")
                assert all(isinstance(json.loads(line), dict) for line in answer.text.splitlines())

        run()
    return len(operations)


def test_the_data_inclusion_api_follows_its_document(data_inclusion_schema):
    assert follow_the_document(data_inclusion_schema) >= 13


def test_the_hsds_api_follows_its_document(hsds_schema):
    assert follow_the_document(hsds_schema) >= 11


# --- our documents are the official ones, with additions only ----------------------------------


@pytest.mark.parametrize(
    ("name", "path"), [(DATA_INCLUSION, "/api/openapi.json"), (HSDS, "/hsds/openapi.json")]
)
def test_our_documents_only_add_to_the_official_ones(site, name, path):
    theirs, ours = official(name), get(site, path).json()
    for route, item in theirs["paths"].items():
        for method, operation in item.items():
            mine = ours["paths"][route][method]
            if method == "parameters":
                assert mine == operation
                continue
            assert mine.get("parameters") == operation.get("parameters"), route
            assert mine["responses"]["200"] == operation["responses"]["200"], route
    for kind, values in theirs.get("components", {}).items():
        for key, value in values.items():
            if kind != "securitySchemes":
                assert ours["components"][kind][key] == value, (kind, key)
    assert ours["info"]["license"]["name"].startswith("Licence Ouverte")
    assert all(
        "security" not in op
        for item in ours["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
    )


# --- what an OpenAPI cannot say ------------------------------------------------------------------


def pages(site, path: str, size: int, key: str = "size", items: str = "items") -> list:
    found, page = [], 1
    while True:
        answer = get(site, f"{path}{'&' if '?' in path else '?'}page={page}&{key}={size}").json()
        if not answer[items]:
            return found
        assert len(answer[items]) <= size
        found += answer[items]
        page += 1


def test_pages_hold_the_total_once_and_past_the_last_page_is_empty(site):
    first = get(site, "/api/v1/services?size=7").json()
    every = pages(site, "/api/v1/services", 7)
    assert len(every) == first["total"] == len({s["id"] for s in every})
    assert first["pages"] == -(-first["total"] // 7)
    past = get(site, f"/api/v1/services?size=7&page={first['pages'] + 1}")
    assert past.status_code == 200 and past.json()["items"] == []
    terms = pages(site, "/hsds/services", 9, "per_page", "contents")
    assert len(terms) == get(site, "/hsds/services").json()["total_items"]


def test_filters_combine_with_and(site):
    def ids(query: str) -> set[str]:
        return {s["id"] for s in get(site, f"/api/v1/services?{query}").json()["items"]}

    thematique, commune = ids("thematiques=numerique"), ids("code_commune=13063")
    both = ids("thematiques=numerique&code_commune=13063")
    assert both == thematique & commune
    assert both and thematique - both and commune - both


def test_the_search_sorts_by_distance_from_the_person(site):
    found = get(site, "/api/v1/search/services?lat=43.405&lon=5.05&size=100").json()["items"]
    distances = [i["distance"] for i in found if i["distance"] is not None]
    assert distances == sorted(distances) and distances[0] < distances[-1]


def test_the_api_answers_what_the_database_holds(site, default_dist):
    import sqlite3

    db = sqlite3.connect(default_dist / "maillage.db")
    services = db.execute("SELECT count(*) FROM services").fetchone()[0]
    actors = db.execute("SELECT count(*) FROM actors").fetchone()[0]
    assert get(site, "/api/v1/services?size=1").json()["total"] == services
    assert get(site, "/api/v1/structures?size=1").json()["total"] == actors
    assert get(site, "/hsds/organizations").json()["total_items"] == actors
    one = db.execute("SELECT id, name FROM services ORDER BY id LIMIT 1").fetchone()
    assert get(site, f"/api/v1/services/{one[0]}").json()["nom"].startswith(one[1][:20])


def _validator(schema_file: Path) -> jsonschema.Validator:
    contents = json.loads(schema_file.read_text(encoding="utf-8"))
    resource = Resource.from_contents(contents, default_specification=DRAFT202012)
    registry = Registry().with_resource(schema_file.as_uri(), resource)
    for other in HSDS_FILES.glob("*.json"):
        data = json.loads(other.read_text(encoding="utf-8"))
        registry = registry.with_resource(
            other.name, Resource.from_contents(data, default_specification=DRAFT202012)
        )
    cls = jsonschema.validators.validator_for(contents, default=jsonschema.Draft202012Validator)
    return cls(contents, registry=registry)


def test_every_document_is_valid_in_the_official_schemas(site):
    structure = _validator(STANDARDS / "data-inclusion-v1" / "structure.json")
    service = _validator(STANDARDS / "data-inclusion-v1" / "service.json")
    api_only = ("adresse_certifiee", "score_qualite", "doublons")
    for item in get(site, "/api/v1/structures").json()["items"]:
        structure.validate({k: v for k, v in item.items() if k not in api_only})
    for item in get(site, "/api/v1/services").json()["items"]:
        service.validate({k: v for k, v in item.items() if k not in api_only})
    for path, name in (
        ("/hsds/services?full=true", "compiled/service.json"),
        ("/hsds/organizations?full=true", "compiled/organization.json"),
        ("/hsds/services", "compiled/service_list.json"),
        ("/hsds/taxonomy_terms", "taxonomy_term.json"),
    ):
        validator = _validator(HSDS_FILES / name)
        for item in get(site, f"{path}{'&' if '?' in path else '?'}per_page=1000").json()[
            "contents"
        ]:
            validator.validate(item)


def test_the_apis_are_read_only_and_refuse_bad_requests_in_french(site):
    post = asyncio.run(site.client.post("/api/v1/services", json={}))
    assert post.status_code == 405
    bad = get(site, "/api/v1/services?size=0&thematiques=nope")
    assert bad.status_code == 422
    assert {tuple(d["loc"]) for d in bad.json()["detail"]} == {
        ("query", "size"),
        ("query", "thematiques"),
    }
    assert get(site, "/hsds/services/pas-un-service").json()["detail"].startswith("Service")


def test_ndjson_streams_every_record(site):
    answer = get(site, "/hsds/services?format=ndjson")
    lines = answer.text.splitlines()
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    assert len(lines) == get(site, "/hsds/services").json()["total_items"]
    assert all(json.loads(line)["id"] for line in lines)


def test_ids_are_stable_uuids_of_the_iris(site):
    import uuid

    first = get(site, "/hsds/organizations").json()["contents"][0]
    assert uuid.UUID(first["id"]).version == 5


def test_the_export_files_are_the_api_documents(site, tmp_path):
    from click.testing import CliRunner
    from conftest import DATA

    from maillage.publish.api_tables import API_ONLY
    from maillage.publish.cli import cli

    result = CliRunner().invoke(
        cli, ["export", "data-inclusion", "-o", str(tmp_path), "--data", str(DATA)]
    )
    assert result.exit_code == 0, result.output
    files = json.loads((tmp_path / "services.json").read_text(encoding="utf-8"))
    served = get(site, "/api/v1/services").json()["items"]
    assert [{k: v for k, v in s.items() if k not in API_ONLY} for s in served] == files


def test_the_catalogue_lists_both_apis_as_data_services(default_dist):
    from rdflib import Graph
    from rdflib.namespace import DCAT, RDF

    catalog = Graph().parse(default_dist / "catalog.ttl")
    services = set(catalog.subjects(RDF.type, DCAT.DataService))
    assert len(services) == 2
    endpoints = {str(catalog.value(s, DCAT.endpointURL)) for s in services}
    assert {e.rsplit("8001", 1)[-1] for e in endpoints} == {"/api/v1", "/hsds"}
    assert all(catalog.value(s, DCAT.endpointDescription) for s in services)
