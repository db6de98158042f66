"""Latency of the live APIs through the served site, on 127.0.0.1 only.

    python benchmarks/api.py [--actors 30000] [--requests 400] [--dist DIR]

Builds a generated network of ``--actors`` (benchmarks/generate.py; or takes ``--dist``), serves
it as ``maillage serve`` does, then asks, one request after another, pages of 50 from
``/api/v1/search/services`` (a random commune of the network, with a random thématique one
time in two) and ``/hsds/services`` (a random page, with a random taxonomy term one time in
two). Prints p50/p95/max for each (target: p95 <= 100 ms).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser import served  # noqa: E402

from benchmarks.generate import generate  # noqa: E402
from maillage.publish.build import build  # noqa: E402


def paths(dist: Path, count: int, seed: int = 0) -> dict[str, list[str]]:
    """The requests, drawn from what the database holds."""
    rng = random.Random(seed)
    db = sqlite3.connect(dist / "maillage.db")
    communes = [r[0] for r in db.execute("SELECT DISTINCT code_insee FROM api_services")]
    thematiques = [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT t.value FROM api_services, json_each(api_services.thematiques) AS t"
        )
    ]
    terms = [r[0] for r in db.execute("SELECT id FROM hsds_taxonomy_terms")]
    services = db.execute("SELECT count(*) FROM hsds_services").fetchone()[0]
    db.close()
    search, hsds = [], []
    for _ in range(count):
        query = f"code_commune={rng.choice(communes)}&size=50"
        if rng.random() < 0.5:
            query += f"&thematiques={rng.choice(thematiques)}"
        search.append(f"/api/v1/search/services?{query}")
        page = rng.randint(1, max(1, services // 50))
        query = f"per_page=50&page={page}"
        if rng.random() < 0.5:
            query = f"per_page=50&taxonomy_term_id={rng.choice(terms)}"
        hsds.append(f"/hsds/services?{query}")
    return {"/api/v1/search/services": search, "/hsds/services": hsds}


def measure(base: str, requests: list[str]) -> list[float]:
    latencies = []
    with httpx.Client(base_url=base, timeout=60) as http:
        for path in requests:
            start = time.perf_counter()
            answer = http.get(path)
            latencies.append(time.perf_counter() - start)
            if answer.status_code != 200:
                raise SystemExit(f"{answer.status_code} {path}: {answer.text[:300]}")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, default=30000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--dist", type=Path, default=None, help="an already published folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="maillage-api-") as tmp:
        dist = args.dist
        if dist is None:
            data, dist = Path(tmp) / "data", Path(tmp) / "dist"
            generate(args.actors, data)
            start = time.perf_counter()
            build(data, dist)
            print(f"build of {args.actors} actors: {time.perf_counter() - start:.1f} s")
        with served(dist) as base:
            for endpoint, requests in paths(dist, args.requests).items():
                measure(base, requests[:10])  # warm the server's processes
                latencies = sorted(measure(base, requests))
                p50 = statistics.median(latencies) * 1000
                p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
                print(
                    f"{endpoint}: {len(latencies)} requests, p50 {p50:.1f} ms, "
                    f"p95 {p95:.1f} ms, max {latencies[-1] * 1000:.1f} ms (page of 50)"
                )


if __name__ == "__main__":
    main()
