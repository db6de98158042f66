"""Referral answers (the site's `orienter` query on a published database, as `maillage refer`
asks it) and coverage on small hand-made networks whose right answers are known."""

from __future__ import annotations

import functools
import itertools
import tempfile
from pathlib import Path

import pytest

from maillage.graph.network import ReferralNetwork, UnknownId, coverage, weak_points
from maillage.graph.vocab import load_vocabulary
from maillage.publish.build import DEFAULT_METADATA
from maillage.publish.connection import ask, check_published_ids, orientations, within_hops
from maillage.publish.search import write_search_index
from maillage.publish.site import write_metadata
from maillage.publish.sqlite import write_database

_FOLDERS = itertools.count()

NEEDS = {"needs/demarches": None, "needs/vehicule": "needs/demarches", "needs/outils": None}


def network(actors: dict[str, dict], referrals: list[tuple[str, str, list[str]]]):
    """actors: id -> {"needs": [...], "publics": [...], "insee": ..., "lat": ..., "lon": ...}."""
    tables = {
        "concepts": [
            {"id": n, "scheme": "needs", "label": n, "broader": b} for n, b in NEEDS.items()
        ]
        + [
            {"id": p, "scheme": "publics", "label": p, "broader": None}
            for p in ("publics/seniors", "publics/jeunes", "publics/tous-publics")
        ],
        "actors": [],
        "sites": [],
        "services": [],
        "referrals": [],
        "service_needs": [],
        "service_publics": [],
        "service_sites": [],
        "service_support": [],
        "service_levels": [],
        "referral_needs": [],
    }
    for actor, spec in actors.items():
        tables["actors"].append({"id": actor, "name": actor.upper()})
        tables["sites"].append(
            {
                "id": f"{actor}-site",
                "actor": actor,
                "name": actor,
                "street": "rue",
                "postcode": "13140",
                "commune": spec.get("commune", "Miramas"),
                "insee": spec.get("insee", "13063"),
                "latitude": spec.get("lat", 43.5),
                "longitude": spec.get("lon", 5.0),
                "opening_hours": "Mo 09:00-12:00",
            }
        )
        if spec.get("needs"):
            service = f"{actor}-service"
            tables["services"].append({"id": service, "name": service, "provider": actor})
            tables["service_sites"].append({"service_id": service, "site_id": f"{actor}-site"})
            for need in spec["needs"]:
                tables["service_needs"].append({"service_id": service, "concept_id": need})
            for public in spec.get("publics", []):
                tables["service_publics"].append({"service_id": service, "concept_id": public})
    for source, target, needs in referrals:
        rid = f"{source}--{target}"
        tables["referrals"].append({"id": rid, "from_actor": source, "to_actor": target})
        for need in needs:
            tables["referral_needs"].append({"referral_id": rid, "concept_id": need})
    return Published(tables)


class Published:
    """A hand-made network's tables, published as a build would write its database."""

    def __init__(self, tables: dict) -> None:
        self.tables = tables
        self.referral = ReferralNetwork.from_tables(tables)
        self.dist = Path(tempfile.mkdtemp(prefix=f"maillage-net-{next(_FOLDERS)}-"))
        write_database(tables, self.dist / "maillage.db")
        write_search_index(self.dist / "maillage.db", tables, _vocabulary(), {})
        write_metadata(DEFAULT_METADATA, self.dist)


@functools.cache
def _vocabulary():
    return load_vocabulary(Path(__file__).parent.parent / "data" / "vocab", "https://example.org/")


def refer(net: Published, actor: str, need: str, public=None, commune=None, max_hops=4):
    """What `maillage refer` answers: the ids checked, then the `orienter` query's rows."""
    notation = need.removeprefix("needs/")
    public = public.removeprefix("publics/") if public else None
    check_published_ids(net.dist, actor=actor, need=notation, public=public, commune=commune)
    params = {"actor": actor, "need": notation, "public": public, "commune": commune}
    return within_hops(orientations(net.dist, ask(net.dist, "orienter", params)), max_hops)


