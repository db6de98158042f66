"""load -> build -> validate -> writers, into a temporary folder, then into place atomically.

A failed step (bad data, full disk, a crash) leaves the previous ``dist/`` exactly as it was:
the new folder is written beside it and swapped in with one ``renameat2(RENAME_EXCHANGE)``
(or a plain rename when there is no previous folder).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import functools
import gc
import importlib.resources
import json
import os
import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef

from maillage.graph.analytics import analytics_tables
from maillage.graph.build import BuiltGraph, build_graph
from maillage.graph.completeness import completeness_rows
from maillage.graph.errors import DataError, DataErrors
from maillage.graph.freshness import recheck_months
from maillage.graph.load import Network, load_network
from maillage.graph.load_cache import LoadCache
from maillage.graph.model import CLASSES
from maillage.graph.network import ReferralNetwork, coverage
from maillage.graph.ns import MAI
from maillage.graph.progress import NO_PROGRESS, Progress
from maillage.graph.tables import Tables, graph_tables
from maillage.graph.vocab import load_vocabulary
from maillage.publish.beside import Beside, Forked, peak_memory_mb, reset_peak_memory
from maillage.publish.catalog import dataset_void, write_catalog
from maillage.publish.guide import GUIDE_FILE, GuideTooLarge, guide_model, render_guide
from maillage.publish.history import release_history
from maillage.publish.plot import draw_matrix, matrix_figure
from maillage.publish.rdf import PendingDumps, sha256_of, write_dumps
from maillage.publish.report import write_indicators_csv
from maillage.publish.site import MAP_ATTRIBUTION, MAP_TILES, write_metadata
from maillage.publish.sqlite import index_database, write_rows
from maillage.publish.standards_out import LIEUX_FILE, write_lieux_csv
from maillage.shapes import validate

# What the commands need ships in the package (the checkout's root in an editable install).
PACKAGE_ROOT = Path(str(importlib.resources.files("maillage")))
DEFAULT_METADATA = PACKAGE_ROOT / "metadata.yml"
DEFAULT_DATA = PACKAGE_ROOT / "data"


def default_data_dir() -> Path:
    """``./data`` when it holds a network, else the default network the package ships."""
    local = Path("data")
    return local if (local / "network.yaml").is_file() else DEFAULT_DATA


class PublishError(Exception):
    """Writing the published folder failed (disk full, no permission...): nothing was replaced."""


class FolderRefused(PublishError):
    """The output folder is not one a build may replace: nothing was touched (exit 2)."""

    @classmethod
    def of(cls, out: Path, reason: str) -> FolderRefused:
        return cls(f"{out} ne peut pas être remplacé : {reason} ; rien n'a été touché")


MARKER = "build.json"
MARKER_KEYS = frozenset({"network", "graph", "built_at", "triples", "counts"})


def refusal(out: Path) -> str | None:
    """Why a build may not replace ``out``, or None: only a missing or empty folder, or a
    publication of maillage (its ``build.json``, of the shape the build writes), is replaced;
    anything else may hold someone's work. A publication is maillage's own: it is replaced
    whole, whatever was put in it since."""
    if out.is_symlink():
        return "c'est un lien symbolique"
    if not out.exists():
        return None
    if not out.is_dir():
        return "ce n'est pas un dossier"
    try:
        names = {e.name for e in out.iterdir() if not e.name.startswith(CACHE_FILE)}
    except OSError as exc:
        return f"dossier illisible ({exc.strerror})"
    if not names:
        return None
    try:
        info = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = None
    if not isinstance(info, dict) or not MARKER_KEYS <= info.keys():
        return "il n'est pas vide et ce n'est pas une publication de maillage (build.json)"
    return None


@contextmanager
def publication_folder(out_dir: Path | str, progress: Progress = NO_PROGRESS) -> Iterator[Path]:
    """Hold ``out_dir`` for one publication: refused unless :func:`refusal` allows it, made if
    missing, and locked (``flock``) so that a second build into it waits for the first instead
    of losing one of their releases."""
    out = Path(out_dir).absolute()
    reason = refusal(out)
    if reason is None and out.resolve() in (Path.cwd().resolve(), *Path.cwd().resolve().parents):
        reason = "il contient le dossier courant"
    if reason is not None:
        raise FolderRefused.of(out, reason)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)  # made to be locked; removed if left empty
    except OSError as exc:
        raise PublishError(f"impossible d'écrire dans {out} : {exc.strerror}") from exc
    while True:
        fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress("attente", 0, 1)  # another build publishes there: wait for its end
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            same = os.stat(out).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:  # not the folder the other build replaced meanwhile
            break
        os.close(fd)
    try:
        reason = refusal(out)  # as the build before this one left it
        if reason is not None:
            raise FolderRefused.of(out, reason)
        yield out
    finally:
        os.close(fd)
        if created:
            with suppress(OSError):  # only while empty: nothing was published
                out.rmdir()


@dataclass
class BuildReport:
    out: Path
    counts: dict[str, int] = field(default_factory=dict)
    triples: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    peak_mb: dict[str, float] = field(default_factory=dict)  # peak resident memory per stage
    rows: int = 0  # rows written to SQLite
    # work done by another process meanwhile (seconds; not part of the stages' sum), and that
    # process's peak resident memory (MB; to add to the build's own while they overlap); and
    # "sqlite": the database's indexing, by a thread of this process (no memory of its own)
    beside: dict[str, float] = field(default_factory=dict)
    beside_peak_mb: dict[str, float] = field(default_factory=dict)
    progress: Progress = NO_PROGRESS
    # what the build held, when it was asked not to free it (``build(free=False)``)
    kept: list = field(default_factory=list, repr=False, compare=False)


@contextmanager
def _stage(report: BuildReport, name: str) -> Iterator[None]:
    reset_peak_memory()
    report.progress(name, 0, 1)
    start = time.perf_counter()
    yield
    report.seconds[name] = round(time.perf_counter() - start, 3)
    peak = peak_memory_mb()
    if peak is not None:
        report.peak_mb[name] = peak
    report.progress(name, 1, 1)


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while millions of long-lived objects are made.

    Each full collection walks every object alive; on a national network they ran again and
    again as the graph grew and took most of the build's time. Memory is still freed by
    reference counting, and the graph's objects hold no cycles worth collecting meanwhile.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # What the build made is long-lived (the graph a caller keeps) or freed by
            # reference counting: frozen, the collector does not walk it all again, for minutes
            # on a national network, at its next run after the build.
            gc.freeze()
            gc.enable()


def check(
    data_dir: Path | str, report: BuildReport | None = None, cache: Path | LoadCache | None = None
) -> BuiltGraph:
    """Load, build and validate a network; raise :class:`DataErrors` with every problem.

    ``cache``: the file where the actor files' records are kept between loads
    (:mod:`graph.load_cache`); None reads every file."""
    with no_cyclic_gc():
        return _check(data_dir, report, cache)


def _check(
    data_dir: Path | str, report: BuildReport | None, cache: Path | LoadCache | None
) -> BuiltGraph:
    report = report or BuildReport(Path("."))
    built = _load_and_build(data_dir, report, cache)
    _validate(built, report)
    return built


def _load_and_build(
    data_dir: Path | str, report: BuildReport, cache: Path | LoadCache | None
) -> BuiltGraph:
    data_dir = Path(data_dir)
    with _stage(report, "load"):
        network = load_network(data_dir, strict=False, progress=report.progress, cache=cache)
        try:
            vocab = load_vocabulary(data_dir / "vocab", network.base)
        except DataErrors as exc:
            raise DataErrors(network.errors + exc.errors) from None
    with _stage(report, "build"):
        built = build_graph(network, vocab, report.progress)
    _describe(built, report)
    return built


def _validate(built: BuiltGraph, report: BuildReport) -> None:
    with _stage(report, "validate"):
        _raise_errors(built, validate(built, progress=report.progress))


def _raise_errors(built: BuiltGraph, found: list[DataError]) -> None:
    errors = built.network.errors + new_findings(found, built.network)
    if errors:
        raise DataErrors(errors)


def _describe(built: BuiltGraph, report: BuildReport) -> None:
    report.triples = len(built.index)
    kinds = Counter(record.kind for record in built.network.records)
    for cls in CLASSES:
        report.counts[cls.table] = kinds[cls.name]
    report.counts["refersTo"] = sum(map(len, built.index.forward(MAI.refersTo).values()))


def new_findings(found: list[DataError], network: Network) -> list[DataError]:
    """SHACL results that are not echoes of a loading problem already reported: the same field
    of the same record, or a reference to an actor whose file could not be read."""
    reported = {(e.file, e.record, e.field) for e in network.errors}
    return [
        e
        for e in found
        if (e.file, e.record, e.field) not in reported and e.value not in network.unreadable
    ]


def build(
    data_dir: Path | str,
    out_dir: Path | str,
    metadata: Path | str = DEFAULT_METADATA,
    progress: Progress = NO_PROGRESS,
    cache: bool = True,
    free: bool = True,
) -> BuildReport:
    """Build and publish a network into ``out_dir``, all or nothing.

    With ``cache``, what the actor files gave is kept for the next build, beside the published
    folder (:func:`cache_file`): the files unchanged are not parsed again.

    With ``free`` False, the graph, tables and network the build made are not freed when it
    returns: ``report.kept`` holds them, for a process that ends right after (``maillage
    build`` ends with ``os._exit``). Freeing a national network's millions of objects one by
    one takes seconds; the system takes a process's memory back at once."""
    cleanup = Cleanup(keep=None if free else [])
    with publication_folder(out_dir, progress), no_cyclic_gc():
        report = _build(data_dir, out_dir, metadata, progress, cache, cleanup)
    cleanup.end(report)  # _build has returned: its graph, tables and network are freed
    return report


