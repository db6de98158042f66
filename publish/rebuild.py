"""A network kept in memory and checked again file by file: what ``maillage watch`` runs.

A whole check of a national network takes minutes (reading 30,000 YAML files, building and
validating millions of triples). After one actor file changed, :meth:`LiveNetwork.update`
reads that file again, swaps its records' triples in the graph and validates again only the
focus nodes those triples can affect (``shapes.engine.Validation``): about a second at 30,000
actors (``benchmarks/rebuild.py``). ``tests/test_rebuild.py`` checks that the result is exactly
what a whole check of the folder gives.

A change to anything but an actor file (``network.yaml``, the vocabularies, actions,
indicators, the diagnostic) is checked whole again: those files change the base IRI, the
concepts or records every actor may point to.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.process
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from maillage.graph.build import BuiltGraph, build_graph, update_graph
from maillage.graph.errors import DataError, DataErrors
from maillage.graph.load import display_path, load_network, reload_actor_files
from maillage.graph.ns import address_iri, iri
from maillage.graph.progress import NO_PROGRESS, Progress
from maillage.graph.vocab import load_vocabulary
from maillage.publish.build import (
    DEFAULT_METADATA,
    PublishError,
    new_findings,
    no_cyclic_gc,
    publish,
    unfreeze_collected,
)
from maillage.shapes import LiveValidation


@dataclass
class Update:
    """What one check after a change found."""

    files: list[str]  # the changed files, relative to the data folder's parent
    seconds: float
    errors: list[DataError] = field(default_factory=list)
    whole: bool = False  # checked whole (not file by file)
    checked: int = 0  # focus nodes validated again

    @property
    def valid(self) -> bool:
        return not self.errors


class LiveNetwork:
    """A data folder loaded, built and validated once, then kept up to date by :meth:`update`.

    ``built`` is the checked graph (None while ``network.yaml`` or the vocabularies cannot be
    read); ``errors`` every problem of the folder as it now is.
    """

    def __init__(self, data_dir: Path | str, progress: Progress = NO_PROGRESS) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.built: BuiltGraph | None = None
        self.errors: list[DataError] = []
        self._validation: LiveValidation | None = None
        self._whole(progress)

    def _whole(self, progress: Progress = NO_PROGRESS) -> None:
        self.built, self._validation = None, None
        unfreeze_collected()  # the graph replaced
        with no_cyclic_gc(keep=True):  # kept, checked again file by file
            try:
                network = load_network(self.data_dir, strict=False, progress=progress)
                vocab = load_vocabulary(self.data_dir / "vocab", network.base)
            except DataErrors as exc:
                self.errors = exc.errors
                return
            self.built = build_graph(network, vocab, progress)
            self._validation = LiveValidation(self.built, progress)
        self._collect()

    def _collect(self) -> None:
        assert self.built is not None and self._validation is not None
        network = self.built.network
        self.errors = network.errors + new_findings(self._validation.errors(), network)

    def update(self, paths: Iterable[Path | str]) -> Update:
        """Check again after these files changed (were edited, added or deleted)."""
        start = time.perf_counter()
        kinds = {Path(p).resolve(): self.source_kind(p) for p in paths}
        paths = [p for p, kind in kinds.items() if kind is not None]
        shown = sorted({display_path(p, self.data_dir) for p in paths})
        if not paths:
            return Update(shown, time.perf_counter() - start, self.errors)
        if self.built is None or any(kind != "actor" for kind in kinds.values() if kind):
            self._whole()
            return Update(shown, time.perf_counter() - start, self.errors, whole=True)
        assert self.built is not None and self._validation is not None
        with no_cyclic_gc():
            removed, added = reload_actor_files(self.built.network, paths)
            changes = update_graph(self.built, removed, added)
            # A record that moved (another file, another line) without changing a triple is
            # located again; the hints change when ids come or go.
            base = self.built.network.base
            nodes = {iri(base, r.kind, r.id) for r in removed + added}
            nodes |= {address_iri(node) for node in nodes}
            ids_changed = {(r.kind, r.id) for r in removed} != {(r.kind, r.id) for r in added}
            checked = self._validation.update(changes, nodes, ids_changed)
            self._collect()
        return Update(
            shown,
            time.perf_counter() - start,
            self.errors,
            whole=not self._validation.incremental,
            checked=checked,
        )

    def source_kind(self, path: Path | str) -> str | None:
        """Which source ``path`` is: an "actor" file, an "other" file the loader reads
        (``network.yaml``, vocabularies, actions, indicators, diagnostic), or None."""
        path = Path(path).resolve()
        data, name = self.data_dir, path.name
        if name.startswith("."):
            return None
        if path.parent == data / "actors" and path.suffix in (".yaml", ".yml"):
            return "actor"
        if path.parent == data and name in ("network.yaml", "indicators.yaml", "diagnostic.yaml"):
            return "other"
        if path.parent == data / "actions" and path.suffix == ".yaml":
            return "other"
        if (data / "vocab") in path.parents and path.suffix == ".ttl":
            return "other"
        return None


@dataclass
class Published:
    """How one publication ended."""

    out: Path
    seconds: float
    error: str | None = None  # why nothing was published


class Publisher:
    """Publishes a :class:`LiveNetwork` beside the checks, one publication at a time.

    A national network takes minutes to publish; checks after each save must not wait for it.
    On Linux the publication runs in a forked process: it publishes the graph as it was when
    it started (the fork's copy-on-write snapshot) while this process goes on checking and
    changing its own. A publication asked for while one runs is made when it ends, from the
    network as it then is. Elsewhere, the publication runs in place.
    """

    def __init__(
        self,
        out_dir: Path | str,
        on_done: Callable[[Published], None],
        metadata: Path | None = None,
    ) -> None:
        self.out = Path(out_dir).resolve()
        self.on_done = on_done
        self.metadata = metadata
        self._process: multiprocessing.process.BaseProcess | None = None
        self._pipe: Connection | None = None
        self._wanted: LiveNetwork | None = None

    @property
    def running(self) -> bool:
        return self._process is not None

    def request(self, live: LiveNetwork) -> None:
        """Publish ``live`` (when it is valid) now, or after the publication under way."""
        if self.running:
            self._wanted = live
            return
        if live.built is None or live.errors:
            return
        if sys.platform != "linux":
            self.on_done(_publish_here(live.built, self.out, self.metadata))
            return
        fork = multiprocessing.get_context("fork")
        receive, send = fork.Pipe(duplex=False)
        # not a daemon: a publication of a national network starts processes of its own
        # (the dumps' converter), which a daemonic process may not
        process = fork.Process(
            target=_publish_child, args=(live.built, self.out, self.metadata, send), daemon=False
        )
        process.start()
        send.close()
        self._process, self._pipe = process, receive

    def poll(self, timeout: float = 0) -> None:
        """Report the publication under way if it ended, and start the one asked for since."""
        if self._process is None or self._pipe is None:
            return
        self._process.join(timeout)
        if self._process.is_alive():
            return
        outcome = self._pipe.recv() if self._pipe.poll() else None
        if outcome is None:
            code = self._process.exitcode
            outcome = Published(self.out, 0, f"publication interrompue (code {code})")
        self._pipe.close()
        self._process, self._pipe = None, None
        self.on_done(outcome)
        wanted, self._wanted = self._wanted, None
        if wanted is not None:
            self.request(wanted)

    def close(self) -> None:
        """Stop a publication under way (the published folder stays as it was)."""
        if self._process is not None:
            self._process.terminate()
            self._process.join()
            self._process = None


def _publish_here(built: BuiltGraph, out: Path, metadata: Path | None) -> Published:
    start = time.perf_counter()
    try:
        report = publish(built, out, metadata or DEFAULT_METADATA)
    except PublishError as exc:
        return Published(out, time.perf_counter() - start, str(exc))
    return Published(report.out, sum(report.seconds.values()))


def _publish_child(built: BuiltGraph, out: Path, metadata: Path | None, pipe: Connection) -> None:
    # stopped (Publisher.close): unwind, so that the build stops its own processes and removes
    # its temporary folder
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    pipe.send(_publish_here(built, out, metadata))
    pipe.close()


def watch(
    live: LiveNetwork,
    on_update: Callable[[Update], None],
    stop: Callable[[], bool] | None = None,
    debounce_ms: int = 200,
    tick: Callable[[], None] | None = None,
) -> None:
    """Call ``on_update`` after each batch of changes to the data folder, until ``stop()``;
    ``tick()`` about twice a second meanwhile."""
    import threading

    import watchfiles

    event = threading.Event()
    for changes in watchfiles.watch(
        live.data_dir,
        debounce=debounce_ms,
        step=50,
        stop_event=event,
        yield_on_timeout=True,
        rust_timeout=500,
    ):
        if stop is not None and stop():
            return
        paths = sorted({Path(path) for _, path in changes if live.source_kind(path)})
        if paths:
            on_update(live.update(paths))
        if tick is not None:
            tick()