def summary(answers):
    return [(a.actor, a.hops, list(a.path)) for a in answers]


def test_a_chain_is_followed_hop_by_hop():
    net = network(
        {"a": {}, "b": {}, "c": {}, "d": {"needs": ["needs/outils"]}},
        [("a", "b", []), ("b", "c", []), ("c", "d", [])],
    )
    assert summary(refer(net, "a", "needs/outils")) == [("d", 3, ["a", "b", "c", "d"])]
    assert summary(refer(net, "a", "needs/outils", max_hops=2)) == [("d", None, [])]


def test_the_persons_own_actor_is_zero_hops():
    net = network(
        {"a": {"needs": ["needs/outils"]}, "b": {"needs": ["needs/outils"]}}, [("a", "b", [])]
    )
    answers = refer(net, "a", "needs/outils")
    assert summary(answers) == [("a", 0, ["a"]), ("b", 1, ["a", "b"])]
    assert answers[0].advice.startswith("Sur place, service « a-service »")
    assert answers[1].advice.startswith("Orientez vers B, service « b-service »")


def test_a_star_ranks_by_distance_at_equal_hops():
    net = network(
        {
            "hub": {"lat": 43.50, "lon": 5.00},
            "far": {"needs": ["needs/outils"], "lat": 43.60, "lon": 5.00},
            "near": {"needs": ["needs/outils"], "lat": 43.51, "lon": 5.00},
        },
        [("hub", "far", []), ("hub", "near", [])],
    )
    answers = refer(net, "hub", "needs/outils")
    assert [a.actor for a in answers] == ["near", "far"]
    assert answers[0].distance_km == pytest.approx(1.112, abs=0.001)


def test_need_restricted_edges_are_not_followed_for_other_needs():
    net = network(
        {"a": {}, "b": {"needs": ["needs/outils", "needs/demarches"]}},
        [("a", "b", ["needs/demarches"])],
    )
    assert summary(refer(net, "a", "needs/demarches")) == [("b", 1, ["a", "b"])]
    assert summary(refer(net, "a", "needs/outils")) == [("b", None, [])]


def test_a_referral_for_a_broad_need_accepts_its_narrower_needs():
    net = network({"a": {}, "b": {"needs": ["needs/demarches"]}}, [("a", "b", ["needs/demarches"])])
    # a service for "démarches" helps with "véhicule", and the referral accepts it too
    assert summary(refer(net, "a", "needs/vehicule")) == [("b", 1, ["a", "b"])]


def test_disconnected_providers_are_listed_with_no_path():
    net = network(
        {"a": {}, "b": {"needs": ["needs/outils"]}, "island": {"needs": ["needs/outils"]}},
        [("a", "b", [])],
    )
    answers = refer(net, "a", "needs/outils")
    assert summary(answers) == [("b", 1, ["a", "b"]), ("island", None, [])]
    assert "contacter directement" in answers[1].advice


def test_equal_shortest_paths_take_the_first_in_alphabetical_order():
    net = network(
        {"a": {}, "y": {}, "x": {}, "t": {"needs": ["needs/outils"]}},
        [("a", "y", []), ("a", "x", []), ("y", "t", []), ("x", "t", [])],
    )
    answers = refer(net, "a", "needs/outils")
    assert summary(answers) == [("t", 2, ["a", "x", "t"])]
    assert answers[0].advice.startswith("Orientez vers T (via X)")


def test_public_and_commune_filters():
    net = network(
        {
            "a": {},
            "seniors": {"needs": ["needs/outils"], "publics": ["publics/seniors"]},
            "all": {"needs": ["needs/outils"], "publics": ["publics/tous-publics"]},
            "elsewhere": {"needs": ["needs/outils"], "insee": "13056", "commune": "Martigues"},
        },
        [],
    )
    jeunes = {a.actor for a in refer(net, "a", "needs/outils", public="publics/jeunes")}
    assert jeunes == {"all", "elsewhere"}
    martigues = {a.actor for a in refer(net, "a", "needs/outils", commune="13056")}
    assert martigues == {"elsewhere"}