class Cleanup:
    """The end of a publication, timed as the stage ``cleanup``: the folder it replaced is
    removed, then the build's graph, tables and network are freed, as the functions that held
    them return (on a national network, a second and a half each). Removing the folder in a
    thread while the memory was freed took longer than one after the other: both are the
    kernel's work on memory (3.3 -> 4.0 s at 30,000 actors).

    With ``keep`` (a list), what the build held is put there instead of being freed, and
    given to the report (``BuildReport.kept``)."""

    def __init__(self, keep: list | None = None) -> None:
        self._started: float | None = None
        self._keep = keep

    def hold(self, *objects: object) -> None:
        """What the publication made: freed as it returns, unless kept."""
        if self._keep is not None:
            self._keep.extend(objects)

    @property
    def started(self) -> bool:
        return self._started is not None

    def start(self, replaced: Path) -> None:
        self._started = time.perf_counter()
        shutil.rmtree(replaced, ignore_errors=True)

    def end(self, report: BuildReport) -> None:
        if self._keep is not None:
            report.kept = self._keep
        if self._started is not None:
            report.seconds["cleanup"] = round(time.perf_counter() - self._started, 3)


CACHE_FILE = ".maillage-cache.pickle"


def cache_file(out_dir: Path | str) -> Path:
    """Where ``build`` keeps the actor files' records: inside the published folder, the one
    folder the user named (nothing is left beside it); moved into each new publication, and
    never served nor catalogued (only the files ``build.json`` lists are)."""
    return Path(out_dir) / CACHE_FILE


