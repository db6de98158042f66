"""The levels of the path to autonomy (``data/vocab/niveaux.ttl``), and how a service that does
not state its levels gets them from its modalities.

A service states ``levels: [1, 2]``; when it does not, it offers the levels whose
``skos:closeMatch`` is one of its modalities (the scheme's comments say which and why): a
self-service post (``en-autonomie``) is level 1, individual help is level 2, a collective
workshop is level 3. The graph holds the derived levels as if they were written, so that SQL,
SPARQL and the parcours read one field; :func:`derivations` lists them for
``maillage validate --verbose``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rdflib import URIRef
from rdflib.namespace import SKOS

from maillage.graph.load import Network
from maillage.graph.vocab import Vocabulary

LEVELS = "niveaux"  # the scheme's id
MODALITIES = "modalities"


def modality_levels(vocab: Vocabulary) -> dict[URIRef, tuple[URIRef, ...]]:
    """Modality concept -> the level concepts matched to it, lowest level first."""
    found: dict[URIRef, set[URIRef]] = {}
    for level in vocab.notations.get(LEVELS, {}).values():
        for match in vocab.graph.objects(level, SKOS.closeMatch):
            if vocab.by_iri.get(match, ("",))[0] == MODALITIES:
                found.setdefault(match, set()).add(level)  # type: ignore[arg-type]
    return {m: tuple(sorted(levels, key=lambda c: rank(vocab, c))) for m, levels in found.items()}


def rank(vocab: Vocabulary, level: URIRef) -> int:
    """A level's rank, its notation as a number (1, 2, 3)."""
    notation = vocab.by_iri.get(level, ("", ""))[1]
    return int(notation) if notation.isdigit() else 0


def derived_levels(
    values: Mapping[str, Any], vocab: Vocabulary, table: Mapping[URIRef, tuple[URIRef, ...]]
) -> tuple[URIRef, ...]:
    """The levels a service record gets from its modalities; none when it states its own."""
    if values.get("levels") is not None:
        return ()
    found: dict[URIRef, None] = {}
    for modality in values.get("modalities") or ():
        for level in table.get(vocab.resolve(MODALITIES, str(modality)), ()):
            found[level] = None
    return tuple(sorted(found, key=lambda c: rank(vocab, c)))


@dataclass(frozen=True)
class Derivation:
    """One service whose levels were derived from its modalities."""

    file: str
    line: int
    service: str
    modalities: tuple[str, ...]
    levels: tuple[str, ...]  # notations

    def __str__(self) -> str:
        levels = ", ".join(self.levels)
        said = f"niveau {levels} déduit" if len(self.levels) == 1 else f"niveaux {levels} déduits"
        return (
            f"{self.file}:{self.line}: service {self.service}: levels: {said} des modalités "
            f"({', '.join(self.modalities)})"
        )


def derivations(network: Network, vocab: Vocabulary) -> list[Derivation]:
    """Every service of the network whose levels come from its modalities, in file order."""
    table = modality_levels(vocab)
    found = []
    for record in network.of_kind("service"):
        levels = derived_levels(record.values, vocab, table)
        if levels:
            found.append(
                Derivation(
                    record.file,
                    record.line_of("modalities"),
                    record.id,
                    tuple(str(m) for m in record.values.get("modalities") or ()),
                    tuple(vocab.by_iri[level][1] for level in levels),
                )
            )
    return found


def without_levels(network: Network, vocab: Vocabulary) -> list[str]:
    """``file:line: service id`` of every service that states no level and whose modalities
    give none: it is in no parcours."""
    table = modality_levels(vocab)
    return [
        f"{r.file}:{r.line}: service {r.id}"
        for r in network.of_kind("service")
        if not r.values.get("levels") and not derived_levels(r.values, vocab, table)
    ]
