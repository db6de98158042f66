"""`maillage push` against a real Oxigraph server, started here on 127.0.0.1 and stopped."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from browser import free_port
from click.testing import CliRunner
from conftest import DATA
from rdflib import Graph

from maillage.publish.cli import cli


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory):
    binary = Path(sys.executable).parent / "oxigraph"
    if not binary.exists():
        found = shutil.which("oxigraph")
        if found is None:
            pytest.skip("the oxigraph server is not installed (pip install '.[test]')")
        binary = Path(found)
    port = free_port()
    store = tmp_path_factory.mktemp("oxigraph")
    process = subprocess.Popen(
        [str(binary), "serve", "--location", str(store), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/query", params={"query": "ASK {}"}, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("oxigraph did not start: " + process.stderr.read().decode()[:500])
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _push(default_dist: Path, *args: str):
    return CliRunner().invoke(cli, ["push", *args, "--data", str(DATA), "--out", str(default_dist)])


def _select(url: str, query: str) -> list[dict]:
    response = httpx.post(
        f"{url}/query",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["results"]["bindings"]


def test_push_replaces_the_graph_and_the_server_answers_like_the_local_graph(
    oxigraph: str, default_dist: Path
):
    graph_iri = "https://maillage.example.org/test/graphe"
    first = _push(
        default_dist, "--endpoint", f"{oxigraph}/store", "--graph", graph_iri, "--chunk", "500"
    )
    assert first.exit_code == 0, first.output
    assert "créé" in first.output
    again = _push(default_dist, "--endpoint", f"{oxigraph}/store", "--graph", graph_iri)
    assert again.exit_code == 0 and "remplacé" in again.output

    local = Graph().parse(default_dist / "maillage.nt", format="nt")
    count = _select(
        oxigraph, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}"
    )
    assert int(count[0]["n"]["value"]) == len(local)
    sample = """SELECT ?name WHERE { GRAPH <%s> {
        ?a a <http://www.w3.org/ns/org#Organization> ; <https://schema.org/name> ?name } }
        ORDER BY ?name"""
    remote = [b["name"]["value"] for b in _select(oxigraph, sample % graph_iri)]
    expected = sorted(
        str(r[0])
        for r in local.query(
            "SELECT ?name WHERE { ?a a org:Organization ; schema:name ?name }",
            initNs={"org": "http://www.w3.org/ns/org#", "schema": "https://schema.org/"},
        )
    )
    assert remote == expected


def test_a_server_that_is_down_is_a_clear_error(default_dist: Path):
    result = _push(default_dist, "--endpoint", f"http://127.0.0.1:{free_port()}/store")
    assert result.exit_code == 1
    assert "serveur SPARQL injoignable" in result.stderr
    assert "Traceback" not in result.output


def test_a_server_error_is_a_clear_error(oxigraph: str, default_dist: Path):
    result = _push(default_dist, "--endpoint", f"{oxigraph}/nowhere")
    assert result.exit_code == 1
    assert "HTTP 404" in result.stderr


def test_a_bad_graph_iri_is_a_usage_error(oxigraph: str, default_dist: Path):
    result = _push(default_dist, "--endpoint", f"{oxigraph}/store", "--graph", "x> <y")
    assert result.exit_code == 2
