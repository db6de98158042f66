"""``maillage import lieux-mediation`` and ``import data-inclusion``: a national file becomes
maillage source files, in a data folder that may already hold a network.

The import is all or nothing, as a build is. The whole target folder (the coordinator's own files
included: ``.git``, notes) is copied beside it, the imported actors are written into the copy,
and the copy is validated with the normal pipeline (YAML, vocabularies, SHACL); any error is
reported at its line and column of the imported file. Only when everything is valid is the copy
exchanged with the target in one step (``renameat2(RENAME_EXCHANGE)``, as the build swaps
``dist/``): a kill or a full disk leaves the target as it was, or finished. The folder replaced
is kept beside it, as ``.NAME.avant-import``, and ``maillage import --annuler DIR`` puts it back.
Imports into one folder take turns (a lock).
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.util import load_yaml_guess_indent

from maillage.graph import data_inclusion_in
from maillage.graph.errors import DataError, DataErrors
from maillage.graph.load import load_meta, read_source
from maillage.graph.progress import NO_PROGRESS, Progress, tracked
from maillage.graph.standards_in import (
    Imported,
    actor_documents,
    locate,
    read_lieux_csv,
    slug,
)
from maillage.graph.vocab import load_vocabulary
from maillage.publish.build import DEFAULT_DATA, BuildReport, PublishError, _exchange, check
from maillage.publish.merge import Conflict, Merged, merge_actor

DEFAULT_VOCAB = DEFAULT_DATA / "vocab"
MAX_CSV_BYTES = 512 * 1024 * 1024  # the national file of about 18,000 places is 40 MB


@dataclass
class ImportReport:
    actors: int
    sites: int
    services: int
    files: list[Path]
    fixes: dict[str, int]  # corrections applied (an older layout, older labels), in French
    unchanged: int = 0  # actors the file gives exactly as the folder already holds them
    rows: int = 0  # rows read (of the communes asked for)
    refused: list[DataError] = field(default_factory=list)  # with ``partial``: left out, why
    added: list[str] = field(default_factory=list)  # actors new to the folder
    updated: dict[str, list[str]] = field(
        default_factory=dict
    )  # actor -> fields the source changed
    conflicts: dict[str, list[Conflict]] = field(default_factory=dict)  # kept the coordinator's
    absent: list[str] = field(default_factory=list)  # imported before, no longer in the file
    removed: list[str] = field(default_factory=list)  # the absent, with --retirer-absents
    own: list[str] = field(default_factory=list)  # written by the coordinator: kept whole


def _network_meta(into: Path, communes: dict[str, str]) -> dict:
    if os.path.lexists(into / "network.yaml"):  # the target's own, read as a build reads it
        errors: list[DataError] = []
        meta = load_meta(into, errors)
        if errors:
            raise DataErrors(errors)
        return meta
    network_id = slug(into.resolve().name)
    return {
        "id": network_id,
        "name": f"Réseau importé ({network_id})",
        "base": f"https://maillage.example.org/reseau/{network_id}",
        "communes": [{"insee": k, "name": v} for k, v in sorted(communes.items())],
    }


def import_lieux(
    csv_path: Path,
    into: Path,
    communes: list[str] | None = None,
    partial: bool = False,
    trial: bool = False,
    remove_absent: bool = False,
    progress: Progress = NO_PROGRESS,
) -> ImportReport:
    """Import a lieux de médiation numérique CSV into the data folder ``into``, all or nothing;
    with ``partial``, the places without a problem, the others listed (``report.refused``);
    ``progress`` hears of the long steps (writing the files, validating them)."""
    display = csv_path.name
    text = _text(csv_path, display)
    vocab_dir, vocab = _vocabulary(into)
    result = read_lieux_csv(text, display, vocab, set(communes) if communes else None)
    return _import(
        result,
        display,
        into,
        vocab_dir,
        partial,
        trial=trial,
        remove_absent=remove_absent,
        progress=progress,
    )


def import_data_inclusion(
    structures: Path,
    services: Path,
    into: Path,
    communes: list[str] | None = None,
    partial: bool = False,
    trial: bool = False,
    remove_absent: bool = False,
    progress: Progress = NO_PROGRESS,
) -> ImportReport:
    """Import the data·inclusion v1 files (structures, services) into ``into``, as
    :func:`import_lieux` does: the structures offering a service of the network's needs."""
    displays = (structures.name, services.name)
    texts = [_text(structures, displays[0]), _text(services, displays[1])]
    vocab_dir, vocab = _vocabulary(into)
    result = data_inclusion_in.read_data_inclusion(
        *texts, displays, vocab, set(communes) if communes else None
    )
    return _import(
        result,
        displays[0],
        into,
        vocab_dir,
        partial,
        columns=data_inclusion_in.COLUMN_OF,
        trial=trial,
        standard="data-inclusion",
        remove_absent=remove_absent,
        progress=progress,
    )


