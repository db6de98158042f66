"""Write a deterministic synthetic national network as a data folder ``maillage build`` takes.

    python benchmarks/generate.py --actors 30000 --out /tmp/national [--defects 0.01] [--seed 0]

Shape, after the national cartography (about 18,000 places) and data·inclusion (about 90,000
services): each actor has 1 to 3 sites in its commune, 3 to 10 services over the needs,
publics, modalities and competencies schemes, and about 5 referrals, mostly to actors of its
own or a neighbouring commune, as real local networks do. Communes have real-looking names,
INSEE codes and postcodes, spread over mainland France.

``--defects R`` injects, into a fraction R of the actors, one mistake each that the SHACL
shapes catch (bad postcode, unknown need, latitude out of range, bad e-mail, a service at
another actor's site, a referral to an unknown actor...). The injected defects are listed in
``defects.json`` beside the data, so a test can check that every one of them is reported.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from maillage.graph.vocab import load_vocabulary  # noqa: E402

BASE = "https://maillage.example.org/reseau/national"
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

_FIRST = ("Saint", "Sainte", "Mont", "Villa", "Château", "Bourg", "Pont", "Val", "Fontaine")
_ROOTS = (
    "Aubin",
    "Roch",
    "Marc",
    "Cerne",
    "Lun",
    "Berre",
    "Garde",
    "Mure",
    "Ville",
    "Bonne",
    "Serre",
    "Roque",
    "Vern",
    "Paul",
    "Orbe",
    "Lande",
)
_ENDS = ("", "-sur-Mer", "-sur-Loire", "-en-Provence", "-le-Vieux", "-les-Bains", "-d'Azur")
_KINDS = (
    ("ASSO", "Association"),
    ("MUNI", "Mairie"),
    ("CCAS", "CCAS"),
    ("BIB", "Médiathèque"),
    ("CS", "Centre social"),
    ("RFS", "France services"),
    ("ML", "Mission locale"),
    ("TIERS_LIEUX", "Tiers-lieu"),
)
_POLES = ("necessite", "accomplissement", "loisir-mediation")
_HOURS = ("Mo-Fr 09:00-12:00,14:00-17:00", "Mo-Sa 10:00-18:00", "Tu,Th 14:00-18:00")
_CHANNELS = ("telephone", "courriel", "en-personne", "plateforme")
DEFECTS = (
    "postcode",
    "need",
    "latitude",
    "email",
    "foreign-site",
    "unknown-referral",
    "opening-hours",
    "long-name",
)


def communes(count: int, rng: random.Random) -> list[dict]:
    """Real-looking communes on mainland France, departments 01 to 95 (20 excluded)."""
    departments = [d for d in range(1, 96) if d != 20]
    seen: set[str] = set()
    rows = []
    for i in range(count):
        department = departments[i % len(departments)]
        name = f"{rng.choice(_FIRST)}-{rng.choice(_ROOTS)}{rng.choice(_ENDS)}"
        if name in seen:  # about a thousand combinations: larger networks number them
            name = f"{name} {i}"
        seen.add(name)
        number = i // len(departments) + 1
        rows.append(
            {
                "name": name,
                "insee": f"{department:02d}{number:03d}",
                "postcode": f"{department:02d}{(number * 10) % 1000:03d}",
                # mainland France, departments laid out west to east
                "latitude": 43.0 + rng.uniform(0, 7.5),
                "longitude": -1.5 + 9.0 * departments.index(department) / len(departments),
            }
        )
    return rows


def concept_notations() -> dict[str, list[str]]:
    vocab = load_vocabulary(ROOT / "data" / "vocab", BASE)
    notations: dict[str, list[str]] = {}
    for scheme, notation in sorted(vocab.by_iri.values()):
        if scheme == "competencies" and "." not in notation:
            continue  # DigComp areas: services and actors name competences
        notations.setdefault(scheme, []).append(notation)
    return notations


def generate(
    actors: int, out: Path | str, defects: float = 0.0, seed: int = 0, levels: bool = True
) -> dict:
    """Write the network into ``out`` (replaced if present); return a summary."""
    rng = random.Random(seed)
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    (out / "actors").mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "vocab", out / "vocab")
    concepts = concept_notations()
    places = communes(max(1, actors // 12), rng)
    ids = [f"acteur-{i:06d}" for i in range(actors)]
    by_commune: dict[int, list[int]] = {}
    home = [rng.randrange(len(places)) for _ in ids]
    for i, c in enumerate(home):
        by_commune.setdefault(c, []).append(i)
    injected: list[dict] = []
    counts = {"actors": actors, "sites": 0, "services": 0, "referrals": 0}
    for i, actor_id in enumerate(ids):
        place = places[home[i]]
        doc, sites = _actor(actor_id, i, place, concepts, rng, levels)
        doc["referrals"] = _referrals(i, ids, home, by_commune, len(places), concepts, rng)
        if defects and rng.random() < defects:
            kind = rng.choice(DEFECTS)
            _inject(kind, doc, ids, rng)
            injected.append({"actor": actor_id, "defect": kind})
        counts["sites"] += len(sites)
        counts["services"] += len(doc["services"])
        counts["referrals"] += len(doc["referrals"])
        with open(out / "actors" / f"{actor_id}.yaml", "w", encoding="utf-8") as fh:
            yaml.dump(doc, fh, Dumper=DUMPER, allow_unicode=True, sort_keys=False, width=100)
    meta = {
        "id": "national",
        "name": "Réseau national synthétique de l'inclusion numérique",
        "description": f"Réseau synthétique de {actors} acteurs, généré pour les mesures.",
        "base": BASE,
        "licence": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "publisher": "maillage (données de test)",
        "contact": "contact@maillage.example.org",
        "site": "http://127.0.0.1:8001",
        "communes": [{"insee": p["insee"], "name": p["name"]} for p in places],
    }
    (out / "network.yaml").write_text(
        yaml.dump(meta, Dumper=DUMPER, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    (out / "defects.json").write_text(json.dumps(injected, indent=1), encoding="utf-8")
    counts["defects"] = len(injected)
    counts["communes"] = len(places)
    return counts


def _actor(
    actor_id: str,
    i: int,
    place: dict,
    concepts: dict[str, list[str]],
    rng: random.Random,
    levels: bool = True,
) -> tuple[dict, list[str]]:
    typology, kind = rng.choice(_KINDS)
    doc: dict = {
        "name": f"{kind} {place['name']} n°{i}",
        "description": f"{kind} qui accompagne les habitants de {place['name']} dans leurs "
        "usages numériques.",
        "typology": typology,
        "pole": rng.choice(_POLES),
        "url": f"https://acteur-{i}.example.org",
        "email": f"contact@acteur-{i}.example.org",
        "telephone": f"+334{rng.randint(10000000, 99999999)}",
        "illustrative": True,
        "competencies": sorted(rng.sample(concepts["competencies"], rng.randint(0, 3))),
        "sites": [],
        "services": [],
    }
    sites = []
    for s in range(rng.randint(1, 3)):
        site_id = f"{actor_id}-lieu-{s}"
        sites.append(site_id)
        doc["sites"].append(
            {
                "id": site_id,
                "name": f"{kind} {place['name']}, lieu {s + 1}",
                "street": f"{rng.randint(1, 120)} rue de la République",
                "postcode": place["postcode"],
                "commune": place["name"],
                "insee": place["insee"],
                "latitude": round(place["latitude"] + rng.uniform(-0.02, 0.02), 5),
                "longitude": round(place["longitude"] + rng.uniform(-0.02, 0.02), 5),
                "opening_hours": rng.choice(_HOURS),
                "illustrative": True,
            }
        )
    for s in range(rng.randint(3, 10)):
        need = rng.sample(concepts["needs"], rng.randint(1, 2))
        service = {
            "id": f"{actor_id}-service-{s}",
            "name": f"Accompagnement {s + 1} : {need[0].replace('-', ' ')}",
            "sites": sorted(rng.sample(sites, rng.randint(1, len(sites)))),
            "needs": need,
            "publics": rng.sample(concepts["publics"], rng.randint(1, 2)),
            "modalities": rng.sample(concepts["modalities"], 1),
            "fee": rng.choice(concepts["fees"]),
        }
        if rng.random() < 0.4:
            service["competencies"] = rng.sample(concepts["competencies"], 1)
        if levels and (i + s) % 4 == 0:
            # one service in four states its level; the others get it from their modality.
            # Chosen without the generator, so that the other draws stay those of before.
            service["levels"] = [1 + (i + s) % 3]
        doc["services"].append(service)
    if not doc["competencies"]:
        del doc["competencies"]
    return doc, sites


def _referrals(
    i: int,
    ids: list[str],
    home: list[int],
    by_commune: dict[int, list[int]],
    n_communes: int,
    concepts: dict[str, list[str]],
    rng: random.Random,
) -> list[dict]:
    c = home[i]
    near = [j for k in (c, (c + 1) % n_communes) for j in by_commune.get(k, []) if j != i]
    targets = set(rng.sample(near, min(len(near), rng.randint(3, 6))))
    while len(targets) < 5 and len(ids) > 6:  # a few farther partners, as in real networks
        j = rng.randrange(len(ids))
        if j != i:
            targets.add(j)
    rows = []
    for j in sorted(targets):
        row: dict = {"to": ids[j], "channel": rng.choice(_CHANNELS)}
        if rng.random() < 0.5:
            row["needs"] = [rng.choice(concepts["needs"])]
        rows.append(row)
    return rows


def _inject(kind: str, doc: dict, ids: list[str], rng: random.Random) -> None:
    site, service = doc["sites"][0], doc["services"][0]
    if kind == "postcode":
        site["postcode"] = site["postcode"][:4]
    elif kind == "need":
        service["needs"] = ["besoin-inexistant"]
    elif kind == "latitude":
        site["latitude"] = 123.4
    elif kind == "email":
        doc["email"] = "pas-un-courriel"
    elif kind == "foreign-site":
        other = ids[(ids.index(doc["sites"][0]["id"].split("-lieu-")[0]) + 1) % len(ids)]
        service["sites"] = [f"{other}-lieu-0"]
    elif kind == "unknown-referral":
        doc["referrals"].append({"to": "acteur-inconnu", "channel": "telephone"})
    elif kind == "opening-hours":
        site["opening_hours"] = "lundi matin"
    elif kind == "long-name":
        service["name"] = "x" * 250


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--defects", type=float, default=0.0, help="share of actors, 0 to 1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-levels",
        action="store_true",
        help="no service states its levels (data an earlier maillage reads)",
    )
    args = parser.parse_args(argv)
    summary = generate(args.actors, args.out, args.defects, args.seed, not args.no_levels)
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
