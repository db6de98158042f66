"""SKOS concept schemes of a network (``data/vocab/*.ttl``): notation or label -> concept IRI.

Vocabulary files are Turtle with IRIs relative to ``{base}/concept/``, so that the same files
serve any network: ``@prefix need: <needs/> .`` gives ``{base}/concept/needs/{notation}``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS
from rdflib.plugins.parsers.notation3 import BadSyntax

from maillage.graph.errors import DataError, DataErrors
from maillage.graph.load import display_path, read_source
from maillage.graph.model import SCHEMES
from maillage.graph.ns import bind_prefixes, iri


@dataclass
class Vocabulary:
    """All concept schemes of a network, parsed into one graph, with look-up tables."""

    graph: Graph
    base: str
    notations: dict[str, dict[str, URIRef]] = field(default_factory=dict)
    labels: dict[str, dict[str, URIRef]] = field(default_factory=dict)
    by_iri: dict[URIRef, tuple[str, str]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def scheme_iri(self, scheme: str) -> URIRef:
        return iri(self.base, "concept", scheme)

    def resolve(self, scheme: str, value: str) -> URIRef:
        """The concept of ``scheme`` whose notation, or else French label, is ``value``.

        An unknown value still gets an IRI in the scheme, so that SHACL reports it (with the
        record's position) instead of the builder silently dropping it.
        """
        found = self.notations.get(scheme, {}).get(value)
        if found is None:
            found = self.labels.get(scheme, {}).get(value.casefold())
        return found or URIRef(f"{self.scheme_iri(scheme)}/{quote(value, safe='')}")

    def suggest(self, scheme: str, value: str) -> str | None:
        """A "did you mean" for a value that is not in the scheme."""
        notations = list(self.notations.get(scheme, {}))
        close = difflib.get_close_matches(value, notations, n=3, cutoff=0.5)
        if not close:
            labels = {str(k): n for n, k in self.notations.get(scheme, {}).items()}
            pref = {
                str(self.graph.value(URIRef(i), SKOS.prefLabel)).casefold(): n
                for i, n in labels.items()
            }
            close = [pref[m] for m in difflib.get_close_matches(value.casefold(), list(pref), n=3)]
        return ("vouliez-vous dire : " + ", ".join(close) + " ?") if close else None

    def concept_id(self, concept: URIRef) -> str | None:
        """``{scheme}/{notation}``, the concept's id in SQLite, or None when unknown."""
        found = self.by_iri.get(concept)
        return f"{found[0]}/{found[1]}" if found else None


MAX_VOCAB_BYTES = 20 * 1024 * 1024  # the biggest scheme, typologies, is 60 kB


def load_vocabulary(vocab_dir: Path | str, base: str) -> Vocabulary:
    """Parse every ``*.ttl`` below ``vocab_dir``; raise :class:`DataErrors` on any problem."""
    vocab_dir = Path(vocab_dir)
    graph = bind_prefixes(Graph())
    errors: list[DataError] = []
    vocab = Vocabulary(graph, base.rstrip("/"))
    concept_root = f"{vocab.base}/concept/"
    files = sorted(vocab_dir.rglob("*.ttl"))
    for path in files:
        display = display_path(path, vocab_dir.parent)
        part = Graph()
        raw = read_source(path, display, errors, vocab_dir.parent, limit=MAX_VOCAB_BYTES)
        if raw is None:
            continue
        try:
            part.parse(data=raw.decode("utf-8"), format="turtle", publicID=concept_root)
        except BadSyntax as exc:
            errors.append(
                DataError(file=display, line=exc.lines + 1, message=f"Turtle invalide : {exc._why}")
            )
            continue
        except (UnicodeDecodeError, ValueError) as exc:
            errors.append(DataError(file=display, message=f"Turtle illisible : {exc}"))
            continue
        for scheme_iri in part.subjects(RDF.type, SKOS.ConceptScheme):
            scheme = str(scheme_iri).removeprefix(concept_root)
            if scheme in vocab.files:
                errors.append(
                    DataError(
                        file=display,
                        message=f"référentiel « {scheme} » déjà défini dans {vocab.files[scheme]}",
                    )
                )
            vocab.files[scheme] = display
        graph += part
    for concept in sorted(graph.subjects(RDF.type, SKOS.Concept)):
        scheme_iri = graph.value(concept, SKOS.inScheme)
        notation = graph.value(concept, SKOS.notation)
        if scheme_iri is None or notation is None:
            continue  # the concept shape reports it, with the file
        scheme = str(scheme_iri).removeprefix(concept_root)
        vocab.notations.setdefault(scheme, {})[str(notation)] = concept
        vocab.by_iri[concept] = (scheme, str(notation))
        for predicate in (SKOS.prefLabel, SKOS.altLabel):
            for label in graph.objects(concept, predicate):
                if isinstance(label, Literal):
                    vocab.labels.setdefault(scheme, {})[str(label).casefold()] = concept
    for scheme in SCHEMES:
        if scheme not in vocab.files:
            errors.append(
                DataError(
                    file=display_path(vocab_dir, vocab_dir.parent),
                    message=f"référentiel obligatoire absent : {scheme} (fichier {scheme}.ttl)",
                )
            )
    if errors:
        raise DataErrors(errors)
    return vocab
