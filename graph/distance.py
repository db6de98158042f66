"""Distances on the Earth between records' positions, and the check that each commune's centre
(``network.yaml``) lies among its places: the search and the orienter measure from it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from maillage.graph.errors import DataError
from maillage.graph.load import Network

EARTH = 6_371_000  # metres, the mean radius
FAR = 10_000  # metres: a centre farther than this from every place of its commune is doubtful


def metres(a: Mapping[str, Any], b: Mapping[str, Any]) -> float | None:
    """The great-circle distance between two mappings' ``latitude``/``longitude`` (haversine),
    None when either has no position."""
    try:
        lat1, lon1, lat2, lon2 = (
            math.radians(float(v))
            for v in (a["latitude"], a["longitude"], b["latitude"], b["longitude"])
        )
    except (KeyError, TypeError, ValueError):
        return None
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH * math.asin(min(1.0, math.sqrt(h)))


def distant_centres(network: Network) -> list[DataError]:
    """Warnings, located, for each commune whose ``centre`` is more than FAR from every place
    of the network in that commune (a slip of a digit, or the centre of another town)."""
    places: dict[str, list[Mapping[str, Any]]] = {}
    for site in network.of_kind("site"):
        if site.values.get("latitude") is not None:
            places.setdefault(str(site.values.get("insee")), []).append(site.values)
    warnings = []
    for commune in network.meta.get("communes") or []:
        if not isinstance(commune, Mapping) or not isinstance(commune.get("centre"), Mapping):
            continue
        around = [metres(commune["centre"], p) for p in places.get(str(commune["insee"]), [])]
        around = [m for m in around if m is not None]
        if around and min(around) > FAR:
            lines = getattr(commune, "lines", {})
            warnings.append(
                DataError(
                    file="network.yaml",
                    line=lines.get("centre", getattr(commune, "line", None)),
                    record=f"commune {commune['insee']}",
                    field="centre",
                    message=f"attention, le centre de {commune.get('name')} est à "
                    f"{min(around) / 1000:.0f} km de son lieu le plus proche : une recherche "
                    "« près de cette commune » mesurerait les distances de là ; vérifiez la "
                    "latitude et la longitude",
                    value=f"{commune['centre'].get('latitude')}, "
                    f"{commune['centre'].get('longitude')}",
                )
            )
    return warnings
