"""The one runner of a declared list of stages: it alone decides what runs beside what.

A :class:`Stage` names what it needs and what it gives. Its function takes the needs as
keyword arguments and returns the value of its one give (or a tuple of its gives, or
nothing); ``after`` names values it waits for without reading them (a file an earlier stage
wrote). :func:`run_stages` calls the stages in the list's order.

On a large network (``beside``), a stage that says where it may go is started there: in
another process (``"process"``: a new Python, for a job that reads files or small data), in
a forked copy of this one (``"fork"``: for a job that reads the built graph), or in a thread
(``"thread"``: for a job that lets go of the GIL, SQLite's). The first later stage that needs
one of its values waits for it, and that wait is timed as ``<stage>-wait``. On a small
network every stage runs here, in order: starting a process would cost more than the job.

Each stage run here is timed, with its peak resident memory (``seconds``, ``peak_mb``); a
stage run beside reports its own time and its process's peak (``beside``, ``beside_peak_mb``).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from maillage.graph.progress import NO_PROGRESS
from maillage.publish.beside import Beside, Forked, peak_memory_mb, reset_peak_memory

Where = Literal["here", "process", "fork", "thread"]


@dataclass(frozen=True)
class Stage:
    """One step of a publication: ``run(**needs)`` returns its gives' values."""

    name: str
    run: Callable[..., Any]
    needs: tuple[str, ...] = ()
    gives: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    beside: Where = "here"  # where it goes on a large network


class Timings(Protocol):
    """Where the runner writes what it measured (``publish.build.BuildReport``)."""

    seconds: dict[str, float]
    peak_mb: dict[str, float]
    beside: dict[str, float]
    beside_peak_mb: dict[str, float]

    def progress(self, stage: str, done: int, total: int) -> None: ...


class _Job(Protocol):
    seconds: float
    peak_mb: float | None

    def result(self) -> Any: ...
    def close(self) -> None: ...


class _Threaded:
    """A stage run by a thread of this process (no memory of its own to report)."""

    peak_mb = None

    def __init__(self, function: Callable[[], Any]) -> None:
        self.seconds = 0.0
        executor = ThreadPoolExecutor(1)
        self._future: Future = executor.submit(self._timed, function)
        executor.shutdown(wait=False)

    def _timed(self, function: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            return function()
        finally:
            self.seconds = time.perf_counter() - start

    def result(self) -> Any:
        return self._future.result()

    def close(self) -> None:
        self._future.cancel()  # a thread cannot be stopped: one already started ends on its own


def _start(stage: Stage, args: dict[str, Any]) -> _Job:
    call = functools.partial(stage.run, **args)
    if stage.beside == "fork":
        return Forked(call, ())
    if stage.beside == "thread":
        return _Threaded(call)
    return Beside(call, ())


@contextmanager
def timed(report: Timings, name: str) -> Iterator[None]:
    """One stage of the build's own process: its seconds and peak resident memory."""
    reset_peak_memory()
    report.progress(name, 0, 1)
    start = time.perf_counter()
    yield
    report.seconds[name] = round(time.perf_counter() - start, 3)
    peak = peak_memory_mb()
    if peak is not None:
        report.peak_mb[name] = peak
    report.progress(name, 1, 1)


def run_stages(
    stages: Sequence[Stage],
    values: dict[str, Any],
    report: Timings,
    beside: bool | Callable[[dict[str, Any]], bool] = False,
) -> dict[str, Any]:
    """Run ``stages`` over ``values`` (what is given before the first), adding what each gives
    to ``values``. ``beside``: whether the stages that may go beside do, or a function of the
    values so far that says it as each one comes (the network's size is known once built).

    Every job started beside is awaited or stopped before this returns. A stage that raises
    stops the run: the jobs still going are stopped, and its error is raised."""
    pending: dict[str, tuple[Stage, _Job]] = {}  # value -> the job that will give it
    jobs: list[_Job] = []
    try:
        for stage in stages:
            for name in stage.needs + stage.after:
                if name in pending:
                    _wait(pending, pending[name], values, report)
            missing = [name for name in stage.needs + stage.after if name not in values]
            if missing:
                raise KeyError(f"stage {stage.name}: nothing gives {', '.join(missing)}")
            args = {name: values[name] for name in stage.needs}
            if stage.beside != "here" and (beside(values) if callable(beside) else beside):
                if "progress" in args:  # another process does not draw on this one's terminal
                    args["progress"] = NO_PROGRESS
                job = _start(stage, args)
                jobs.append(job)
                pending.update(dict.fromkeys(stage.gives, (stage, job)))
                continue
            with timed(report, stage.name):
                values.update(_given(stage, stage.run(**args)))
        while pending:  # what no stage needed, awaited all the same (its errors count)
            _wait(pending, next(iter(pending.values())), values, report)
    finally:
        for job in jobs:
            job.close()
    return values


def _wait(
    pending: dict[str, tuple[Stage, _Job]],
    entry: tuple[Stage, _Job],
    values: dict[str, Any],
    report: Timings,
) -> None:
    stage, job = entry
    with timed(report, f"{stage.name}-wait"):
        values.update(_given(stage, job.result()))
    for name in stage.gives:
        del pending[name]
    report.beside[stage.name] = round(job.seconds, 3)
    if job.peak_mb is not None:
        report.beside_peak_mb[stage.name] = job.peak_mb


def _given(stage: Stage, value: Any) -> dict[str, Any]:
    if len(stage.gives) == 1:
        return {stage.gives[0]: value}
    if not stage.gives:
        return {}
    if not isinstance(value, tuple) or len(value) != len(stage.gives):
        raise TypeError(f"stage {stage.name}: {len(stage.gives)} values expected")
    return dict(zip(stage.gives, value, strict=True))


def without(stages: Sequence[Stage], *names: str) -> tuple[Stage, ...]:
    """The list with these stages left out (their gives are then given before the run)."""
    return tuple(stage for stage in stages if stage.name not in names)
