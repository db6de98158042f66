"""Releases and what changed between two publications (for the coordinators' newsletter)."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import DCTERMS, RDF, SDO

from maillage.graph.model import ACTOR, REFERRAL, SERVICE, ClassModel
from maillage.graph.ns import MAI
from maillage.publish.rdf import SUBJECTS_FILE, read_blocks, sha256_of, subjects_header

WATCHED: tuple[tuple[ClassModel, str], ...] = (
    (ACTOR, "acteur"),
    (SERVICE, "service"),
    (REFERRAL, "orientation"),
)
CHANGES = {"added": "ajouté", "removed": "retiré", "changed": "modifié"}
FEMININE = {"orientation"}
DERIVED = {MAI.refersTo}  # follows from the referrals, which are reported themselves


@dataclass(frozen=True)
class Change:
    kind: str  # acteur, service, orientation
    id: str
    name: str
    change: str  # ajouté, retiré, modifié
    detail: str  # for a change: the fields that changed, in French

    def as_row(self) -> dict:
        return dataclasses.asdict(self)


class Dump:
    """A published N-Triples dump, read by Oxigraph's parser (a national dump in seconds):
    each subject's (predicate, object) pairs, as pyoxigraph terms; only the given ``lines`` of
    the file when there are some (see :func:`changed_dumps`)."""

    def __init__(self, path: Path, lines: list[bytes] | None = None) -> None:
        self.path = path
        self.pairs: dict[ox.NamedNode | ox.BlankNode, set[tuple]] = {}
        if lines is None:
            self._add(ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES))
        else:
            self.read(lines)

    def read(self, lines: list[bytes]) -> None:
        """Add the triples of these lines of the file."""
        self._add(ox.parse(b"".join(lines), ox.RdfFormat.N_TRIPLES))

    def _add(self, triples: Iterable[ox.Triple]) -> None:
        for triple in triples:
            self.pairs.setdefault(triple.subject, set()).add((triple.predicate, triple.object))

    def of_type(self, rdf_type: URIRef) -> set:
        wanted = (_RDF_TYPE, ox.NamedNode(str(rdf_type)))
        return {s for s, pairs in self.pairs.items() if wanted in pairs}

    def value(self, subject: object, predicate: URIRef) -> str | None:
        wanted = ox.NamedNode(str(predicate))
        for p, o in sorted(self.pairs.get(subject, ()), key=str):
            if p == wanted:
                return o.value
        return None


_RDF_TYPE = ox.NamedNode(str(RDF.type))


def load_dump(path: Path) -> Dump:
    """A published folder (its maillage.nt) or an N-Triples file."""
    path = _nt_file(path)
    try:
        return Dump(path)
    except SyntaxError as exc:
        raise OSError(f"fichier N-Triples illisible : {path} : {exc}") from exc


def changed_dumps(old: Path, new: Path) -> tuple[Dump, Dump]:
    """Two publications (folders or N-Triples files), each read only for the subjects whose
    triples differ, and for the names of the actors their referrals join.

    :func:`changes` finds the same changes in them as in the whole dumps, since a subject with
    the same triples in both adds nothing. A national dump is millions of triples. Each
    published folder holds an index of its dump's subjects, with a digest of their lines and
    their place in the file: the subjects whose digests differ are read from there. Otherwise
    (N-Triples files, or a folder published before the index) a pass over each file sums a
    hash of each subject's lines, in any order, and a second pass reads the differing ones.
    """
    files = (_nt_file(old), _nt_file(new))
    indexed = [_IndexedBlocks.of(path) for path in files]
    blocks: list[_IndexedBlocks] | list[_ScannedBlocks] = []
    if None not in indexed:  # the same digests on both sides, or none
        try:
            differ = _differing(*indexed)  # type: ignore[arg-type]
            blocks = indexed  # type: ignore[assignment]
        except OSError:  # a damaged index: the dumps are read instead
            pass
    if not blocks:
        blocks = [_ScannedBlocks(path) for path in files]
        before, after = blocks[0].digests, blocks[1].digests
        differ = {s for s in before.keys() | after.keys() if before.get(s) != after.get(s)}
    dumps = []
    for side in blocks:
        try:
            dump = Dump(side.path, side.lines(differ))
            ends = {
                f"<{o.value}>".encode()
                for pairs in dump.pairs.values()
                for p, o in pairs
                if p in _REFERRAL_ENDS
            }
            dump.read(side.name_lines(ends - differ))
        except SyntaxError as exc:
            raise OSError(f"fichier N-Triples illisible : {side.path} : {exc}") from exc
        dumps.append(dump)
    return dumps[0], dumps[1]


_REFERRAL_ENDS = {ox.NamedNode(str(MAI["from"])), ox.NamedNode(str(MAI.to))}
_NAME = f" <{SDO.name}> ".encode()


def _nt_file(path: Path) -> Path:
    path = Path(path).resolve()
    if path.is_dir():
        path = path / "maillage.nt"
    if not path.is_file():
        raise OSError(f"ni dossier publié ni fichier N-Triples : {path}")
    return path


class _IndexedBlocks:
    """A published dump's subjects, read through its index (``publish.rdf.SUBJECTS_FILE``).

    The index is read as it is needed, not held: a national dump's is half a million lines,
    which as dictionaries cost the release diff hundreds of MB while the build needs its memory.
    """

    def __init__(self, path: Path) -> None:
        self.path, self.index = path, path.with_name(SUBJECTS_FILE)

    @classmethod
    def of(cls, path: Path) -> _IndexedBlocks | None:
        """The index beside ``path``, if there is one and it describes this very file."""
        try:
            with path.with_name(SUBJECTS_FILE).open("rb") as handle:
                if handle.readline().decode("utf-8", "replace") != subjects_header(path):
                    return None  # not this file's index (the file was changed or copied)
        except OSError:
            return None
        return cls(path)

    def entries(self) -> Iterator[tuple[bytes, bytes, bytes, bytes]]:
        """(subject, digest, offset, length) of each subject, as written."""
        try:
            with self.index.open("rb") as handle:
                handle.readline()
                for line in handle:
                    digest, offset, length, subject = line.rstrip(b"\n").split(b"\t")
                    yield subject, digest, offset, length
        except ValueError as exc:
            raise OSError(f"index illisible : {self.index} : {exc}") from None

    def lines(self, subjects: set[bytes]) -> list[bytes]:
        return self._blocks(subjects)

    def name_lines(self, subjects: set[bytes]) -> list[bytes]:
        return [
            line
            for block in self._blocks(subjects)
            for line in block.splitlines(keepends=True)
            if _NAME in line
        ]

    def _blocks(self, subjects: set[bytes]) -> list[bytes]:
        if not subjects:
            return []
        places = sorted((int(o), int(n)) for s, _, o, n in self.entries() if s in subjects)
        with self.path.open("rb") as handle:
            return read_blocks(handle, places)


def _differing(old: _IndexedBlocks, new: _IndexedBlocks) -> set[bytes]:
    """The subjects whose digests differ between two indexes (or that one of them lacks),
    with only the old one's digests held meanwhile."""
    before = {subject: digest for subject, digest, _, _ in old.entries()}
    differ = set()
    for subject, digest, _, _ in new.entries():
        if before.pop(subject, None) != digest:
            differ.add(subject)
    differ.update(before)  # gone from the new dump
    return differ


