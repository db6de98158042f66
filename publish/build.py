"""load -> build -> validate -> writers, into a temporary folder, then into place atomically.

A failed step (bad data, full disk, a crash) leaves the previous ``dist/`` exactly as it was:
the new folder is written beside it and swapped in with one ``renameat2(RENAME_EXCHANGE)``
(or a plain rename when there is no previous folder).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
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
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef

from maillage.graph.analytics import analytics_tables
from maillage.graph.build import BuiltGraph, build_graph
from maillage.graph.completeness import completeness_rows
from maillage.graph.contact import personal_contacts
from maillage.graph.distance import distant_centres
from maillage.graph.errors import OS_REASONS, DataError, DataErrors, os_reason
from maillage.graph.freshness import recheck_months
from maillage.graph.load import Network, load_network
from maillage.graph.load_cache import LoadCache
from maillage.graph.model import CLASSES
from maillage.graph.network import ReferralNetwork, coverage
from maillage.graph.ns import MAI
from maillage.graph.progress import NO_PROGRESS, Progress
from maillage.graph.tables import Tables, graph_tables
from maillage.graph.vocab import Vocabulary, load_vocabulary
from maillage.publish.address import site_warning
from maillage.publish.api_tables import write_api_tables
from maillage.publish.catalog import catalog_graph, dataset_void, write_catalog
from maillage.publish.dashboard import draw_dashboard
from maillage.publish.guide import (
    GUIDE_FILE,
    LARGE_GUIDE_FILE,
    GuideTooLarge,
    changes_page,
    guide_model,
    render_guide,
)
from maillage.publish.history import release_history
from maillage.publish.plot import draw_coverage, matrix_figure
from maillage.publish.rdf import Graphs, convert_dumps, sha256_of, write_dumps
from maillage.publish.report import write_indicators_csv
from maillage.publish.runner import Stage, run_stages
from maillage.publish.search import write_search_index
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
    publication of maillage (its ``build.json``, of the shape the build writes, and every file
    it lists), is replaced; anything else may hold someone's work. What was put in a
    publication since is carried over into the next one (:func:`_carry_over`)."""
    if out.is_symlink():
        return "c'est un lien symbolique"
    if not out.exists():
        return None
    if not out.is_dir():
        return "ce n'est pas un dossier"
    try:
        names = {e.name for e in out.iterdir() if not e.name.startswith(CACHE_FILE)}
    except OSError as exc:
        return f"dossier illisible ({os_reason(exc)})"
    if not names:
        return None
    try:
        info = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = None
    if not isinstance(info, dict) or not MARKER_KEYS <= info.keys():
        return "il n'est pas vide et ce n'est pas une publication de maillage (build.json)"
    listed = info.get("files")
    if not isinstance(listed, list) or "maillage.db" not in listed:
        return "son build.json ne liste pas de publication (maillage.db)"
    missing = sorted(str(f) for f in listed if str(f) not in names | {MARKER})
    if missing:
        # a copy of build.json beside someone's files is not a publication
        shown = ", ".join(missing[:3]) + (", …" if len(missing) > 3 else "")
        return (
            f"ce n'est pas une publication de maillage : il y manque {len(missing)} des "
            f"fichiers que son build.json liste ({shown})"
        )
    return None


def users_files(out: Path) -> list[str]:
    """What was put in the publication ``out`` since it was built: the names its
    ``build.json`` does not list (the load cache aside)."""
    try:
        info = json.loads((out / MARKER).read_text(encoding="utf-8"))
        names = [e.name for e in out.iterdir()]
    except (OSError, ValueError):
        return []
    listed = set(info.get("files") or []) if isinstance(info, dict) else set()
    return sorted(n for n in names if n not in listed | {MARKER} and not n.startswith(CACHE_FILE))


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:  # another file system (out a mount point), or links not allowed
        shutil.copy2(source, target, follow_symlinks=False)


