"""Places described twice: two actors (from two sources, or two producers) whose sites are one
place. ``maillage doublons DIR`` lists the likely pairs with their evidence; the coordinator's
decision (``distincts``) is written in the data (``doublons.yaml``) and holds across imports.

Candidates are blocked by commune (INSEE code), as the national pipelines do, then scored: the
same SIRET is a duplicate outright; otherwise the mean of three scores out of 100 — the names'
and the addresses' similarity (rapidfuzz's ``token_sort_ratio`` on accent-free lower-case text)
and the distance (100 at the same point, 0 from ``FAR_METRES`` on) — is compared with
``THRESHOLD``, the ANCT ``dedupliquer`` pipeline's merge threshold (83).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from rapidfuzz import fuzz

from maillage.graph.collation import unaccented
from maillage.graph.distance import metres as distance
from maillage.graph.errors import DataError, DataErrors
from maillage.graph.load import Network

THRESHOLD = 83.0
FAR_METRES = 500.0  # two places this far apart score 0 on distance
DECISIONS = "doublons.yaml"
DISTINCT = "distincts"


@dataclass(frozen=True)
class Pair:
    """Two actors whose sites look like one place, and why."""

    actors: tuple[str, str]
    sites: tuple[str, str]
    names: tuple[str, str]
    score: float
    name_score: float
    address_score: float
    metres: float | None
    same_siret: bool

    def evidence(self) -> str:
        """The reasons, in French, as the coordinator reads them."""
        if self.same_siret:
            return "même SIRET"
        distance = "position inconnue" if self.metres is None else f"à {self.metres:.0f} m"
        return (
            f"noms semblables à {self.name_score:.0f} %, adresses à {self.address_score:.0f} %, "
            f"{distance}"
        )


def likely_pairs(network: Network, distinct: set[frozenset[str]] | None = None) -> list[Pair]:
    """The pairs of actors scoring ``THRESHOLD`` or more, best first, without those the
    coordinator declared distinct."""
    actors = {a.id: a.values for a in network.of_kind("actor")}
    by_commune: dict[str, list[dict]] = defaultdict(list)
    for site in network.of_kind("site"):
        if site.values.get("insee") and site.values.get("actor"):
            by_commune[str(site.values["insee"])].append(site.values)
    best: dict[frozenset[str], Pair] = {}
    for sites in by_commune.values():
        for a, b in combinations(sites, 2):
            key = frozenset((a["actor"], b["actor"]))
            if len(key) < 2 or (distinct and key in distinct):
                continue
            pair = _scored(a, b, actors[a["actor"]], actors[b["actor"]])
            if pair.score >= THRESHOLD and (key not in best or pair.score > best[key].score):
                best[key] = pair
    return sorted(best.values(), key=lambda p: (-p.score, p.actors))


def _scored(a: dict, b: dict, actor_a: dict, actor_b: dict) -> Pair:
    siret_a, siret_b = str(actor_a.get("siret") or ""), str(actor_b.get("siret") or "")
    same_siret = bool(siret_a) and siret_a == siret_b and set(siret_a) != {"0"}
    names = (str(a.get("name") or actor_a.get("name")), str(b.get("name") or actor_b.get("name")))
    name_score = fuzz.token_sort_ratio(unaccented(names[0]), unaccented(names[1]))
    address_score = fuzz.token_sort_ratio(
        unaccented(f"{a.get('street', '')} {a.get('postcode', '')}"),
        unaccented(f"{b.get('street', '')} {b.get('postcode', '')}"),
    )
    metres = distance(a, b)
    near = 0.0 if metres is None else max(0.0, 100.0 * (1 - metres / FAR_METRES))
    score = 100.0 if same_siret else (name_score + address_score + near) / 3
    return Pair(
        actors=tuple(sorted((a["actor"], b["actor"]))),  # type: ignore[arg-type]
        sites=(str(a["id"]), str(b["id"])),
        names=names,
        score=round(score, 1),
        name_score=name_score,
        address_score=address_score,
        metres=metres,
        same_siret=same_siret,
    )


def decisions(data_dir: Path) -> set[frozenset[str]]:
    """The pairs the coordinator declared distinct in ``doublons.yaml`` (missing: none)."""
    import yaml

    path = data_dir / DECISIONS
    if not path.exists():
        return set()
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as exc:
        raise DataErrors([DataError(file=str(path), message=f"fichier illisible ({exc})")]) from exc
    found = set()
    for number, entry in enumerate(entries if isinstance(entries, list) else [None], start=1):
        ids = entry.get("acteurs") if isinstance(entry, dict) else None
        if (
            not isinstance(ids, list)
            or len(ids) != 2
            or not isinstance(entry, dict)
            or entry.get("decision") != DISTINCT
        ):
            raise DataErrors(
                [
                    DataError(
                        file=str(path),
                        record=f"décision {number}",
                        message="attendu : « - acteurs: [a, b] » et « decision: distincts »",
                    )
                ]
            )
        found.add(frozenset(str(i) for i in ids))
    return found


def declare_distinct(data_dir: Path, first: str, second: str) -> Path:
    """Write in ``doublons.yaml`` that two actors are two places (comments kept)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    path = data_dir / DECISIONS
    yaml = YAML()
    yaml.indent(mapping=2, sequence=2, offset=0)
    entries = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if entries is None:
        entries = CommentedSeq()
        entries.yaml_set_start_comment(
            "Décisions de la coordination sur les doublons probables (maillage doublons)"
        )
    entry = CommentedMap()
    ids = CommentedSeq(sorted((first, second)))
    ids.fa.set_flow_style()
    entry["acteurs"] = ids
    entry["decision"] = DISTINCT
    entries.append(entry)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(entries, handle)
    return path