# From this many triples (about 600 actors) the build validates in a forked copy of its own
# process, on the machine's second core, while it writes the N-Triples (publish.beside.Forked).
VALIDATE_BESIDE_FROM = 100_000


def _build(
    data_dir: Path | str,
    out_dir: Path | str,
    metadata: Path | str,
    progress: Progress,
    cache: bool,
    cleanup: Cleanup,
) -> BuildReport:
    report = BuildReport(Path(out_dir).resolve(), progress=progress)
    # read from the previous publication, saved into the new one (the previous stays as it was)
    store = LoadCache.open(cache_file(report.out)) if cache else None
    built = _load_and_build(data_dir, report, store)
    if built.network.errors or len(built.index) < VALIDATE_BESIDE_FROM:
        _validate(built, report)  # nothing is written for data that cannot be published
        return _publish(built, report, metadata, cleanup, cache=store)
    return _publish(built, report, metadata, cleanup, validate_beside=True, cache=store)


def publish(
    built: BuiltGraph,
    out_dir: Path | str,
    metadata: Path | str = DEFAULT_METADATA,
    progress: Progress = NO_PROGRESS,
) -> BuildReport:
    """Publish a network already checked (by :func:`check`, or kept up to date by
    ``publish.rebuild.LiveNetwork``) into ``out_dir``, all or nothing."""
    report = BuildReport(Path(out_dir).resolve(), progress=progress)
    _describe(built, report)
    cleanup = Cleanup()
    with publication_folder(out_dir, progress), no_cyclic_gc():
        _publish(built, report, metadata, cleanup)
    cleanup.end(report)
    return report