def _carry_over(out: Path, folder: Path) -> None:
    """The files a user put in the publication ``out`` (notes, a ``.git``), hard-linked into the
    new one before it takes its place: never copied twice, and still in ``out`` if the build
    stops before the swap. A name the new publication uses stops the build (whose file would
    it be?): nothing of theirs is lost."""
    if not out.is_dir():
        return
    kept = users_files(out)
    taken = sorted(n for n in kept if os.path.lexists(folder / n))
    if taken:
        raise PublishError(
            f"{out} contient {', '.join(taken)}, que la publication écrit aussi : "
            "renommez ou déplacez ce fichier ; rien n'a été remplacé"
        )
    for name in kept:
        source, target = out / name, folder / name
        if source.is_dir() and not source.is_symlink():
            shutil.copytree(source, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(source), str(target))
    if kept:
        _fsync_tree(folder, files=False)


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
        raise PublishError(f"impossible d'écrire dans {out} : {os_reason(exc)}") from exc
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
    """What a build measured, stage by stage (written by :func:`publish.runner.run_stages`)."""

    out: Path
    counts: dict[str, int] = field(default_factory=dict)
    triples: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    peak_mb: dict[str, float] = field(default_factory=dict)  # peak resident memory per stage
    rows: int = 0  # rows written to SQLite
    # the stages run beside the build (another process, or a thread: "index"): their seconds
    # (not part of the stages' sum) and, for a process, its peak resident memory (MB; to add
    # to the build's own while they overlap)
    beside: dict[str, float] = field(default_factory=dict)
    beside_peak_mb: dict[str, float] = field(default_factory=dict)
    progress: Progress = NO_PROGRESS
    # what the publication should tell its coordinator, in French (a site address printed
    # matter cannot link to)
    warnings: list[str] = field(default_factory=list)
    # what the build held, when it was asked not to free it (``build(free=False)``)
    kept: dict = field(default_factory=dict, repr=False, compare=False)


@contextmanager
def no_cyclic_gc(keep: bool = False) -> Iterator[None]:
    """Pause Python's cyclic garbage collector while millions of long-lived objects are made.

    Each full collection walks every object alive; on a national network they ran again and
    again as the graph grew and took most of the build's time. Memory is still freed by
    reference counting, and the graph's objects hold no cycles worth collecting meanwhile.

    With ``keep`` (the caller keeps what was made: a checked graph), it is frozen out of the
    collector's later walks: at 10,000 actors, 3 million allocations after a check took 12.9 s
    unfrozen, 2.9 s frozen. A build frees what it made, and needs no freezing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.freeze()
        if enabled:
            gc.enable()


def unfreeze_collected() -> None:
    """Before a graph kept frozen (:func:`no_cyclic_gc` with ``keep``) is replaced: what it
    leaves behind in cycles is collected, not kept frozen for the process's life."""
    gc.unfreeze()
    gc.collect()


# The stages' own functions, where a library call needs its values named or shaped.


def _load(
    data_dir: Path, cache: LoadCache | None, progress: Progress
) -> tuple[Network, Vocabulary]:
    network = load_network(data_dir, strict=False, progress=progress, cache=cache)
    try:
        return network, load_vocabulary(data_dir / "vocab", network.base)
    except DataErrors as exc:
        raise DataErrors(network.errors + exc.errors) from None


def _build(network: Network, vocab: Vocabulary, progress: Progress) -> tuple:
    built = build_graph(network, vocab, progress)
    return built, *described(built)


def described(built: BuiltGraph) -> tuple[dict[str, int], int]:
    """The records of each table and the referrals, and the triples, of a built network."""
    kinds = Counter(record.kind for record in built.network.records)
    counts = {cls.table: kinds[cls.name] for cls in CLASSES}
    counts["refersTo"] = sum(map(len, built.index.forward(MAI.refersTo).values()))
    return counts, len(built.index)


