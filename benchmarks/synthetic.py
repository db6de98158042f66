"""A deterministic synthetic network, as table rows (the shape of ``graph.tables``).

Local referral networks: actors refer mostly to actors of their own commune or a neighbouring
one, as real networks do. Used by the refer benchmark; the concepts are the default network's.
"""

from __future__ import annotations

import random
from pathlib import Path

from maillage.graph.tables import Tables, add_service_facets
from maillage.graph.vocab import load_vocabulary

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://maillage.example.org/bench"


def concept_rows() -> list[dict]:
    vocab = load_vocabulary(ROOT / "data" / "vocab", BASE)
    from rdflib.namespace import SKOS

    from maillage.graph.ns import MAI

    rows = []
    for concept, (scheme, notation) in sorted(vocab.by_iri.items()):
        broader = vocab.by_iri.get(vocab.graph.value(concept, SKOS.broader))
        pole = vocab.by_iri.get(vocab.graph.value(concept, MAI.pole))
        rows.append(
            {
                "id": f"{scheme}/{notation}",
                "iri": str(concept),
                "scheme": scheme,
                "notation": notation,
                "label": str(vocab.graph.value(concept, SKOS.prefLabel)),
                "broader": f"{broader[0]}/{broader[1]}" if broader else None,
                "pole": f"{pole[0]}/{pole[1]}" if pole else None,
            }
        )
    return rows


def synthetic_tables(
    actors: int, services_per_actor: int = 5, referrals_per_actor: int = 5, seed: int = 0
) -> Tables:
    rng = random.Random(seed)
    levels_rng = random.Random(seed + 1)
    concepts = concept_rows()
    needs = [c["id"] for c in concepts if c["scheme"] == "needs"]
    publics = [c["id"] for c in concepts if c["scheme"] == "publics"]
    communes = max(1, actors // 100)
    tables: Tables = {
        name: []
        for name in (
            "actors",
            "sites",
            "services",
            "referrals",
            "service_sites",
            "service_needs",
            "service_publics",
            "service_competencies",
            "service_modalities",
            "service_support",
            "service_levels",
            "referral_needs",
            "actor_competencies",
        )
    }
    tables["concepts"] = concepts
    per_commune: dict[int, list[str]] = {}
    for i in range(actors):
        actor = f"acteur-{i:06d}"
        commune = i % communes
        per_commune.setdefault(commune, []).append(actor)
        # communes on a grid over mainland France, about 40 km apart
        lat0, lon0 = 43.0 + (commune % 20) * 0.35, -1.5 + (commune // 20) * 0.6
        tables["actors"].append(
            {
                "id": actor,
                "iri": f"{BASE}/actor/{actor}",
                "name": f"Acteur {i}",
                "description": "Acteur synthétique",
                "typology": "typologies/ASSO",
                "pole": "poles/necessite",
                "illustrative": 1,
            }
        )
        sites = []
        for s in range(rng.randint(1, 3)):
            site = f"{actor}-lieu-{s}"
            sites.append(site)
            tables["sites"].append(
                {
                    "id": site,
                    "iri": f"{BASE}/site/{site}",
                    "actor": actor,
                    "name": site,
                    "street": f"{s + 1} rue du Test",
                    "postcode": f"{13000 + commune:05d}",
                    "commune": f"Commune {commune}",
                    "insee": f"{10000 + commune:05d}",
                    "latitude": round(lat0 + rng.uniform(-0.03, 0.03), 5),
                    "longitude": round(lon0 + rng.uniform(-0.03, 0.03), 5),
                    "opening_hours": "Mo-Fr 09:00-12:00",
                    "illustrative": 1,
                }
            )
        for s in range(services_per_actor):
            service = f"{actor}-service-{s}"
            tables["services"].append(
                {
                    "id": service,
                    "iri": f"{BASE}/service/{service}",
                    "name": f"Service {s}",
                    "provider": actor,
                    "fee": "fees/gratuit",
                    "illustrative": 1,
                }
            )
            for site in rng.sample(sites, rng.randint(1, len(sites))):
                tables["service_sites"].append({"service_id": service, "site_id": site})
            for need in rng.sample(needs, rng.randint(1, 2)):
                tables["service_needs"].append({"service_id": service, "concept_id": need})
            for public in rng.sample(publics, rng.randint(0, 2)):
                tables["service_publics"].append({"service_id": service, "concept_id": public})
            # a level of the path to autonomy, from its own generator: the draws above stay
            # those of earlier versions
            level = f"niveaux/{levels_rng.randint(1, 3)}"
            tables["service_levels"].append({"service_id": service, "concept_id": level})
    for commune, members in per_commune.items():
        neighbours = members + per_commune.get((commune + 1) % communes, [])
        for actor in members:
            targets = {
                t
                for t in rng.sample(neighbours, min(len(neighbours), referrals_per_actor + 1))
                if t != actor
            }
            for target in sorted(targets)[:referrals_per_actor]:
                rid = f"{actor}--{target}"
                tables["referrals"].append(
                    {
                        "id": rid,
                        "iri": f"{BASE}/referral/{rid}",
                        "from_actor": actor,
                        "to_actor": target,
                        "channel": "telephone",
                    }
                )
                if rng.random() < 0.5:
                    tables["referral_needs"].append(
                        {"referral_id": rid, "concept_id": rng.choice(needs)}
                    )
    add_service_facets(tables)
    return tables
