"""Regenerate the SKOS schemes that copy a national standard's list of values.

    python scripts/vocab_from_standards.py ../shared/standards data/vocab

Reads the data·inclusion JSON lists kept in ``shared/standards``, and the closed lists of the
lieux de médiation numérique ``schema.json`` (the alternatives of each column's pattern, the
list validators accept), and writes Turtle with IRIs relative to ``{base}/concept/`` (see
graph/vocab.py), through rdflib's serialiser. The output is committed: a build never needs the
standards folder.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

from rdflib import DCTERMS, OWL, RDF, SKOS, Graph, Literal, Namespace, URIRef

ROOT = "http://maillage.invalid/concept/"

# The words people type for a value, found by the site's search (publish/search.py) and never
# shown: skos:hiddenLabel. Ours, not the standard's.
HIDDEN = {
    "publics": {
        "seniors": ("personnes âgées", "retraités", "troisième âge", "aînés", "senior"),
        "jeunes": ("ados", "adolescents", "16-25 ans"),
        "demandeurs-emploi": ("chômeurs", "sans emploi", "chômage"),
        "personnes-en-situation-de-handicap": ("handicap", "PMR"),
        "personnes-exilees": ("réfugiés", "migrants", "étrangers"),
    }
}

# Older versions of a list: their labels, where they changed, become skos:altLabel.
OLDER = {"thematiques": ("data-inclusion/v0/extra/thematiques.json", "v0")}

# (scheme, source file, French title, upstream version)
LISTS = [
    (
        "publics",
        "data-inclusion/v1/extra/publics.json",
        "Publics (data·inclusion)",
        "data·inclusion schéma v1 (df9ce7ff38d3)",
    ),
    (
        "typologies",
        "data-inclusion/v0/extra/typologies-de-structures.json",
        "Typologies de structures (data·inclusion)",
        "data·inclusion schéma v0 (ac5bbb313439)",
    ),
    (
        "thematiques",
        "data-inclusion/v1/extra/thematiques.json",
        "Thématiques (data·inclusion)",
        "data·inclusion schéma v1 (df9ce7ff38d3)",
    ),
]
UPSTREAM = "https://github.com/gip-inclusion/data-inclusion-schema"

# (scheme, column of lieux-mediation-numerique/schema.json, French title)
LIEUX_LISTS = [
    ("supports", "prise_en_charge_specifique", "Prises en charge spécifiques"),
    ("programmes", "dispositif_programmes_nationaux", "Dispositifs et programmes nationaux"),
    ("labels", "formations_labels", "Formations et labels"),
    ("acces", "modalites_acces", "Modalités d'accès"),
    ("itinerance", "itinerance", "Itinérance"),
]
LIEUX_SCHEMA = "lieux-mediation-numerique/schema.json"
LIEUX_UPSTREAM = "https://github.com/LaMednum/standard-mediation-num"
PREFIXES = {"thematiques": "them", "acces": "acces", "itinerance": "itin"}


def code_of(label: str) -> str:
    """``"Langues étrangères (anglais)"`` -> ``"langues-etrangeres-anglais"``."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def pattern_values(pattern: str) -> list[str]:
    """The alternatives of a column's ``(?:(?:^|\\|)(A|B|C))+$`` pattern, unescaped."""
    inner = re.search(r"\(\?:\^\|\\\|\)\((.*)\)\)\+\$$", pattern)
    if inner is None:
        raise ValueError(f"unexpected pattern: {pattern}")
    parts = re.split(r"(?<!\\)\|", inner.group(1))
    return [re.sub(r"\\(.)", r"\1", part).strip() for part in parts]


def lieux_lists(schema: dict) -> list[tuple[str, list[dict], str]]:
    fields = {f["name"]: f for f in schema["fields"]}
    found = []
    for scheme, column, title in LIEUX_LISTS:
        values = pattern_values(fields[column]["constraints"]["pattern"])
        items = [{"value": code_of(v), "label": v} for v in values]
        found.append((scheme, items, title))
    return found


def scheme_graph(
    scheme: str,
    items: list[dict],
    title: str,
    version: str,
    older: list[dict] | None = None,
    upstream: str = UPSTREAM,
) -> Graph:
    ns = Namespace(f"{ROOT}{scheme}/")
    scheme_iri = URIRef(f"{ROOT}{scheme}")
    g = Graph()
    g.bind(PREFIXES.get(scheme, scheme.rstrip("s")), ns)
    g.bind("skos", SKOS)
    g.bind("dct", DCTERMS)
    g.bind("owl", OWL)
    g.add((scheme_iri, RDF.type, SKOS.ConceptScheme))
    g.add((scheme_iri, SKOS.prefLabel, Literal(title, lang="fr")))
    g.add((scheme_iri, DCTERMS.identifier, Literal(scheme)))
    g.add((scheme_iri, DCTERMS.source, URIRef(upstream)))
    g.add((scheme_iri, OWL.versionInfo, Literal(version)))
    for item in items:
        concept = ns[item["value"]]
        g.add((concept, RDF.type, SKOS.Concept))
        g.add((concept, SKOS.inScheme, scheme_iri))
        g.add((concept, SKOS.topConceptOf, scheme_iri))
        g.add((concept, SKOS.notation, Literal(item["value"])))
        g.add((concept, SKOS.prefLabel, Literal(item["label"], lang="fr")))
        if item.get("description"):
            g.add((concept, SKOS.definition, Literal(item["description"], lang="fr")))
        for word in HIDDEN.get(scheme, {}).get(item["value"], ()):
            g.add((concept, SKOS.hiddenLabel, Literal(word, lang="fr")))
    current = {item["value"]: item["label"] for item in items}
    for item in older or []:
        if item["value"] in current and item["label"] != current[item["value"]]:
            g.add((ns[item["value"]], SKOS.altLabel, Literal(item["label"], lang="fr")))
    return g


def relative_turtle(g: Graph, scheme: str, upstream: str = UPSTREAM) -> str:
    text = g.serialize(format="turtle", base=ROOT)
    lines = [line for line in text.splitlines() if not line.startswith("@base")]
    header = f"# Generated by scripts/vocab_from_standards.py from {upstream}: do not edit.\n"
    return header + "\n".join(lines).replace(f"<{ROOT}{scheme}/>", f"<{scheme}/>") + "\n"


def main(standards: Path, out: Path) -> None:
    for scheme, source, title, version in LISTS:
        items = json.loads((standards / source).read_text(encoding="utf-8"))
        older = None
        if scheme in OLDER:
            older_file, older_version = OLDER[scheme]
            older = json.loads((standards / older_file).read_text(encoding="utf-8"))
            version += f" ; libellés {older_version} en skos:altLabel"
        g = scheme_graph(scheme, items, title, version, older)
        (out / f"{scheme}.ttl").write_text(relative_turtle(g, scheme), encoding="utf-8")
        print(f"{scheme}: {len(items)} concepts")
    schema = json.loads((standards / LIEUX_SCHEMA).read_text(encoding="utf-8"))
    version = f"lieux de médiation numérique v{schema['version']}"
    for scheme, items, title in lieux_lists(schema):
        g = scheme_graph(scheme, items, title, version, upstream=LIEUX_UPSTREAM)
        (out / f"{scheme}.ttl").write_text(
            relative_turtle(g, scheme, LIEUX_UPSTREAM), encoding="utf-8"
        )
        print(f"{scheme}: {len(items)} concepts")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
