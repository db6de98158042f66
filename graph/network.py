"""The referral network (networkx): what the network covers and misses, computed once at
build time.

Plain functions over a :class:`ReferralNetwork` built from the table rows (``graph.tables``):
``coverage`` and ``weak_points`` tell coordinators what no partner, or only one, covers, and
``actor_metrics`` how central each partner is. "Where do we refer this person, through whom?"
is answered by the ``orienter`` canned query (metadata.yml) on the published database, for the
site and for ``maillage refer`` alike (``publish/connection.py``); :class:`Orientation` is one
of its answers.

Matching rules, the ones the ``orienter`` query applies:

- a service answers need N when its needs include N or a broader need of N (a service for
  "aide aux démarches administratives" also helps with "carte grise et permis");
- a referral accepts N when it lists no need, or lists N or a broader need of N;
- a service fits public P when it names no public, names P, or is "tous publics";
- among shortest referral paths, the one whose list of actor ids is first in alphabetical order
  is shown; providers are ranked by hops, then distance between sites, then ids;
- providers that no referral path reaches are listed ("contact directly") only when useful:
  within RADIUS_KM of one of the person's actor's sites, or in one of its communes when a site
  has no coordinates, or in the commune asked for. At national scale this keeps an answer to
  the neighbourhood instead of listing every provider of the country.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import igraph
import networkx as nx

from maillage.graph import hours
from maillage.graph.load import did_you_mean
from maillage.graph.tables import Tables

ALL_PUBLICS = "publics/tous-publics"
NO_PATH = "pas de chemin d'orientation : contacter directement"
# Exact betweenness costs one shortest-path search per actor (hours at 30,000 actors in networkx,
# minutes in igraph); above this many actors it is estimated from BETWEENNESS_SAMPLES sources
# (networkx's k=).
EXACT_BETWEENNESS_LIMIT = 500
BETWEENNESS_SAMPLES = 64
RADIUS_KM = 50.0  # unreachable providers farther than this are not listed


@dataclass(frozen=True)
class Site:
    id: str
    actor: str
    name: str
    address: str
    insee: str
    commune: str
    latitude: float | None
    longitude: float | None
    opening_hours: str | None


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    provider: str
    needs: frozenset[str]
    publics: frozenset[str]
    sites: tuple[str, ...]
    supports: frozenset[str] = frozenset()  # specific support: deafness, illiteracy...
    levels: frozenset[str] = frozenset()  # levels of the path to autonomy (niveaux/1...)


@dataclass
class ReferralNetwork:
    """Actors as nodes (with ``name``); referral edges with ``needs`` (empty = any) and
    ``channel``; services, sites and the needs hierarchy alongside."""

    graph: nx.DiGraph
    services: dict[str, Service]
    sites: dict[str, Site]
    broader: dict[str, str]
    labels: dict[str, str]
    needs: list[str]
    publics: list[str]
    communes: dict[str, str]
    supports: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)  # the path's levels, lowest first
    ranks: dict[str, int] = field(default_factory=dict)  # level -> its rank (1, 2, 3)
    services_of: dict[str, list[str]] = field(default_factory=dict)
    sites_of: dict[str, list[str]] = field(default_factory=dict)
    services_at: dict[str, list[str]] = field(default_factory=dict)
    sites_in: dict[str, list[str]] = field(default_factory=dict)
    grid: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    demand: dict[tuple[str, str], float] = field(default_factory=dict)  # (need, insee) -> %

    @classmethod
    def from_tables(cls, tables: Tables) -> ReferralNetwork:
        graph = nx.DiGraph()
        for row in tables["actors"]:
            graph.add_node(row["id"], name=row["name"])
        sites = {
            row["id"]: Site(
                row["id"],
                row["actor"],
                row["name"],
                f"{row['street']}, {row['postcode']} {row['commune']}",
                row["insee"],
                row["commune"],
                row.get("latitude"),
                row.get("longitude"),
                row.get("opening_hours"),
            )
            for row in tables["sites"]
        }
        by_service: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for table, key, column in (
            ("service_needs", "needs", "concept_id"),
            ("service_publics", "publics", "concept_id"),
            ("service_sites", "sites", "site_id"),
            ("service_support", "supports", "concept_id"),
            ("service_levels", "levels", "concept_id"),
        ):
            for row in tables[table]:  # a table left out is the caller's mistake
                by_service[row["service_id"]][key].add(row[column])
        services = {
            row["id"]: Service(
                row["id"],
                row["name"],
                row["provider"],
                frozenset(by_service[row["id"]]["needs"]),
                frozenset(by_service[row["id"]]["publics"]),
                tuple(sorted(by_service[row["id"]]["sites"])),
                frozenset(by_service[row["id"]]["supports"]),
                frozenset(by_service[row["id"]]["levels"]),
            )
            for row in tables["services"]
        }
        referral_needs: dict[str, set[str]] = defaultdict(set)
        for row in tables["referral_needs"]:
            referral_needs[row["referral_id"]].add(row["concept_id"])
        for row in tables["referrals"]:
            graph.add_edge(
                row["from_actor"],
                row["to_actor"],
                needs=frozenset(referral_needs[row["id"]]),
                channel=row.get("channel"),
            )
        concepts = tables["concepts"]
        network = cls(
            graph=graph,
            services=services,
            sites=sites,
            broader={r["id"]: r["broader"] for r in concepts if r["broader"]},
            labels={r["id"]: r["label"] for r in concepts},
            needs=sorted(r["id"] for r in concepts if r["scheme"] == "needs"),
            publics=sorted(r["id"] for r in concepts if r["scheme"] == "publics"),
            supports=sorted(r["id"] for r in concepts if r["scheme"] == "supports"),
            communes={s.insee: s.commune for s in sites.values()},
        )
        levels = [r for r in concepts if r["scheme"] == "niveaux" and r["notation"].isdigit()]
        for row in sorted(levels, key=lambda r: int(r["notation"])):
            network.levels.append(row["id"])
            network.ranks[row["id"]] = int(row["notation"])
        for row in tables.get("demand", []):
            if row.get("commune"):
                network.demand[(row["need"], row["commune"])] = row["share"]
        for service in services.values():
            network.services_of.setdefault(service.provider, []).append(service.id)
            for site in service.sites:
                network.services_at.setdefault(site, []).append(service.id)
        for site in sites.values():
            network.sites_of.setdefault(site.actor, []).append(site.id)
            network.sites_in.setdefault(site.insee, []).append(site.id)
            if site.latitude is not None and site.longitude is not None:
                network.grid.setdefault(_cell(site), []).append(site.id)
        return network

    def sites_near(self, origin: Site) -> list[str]:
        """Sites in the grid cells around ``origin``: a superset of those within RADIUS_KM."""
        if origin.latitude is None or origin.longitude is None:
            return []
        row, col = _cell(origin)
        return [
            s
            for dr in (-1, 0, 1)
            for dc in (-1, 0, 1)
            for s in self.grid.get((row + dr, col + dc), [])
        ]

    def name(self, actor: str) -> str:
        return self.graph.nodes[actor].get("name", actor)


def _cell(site: Site) -> tuple[int, int]:
    # 1-degree cells: the 8 neighbours hold every site within 50 km below 60 degrees of latitude
    return (math.floor(site.latitude), math.floor(site.longitude))


class UnknownId(ValueError):
    """An actor, need, public or commune that the network does not know, with suggestions."""

    def __init__(self, kind: str, value: str, choices: Iterable[str]):
        self.kind, self.value = kind, value
        self.hint = did_you_mean(value, sorted(choices))
        message = f"{kind} inconnu : « {value} »"
        super().__init__(message + (f" ({self.hint})" if self.hint else ""))


def wanted_needs(network: ReferralNetwork, need: str) -> frozenset[str]:
    """The need and every broader need above it."""
    found = [need]
    while found[-1] in network.broader and network.broader[found[-1]] not in found:
        found.append(network.broader[found[-1]])
    return frozenset(found)


def accepts(edge_needs: frozenset[str], wanted: frozenset[str]) -> bool:
    return not edge_needs or bool(edge_needs & wanted)


def fits_public(service: Service, public: str | None) -> bool:
    return (
        public is None
        or not service.publics
        or public in service.publics
        or ALL_PUBLICS in service.publics
    )


@dataclass(frozen=True)
class Orientation:
    """One answer of ``refer``: a provider, its service, where, and the path to it."""

    actor: str
    actor_name: str
    service: str
    service_name: str
    hops: int | None
    path: tuple[str, ...]
    path_names: tuple[str, ...]
    site: Site | None
    distance_km: float | None

    @property
    def advice(self) -> str:
        """The answer in plain French, as the `orienter` canned query words it."""
        if self.hops is None:
            head = f"Pas de chemin d'orientation : contacter directement {self.actor_name}"
        elif self.hops == 0:
            head = "Sur place"
        else:
            via = " puis ".join(self.path_names[1:-1])
            head = f"Orientez vers {self.actor_name}" + (f" (via {via})" if via else "")
        where = ""
        if self.site is not None:
            where = f", {self.site.address}"
            if self.site.opening_hours:
                where += f", horaires : {hours.in_words(self.site.opening_hours)}"
        return f"{head}, service « {self.service_name} »{where}"

    def as_dict(self) -> dict:
        site = self.site
        return {
            "actor": self.actor,
            "actor_name": self.actor_name,
            "service": self.service,
            "service_name": self.service_name,
            "hops": self.hops,
            "path": list(self.path),
            "path_names": list(self.path_names),
            "site": site.id if site else None,
            "address": site.address if site else None,
            "opening_hours": site.opening_hours if site else None,
            "distance_km": self.distance_km,
            "advice": self.advice,
        }


def check_ids(
    network: ReferralNetwork,
    actor: str | None,
    need: str,
    public: str | None,
    commune: str | None,
    support: str | None = None,
) -> None:
    """Raise :class:`UnknownId` for the first id the network does not know (None: not asked)."""
    if actor is not None and actor not in network.graph:
        raise UnknownId("acteur", actor, network.graph.nodes)
    if need not in network.needs:
        raise UnknownId(
            "besoin", need.removeprefix("needs/"), [n.removeprefix("needs/") for n in network.needs]
        )
    if public is not None and public not in network.publics:
        raise UnknownId(
            "public",
            public.removeprefix("publics/"),
            [p.removeprefix("publics/") for p in network.publics],
        )
    if commune is not None and commune not in network.communes:
        raise UnknownId("commune (code INSEE)", commune, network.communes)
    if support is not None and support not in network.supports:
        raise UnknownId(
            "prise en charge spécifique",
            support.removeprefix("supports/"),
            [s.removeprefix("supports/") for s in network.supports],
        )


def needs_covered(network: ReferralNetwork) -> Callable[[frozenset[str]], frozenset[str]]:
    """Every need a service with these needs answers: its needs and all the narrower needs
    below them; worked out once per distinct set of needs (a national network's services
    share a few hundred)."""
    found: dict[frozenset[str], frozenset[str]] = {}

    def covered(needs: frozenset[str]) -> frozenset[str]:
        answer = found.get(needs)
        if answer is None:
            answer = found[needs] = frozenset(
                n for n in network.needs if needs & wanted_needs(network, n)
            )
        return answer

    return covered


def coverage(network: ReferralNetwork) -> list[dict]:
    """For every need x public (None = all publics) x commune: distinct actors covering it."""
    actors: dict[tuple[str, str | None, str], set[str]] = defaultdict(set)
    covered = needs_covered(network)
    publics_of: dict[frozenset[str], list[str | None]] = {}  # few distinct sets of publics
    for service in network.services.values():
        needs = covered(service.needs)
        publics = publics_of.get(service.publics)
        if publics is None:
            publics = publics_of[service.publics] = [None]
            publics += [p for p in network.publics if fits_public(service, p)]
        communes = {network.sites[s].insee for s in service.sites}
        for need in needs:
            for public in publics:
                for commune in communes:
                    actors[(need, public, commune)].add(service.provider)
    rows = []
    for need in network.needs:
        for public in [None, *network.publics]:
            for commune in sorted(network.communes):
                n = len(actors.get((need, public, commune), ()))
                rows.append(
                    {
                        "need": need.removeprefix("needs/"),
                        "public": public.removeprefix("publics/") if public else None,
                        "commune": commune,
                        "actors": n,
                        "demand": network.demand.get((need, commune)),
                        "providers": sorted(actors.get((need, public, commune), ())),
                    }
                )
    return rows


def by_demand(row: dict) -> tuple:
    """Fewest actors first; among equals, the need most residents expressed first."""
    return (row["actors"], -(row.get("demand") or 0.0), row["need"], row["commune"])


def weak_points(network: ReferralNetwork, rows: list[dict] | None = None) -> dict[str, list]:
    """Gaps, fragile coverage, critical actors, articulation points, isolated actors, and
    referrals that point at an actor with no service for their needs."""
    rows = rows if rows is not None else coverage(network)
    graph = network.graph
    all_publics = sorted((r for r in rows if r["public"] is None), key=by_demand)
    critical = [
        {"actor": r["providers"][0], "need": r["need"], "commune": r["commune"]}
        for r in all_publics
        if r["actors"] == 1
    ]
    dead_ends = []
    covered = needs_covered(network)
    answered: dict[str, frozenset[str]] = {}  # actor -> every need its services answer
    for source, target, data in sorted(graph.edges(data=True)):
        offered = network.services_of.get(target, [])
        needs = data["needs"]
        if needs:
            mine = answered.get(target)
            if mine is None:
                mine = answered[target] = frozenset().union(
                    *(covered(network.services[s].needs) for s in offered)
                )
            ok = bool(needs & mine)
        else:
            ok = bool(offered)
        if not ok:
            dead_ends.append(
                {
                    "from_actor": source,
                    "to_actor": target,
                    "needs": sorted(n.removeprefix("needs/") for n in needs),
                }
            )
    return {
        "gaps": [_strip(r) for r in all_publics if r["actors"] == 0],
        "fragile": [_strip(r) for r in all_publics if r["actors"] == 1],
        "critical_actors": critical,
        "articulation_points": sorted(nx.articulation_points(graph.to_undirected(as_view=True))),
        "no_incoming": sorted(n for n in graph if graph.in_degree(n) == 0),
        "no_outgoing": sorted(n for n in graph if graph.out_degree(n) == 0),
        "dead_end_referrals": dead_ends,
    }


def _strip(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "providers"}


def betweenness(graph: nx.DiGraph) -> dict[str, float]:
    """Betweenness of each actor: exact up to EXACT_BETWEENNESS_LIMIT actors, estimated from
    BETWEENNESS_SAMPLES sampled sources (seed 0, so the same network gives the same figures)
    above.

    The figures are networkx's ``betweenness_centrality(graph)`` and
    ``betweenness_centrality(graph, k=BETWEENNESS_SAMPLES, seed=0)`` (same sampled sources,
    same normalisation; ``tests/test_network.py`` compares them). igraph's compiled shortest
    path searches count the paths: 25 s in networkx at 30,000 actors, under a second there.
    """
    nodes = list(graph)
    n = len(nodes)
    if n < 3:
        return nx.betweenness_centrality(graph)  # no pair of other actors to lie between
    position = {node: i for i, node in enumerate(nodes)}
    paths = igraph.Graph(
        n=n, edges=[(position[a], position[b]) for a, b in graph.edges()], directed=True
    )
    if n <= EXACT_BETWEENNESS_LIMIT:
        counts = paths.betweenness(directed=True)
        return {node: c / ((n - 1) * (n - 2)) for node, c in zip(nodes, counts, strict=True)}
    # networkx's choice of sources for seed=0, and its scaling of a sample (networkx >= 3.5):
    # a sampled source lies on none of its own paths, so it is scaled over the other k - 1.
    k = BETWEENNESS_SAMPLES
    sources = random.Random(0).sample(nodes, k)
    counts = paths.betweenness(directed=True, sources=[position[s] for s in sources])
    sampled = set(sources)
    return {
        node: c / ((k - 1 if node in sampled else k) * (n - 2))
        for node, c in zip(nodes, counts, strict=True)
    }


def actor_metrics(
    network: ReferralNetwork,
    critical: list[dict] | None = None,
    articulation_points: Iterable[str] | None = None,
) -> list[dict]:
    """Degree, betweenness and articulation flag of each actor in the referral network
    (``articulation_points`` when the caller has them already, from :func:`weak_points`)."""
    graph = network.graph
    centrality = betweenness(graph)
    if articulation_points is None:
        articulation_points = nx.articulation_points(graph.to_undirected(as_view=True))
    articulation = set(articulation_points)
    critical_count: dict[str, int] = defaultdict(int)
    for row in critical or []:
        critical_count[row["actor"]] += 1
    return [
        {
            "actor": actor,
            "in_degree": graph.in_degree(actor),
            "out_degree": graph.out_degree(actor),
            "betweenness": round(centrality[actor], 6),
            "articulation": int(actor in articulation),
            "sole_provider": critical_count[actor],
        }
        for actor in sorted(graph)
    ]
