"""Releases and what changed between two publications (for the coordinators' newsletter)."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import DCTERMS, RDF, SDO

from graph.model import ACTOR, REFERRAL, SERVICE, ClassModel
from graph.ns import MAI

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
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "change": self.change,
            "detail": self.detail,
        }


class Dump:
    """A published N-Triples dump, read by Oxigraph's parser (a national dump in seconds):
    each subject's (predicate, object) pairs, as pyoxigraph terms."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pairs: dict[ox.NamedNode | ox.BlankNode, set[tuple]] = {}
        for triple in ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES):
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
    path = Path(path).resolve()
    if path.is_dir():
        path = path / "maillage.nt"
    if not path.is_file():
        raise OSError(f"ni dossier publié ni fichier N-Triples : {path}")
    try:
        return Dump(path)
    except SyntaxError as exc:
        raise OSError(f"fichier N-Triples illisible : {path} : {exc}") from exc


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
    with new_nt.open("rb") as handle:  # read by blocks: hundreds of MB on a national network
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
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