def _text(path: Path, display: str) -> str:
    errors: list[DataError] = []
    raw = read_source(path, display, errors, limit=MAX_CSV_BYTES)
    if raw is None:
        raise DataErrors(errors)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataErrors(
            [
                DataError(
                    file=display,
                    line=raw[: exc.start].count(b"\n") + 1,
                    message=f"le fichier n'est pas en UTF-8 (octet 0x{raw[exc.start]:02x}) : "
                    "réenregistrez-le en UTF-8",
                )
            ]
        ) from exc


def _vocabulary(into: Path):
    vocab_dir = into / "vocab" if (into / "vocab").is_dir() else DEFAULT_VOCAB
    meta = _network_meta(into, {})
    return vocab_dir, load_vocabulary(vocab_dir, str(meta["base"]))


def _import(
    result: Imported,
    display: str,
    into: Path,
    vocab_dir: Path,
    partial: bool,
    columns: dict | None = None,
    trial: bool = False,
    standard: str = "lieux-mediation",
    remove_absent: bool = False,
    progress: Progress = NO_PROGRESS,
) -> ImportReport:
    """Stage, merge, validate and publish what a reader made of a file (see the module's doc);
    with ``trial``, the same report, and nothing changed."""
    if not result.actors:
        raise DataErrors(result.errors)
    into = into.absolute()
    with _turn(into):
        last = _last_import(into, standard)
        documents = _rekeyed(actor_documents(result), last, result)
        texts = {a: _yaml(d) for a, d in documents.items()}
        same = {a for a, text in texts.items() if _holds(into, a, text)}
        absent = sorted(_absent(into, last, documents, result))
        refused: list[DataError] = []
        with _staged(into) as stage:
            if not (stage / "network.yaml").exists():  # a new folder: its network's file
                _write(stage / "network.yaml", _yaml(_network_meta(into, result.communes)))
            if not (stage / "vocab").is_dir():
                shutil.copytree(vocab_dir, stage / "vocab")
            (stage / "actors").mkdir(exist_ok=True)
            updated: dict[str, list[str]] = {}
            conflicts: dict[str, list[Conflict]] = {}
            own: list[str] = []  # the coordinator's own records the file also gives
            for actor_id in tracked(list(documents), "ecriture", progress):
                if actor_id in same:
                    continue
                target = stage / "actors" / f"{actor_id}.yaml"
                if not target.exists():
                    _write(target, texts[actor_id])
                    continue
                merged, text = _merged(target, last.get(actor_id), documents[actor_id])
                if merged.own:
                    own.append(actor_id)
                if merged.conflicts:
                    conflicts[actor_id] = merged.conflicts
                if merged.changed:
                    updated[actor_id] = merged.updated
                    _write(target, text)
            if remove_absent:
                for actor_id in absent:
                    (stage / "actors" / f"{actor_id}.yaml").unlink(missing_ok=True)
            # every problem in one report: what reading found, then what validation finds
            errors = list(result.errors) + _errors(stage, into, result, display, columns, progress)
            while errors and partial:  # the places with a problem are left out, and listed
                owners = _owners(errors, documents)
                if any(owner is None for owner in owners) or not set(documents) - set(owners):
                    break  # a problem of the whole file, or no place left: nothing is imported
                refused += errors
                for owner in set(owners):
                    _put_back(into, stage, owner)
                    updated.pop(owner, None)
                    conflicts.pop(owner, None)
                documents = {a: d for a, d in documents.items() if a not in owners}
                errors = _errors(stage, into, result, display, columns, progress)
            if errors:
                raise DataErrors(refused + errors)
            added = [a for a in documents if not (into / "actors" / f"{a}.yaml").exists()]
            gone = set(absent) if remove_absent else set()
            state = _state_text(standard, display, result, documents, last, gone)
            state_path = stage / IMPORTS / f"{standard}.json"
            changed = (
                bool(added or updated or (remove_absent and absent))
                or not (into / "network.yaml").exists()
                or _read(state_path) != state
            )
            if changed and not trial:  # the same file again changes nothing, not even the backup
                state_path.parent.mkdir(exist_ok=True)
                _write(state_path, state)
                _swap(stage, into)
    sites = sum(len(d.get("sites", [])) for d in documents.values())
    services = sum(len(d.get("services", [])) for d in documents.values())
    return ImportReport(
        len(documents),
        sites,
        services,
        [into / "actors" / f"{a}.yaml" for a in [*added, *updated]],
        dict(result.fixes),
        rows=result.rows,
        refused=sorted(refused, key=lambda e: (e.line or 0, e.record or "", e.field or "")),
        unchanged=len(set(documents) - set(added) - set(updated)),
        added=added,
        updated=updated,
        conflicts=conflicts,
        absent=absent,
        removed=absent if remove_absent else [],
        own=own,
    )