def _validate(built: BuiltGraph, progress: Progress) -> bool:
    """Every problem raised at once: the loader's and the shapes' (not their echoes)."""
    found = validate(built, progress=progress)
    errors = built.network.errors + new_findings(found, built.network)
    if errors:
        raise DataErrors(errors)
    return True


def new_findings(found: list[DataError], network: Network) -> list[DataError]:
    """SHACL results that are not echoes of a loading problem already reported: the same field
    of the same record, or a reference to an actor whose file could not be read."""
    reported = {(e.file, e.record, e.field) for e in network.errors}
    return [
        e
        for e in found
        if (e.file, e.record, e.field) not in reported and e.value not in network.unreadable
    ]


def _new_folder(out: Path) -> tuple[Path, str | None]:
    """The temporary folder the publication is written into, beside ``out``; and ``out``, when
    it holds a previous publication (the release diff reads it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}-new-{os.getpid()}-", dir=out.parent))
    folder.chmod(0o755)  # mkdtemp makes it private; the published folder is public
    return folder, str(out) if (out / "maillage.nt").exists() else None


def _rdf(built: BuiltGraph, folder: Path) -> Graphs:
    graphs = write_dumps(built, folder)
    release_free_memory()  # the dumps' text (a gigabyte on a national network) is freed
    return graphs


def _network(tables: Tables) -> tuple:
    network = ReferralNetwork.from_tables(tables)
    rows = coverage(network)
    analytics, _ = analytics_tables(network, rows)
    analytics["completude"] = completeness_rows(tables)
    return network, analytics, matrix_figure(network, rows)


def _publication(built: BuiltGraph, counts: dict[str, int], triples: int) -> list[dict]:
    """The one row that says what this publication is (the site's pages read it)."""
    meta = built.network.meta
    return [
        {
            "built_at": time.strftime("%Y-%m-%d %H:%M", time.localtime()),
            "network": str(meta.get("name")),
            **{table: counts[table] for table in ("actors", "sites", "services", "referrals")},
            "triples": triples,
            "recheck_months": recheck_months(meta),
            "contact": str(meta.get("contact") or ""),
            "site": str(meta.get("site") or ""),
            "map_tiles": str(meta.get("map_tiles") or MAP_TILES),
            "map_attribution": str(meta.get("map_attribution") or MAP_ATTRIBUTION),
        }
    ]


def _guide(tables: Tables, analytics: Tables, publication: list[dict]) -> dict | None:
    """The printed guide of the whole network, when it fits one booklet (a commune's guide is
    always one command away: ``maillage guide --commune``)."""
    try:
        parcours = analytics["parcours"]
        return guide_model({**tables, "parcours": parcours, "publication": publication})
    except GuideTooLarge:
        return None


def _sqlite(
    folder: Path,
    tables: Tables,
    analytics: Tables,
    publication: list[dict],
    guide: dict | None,
    releases: list[dict],
    changes: list[dict],
) -> tuple[Path, dict[str, int]]:
    (folder / "releases.json").write_text(
        json.dumps(releases, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    publication = [{**publication[0], "guide": GUIDE_FILE if guide else ""}]
    rest = {**analytics, "publication": publication, "changes": changes, "releases": releases}
    database = folder / "maillage.db"
    counts = write_rows(tables, database, rest)
    return database, counts


def _search(database: Path, tables: Tables, built: BuiltGraph) -> dict:
    return write_search_index(database, tables, built.vocab, built.network.meta)


def _index(database: Path) -> str:
    """The database indexed, then its SHA-256, for the catalogue."""
    index_database(database)
    return sha256_of(database)


def _exports(
    built: BuiltGraph,
    tables: Tables,
    guide: dict | None,
    folder: Path,
    changes: list[dict],
    releases: list[dict],
) -> None:
    write_lieux_csv(built, tables, folder / LIEUX_FILE)
    write_indicators_csv(tables, folder / "indicateurs.csv")
    if guide is not None:
        # what changed since the last edition, known once the history is (after the guide's model)
        guide = {**guide, "changes": changes_page(changes, releases)}
        render_guide(guide, folder / GUIDE_FILE)
        render_guide({**guide, "large": True}, folder / LARGE_GUIDE_FILE)


def _catalog(
    built: BuiltGraph,
    folder: Path,
    metadata: Path,
    converted: dict[str, str],
    releases: list[dict],
    database_sha256: str,
    void: object,
    counts: dict[str, int],
    triples: int,
) -> None:
    checksums = {**converted, "maillage.nt": releases[-1]["sha256"]}  # this build's release
    checksums["maillage.db"] = database_sha256
    site_url = str(built.network.meta.get("site") or "http://127.0.0.1:8001")
    write_catalog(catalog_graph(built, folder, site_url, checksums, void), folder)
    write_metadata(Path(metadata), folder)
    _write_build_info(built, counts, triples, folder)


def _swap(folder: Path, out: Path, cache: LoadCache | None) -> bool:
    _carry_over(out, folder)
    if cache is not None:  # kept in the new folder, after the files build.json lists
        cache.save(cache_file(folder))
    _swap_into_place(folder, out)
    return True  # ``folder`` now holds the previous publication, if any


def _remove_replaced(folder: Path) -> None:
    # Removing it in a thread while the build's memory is freed took longer than one after
    # the other: both are the kernel's work on memory (3.3 -> 4.0 s at 30,000 actors).
    shutil.rmtree(folder, ignore_errors=True)


# From this many triples (about 600 actors) the stages that may go beside do: below, starting
# a process costs more than the job.
BESIDE_FROM = 100_000


def _large(values: dict) -> bool:
    built = values.get("built")
    # a network with loading errors is validated here: all its errors are reported together
    return built is not None and not built.network.errors and len(built.index) >= BESIDE_FROM


def check(
    data_dir: Path | str, report: BuildReport | None = None, cache: Path | LoadCache | None = None
) -> BuiltGraph:
    """Load, build and validate a network; raise :class:`DataErrors` with every problem.

    ``cache``: the file where the actor files' records are kept between loads
    (:mod:`graph.load_cache`); None reads every file."""
    report = report or BuildReport(Path("."))
    values = {"data_dir": Path(data_dir), "cache": cache, "progress": report.progress}
    with no_cyclic_gc(keep=True):  # the caller's graph
        _run(CHECK, values, report, beside=False)
    return values["built"]


def build(
    data_dir: Path | str,
    out_dir: Path | str,
    metadata: Path | str = DEFAULT_METADATA,
    progress: Progress = NO_PROGRESS,
    cache: bool = True,
    free: bool = True,
    beside: bool | None = None,
) -> BuildReport:
    """Build and publish a network into ``out_dir``, all or nothing (:data:`STAGES`).

    With ``cache``, what the actor files gave is kept for the next build, in the published
    folder (:func:`cache_file`): the files unchanged are not parsed again. ``beside``: whether
    the stages that may run beside the build do (None: from :data:`BESIDE_FROM` triples).

    With ``free`` False, what the stages made is not freed when it returns: ``report.kept``
    holds it, for a process that ends right after (``maillage build`` ends with
    ``os._exit``). Freeing a national network's millions of objects one by one takes seconds;
    the system takes a process's memory back at once."""
    report = BuildReport(Path(out_dir).resolve(), progress=progress)
    with publication_folder(out_dir, progress), no_cyclic_gc():
        # read from the previous publication, saved into the new one (the previous stays)
        store = LoadCache.open(cache_file(report.out)) if cache else None
        values = {"data_dir": Path(data_dir), "cache": store, "progress": progress}
        values |= {"out": report.out, "metadata": Path(metadata)}
        _run(STAGES, values, report, _large if beside is None else beside)
    _free(values, report, free)
    return report


def publish(
    built: BuiltGraph,
    out_dir: Path | str,
    metadata: Path | str = DEFAULT_METADATA,
    progress: Progress = NO_PROGRESS,
    beside: bool | None = None,
) -> BuildReport:
    """Publish a network already checked (by :func:`check`, or kept up to date by
    ``publish.rebuild.LiveNetwork``) into ``out_dir``, all or nothing."""
    report = BuildReport(Path(out_dir).resolve(), progress=progress)
    counts, triples = described(built)
    values = {"built": built, "counts": counts, "triples": triples, "valid": True}
    values |= {"out": report.out, "metadata": Path(metadata), "cache": None, "progress": progress}
    with publication_folder(out_dir, progress), no_cyclic_gc():
        _run(STAGES[3:], values, report, _large if beside is None else beside)
    values.pop("built")  # the caller's: not freed here
    _free(values, report, True)
    return report


def write_problem(exc: OSError | sqlite3.Error) -> str:
    """Why writing the publication failed, in French (the system's and SQLite's words are
    English: "No space left on device", "database or disk is full")."""
    if isinstance(exc, OSError):
        return os_reason(exc)
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return OS_REASONS[errno.ENOSPC]
    return f"base SQLite : {exc}"


def _run(stages: tuple[Stage, ...], values: dict, report: BuildReport, beside) -> None:
    """The stages, with what they say reported, and their folder removed unless published."""
    try:
        run_stages(stages, values, report, beside)
        if values.get("built") is not None:  # the data is valid: what deserves a second look
            network = values["built"].network
            found = [*personal_contacts(network.of_kind("actor")), *distant_centres(network)]
            report.warnings += [str(w) for w in found]
        if values.get("publication"):
            warning = site_warning(values["publication"][0].get("site"))
            report.warnings += [warning] if warning else []
    except (OSError, sqlite3.Error) as exc:
        if "folder" not in values:  # reading the data: its own error
            raise
        raise PublishError(
            f"publication impossible dans {report.out} : {write_problem(exc)} ;"
            " le dossier publié précédent est intact"
        ) from exc
    finally:
        report.counts, report.triples = values.get("counts", {}), values.get("triples", 0)
        if "folder" in values and "published" not in values:
            shutil.rmtree(values["folder"], ignore_errors=True)
    report.rows = sum(sum(values.get(rows, {}).values()) for rows in ("database_rows", "api_rows"))


def _free(values: dict, report: BuildReport, free: bool) -> None:
    """What the stages made freed (timed with the removal of the folder replaced), or kept."""
    if not free:
        report.kept = values
        return
    start = time.perf_counter()
    values.clear()
    if "cleanup" in report.seconds:
        freed = time.perf_counter() - start
        report.seconds["cleanup"] = round(report.seconds["cleanup"] + freed, 3)


CACHE_FILE = ".maillage-cache.pickle"


def cache_file(out_dir: Path | str) -> Path:
    """Where ``build`` keeps the actor files' records: inside the published folder, the one
    folder the user named (nothing is left beside it); moved into each new publication, and
    never served nor catalogued (only the files ``build.json`` lists are)."""
    return Path(out_dir) / CACHE_FILE


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


def _write_build_info(
    built: BuiltGraph, counts: dict[str, int], triples: int, folder: Path
) -> None:
    """``build.json``: what was published, and the mark that the folder is a publication that
    the next build may replace (:func:`refusal`)."""
    info = {
        "network": str(built.network_iri or URIRef("")),
        "graph": f"{built.network.base}/graphe",
        "name": built.network.meta.get("name"),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "triples": triples,
        "counts": counts,
        "files": sorted({p.name for p in folder.iterdir()} | {MARKER}),
    }
    (folder / MARKER).write_text(
        json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def _fsync_tree(folder: Path, files: bool = True) -> None:
    for path in folder.iterdir() if files else ():
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


# The whole publication. ``needs`` are the function's arguments, ``gives`` what it returns;
# a stage with ``beside`` runs there on a large network (publish/runner.py), and is awaited by
# the first stage that needs what it gives.
STAGES = (
    Stage("load", _load, ("data_dir", "cache", "progress"), ("network", "vocab")),
    Stage("build", _build, ("network", "vocab", "progress"), ("built", "counts", "triples")),
    # nothing is written for data that cannot be published; on a large network the graph is
    # validated by a forked copy of this process (it shares its memory) while the dumps are
    # written, and its answer awaited before the tables
    Stage("validate", _validate, ("built", "progress"), ("valid",), beside="fork"),
    Stage("folder", _new_folder, ("out",), ("folder", "previous")),
    Stage("rdf", _rdf, ("built", "folder"), ("graphs",)),
    Stage("dumps", convert_dumps, ("folder", "graphs"), ("converted",), beside="process"),
    Stage(
        "history",
        release_history,  # reads the previous and the new N-Triples and their indexes
        ("previous", "folder", "counts"),
        ("releases", "changes"),
        after=("graphs",),
        beside="process",
    ),
    Stage("void", dataset_void, ("built",), ("void",)),
    Stage("tables", graph_tables, ("built",), ("tables",), after=("valid",)),
    Stage("network", _network, ("tables",), ("network", "analytics", "figure")),
    Stage("plot", draw_coverage, ("figure", "folder"), ("plot",), beside="process"),
    Stage("publication", _publication, ("built", "counts", "triples"), ("publication",)),
    Stage("guide", _guide, ("tables", "analytics", "publication"), ("guide",)),
    Stage(
        "sqlite",
        _sqlite,
        ("folder", "tables", "analytics", "publication", "guide", "releases", "changes"),
        ("database", "database_rows"),
    ),
    # the data·inclusion and Open Referral documents the APIs and the exports read, written
    # into the database once its own tables are (each row made as it is inserted)
    Stage("api", write_api_tables, ("database", "built", "tables", "analytics"), ("api_rows",)),
    # the search's index of every place (publish/search.py) and the communes it starts from
    Stage("search", _search, ("database", "tables", "built"), ("search_rows",)),
    Stage(
        "index",
        _index,
        ("database",),
        ("database_sha256",),
        after=("api_rows", "search_rows"),
        beside="thread",
    ),
    # the coordinators' dashboard drawn from the canned queries asked of the indexed database
    Stage(
        "dashboard",
        draw_dashboard,
        ("database", "metadata", "folder"),
        ("dashboard",),
        after=("database_sha256",),
        beside="process",
    ),
    Stage(
        "exports",
        _exports,
        ("built", "tables", "guide", "folder", "changes", "releases"),
        ("exported",),
    ),
    Stage(
        "catalog",
        _catalog,
        ("built", "folder", "metadata", "converted", "releases", "database_sha256", "void")
        + ("counts", "triples"),
        ("catalogued",),
        after=("plot", "exported", "dashboard"),
    ),
    Stage("fsync", _fsync_tree, ("folder",), after=("catalogued",)),
    Stage("publish", _swap, ("folder", "out", "cache"), ("published",)),
    Stage("cleanup", _remove_replaced, ("folder",), after=("published",)),
)
CHECK = STAGES[:3]  # load, build, validate


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

    db = sqlite_utils.Database(published(data_dir, out_dir) / "maillage.db")
    try:
        return {name: list(db[name].rows) for name in names}
    finally:
        db.close()


def published(data_dir: Path | str, out_dir: Path | str) -> Path:
    """The published folder of ``data_dir``, rebuilt first when the data changed since."""
    if is_stale(data_dir, out_dir):
        build(data_dir, out_dir)
    return Path(out_dir)


def is_stale(data_dir: Path | str, out_dir: Path | str) -> bool:
    """True when the published database is missing or older than any source file."""
    db = Path(out_dir) / "maillage.db"
    if not db.exists():
        return True
    built_at = db.stat().st_mtime
    sources = [p for p in Path(data_dir).rglob("*") if p.is_file()]
    sources.append(DEFAULT_METADATA)
    return any(p.stat().st_mtime > built_at for p in sources if p.exists())