class _ScannedBlocks:
    """Any N-Triples file's subjects, found by reading it line by line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.digests: dict[bytes, int] = {}
        for subject, line in self._subjects():
            self.digests[subject] = (self.digests.get(subject, 0) + hash(line.rstrip())) % 2**64
        self._names: dict[bytes, bytes] = {}

    def lines(self, subjects: set[bytes]) -> list[bytes]:
        """The lines of ``subjects``; each other subject's name line is kept for later."""
        mine: list[bytes] = []
        for subject, line in self._subjects():
            if not line.endswith(b"\n"):
                line += b"\n"
            if subject in subjects:
                mine.append(line)
            elif _NAME in line:
                self._names[subject] = line
        return mine

    def name_lines(self, subjects: set[bytes]) -> list[bytes]:
        return [self._names[s] for s in sorted(subjects) if s in self._names]

    def _subjects(self) -> Iterator[tuple[bytes, bytes]]:
        """(subject, line) of each triple line, as bytes (an IRI or a blank node holds no
        white space: the subject is the line's first word)."""
        with self.path.open("rb") as handle:
            for number, line in enumerate(handle, 1):
                words = line.split(None, 1)
                if len(words) == 2 and words[0][:1] in (b"<", b"_"):
                    yield words[0], line
                elif words and not words[0].startswith(b"#"):
                    raise OSError(f"fichier N-Triples illisible : {self.path} : ligne {number}")


