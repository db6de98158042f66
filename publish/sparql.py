"""SPARQL over the published graph, and pushing it to a SPARQL 1.1 Graph Store.

``query`` runs SELECT, ASK and CONSTRUCT with rdflib; ``push`` replaces a named graph on any
Graph Store HTTP Protocol server (Oxigraph, Fuseki, GraphDB, Virtuoso): a PUT of the first chunk,
POSTs of the others, then a COUNT query to check that the server holds what was sent.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pyparsing import ParseException
from rdflib import Graph
from rdflib.plugins import sparql as sparql_settings
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.query import Result

from maillage.graph.ns import PREFIXES
from maillage.publish.texttable import text_table

FORMATS = ("table", "csv", "json", "turtle")


class QueryError(Exception):
    """A query that does not parse or cannot run; the message names line and column."""


class PushError(Exception):
    """The SPARQL server is unreachable, refused the data, or does not hold what was sent."""


def load_published(nt_path: Path) -> Graph:
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    return graph.parse(nt_path, format="nt")


DEFAULT_TIMEOUT = 30.0  # seconds
# rdflib fetches the graph a query's FROM names, from any address: never here
sparql_settings.SPARQL_LOAD_GRAPHS = False


def _uses_service(node: object) -> bool:
    """Whether a query's algebra holds a SERVICE clause (a request to another server)."""
    if isinstance(node, CompValue):
        return node.name == "ServiceGraphPattern" or any(map(_uses_service, node.values()))
    if isinstance(node, list | tuple):
        return any(map(_uses_service, node))
    return False


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Interrupt a query past ``seconds`` (rdflib evaluates in Python: SIGALRM stops it at
    its next bytecode). Only in the main thread; elsewhere there is no limit."""
    usable = seconds and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expired(_signum: int, _frame: object) -> None:
        raise QueryTimeout(f"la requête a dépassé {seconds:g} s : elle a été arrêtée")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class QueryTimeout(Exception):
    pass


def query(
    graph: Graph, text: str, timeout: float | None = DEFAULT_TIMEOUT, service: bool = False
) -> Result:
    """Run a SPARQL query; the project's prefixes (schema:, org:, mai:...) are predeclared.

    The query is stopped after ``timeout`` seconds; a SERVICE clause (which would send
    requests to any address the query names) is refused unless ``service``; FROM never
    fetches a graph from the web (rdflib's default)."""
    try:
        prepared = prepareQuery(text, initNs={k: str(v) for k, v in PREFIXES.items()})
    except ParseException as exc:
        raise QueryError(
            f"requête SPARQL invalide, ligne {exc.lineno}, colonne {exc.col} : {exc.msg}"
        ) from exc
    except Exception as exc:  # rdflib raises plain exceptions for unknown prefixes and the like
        raise QueryError(f"requête SPARQL invalide : {exc}") from exc
    if not service and _uses_service(prepared.algebra):
        raise QueryError(
            "SERVICE refusé : la requête interrogerait un autre serveur "
            "(option --service pour l'autoriser)"
        )
    try:
        with _time_limit(timeout):
            result = graph.query(prepared)
            if result.type == "SELECT":
                result.bindings  # noqa: B018 - evaluated here, within the time limit
            return result
    except QueryTimeout as exc:
        raise QueryError(str(exc)) from exc
    except Exception as exc:
        raise QueryError(f"la requête a échoué : {exc}") from exc


def render(result: Result, fmt: str) -> str:
    """The result as a table, CSV or SPARQL JSON (SELECT, ASK) or Turtle (CONSTRUCT)."""
    if result.type == "CONSTRUCT" or result.type == "DESCRIBE":
        graph = result.graph
        for prefix, ns in PREFIXES.items():
            graph.bind(prefix, ns)
        if fmt in ("json",):
            return graph.serialize(format="json-ld", indent=1)
        return graph.serialize(format="turtle")
    if result.type == "ASK":
        if fmt == "json":
            return result.serialize(format="json").decode("utf-8")
        return "oui" if result.askAnswer else "non"
    if fmt == "csv":
        return result.serialize(format="csv").decode("utf-8")
    if fmt == "json":
        return result.serialize(format="json").decode("utf-8")
    if fmt == "turtle":
        raise QueryError("le format turtle est réservé aux requêtes CONSTRUCT")
    headers = [str(v) for v in result.vars or []]
    rows = [["" if value is None else _short(str(value)) for value in row] for row in result]
    return text_table(headers, rows) + f"\n({len(rows)} ligne(s))"


def _short(value: str) -> str:
    return value if len(value) <= 80 else value[:77] + "…"


@dataclass
class PushReport:
    graph: str
    triples: int
    chunks: int
    server_count: int
    created: bool


def query_endpoint_for(store: str) -> str:
    """The SPARQL query endpoint beside a Graph Store endpoint (Oxigraph /store -> /query,
    Fuseki /ds/data -> /ds/query); other servers answer both on one URL."""
    for suffix in ("/store", "/data"):
        if store.rstrip("/").endswith(suffix):
            return store.rstrip("/")[: -len(suffix)] + "/query"
    return store


def push(
    nt_path: Path,
    endpoint: str,
    graph_iri: str,
    query_url: str | None = None,
    auth: tuple[str, str] | None = None,
    chunk_lines: int = 20000,
    progress: Callable[[int], None] | None = None,
    timeout: float = 60.0,
) -> PushReport:
    """Replace ``graph_iri`` on the Graph Store at ``endpoint`` with the triples of ``nt_path``."""
    lines = [line for line in nt_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    chunks = [lines[i : i + chunk_lines] for i in range(0, len(lines), chunk_lines)] or [[]]
    headers = {"Content-Type": "application/n-triples"}
    created = False
    with httpx.Client(timeout=timeout, auth=auth) as client:
        for number, chunk in enumerate(chunks):
            body = ("\n".join(chunk) + "\n").encode("utf-8")
            method = "PUT" if number == 0 else "POST"
            response = _send(client, method, endpoint, graph_iri, headers, body)
            created = created or (number == 0 and response.status_code == 201)
            if progress:
                progress(len(chunk))
        count = _count(client, query_url or query_endpoint_for(endpoint), graph_iri)
    if count != len(lines):
        raise PushError(
            f"le serveur contient {count} triplets dans <{graph_iri}>, {len(lines)} envoyés"
        )
    return PushReport(graph_iri, len(lines), len(chunks), count, created)


def _send(
    client: httpx.Client, method: str, endpoint: str, graph_iri: str, headers: dict, body: bytes
) -> httpx.Response:
    refused = f"le serveur a refusé l'envoi ({method} {endpoint})"
    options = {"params": {"graph": graph_iri}, "headers": headers, "content": body}
    return _call(client, method, endpoint, refused, **options)


def _call(
    client: httpx.Client, method: str, url: str, refused: str, **options: Any
) -> httpx.Response:
    """One request to the SPARQL server; a French error when it cannot be reached or refuses."""
    try:
        response = client.request(method, url, **options)
    except httpx.HTTPError as exc:
        raise PushError(f"serveur SPARQL injoignable : {url} ({exc})") from exc
    if response.status_code >= 400:
        raise PushError(f"{refused} : HTTP {response.status_code} {response.text[:300].strip()}")
    return response


def _count(client: httpx.Client, query_url: str, graph_iri: str) -> int:
    text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}"
    accept = {"Accept": "application/sparql-results+json"}
    refused = f"la vérification a échoué ({query_url})"
    response = _call(client, "POST", query_url, refused, data={"query": text}, headers=accept)
    try:
        return int(response.json()["results"]["bindings"][0]["n"]["value"])
    except (ValueError, KeyError, IndexError) as exc:
        raise PushError(f"réponse inattendue du serveur à la vérification : {exc}") from exc
