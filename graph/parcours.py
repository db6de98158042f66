"""The parcours of a need in a commune: who is at each level of the path to autonomy (free
access, accompaniment, autonomy: ``data/vocab/niveaux.ttl``), and the referrals that climb
from one level to the next.

Rules, shared with the published table ``parcours`` and tested against an SQL query of the
published tables (``tests/test_parcours.py``):

- an actor is at level k for need N in commune C when one of its services at a site in C
  answers N (N or a broader need, as for ``refer``), fits the public asked for, and offers
  level k (stated, or derived from its modalities: ``graph/levels.py``);
- a climb is a referral that accepts N, from an actor at level k to an actor at level k + 1;
- the step from k to k + 1 holds when a referral climbs it, or when one actor is at both
  levels: the person goes on with the same actor, and no referral is needed (nor could one be
  written: a referral joins two actors);
- a parcours is broken when a level has no actor, or a step between two present levels does
  not hold.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from maillage.graph.network import (
    ReferralNetwork,
    accepts,
    check_ids,
    fits_public,
    needs_covered,
    wanted_needs,
)
from maillage.graph.ns import referral_id


@dataclass(frozen=True)
class Step:
    rank: int
    level: str  # concept id, niveaux/1
    label: str
    actors: tuple[str, ...]


@dataclass(frozen=True)
class Climb:
    from_actor: str
    to_actor: str
    from_rank: int
    to_rank: int

    @property
    def referral(self) -> str:
        return referral_id(self.from_actor, self.to_actor)

    def as_dict(self) -> dict:
        return {
            "from": self.from_actor,
            "to": self.to_actor,
            "from_rank": self.from_rank,
            "to_rank": self.to_rank,
            "referral": self.referral,
        }


@dataclass(frozen=True)
class Parcours:
    need: str  # concept id, needs/...
    commune: str  # INSEE code
    public: str | None
    steps: tuple[Step, ...]
    climbs: tuple[Climb, ...]

    @property
    def missing(self) -> list[int]:
        """The ranks no actor is at."""
        return [s.rank for s in self.steps if not s.actors]

    @property
    def helped(self) -> bool:
        """Someone is at one level at least."""
        return any(s.actors for s in self.steps)

    def in_place(self, lower: Step, upper: Step) -> list[str]:
        """The actors at both levels: the person goes on with them."""
        return sorted(set(lower.actors) & set(upper.actors))

    @property
    def stays(self) -> list[tuple[str, int, int]]:
        """(actor, from rank, to rank) of each step an actor bridges itself."""
        return [
            (actor, lower.rank, upper.rank)
            for lower, upper in zip(self.steps, self.steps[1:], strict=False)
            for actor in self.in_place(lower, upper)
        ]

    @property
    def breaks(self) -> list[tuple[int, int]]:
        """The steps between two present levels that neither a referral nor an actor bridges."""
        found = []
        for lower, upper in zip(self.steps, self.steps[1:], strict=False):
            if not lower.actors or not upper.actors or self.in_place(lower, upper):
                continue
            if not any(c.from_rank == lower.rank for c in self.climbs):
                found.append((lower.rank, upper.rank))
        return found

    @property
    def broken(self) -> bool:
        return bool(self.missing or self.breaks)

    def as_dict(self) -> dict:
        return {
            "need": self.need.removeprefix("needs/"),
            "commune": self.commune,
            "public": self.public.removeprefix("publics/") if self.public else None,
            "levels": [
                {"rank": s.rank, "label": s.label, "actors": list(s.actors)} for s in self.steps
            ],
            "climbs": [c.as_dict() for c in self.climbs],
            "in_place": [
                {"actor": actor, "from_rank": low, "to_rank": high}
                for actor, low, high in self.stays
            ],
            "missing": self.missing,
            "breaks": [{"from_rank": a, "to_rank": b} for a, b in self.breaks],
            "broken": self.broken,
        }


Levels = dict[tuple[str, str], dict[int, set[str]]]  # (need, commune) -> rank -> actors


def parcours(
    network: ReferralNetwork, need: str, commune: str, public: str | None = None
) -> Parcours:
    """The parcours of ``need`` (``needs/...``) in ``commune`` (INSEE), for ``public``
    (``publics/...``) or every public."""
    check_ids(network, None, need, public, commune)
    wanted = wanted_needs(network, need)
    at: dict[int, set[str]] = defaultdict(set)
    services = {
        s for site in network.sites_in.get(commune, []) for s in network.services_at.get(site, ())
    }
    for service_id in services:
        service = network.services[service_id]
        if service.needs & wanted and fits_public(service, public):
            for level in service.levels:
                if level in network.ranks:
                    at[network.ranks[level]].add(service.provider)
    return _assemble(network, need, commune, public, at)


def every_parcours(network: ReferralNetwork) -> list[Parcours]:
    """The parcours of every need in every commune of the network, for every public."""
    levels: Levels = defaultdict(lambda: defaultdict(set))
    covered = needs_covered(network)
    for service in network.services.values():
        ranks = [network.ranks[lv] for lv in service.levels if lv in network.ranks]
        if not ranks:
            continue
        communes = {network.sites[s].insee for s in service.sites}
        for need in covered(service.needs):
            for commune in communes:
                for rank in ranks:
                    levels[(need, commune)][rank].add(service.provider)
    return [
        _assemble(network, need, commune, None, levels.get((need, commune), {}))
        for need in network.needs
        for commune in sorted(network.communes)
    ]


def _assemble(
    network: ReferralNetwork,
    need: str,
    commune: str,
    public: str | None,
    at: dict[int, set[str]],
) -> Parcours:
    steps = tuple(
        Step(
            network.ranks[level],
            level,
            network.labels.get(level, level),
            tuple(sorted(at.get(network.ranks[level], ()))),
        )
        for level in network.levels
    )
    climbs = []
    if any(s.actors for s in steps):
        wanted = wanted_needs(network, need)
        graph = network.graph
        for lower, upper in zip(steps, steps[1:], strict=False):
            above = set(upper.actors)
            for actor in lower.actors:
                for target in sorted(graph.successors(actor)):
                    if target in above and accepts(graph.edges[actor, target]["needs"], wanted):
                        climbs.append(Climb(actor, target, lower.rank, upper.rank))
    return Parcours(need, commune, public, steps, tuple(climbs))


def parcours_rows(network: ReferralNetwork, found: list[Parcours]) -> list[dict]:
    """The ``parcours`` table: one row per need, commune and level, with the actors at that
    level, the referrals that climb from it to the next (JSON arrays), and whether the
    parcours is broken (on each of its rows)."""
    rows = []
    for p in found:
        broken = int(p.broken)
        for i, step in enumerate(p.steps):
            upper = p.steps[i + 1] if i + 1 < len(p.steps) else None
            rows.append(
                {
                    "need": p.need,
                    "commune": p.commune,
                    "commune_name": network.communes.get(p.commune),
                    "rank": step.rank,
                    "level": step.level,
                    "label": step.label,
                    "actors": _json(list(step.actors)),
                    "climbs": _json(
                        [
                            {"from": c.from_actor, "to": c.to_actor, "referral": c.referral}
                            for c in p.climbs
                            if c.from_rank == step.rank
                        ]
                    ),
                    "in_place": _json(p.in_place(step, upper) if upper else []),
                    "broken": broken,
                    "demand": network.demand.get((p.need, p.commune)),
                }
            )
    return rows


def what_breaks(p: Parcours) -> str:
    """What is missing in a broken parcours, in French."""
    label = {s.rank: s.label for s in p.steps}
    parts = []
    if p.missing:
        names = ", ".join(f"{r} ({label[r]})" for r in p.missing)
        head = "niveau manquant : " if len(p.missing) == 1 else "niveaux manquants : "
        parts.append(head + names)
    for lower, upper in p.breaks:
        parts.append(f"aucune orientation du niveau {lower} ({label[lower]}) au niveau {upper}")
    return " ; ".join(parts)


def broken_in_words(network: ReferralNetwork, p: Parcours) -> str:
    """Why a parcours is broken, in French, with its need and commune."""
    need = network.labels.get(p.need, p.need)
    return f"Parcours « {need} » à {network.communes.get(p.commune)} : {what_breaks(p)}."


def _json(values: list) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def parcours_from_rows(rows: list[dict]) -> list[Parcours]:
    """The parcours the ``parcours`` table holds (:func:`parcours_rows`), for all publics."""
    grouped: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        grouped[(row["need"], row["commune"])].append(row)
    found = []
    for (need, commune), group in grouped.items():
        group.sort(key=lambda r: r["rank"])
        steps = tuple(
            Step(r["rank"], r["level"], r["label"], tuple(json.loads(r["actors"]))) for r in group
        )
        climbs = tuple(
            Climb(c["from"], c["to"], lower["rank"], upper["rank"])
            for lower, upper in zip(group, group[1:], strict=False)
            for c in json.loads(lower["climbs"])
        )
        found.append(Parcours(need, commune, None, steps, climbs))
    return found