def _label(dump: Dump, subject: object) -> str:
    name = dump.value(subject, SDO.name)
    if name is None and (_RDF_TYPE, ox.NamedNode(str(MAI.Referral))) in dump.pairs.get(subject, ()):
        ends = [dump.value(subject, MAI[end]) for end in ("from", "to")]
        names = [dump.value(ox.NamedNode(x), SDO.name) if x else None for x in ends]
        return " → ".join(str(n) for n in names if n is not None)
    return str(name or dump.value(subject, DCTERMS.identifier) or subject.value)


def changes(old: Dump, new: Dump) -> list[Change]:
    """Actors, services and referrals added, removed or changed from ``old`` to ``new``."""
    found: list[Change] = []
    derived = {ox.NamedNode(str(p)) for p in DERIVED}
    for cls, kind in WATCHED:
        labels = {str(f.predicate): f.label for f in cls.fields}
        before, after = old.of_type(cls.types[0]), new.of_type(cls.types[0])
        for subject in sorted(after - before, key=str):
            found.append(Change(kind, _id(new, subject), _label(new, subject), "ajouté", ""))
        for subject in sorted(before - after, key=str):
            found.append(Change(kind, _id(old, subject), _label(old, subject), "retiré", ""))
        for subject in sorted(before & after, key=str):
            was = {(p, o) for p, o in old.pairs[subject] if p not in derived}
            now = {(p, o) for p, o in new.pairs[subject] if p not in derived}
            if was != now:
                fields = sorted(
                    {
                        labels.get(p.value, p.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1])
                        for p, _ in was ^ now
                    }
                )
                found.append(
                    Change(
                        kind, _id(new, subject), _label(new, subject), "modifié", ", ".join(fields)
                    )
                )
    return found


def _id(dump: Dump, subject: object) -> str:
    return str(dump.value(subject, DCTERMS.identifier) or subject.value.rsplit("/", 1)[-1])


def french(found: list[Change]) -> str:
    """The changes as a short French text, grouped by kind and change."""
    if not found:
        return "Aucun changement d'acteur, de service ni d'orientation."
    lines = []
    for _, kind in WATCHED:
        for change in CHANGES.values():
            items = [c for c in found if c.kind == kind and c.change == change]
            if not items:
                continue
            ending = ("e" if kind in FEMININE else "") + ("s" if len(items) > 1 else "")
            noun = kind.capitalize() + ("s" if len(items) > 1 else "")
            lines.append(f"{noun} {change}{ending} ({len(items)}) :")
            for item in items:
                lines.append(f"  - {item.name}" + (f" : {item.detail}" if item.detail else ""))
    return "\n".join(lines)


def next_release(previous: Path | None, new_nt: Path, counts: dict[str, int]) -> list[dict]:
    """The release history: the previous folder's, plus this build."""
    history = []
    if previous is not None and (previous / "releases.json").exists():
        try:
            history = json.loads((previous / "releases.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            history = []
    digest = sha256_of(new_nt)
    version = (history[-1]["version"] + 1) if history else 1
    history.append(
        {
            "version": version,
            "date": time.strftime("%Y-%m-%d %H:%M", time.localtime()),
            "sha256": digest,
            **{k: v for k, v in counts.items() if k in ("actors", "services", "referrals")},
        }
    )
    return history


def release_history(
    previous: str | None, folder: str, counts: dict[str, int]
) -> tuple[list[dict], list[dict]]:
    """The release history with this build's release, and the rows of what changed since the
    ``previous`` folder (none for a first publication), for the N-Triples and their index
    written in ``folder``. Reads files only: the build runs it in another process, beside its
    tables and network analytics (publish.build)."""
    before = Path(previous) if previous is not None else None
    releases = next_release(before, Path(folder) / "maillage.nt", counts)
    if before is None:
        return releases, []
    return releases, [c.as_row() for c in changes(*changed_dumps(before, Path(folder)))]
