"""Releases and what changed between two publications (for the coordinators' newsletter)."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
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


def load_dump(path: Path) -> Graph:
    """A published folder (its maillage.nt) or an N-Triples file."""
    path = Path(path).resolve()
    if path.is_dir():
        path = path / "maillage.nt"
    if not path.is_file():
        raise OSError(f"ni dossier publié ni fichier N-Triples : {path}")
    return Graph().parse(path, format="nt")


def _label(graph: Graph, subject: URIRef) -> str:
    name = graph.value(subject, SDO.name)
    if name is None and (subject, RDF.type, MAI.Referral) in graph:
        source, target = graph.value(subject, MAI["from"]), graph.value(subject, MAI["to"])
        names = [graph.value(x, SDO.name) if x is not None else None for x in (source, target)]
        return " → ".join(str(n) for n in names if n is not None)
    return str(name or graph.value(subject, DCTERMS.identifier) or subject)


def changes(old: Graph, new: Graph) -> list[Change]:
    """Actors, services and referrals added, removed or changed from ``old`` to ``new``."""
    found = []
    for cls, kind in WATCHED:
        labels = {f.predicate: f.label for f in cls.fields}
        before = set(old.subjects(RDF.type, cls.types[0]))
        after = set(new.subjects(RDF.type, cls.types[0]))
        for subject in sorted(after - before):
            found.append(Change(kind, _id(new, subject), _label(new, subject), "ajouté", ""))
        for subject in sorted(before - after):
            found.append(Change(kind, _id(old, subject), _label(old, subject), "retiré", ""))
        for subject in sorted(before & after):
            was = {(p, o) for p, o in old.predicate_objects(subject) if p not in DERIVED}
            now = {(p, o) for p, o in new.predicate_objects(subject) if p not in DERIVED}
            if was != now:
                fields = sorted(
                    {
                        labels.get(p, str(p).rsplit("/", 1)[-1].rsplit("#", 1)[-1])
                        for p, _ in was ^ now
                    }
                )
                found.append(
                    Change(
                        kind, _id(new, subject), _label(new, subject), "modifié", ", ".join(fields)
                    )
                )
    return found


def _id(graph: Graph, subject: URIRef) -> str:
    return str(graph.value(subject, DCTERMS.identifier) or str(subject).rsplit("/", 1)[-1])


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
    digest = hashlib.sha256(new_nt.read_bytes()).hexdigest()
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
