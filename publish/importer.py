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
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from maillage.graph import data_inclusion_in
from maillage.graph.errors import DataError, DataErrors
from maillage.graph.load import load_meta, read_source
from maillage.graph.standards_in import (
    Imported,
    actor_documents,
    locate,
    read_lieux_csv,
    slug,
)
from maillage.graph.vocab import load_vocabulary
from maillage.publish.build import DEFAULT_DATA, PublishError, _exchange, check

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
) -> ImportReport:
    """Import a lieux de médiation numérique CSV into the data folder ``into``, all or nothing;
    with ``partial``, the places without a problem, the others listed (``report.refused``)."""
    display = csv_path.name
    text = _text(csv_path, display)
    vocab_dir, vocab = _vocabulary(into)
    result = read_lieux_csv(text, display, vocab, set(communes) if communes else None)
    return _import(result, display, into, vocab_dir, partial, trial=trial)


def import_data_inclusion(
    structures: Path,
    services: Path,
    into: Path,
    communes: list[str] | None = None,
    partial: bool = False,
    trial: bool = False,
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
) -> ImportReport:
    """Stage, validate and publish what a reader made of a file (see the module's doc); with
    ``trial``, the same report, and nothing changed."""
    if not result.actors:
        raise DataErrors(result.errors)
    documents = actor_documents(result)
    into = into.absolute()
    with _turn(into):
        texts = {a: _yaml(d) for a, d in documents.items()}
        same = {a for a, text in texts.items() if _holds(into, a, text)}
        clashes = [
            a for a in documents if a not in same and (into / "actors" / f"{a}.yaml").exists()
        ]
        if clashes:
            raise DataErrors(
                [
                    DataError(
                        file=result.files.get(("actor", a), display),
                        line=result.lines.get(("actor", a)),
                        record=f"actor {a}",
                        message=f"un acteur « {a} » existe déjà dans {into / 'actors'}, "
                        "avec d'autres informations",
                    )
                    for a in clashes
                ]
            )
        refused: list[DataError] = []
        with _staged(into) as stage:
            if not (stage / "network.yaml").exists():  # a new folder: its network's file
                _write(stage / "network.yaml", _yaml(_network_meta(into, result.communes)))
            if not (stage / "vocab").is_dir():
                shutil.copytree(vocab_dir, stage / "vocab")
            (stage / "actors").mkdir(exist_ok=True)
            for actor_id in documents:
                _write(stage / "actors" / f"{actor_id}.yaml", texts[actor_id])
            # every problem in one report: what reading found, then what validation finds
            errors = list(result.errors) + _errors(stage, into, result, display, columns)
            while errors and partial:  # the places with a problem are left out, and listed
                owners = _owners(errors, documents)
                if any(owner is None for owner in owners) or not set(documents) - set(owners):
                    break  # a problem of the whole file, or no place left: nothing is imported
                refused += errors
                for owner in set(owners):
                    (stage / "actors" / f"{owner}.yaml").unlink(missing_ok=True)
                documents = {a: d for a, d in documents.items() if a not in owners}
                errors = _errors(stage, into, result, display, columns)
            if errors:
                raise DataErrors(refused + errors)
            changed = set(documents) - same or not (into / "network.yaml").exists()
            if changed and not trial:  # the same file again changes nothing, not even the backup
                _swap(stage, into)
    written = [into / "actors" / f"{a}.yaml" for a in documents if a not in same]
    sites = sum(len(d.get("sites", [])) for d in documents.values())
    services = sum(len(d.get("services", [])) for d in documents.values())
    return ImportReport(
        len(documents),
        sites,
        services,
        written,
        dict(result.fixes),
        rows=result.rows,
        refused=sorted(refused, key=lambda e: (e.line or 0, e.record or "", e.field or "")),
        unchanged=len(same & set(documents)),
    )


def _holds(into: Path, actor_id: str, text: str) -> bool:
    """The folder already holds this actor exactly as the file gives it (a second import of
    the same file, or the re-run of one that finished)."""
    try:
        return (into / "actors" / f"{actor_id}.yaml").read_text(encoding="utf-8") == text
    except OSError:
        return False


def _errors(stage: Path, into: Path, result: Imported, display: str, columns) -> list[DataError]:
    """The staged folder validated as a build would; its problems located in the imported file,
    or in the target's own files (never in the staging copy, which the user never had)."""
    try:
        check(stage)
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


class _PlainDumper(yaml.SafeDumper):
    """No anchors nor aliases (&id001): the files are read and edited by coordinators."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _yaml(document: dict) -> str:
    return yaml.dump(document, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=100)


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