def _publish(
    built: BuiltGraph,
    report: BuildReport,
    metadata: Path | str,
    cleanup: Cleanup,
    validate_beside: bool = False,
    cache: LoadCache | None = None,
) -> BuildReport:
    """Publish into ``report.out``; ``cleanup`` removes the folder it replaces.
    With ``validate_beside``, the graph is validated meanwhile in a forked copy of this
    process: its answer is awaited once the N-Triples are written, before anything else is,
    and its errors raised (nothing is then published). When the dumps are converted by
    another process, the release diff (which reads the previous and the new N-Triples and
    their indexes) is made by one more, while the tables and network analytics are made here;
    it is awaited by the stage ``history``."""
    out = report.out
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-new-{os.getpid()}-", dir=out.parent))
        tmp.chmod(0o755)  # mkdtemp makes it private; the published folder is public
    except OSError as exc:
        raise PublishError(f"impossible d'écrire dans {out.parent} : {exc.strerror}") from exc
    dumps = validation = history = plot = None
    previous = str(out) if (out / "maillage.nt").exists() else None
    history_args = (previous, str(tmp), dict(report.counts))
    try:
        if validate_beside:
            validation = Forked(validate, (built,))
        with _stage(report, "rdf"):
            dumps = write_dumps(built, tmp)  # Turtle, TriG, JSON-LD go on in another process
            release_free_memory()  # the dumps' text (a gigabyte on a national network) is freed
        with _stage(report, "void"):  # counted while the validation's copy may still run
            if dumps.beside:  # the release diff reads files only: another process, meanwhile
                history = Beside(release_history, history_args)
            void = dataset_void(built)
        if validation is not None:
            with _stage(report, "validate-wait"):
                found = validation.result()
                report.beside["validate"] = round(validation.seconds, 3)
                if validation.peak_mb is not None:
                    report.beside_peak_mb["validate"] = validation.peak_mb
            _raise_errors(built, found)
        with _stage(report, "tables"):
            tables = graph_tables(built)
        with _stage(report, "network"):
            network = ReferralNetwork.from_tables(tables)
            rows = coverage(network)
            # drawn meanwhile by another process when the dumps are (matplotlib: a second)
            plot = Beside(
                draw_matrix,
                (matrix_figure(network, rows), str(tmp / "couverture.png")),
                here=not dumps.beside,
            )
            analytics, _ = analytics_tables(network, rows)
            analytics["completude"] = completeness_rows(tables)
        analytics["publication"] = [
            {
                "built_at": time.strftime("%Y-%m-%d %H:%M", time.localtime()),
                "network": str(built.network.meta.get("name")),
                "actors": report.counts["actors"],
                "sites": report.counts["sites"],
                "services": report.counts["services"],
                "referrals": report.counts["referrals"],
                "triples": report.triples,
                "recheck_months": recheck_months(built.network.meta),
                "contact": str(built.network.meta.get("contact") or ""),
                "site": str(built.network.meta.get("site") or ""),
                "map_tiles": str(built.network.meta.get("map_tiles") or MAP_TILES),
                "map_attribution": str(
                    built.network.meta.get("map_attribution") or MAP_ATTRIBUTION
                ),
            }
        ]
        with _stage(report, "guide"):
            # the printed guide of the whole network, when it fits one booklet (a commune's
            # guide is always one command away: maillage guide --commune)
            try:
                guide = guide_model(
                    {
                        **tables,
                        "parcours": analytics["parcours"],
                        "publication": analytics["publication"],
                    }
                )
            except GuideTooLarge:
                guide = None
            analytics["publication"][0]["guide"] = GUIDE_FILE if guide else ""
        with _stage(report, "history"):
            if history is None:
                history = Beside(release_history, history_args, here=True)
            releases, analytics["changes"] = history.result()
            _report_beside(report, "history", history)
            (tmp / "releases.json").write_text(
                json.dumps(releases, ensure_ascii=False, indent=1), encoding="utf-8"
            )
            analytics["releases"] = releases
        database = tmp / "maillage.db"
        with _stage(report, "sqlite"):
            report.rows = sum(write_rows(tables, database, analytics).values())
            if not dumps.beside:  # a small database is indexed right away
                index_database(database)
        # A national one is indexed by a thread (SQLite lets go of the GIL), then hashed, while
        # the CSV are written here and the other processes end
        finishing = ThreadPoolExecutor(1)
        database_digest = finishing.submit(_index_and_hash, database, dumps.beside)
        finishing.shutdown(wait=False)
        with _stage(report, "exports"):
            write_lieux_csv(built, tables, tmp / LIEUX_FILE)
            write_indicators_csv(tables, tmp / "indicateurs.csv")
            if guide is not None:
                render_guide(guide, tmp / GUIDE_FILE)
        with _stage(report, "rdf-wait"):
            checksums = dumps.wait()
            checksums["maillage.nt"] = releases[-1]["sha256"]  # this build's release
            plot.result()
            _report_beside(report, "plot", plot)
            _report_beside(report, "rdf", dumps)
        with _stage(report, "sqlite-wait"):
            checksums["maillage.db"], seconds = database_digest.result()
            if dumps.beside:  # indexed by a thread, meanwhile
                report.beside["sqlite"] = round(seconds, 3)
        with _stage(report, "catalog"):
            site_url = str(built.network.meta.get("site") or "http://127.0.0.1:8001")
            write_catalog(built, tmp, site_url, checksums, void)
            write_metadata(Path(metadata), tmp)
            _write_build_info(built, report, tmp)
        with _stage(report, "fsync"):
            _fsync_tree(tmp)
        with _stage(report, "publish"):
            if cache is not None:  # kept in the new folder, after the files build.json lists
                cache.save(cache_file(tmp))
            _swap_into_place(tmp, out)
        cleanup.hold(built, tables, network, rows, analytics)
        cleanup.start(tmp)  # what tmp now holds: the previous folder, if any
    except (OSError, sqlite3.Error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise PublishError(
            f"publication impossible dans {out} : {reason} ; le dossier publié précédent est intact"
        ) from exc
    finally:
        if validation is not None:
            validation.close()
        for job in (history, plot):
            if job is not None:
                job.close()
        if dumps is not None:
            dumps.close()
        if not cleanup.started:  # the new folder, not published
            shutil.rmtree(tmp, ignore_errors=True)
    return report


def _report_beside(report: BuildReport, name: str, job: Beside | PendingDumps) -> None:
    """A finished job's seconds and peak memory, when it ran in another process (a job run in
    the build's own has no peak of its own, and its time is its stage's)."""
    if job.peak_mb is not None:
        report.beside[name] = round(job.seconds, 3)
        report.beside_peak_mb[name] = job.peak_mb


def _index_and_hash(database: Path, index: bool) -> tuple[str, float]:
    """The database indexed (unless it is already), then its SHA-256; and the seconds the
    indexing took."""
    start = time.perf_counter()
    if index:
        index_database(database)
    seconds = time.perf_counter() - start
    return sha256_of(database), seconds


def _remove_leftovers(out: Path) -> None:
    """Remove the temporary folders of builds that were killed (their process is gone)."""
    for leftover in out.parent.glob(f".{out.name}-new-*"):
        try:
            pid = int(leftover.name.split("-new-", 1)[1].split("-", 1)[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(leftover, ignore_errors=True)
        except (ValueError, IndexError, PermissionError):
            continue


def _write_build_info(built: BuiltGraph, report: BuildReport, folder: Path) -> None:
    """``build.json``: what was published, and the mark that the folder is a publication that
    the next build may replace (:func:`refusal`)."""
    info = {
        "network": str(built.network_iri or URIRef("")),
        "graph": f"{built.network.base}/graphe",
        "name": built.network.meta.get("name"),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "triples": report.triples,
        "counts": report.counts,
        "files": sorted({p.name for p in folder.iterdir()} | {MARKER}),
    }
    (folder / MARKER).write_text(
        json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name, use_errno=True) if name else None


def release_free_memory() -> None:
    """Give the memory freed meanwhile back to the system (glibc keeps it for the process
    otherwise, and every later stage's peak would count it)."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where unsupported."""
    renameat2 = getattr(_libc(), "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result != 0:
        errno = ctypes.get_errno()
        if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the filesystem cannot do it
            return False
        raise OSError(errno, os.strerror(errno))
    return True


def _swap_into_place(new: Path, out: Path) -> None:
    """Put ``new`` at ``out``; afterwards ``new`` holds the previous folder, if any."""
    if not out.exists():
        os.rename(new, out)
        return
    if _exchange(new, out):
        return
    # No atomic exchange here: the window without `out` is two renames long.
    old = new.with_name(new.name + "-old")
    os.rename(out, old)
    os.rename(new, out)
    os.rename(old, new)


TABLES_FOR_NETWORK = (
    "actors",
    "sites",
    "services",
    "referrals",
    "concepts",
    "service_needs",
    "service_publics",
    "service_sites",
    "service_support",
    "service_levels",
    "referral_needs",
    "demand",
)


def published_tables(
    data_dir: Path | str, out_dir: Path | str, names: tuple[str, ...] = TABLES_FOR_NETWORK
) -> Tables:
    """The rows of the published network, rebuilt first when the data changed."""
    import sqlite_utils

    if is_stale(data_dir, out_dir):
        build(data_dir, out_dir)
    db = sqlite_utils.Database(Path(out_dir) / "maillage.db")
    try:
        return {name: list(db[name].rows) for name in names}
    finally:
        db.close()


def is_stale(data_dir: Path | str, out_dir: Path | str) -> bool:
    """True when the published database is missing or older than any source file."""
    db = Path(out_dir) / "maillage.db"
    if not db.exists():
        return True
    built_at = db.stat().st_mtime
    sources = [p for p in Path(data_dir).rglob("*") if p.is_file()]
    sources.append(DEFAULT_METADATA)
    return any(p.stat().st_mtime > built_at for p in sources if p.exists())
