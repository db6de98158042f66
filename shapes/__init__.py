"""SHACL validation of a built graph.

``validate`` returns data (a list of located :class:`DataError`), never prints. Each SHACL
result names a focus node and a path; the builder's origin index turns them back into a file, a
line, a record and a YAML field, which is what a coordinator needs to fix the data.

Two engines give the same results on the same shapes: ``compiled`` (``shapes/engine.py``, the
default, fast enough for a national network) and ``pyshacl``, the reference implementation,
kept for comparison (``tests/test_engine.py``, ``benchmarks/stages.py``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal as Choice
from urllib.parse import unquote

import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SDO, SH

from graph.build import BuiltGraph
from graph.errors import DataError
from graph.load import did_you_mean
from graph.model import BY_NAME, Field
from graph.progress import NO_PROGRESS, Progress
from shapes.engine import CompiledShapes, Result

SHAPES_DIR = Path(__file__).parent
SHAPE_FILES = (
    "actor.ttl",
    "site.ttl",
    "service.ttl",
    "referral.ttl",
    "action.ttl",
    "concept.ttl",
)


@cache
def _shapes() -> Graph:
    graph = Graph()
    for name in SHAPE_FILES:
        graph.parse(SHAPES_DIR / name, format="turtle")
    return graph


def shapes_graph() -> Graph:
    """All shapes in one graph (a copy: callers may serialise or extend it)."""
    copy = Graph()
    copy += _shapes()
    for prefix, ns in _shapes().namespaces():
        copy.bind(prefix, ns)
    return copy


Engine = Choice["compiled", "pyshacl"]


@cache
def compiled_shapes() -> CompiledShapes:
    return CompiledShapes(_shapes())


def shacl_results(
    built: BuiltGraph, engine: Engine = "compiled", progress: Progress = NO_PROGRESS
) -> list[Result]:
    """The SHACL report's own results (nested ``sh:node`` failures are only their cause)."""
    if engine == "compiled":
        return compiled_shapes().validate(built.index, progress)
    return pyshacl_results(built.graph)


def pyshacl_results(graph: Graph) -> list[Result]:
    """pyshacl with its default options (no inference), read back into :class:`Result`."""
    conforms, report, _ = pyshacl.validate(
        graph,
        shacl_graph=_shapes(),
        inference="none",
        abort_on_first=False,
        allow_warnings=True,
    )
    if conforms:
        return []
    return [
        Result(
            report.value(r, SH.focusNode),
            _plain_path(report.value(r, SH.resultPath)),
            report.value(r, SH.value),
            report.value(r, SH.sourceConstraintComponent),
            report.value(r, SH.sourceShape),
            report.value(r, SH.resultSeverity),
            _text(report.value(r, SH.resultMessage)),
        )
        for top in report.subjects(RDF.type, SH.ValidationReport)
        for r in report.objects(top, SH.result)
    ]


def _plain_path(path: object) -> object:
    return path if isinstance(path, URIRef) or path is None else ("complex",)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def validate(
    built: BuiltGraph, engine: Engine = "compiled", progress: Progress = NO_PROGRESS
) -> list[DataError]:
    """Validate the graph against the shapes; one located error per SHACL result."""
    errors = [_locate(built, result) for result in shacl_results(built, engine, progress)]
    return sorted(set(errors), key=lambda e: (e.file, e.line or 0, e.record or "", e.field or ""))


def _locate(built: BuiltGraph, result: Result) -> DataError:
    focus, path, value = result.focus, result.path, result.value
    message = _shorten_iris(result.message or "contrainte non respectée", built.network.base)
    record = built.record_of(focus) if isinstance(focus, URIRef) else None
    if record is None:
        return _locate_outside_records(built, focus, path, value, message)
    cls = BY_NAME[record.kind]
    is_address = str(focus).endswith("#address")
    f = _field_for(cls.fields, path, is_address)
    key = f.yaml_key if f else (str(path) if path is not None else None)
    line = record.line_of(f.name) if f else record.line
    shown = _short(value, built.network.base)
    if shown is not None and f"« {shown} »" not in message:
        message = f"{message} (valeur : « {shown} »)"
    hint = _hint(built, f, value)
    return DataError(
        record.file, line, f"{record.kind} {record.id}", key, message, hint, value=shown
    )


def _field_for(fields: tuple[Field, ...], path: object, is_address: bool) -> Field | None:
    for f in fields:
        if f.predicate == path and (f.via is not None) == is_address:
            return f
    if path == SDO.address:
        return next((f for f in fields if f.via is not None), None)
    return None


def _locate_outside_records(
    built: BuiltGraph, focus: object, path: object, value: object, message: str
) -> DataError:
    vocab = built.vocab
    found = vocab.by_iri.get(focus) if isinstance(focus, URIRef) else None
    field = str(path).rsplit("#", 1)[-1] if path is not None else None
    if found:
        scheme, notation = found
        return DataError(
            vocab.files.get(scheme, "data/vocab"),
            None,
            f"concept {scheme}/{notation}",
            field,
            message,
        )
    if focus == built.network_iri:
        return DataError(
            f"{built.network.data_dir.name}/network.yaml", None, "network", field, message
        )
    shown = _short(focus, built.network.base)
    return DataError(f"{built.network.data_dir.name}/vocab", None, shown, field, message)


def _hint(built: BuiltGraph, f: Field | None, value: object) -> str | None:
    if f is None or not isinstance(value, URIRef):
        return None
    tail = unquote(str(value).rsplit("/", 1)[-1])
    if f.kind == "concept" and value not in built.vocab.by_iri:
        return built.vocab.suggest(f.scheme or "", tail)
    if f.kind == "ref" and built.record_of(value) is None:
        known = [r.id for r in built.network.of_kind(f.target or "")]
        return did_you_mean(tail, known)
    return None


def _short(value: object, base: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, URIRef) and str(value).startswith(base + "/"):
        return unquote(str(value).rsplit("/", 1)[-1])
    text = str(value)
    if isinstance(value, Literal) and len(text) > 80:
        text = text[:77] + "…"
    return text


def _shorten_iris(message: str, base: str) -> str:
    """Messages templated with {?value} name our IRIs: show the ids users wrote instead."""
    words = []
    for word in message.split(" "):
        if word.startswith(base + "/"):
            word = "« " + unquote(word.rsplit("/", 1)[-1]) + " »"
        words.append(word)
    return " ".join(words)
