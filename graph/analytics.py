"""Coverage and network metrics as table rows, labelled in French, for publication."""

from __future__ import annotations

from maillage.graph.network import ReferralNetwork, actor_metrics, coverage, weak_points
from maillage.graph.parcours import broken_in_words, every_parcours, parcours_rows, what_breaks
from maillage.graph.tables import Tables, json_arrays

STATUS = {0: "lacune", 1: "fragile"}


def analytics_tables(
    network: ReferralNetwork,
    rows: list[dict] | None = None,
) -> tuple[Tables, dict]:
    """(``coverage``, ``gaps``, ``actor_metrics`` and ``parcours`` rows, the weak points as
    data, the broken parcours among them).

    ``rows`` is ``coverage(network)`` when the caller has already computed it.
    """
    rows = rows if rows is not None else coverage(network)
    weak = weak_points(network, rows)
    names = {actor: network.name(actor) for actor in network.graph}
    providers = json_arrays()  # a commune's few providers recur across its cells
    coverage_rows = [
        {
            "need": f"needs/{r['need']}",
            "public": f"publics/{r['public']}" if r["public"] else None,
            "commune": r["commune"],
            "commune_name": network.communes.get(r["commune"]),
            "actors": r["actors"],
            "demand": r["demand"],
            "status": STATUS.get(r["actors"], "couvert"),
            "providers": providers(r["providers"]),
        }
        for r in rows
    ]
    label = network.labels.get
    gaps = []
    for r in weak["gaps"]:
        need_label = label(f"needs/{r['need']}")
        gaps.append(
            _gap(
                "lacune",
                None,
                r["need"],
                r["commune"],
                f"Aucun acteur ne couvre « {need_label} » à {network.communes.get(r['commune'])}.",
            )
        )
    for r in weak["critical_actors"]:
        need_label = label(f"needs/{r['need']}")
        gaps.append(
            _gap(
                "acteur seul",
                r["actor"],
                r["need"],
                r["commune"],
                f"{names[r['actor']]} est le seul acteur à couvrir « {need_label} » à "
                f"{network.communes.get(r['commune'])} : sans lui, c'est une lacune.",
            )
        )
    for actor in weak["articulation_points"]:
        gaps.append(
            _gap(
                "point d'articulation",
                actor,
                None,
                None,
                f"Sans {names[actor]}, le réseau d'orientation se coupe en morceaux.",
            )
        )
    for actor in weak["no_incoming"]:
        gaps.append(
            _gap(
                "jamais orienté vers",
                actor,
                None,
                None,
                f"Aucun acteur n'oriente vers {names[actor]}.",
            )
        )
    for actor in weak["no_outgoing"]:
        gaps.append(
            _gap(
                "n'oriente vers personne",
                actor,
                None,
                None,
                f"{names[actor]} n'oriente vers aucun autre acteur.",
            )
        )
    for r in weak["dead_end_referrals"]:
        needs = ", ".join(r["needs"]) or "tous besoins"
        gaps.append(
            _gap(
                "orientation sans service",
                r["from_actor"],
                None,
                None,
                f"{names[r['from_actor']]} oriente vers {names[r['to_actor']]} "
                f"({needs}), qui n'a aucun service pour ces besoins.",
            )
        )
    # a need no one covers in a commune is a gap above; a parcours is broken where someone
    # does, and a level or a step between two levels is missing
    every = every_parcours(network)
    broken = [p for p in every if p.broken and p.helped]
    broken.sort(
        key=lambda p: (-(network.demand.get((p.need, p.commune)) or 0.0), p.need, p.commune)
    )
    weak["broken_parcours"] = [
        {
            "need": p.need.removeprefix("needs/"),
            "commune": p.commune,
            "missing": p.missing,
            "breaks": [{"from_rank": a, "to_rank": b} for a, b in p.breaks],
            "demand": network.demand.get((p.need, p.commune)),
            "what": what_breaks(p),
        }
        for p in broken
    ]
    for p in broken:
        gaps.append(
            _gap(
                "parcours interrompu",
                None,
                p.need.removeprefix("needs/"),
                p.commune,
                broken_in_words(network, p),
            )
        )
    metrics = actor_metrics(network, weak["critical_actors"], weak["articulation_points"])
    tables = {
        "coverage": coverage_rows,
        "gaps": gaps,
        "actor_metrics": metrics,
        "parcours": parcours_rows(network, every),
    }
    return tables, weak


def _gap(kind: str, actor: str | None, need: str | None, commune: str | None, detail: str):
    return {
        "kind": kind,
        "actor": actor,
        "need": f"needs/{need}" if need else None,
        "commune": commune,
        "detail": detail,
    }
