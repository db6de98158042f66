"""SHACL validation of a built graph.

``validate`` returns data (a list of located :class:`DataError`), never prints. Each SHACL
result names a focus node and a path; the builder's origin index turns them back into a file, a
line, a record and a YAML field, which is what a coordinator needs to fix the data.

Two engines give the same results on the same shapes: ``compiled`` (``shapes/engine.py``, the
default, fast enough for a national network) and ``pyshacl``, the reference implementation,
kept for comparison (``tests/test_engine.py``, ``benchmarks/stages.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Literal as Choice
from urllib.parse import unquote

import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SDO, SH
from rdflib.term import Node

from maillage.graph.build import BuiltGraph
from maillage.graph.errors import DataError
from maillage.graph.index import Triple
from maillage.graph.load import did_you_mean
from maillage.graph.model import BY_NAME, Field
from maillage.graph.progress import NO_PROGRESS, Progress
from maillage.shapes.engine import CompiledShapes, Result, UnsupportedShape, Validation

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
    return _located(built, shacl_results(built, engine, progress))


def _located(built: BuiltGraph, results: Iterable[Result]) -> list[DataError]:
    known: dict[str, list[str]] = {}
    return _sorted([_locate(built, result, known) for result in results])


def _sorted(errors: Iterable[DataError]) -> list[DataError]:
    """In file order; the same set of errors always in the same order."""
    return sorted(set(errors), key=_position)


def _position(e: DataError) -> tuple:
    return (e.file, e.line or 0, e.record or "", e.field or "", e.message, e.hint or "")


class LiveValidation:
    """:func:`validate` of a graph that changes: after each change, only the focus nodes the
    changed triples can affect are checked again (:class:`shapes.engine.Validation`).

    Shapes whose reach cannot be bounded are validated whole at each change instead.
    """

    def __init__(self, built: BuiltGraph, progress: Progress = NO_PROGRESS) -> None:
        self.built = built
        try:
            self._live: Validation | None = Validation(compiled_shapes(), built.index, progress)
        except UnsupportedShape:
            self._live = None
            self._results = compiled_shapes().validate(built.index, progress)
        self._errors: dict[Result, DataError] = {}  # each result, located once

    @property
    def incremental(self) -> bool:
        return self._live is not None

    def update(
        self,
        changes: tuple[list[Triple], list[Triple]],
        nodes: Iterable[Node] = (),
        ids_changed: bool = False,
    ) -> int:
        """Check again after the graph lost and gained these triples, and the records of
        ``nodes`` changed (their file, line or values); ``ids_changed`` when records came or
        went, which changes the "did you mean" hints. Returns the focus nodes checked again."""
        if self._live is None:
            self._results = compiled_shapes().validate(self.built.index)
            self._errors.clear()
            return len({r.focus for r in self._results})
        affected = self._live.update(*changes, nodes)
        self._errors = {
            result: error
            for result, error in self._errors.items()
            if result.focus not in affected and not (ids_changed and error.hint)
        }
        return len(affected)

    def errors(self) -> list[DataError]:
        results = self._results if self._live is None else self._live.results()
        known: dict[str, list[str]] = {}
        cache = self._errors
        for result in results:
            if result not in cache:
                cache[result] = _locate(self.built, result, known)
        return _sorted(cache[result] for result in results)


def _locate(built: BuiltGraph, result: Result, known: dict[str, list[str]]) -> DataError:
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
    hint = _hint(built, f, value, known)
    return DataError(
        file=record.file,
        line=line,
        record=f"{record.kind} {record.id}",
        field=key,
        message=message,
        hint=hint,
        value=shown,
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
            file=vocab.files.get(scheme, "data/vocab"),
            record=f"concept {scheme}/{notation}",
            field=field,
            message=message,
        )
    if focus == built.network_iri:
        return DataError(
            file=f"{built.network.data_dir.name}/network.yaml",
            record="network",
            field=field,
            message=message,
        )
    shown = _short(focus, built.network.base)
    return DataError(
        file=f"{built.network.data_dir.name}/vocab", record=shown, field=field, message=message
    )


def _hint(
    built: BuiltGraph, f: Field | None, value: object, known: dict[str, list[str]]
) -> str | None:
    """Close codes or ids; ``known`` keeps each kind's ids for the other results."""
    if f is None or not isinstance(value, URIRef):
        return None
    tail = unquote(str(value).rsplit("/", 1)[-1])
    if f.kind == "concept" and value not in built.vocab.by_iri:
        return built.vocab.suggest(f.scheme or "", tail)
    if f.kind == "ref" and built.record_of(value) is None:
        kind = f.target or ""
        if kind not in known:
            known[kind] = built.network.ids(kind)
        return did_you_mean(tail, known[kind])
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
