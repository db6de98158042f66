"""``maillage import lieux-mediation`` and ``import data-inclusion``: a national file becomes
maillage source files.

The imported actors are written into a staging copy of the target data folder and validated
there with the normal pipeline (YAML, vocabularies, SHACL); any error is reported at its line and
column of the CSV. Only when everything is valid are the files written into the target folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
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
from maillage.publish.build import DEFAULT_DATA, check

DEFAULT_VOCAB = DEFAULT_DATA / "vocab"
MAX_CSV_BYTES = 512 * 1024 * 1024  # the national file of about 18,000 places is 40 MB


@dataclass
class ImportReport:
    actors: int
    sites: int
    services: int
    files: list[Path]
    fixes: dict[str, int]  # corrections applied (an older layout, older labels), in French
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
    csv_path: Path, into: Path, communes: list[str] | None = None, partial: bool = False
) -> ImportReport:
    """Import a lieux de médiation numérique CSV into the data folder ``into``, all or nothing;
    with ``partial``, the places without a problem, the others listed (``report.refused``)."""
    display = csv_path.name
    text = _text(csv_path, display)
    vocab_dir, vocab = _vocabulary(into)
    result = read_lieux_csv(text, display, vocab, set(communes) if communes else None)
    return _import(result, display, into, vocab_dir, partial)


def import_data_inclusion(
    structures: Path,
    services: Path,
    into: Path,
    communes: list[str] | None = None,
    partial: bool = False,
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
        result, displays[0], into, vocab_dir, partial, columns=data_inclusion_in.COLUMN_OF
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
) -> ImportReport:
    """Stage, validate and publish what a reader made of a file (see the module's doc)."""
    if not result.actors:
        raise DataErrors(result.errors)
    documents = actor_documents(result)
    clashes = [a for a in documents if (into / "actors" / f"{a}.yaml").exists()]
    if clashes:
        raise DataErrors(
            [
                DataError(
                    file=result.files.get(("actor", a), display),
                    line=result.lines.get(("actor", a)),
                    record=f"actor {a}",
                    message=f"un acteur « {a} » existe déjà dans {into / 'actors'}",
                )
                for a in clashes
            ]
        )
    meta = _network_meta(into, result.communes)
    refused: list[DataError] = []
    with tempfile.TemporaryDirectory() as folder:
        stage = Path(folder) / "data"
        # every problem in one report: what reading found, then what validation finds
        errors = list(result.errors) + _staged_errors(stage, into, vocab_dir, meta, documents)
        errors = [locate(e, result, display, columns) for e in errors]
        while errors and partial:  # the places with a problem are left out, and listed
            owners = _owners(errors, documents)
            if any(owner is None for owner in owners) or not set(documents) - set(owners):
                break  # a problem of the whole file, or no place left: nothing is imported
            refused += errors
            documents = {a: d for a, d in documents.items() if a not in owners}
            errors = _staged_errors(stage, into, vocab_dir, meta, documents)
            errors = [locate(e, result, display, columns) for e in errors]
        if errors:
            raise DataErrors(refused + errors)
        written = _publish(stage, into, documents, vocab_dir)
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
    )


def _staged_errors(
    stage: Path, into: Path, vocab_dir: Path, meta: dict, documents: dict
) -> list[DataError]:
    """Write the target's files and the imported actors into ``stage`` (afresh) and validate
    them as a build would; the problems found."""
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "actors").mkdir(parents=True)
    shutil.copytree(vocab_dir, stage / "vocab")
    if (into / "actors").is_dir():
        for path in (into / "actors").glob("*.yaml"):
            shutil.copy(path, stage / "actors" / path.name)
    _dump(meta, stage / "network.yaml")
    for actor_id, document in documents.items():
        _dump(document, stage / "actors" / f"{actor_id}.yaml")
    try:
        check(stage)
    except DataErrors as exc:
        return list(exc.errors)
    return []


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


def _dump(document: dict, path: Path) -> None:
    text = yaml.dump(document, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")


def _publish(stage: Path, into: Path, documents: dict, vocab_dir: Path) -> list[Path]:
    """Copy the new files into the target, each through a temporary name and a rename."""
    written = []
    (into / "actors").mkdir(parents=True, exist_ok=True)
    if not (into / "vocab").is_dir():
        shutil.copytree(vocab_dir, into / "vocab")
    names = [Path("actors") / f"{a}.yaml" for a in documents]
    if not (into / "network.yaml").exists():
        names.append(Path("network.yaml"))
    for name in names:
        target = into / name
        partial = target.with_name(f".{target.name}.part")
        shutil.copy(stage / name, partial)
        os.replace(partial, target)
        written.append(target)
    return written