def test_unknown_ids_suggest_the_closest():
    net = network({"france-services": {}}, [])
    with pytest.raises(UnknownId, match="vouliez-vous dire : france-services"):
        refer(net, "france-service", "needs/outils")
    with pytest.raises(UnknownId, match="besoin inconnu"):
        refer(net, "france-services", "needs/outil")


def test_coverage_counts_distinct_actors_and_finds_weak_points():
    net = network(
        {
            "a": {"needs": ["needs/outils"]},
            "b": {"needs": ["needs/outils", "needs/demarches"]},
            "c": {},
        },
        [("a", "b", ["needs/vehicule"]), ("b", "c", [])],
    )
    rows = {(r["need"], r["public"], r["commune"]): r["actors"] for r in coverage(net.referral)}
    assert rows[("outils", None, "13063")] == 2
    assert rows[("demarches", None, "13063")] == 1
    assert rows[("vehicule", None, "13063")] == 1  # through the broader need
    weak = weak_points(net.referral)
    assert {
        "need": "demarches",
        "public": None,
        "commune": "13063",
        "actors": 1,
        "demand": None,
    } in weak["fragile"]
    assert weak["articulation_points"] == ["b"]
    assert weak["no_incoming"] == ["a"] and weak["no_outgoing"] == ["c"]
    # b -> c accepts any need, but c offers nothing
    assert weak["dead_end_referrals"] == [{"from_actor": "b", "to_actor": "c", "needs": []}]


def test_unreachable_providers_are_listed_only_nearby():
    net = network(
        {
            "a": {"lat": 43.50, "lon": 5.00},
            "near": {"needs": ["needs/outils"], "lat": 43.70, "lon": 5.00},  # 22 km
            "far": {
                "needs": ["needs/outils"],
                "lat": 45.50,
                "lon": 5.00,  # 222 km
                "insee": "69123",
                "commune": "Lyon",
            },
            "far-but-reachable": {
                "needs": ["needs/outils"],
                "lat": 48.85,
                "lon": 2.35,
                "insee": "75056",
                "commune": "Paris",
            },
        },
        [("a", "far-but-reachable", [])],
    )
    assert summary(refer(net, "a", "needs/outils")) == [
        ("far-but-reachable", 1, ["a", "far-but-reachable"]),
        ("near", None, []),
    ]
    # asking for a commune lists its providers, however far
    assert summary(refer(net, "a", "needs/outils", commune="69123")) == [("far", None, [])]


@pytest.mark.parametrize("actors", [2, 40, 700])
def test_betweenness_is_networkx_s_exact_or_sampled_figure(actors, monkeypatch):
    """igraph counts the paths; the figures are those networkx gives, exact on a small network
    and from the same sampled sources above EXACT_BETWEENNESS_LIMIT."""
    import networkx as nx

    from maillage.graph import network

    graph = nx.gnm_random_graph(actors, actors * 5, seed=actors, directed=True)
    graph = nx.relabel_nodes(graph, {i: f"acteur-{i:04d}" for i in graph})
    graph.add_node("isolé")
    graph.add_edge("acteur-0001", "acteur-0001")
    ours = network.betweenness(graph)
    if actors > network.EXACT_BETWEENNESS_LIMIT:
        expected = nx.betweenness_centrality(graph, k=network.BETWEENNESS_SAMPLES, seed=0)
    else:
        expected = nx.betweenness_centrality(graph)
    assert ours.keys() == expected.keys()
    assert ours == pytest.approx(expected, abs=1e-12)
    assert any(value > 0 for value in ours.values()) or actors < 3
