"""RDF dumps through rdflib's serialisers: Turtle, sorted N-Triples, JSON-LD."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from graph.ns import PREFIXES

DUMPS = {"maillage.ttl": "turtle", "maillage.nt": "nt", "maillage.jsonld": "json-ld"}


def jsonld_context() -> dict[str, str]:
    """The JSON-LD context of the dumps: the same prefixes as the Turtle dump."""
    return {prefix: str(ns) for prefix, ns in sorted(PREFIXES.items())}


def sorted_ntriples(graph: Graph) -> str:
    """N-Triples with lines sorted: the same graph gives the same bytes, build after build."""
    lines = {line for line in graph.serialize(format="nt").splitlines() if line.strip()}
    return "\n".join(sorted(lines)) + "\n"


def write_dumps(graph: Graph, folder: Path) -> list[Path]:
    paths = []
    for name, fmt in DUMPS.items():
        path = folder / name
        if fmt == "nt":
            path.write_text(sorted_ntriples(graph), encoding="utf-8")
        elif fmt == "json-ld":
            path.write_text(
                graph.serialize(format="json-ld", context=jsonld_context(), indent=1),
                encoding="utf-8",
            )
        else:
            graph.serialize(destination=path, format=fmt, encoding="utf-8")
        paths.append(path)
    return paths