# --- what the last import of each standard gave, for the next one's merge ----------------------

IMPORTS = "imports"  # in the data folder: what each standard's last import gave, per actor


def _last_import(into: Path, standard: str) -> dict[str, dict]:
    """The documents the last import of ``standard`` wrote, by actor (the merge's base)."""
    text = _read(into / IMPORTS / f"{standard}.json")
    if not text:
        return {}
    try:
        return dict(json.loads(text)["acteurs"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DataErrors(
            [
                DataError(
                    file=str(into / IMPORTS / f"{standard}.json"),
                    message="état du dernier import illisible : supprimez ce fichier pour "
                    "importer de nouveau (chaque différence sera alors signalée comme conflit)",
                )
            ]
        ) from exc


def _state_text(
    standard: str,
    display: str,
    result: Imported,
    documents: dict,
    last: dict[str, dict],
    gone: set[str],
) -> str:
    # the actors of earlier imports outside this file's communes stay the base of their merge
    kept = {a: d for a, d in last.items() if a not in documents and a not in gone}
    state = {
        "standard": standard,
        "fichier": display,
        "communes": sorted(result.communes),
        "acteurs": dict(sorted({**kept, **documents}.items())),
    }
    return json.dumps(state, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _site_ids(document: dict) -> set[str]:
    return {str(site.get("id")) for site in document.get("sites", [])}


def _rekeyed(documents: dict[str, dict], last: dict[str, dict], result: Imported) -> dict:
    """A place the source renamed keeps the actor it was imported as: matched by its site ids
    (the source's own ids), not by its name."""
    by_site = {site: actor for actor, doc in last.items() for site in _site_ids(doc)}
    rekeyed: dict[str, dict] = {}
    for actor_id, document in documents.items():
        known = {by_site[s] for s in _site_ids(document) if s in by_site}
        target = known.pop() if len(known) == 1 else actor_id
        if target in rekeyed or (target != actor_id and target in documents):
            target = actor_id
        if target != actor_id:
            for key in ("lines", "files"):
                table = getattr(result, key)
                if ("actor", actor_id) in table:
                    table[("actor", target)] = table.pop(("actor", actor_id))
        rekeyed[target] = document
    return rekeyed


def _absent(into: Path, last: dict[str, dict], documents: dict, result: Imported) -> Iterator[str]:
    """Actors an earlier import of this standard gave, in this file's communes, that the file no
    longer has (and that are still in the folder). Actors the coordinator wrote never are."""
    communes = set(result.communes)
    for actor_id, document in last.items():
        if actor_id in documents or not (into / "actors" / f"{actor_id}.yaml").exists():
            continue
        if {str(site.get("insee")) for site in document.get("sites", [])} & communes:
            yield actor_id


def _merged(path: Path, last: dict | None, new: dict) -> tuple[Merged, str]:
    """The file at ``path`` with the source's changes merged in (comments and layout kept)."""
    text = path.read_text(encoding="utf-8")
    current, indent, block_indent = load_yaml_guess_indent(text)
    merged = merge_actor(last, current, new)
    if not merged.changed:
        return merged, text
    return merged, _dump(current, _writer(indent or 2, block_indent or 0))


def _put_back(into: Path, stage: Path, actor_id: str) -> None:
    """A refused actor (``--partiel``): the folder's own file as it was, or none."""
    staged = stage / "actors" / f"{actor_id}.yaml"
    original = into / "actors" / f"{actor_id}.yaml"
    if original.exists():
        shutil.copy2(original, staged)
    else:
        staged.unlink(missing_ok=True)


def _holds(into: Path, actor_id: str, text: str) -> bool:
    """The folder already holds this actor exactly as the file gives it (a second import of
    the same file, or the re-run of one that finished)."""
    try:
        return (into / "actors" / f"{actor_id}.yaml").read_text(encoding="utf-8") == text
    except OSError:
        return False


def _errors(
    stage: Path,
    into: Path,
    result: Imported,
    display: str,
    columns: dict | None,
    progress: Progress = NO_PROGRESS,
) -> list[DataError]:
    """The staged folder validated as a build would; its problems located in the imported file,
    or in the target's own files (never in the staging copy, which the user never had)."""
    try:
        check(stage, BuildReport(Path("."), progress=progress))
    except DataErrors as exc:
        found = []
        for error in exc.errors:
            error = locate(error, result, display, columns)
            if error.file.startswith(str(stage)):
                error = _moved(error, str(stage), str(into))
            found.append(error)
        return found
    return []


def _moved(error: DataError, old: str, new: str) -> DataError:
    from dataclasses import replace

    return replace(error, file=new + error.file[len(old) :])


# --- the target folder's turn, its staged copy and the exchange --------------------------------

BACKUP = ".{}.avant-import"


def backup_of(into: Path) -> Path:
    """Where the folder an import replaced is kept (``maillage import --annuler`` reads it)."""
    return into.parent / BACKUP.format(into.name)


@contextmanager
def _turn(into: Path) -> Iterator[None]:
    """One import at a time into ``into``: a lock on the folder that holds it (the target
    itself is exchanged by the import, its lock would not follow it)."""
    into.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(into.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _remove_leftovers(into)
        yield
    finally:
        os.close(fd)


def _remove_leftovers(into: Path) -> None:
    """The staged copies of imports that were killed (their process is gone)."""
    for leftover in into.parent.glob(f".{into.name}.import-*"):
        try:
            os.kill(int(leftover.name.rsplit("-", 2)[1]), 0)
        except ProcessLookupError:
            shutil.rmtree(leftover, ignore_errors=True)
        except (ValueError, IndexError, PermissionError):
            continue


def _failure(into: Path, exc: OSError) -> PublishError:
    reason = exc.strerror or str(exc)
    if exc.errno == 28:
        reason = "disque plein"
    return PublishError(
        f"import impossible dans {into} : {reason} ; le dossier n'a pas été modifié"
    )


@contextmanager
def _staged(into: Path) -> Iterator[Path]:
    """A full copy of ``into`` beside it (same file system: the exchange is one rename),
    removed unless it was swapped in."""
    stage = Path(tempfile.mkdtemp(prefix=f".{into.name}.import-{os.getpid()}-", dir=into.parent))
    try:
        try:
            if into.exists():
                stage.rmdir()
                shutil.copytree(into, stage, symlinks=True)
            else:
                stage.chmod(0o755)
        except OSError as exc:
            raise _failure(into, exc) from exc
        yield stage
    except OSError as exc:
        raise _failure(into, exc) from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                os.fsync(handle.fileno())
        fd = os.open(root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _swap(stage: Path, into: Path) -> None:
    """Put the validated copy in place in one step; the folder it replaces kept as the backup."""
    try:
        _fsync_tree(stage)
        if not into.exists():
            os.rename(stage, into)
            return
        if not _exchange(stage, into):  # no atomic exchange here: two renames
            old = stage.with_name(stage.name + "-old")
            os.rename(into, old)
            os.rename(stage, into)
            os.rename(old, stage)
        backup = backup_of(into)
        shutil.rmtree(backup, ignore_errors=True)
        os.rename(stage, backup)
    except OSError as exc:
        raise _failure(into, exc) from exc


def undo_import(into: Path) -> Path:
    """Put back the folder the last import replaced (byte for byte); the imported one becomes
    the backup, so that undoing twice redoes."""
    into = into.absolute()
    backup = backup_of(into)
    with _turn(into):
        if not backup.is_dir():
            raise PublishError(f"aucun import à annuler dans {into} ({backup.name} absent)")
        with suppress(FileNotFoundError):
            if _exchange(backup, into):
                return into
        old = backup.with_name(backup.name + "-old")
        os.rename(into, old)
        os.rename(backup, into)
        os.rename(old, backup)
    return into


def _owners(errors: list[DataError], documents: dict) -> list[str | None]:
    """The imported actor each problem belongs to (None: the file's, or the target's)."""
    owner_of = {}
    for actor_id, document in documents.items():
        owner_of[("actor", actor_id)] = actor_id
        for kind, key in (("site", "sites"), ("service", "services")):
            for record in document.get(key, []):
                owner_of[(kind, str(record.get("id")))] = actor_id
    owners = []
    for error in errors:
        kind, _, record_id = (error.record or "").partition(" ")
        owners.append(owner_of.get((kind, record_id)))
    return owners


def _writer(indent: int = 2, block_indent: int = 0) -> YAML:
    """The one YAML writer of imported files, new or merged (ruamel.yaml's round trip: a merged
    file keeps its comments, key order, quotes and block scalars). Lines are never folded: a
    folded plain scalar would be folded again differently at each merge."""
    writer = YAML()
    writer.width = 1_000_000
    writer.allow_unicode = True
    writer.preserve_quotes = True
    writer.representer.ignore_aliases = lambda data: True  # no &id001: coordinators read these
    writer.indent(mapping=indent, sequence=indent + block_indent, offset=block_indent)
    return writer


def _dump(document: Any, writer: YAML) -> str:
    out = io.StringIO()
    writer.dump(document, out)
    return out.getvalue()


def _yaml(document: dict) -> str:
    return _dump(document, _writer())


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
