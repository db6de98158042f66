"""Load benchmark: drive the served site from this process, on 127.0.0.1 only.

    python benchmarks/load.py [--clients 50] [--seconds 20] [--dist dist] [--mix pages|data]

Starts `datasette serve` on the published folder (built first if missing) exactly as
`maillage serve` does, then runs N concurrent clients for a bounded time. The ``pages`` mix is
what partners load (issue 22's measure): the home page, an actor's page and an `orienter`
answer, as HTML. The ``data`` mix is what open-data users load: table pages, full-text search,
the flat view's facets and the `orienter` query as JSON. Prints requests per second,
p50/p95/p99 latency and the number of errors, which must be zero.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser import served  # noqa: E402

from maillage.publish.build import build, is_stale  # noqa: E402

SEARCHES = ["demarches", "numerique", "seniors", "emploi", "fablab", "atelier", "France"]


def pages_mix(actors: list[str], needs: list[str]) -> list:
    return [
        lambda: "/",
        lambda: f"/maillage/actors/{random.choice(actors)}",
        lambda: (
            f"/maillage/orienter?actor={random.choice(actors)}"
            f"&need={random.choice(needs)}&public=&commune="
        ),
    ]


def requests_mix(actors: list[str], needs: list[str]) -> list:
    return [
        lambda: "/maillage/actors",
        lambda: "/maillage/services.json?_size=50",
        lambda: f"/maillage/services?_search={random.choice(SEARCHES)}",
        lambda: "/maillage/qui_fait_quoi_ou.json?_facet=commune&_facet=need&_size=20",
        lambda: (
            f"/maillage/orienter.json?actor={random.choice(actors)}"
            f"&need={random.choice(needs)}&public=&commune=&_shape=array"
        ),
        lambda: f"/maillage/actors/{random.choice(actors)}",
    ]


async def client(base: str, mix: list, deadline: float, latencies: list, errors: list) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.perf_counter() < deadline:
            path = random.choice(mix)()
            start = time.perf_counter()
            try:
                response = await http.get(path)
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {path}")
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__} {path}")
            latencies.append(time.perf_counter() - start)


async def run(
    base: str, clients: int, seconds: float, mix_name: str = "pages"
) -> tuple[list, list, float]:
    async with httpx.AsyncClient(base_url=base) as http:
        actors = [
            r["id"]
            for r in (await http.get("/maillage/actors.json?_shape=array&_col=id&_size=max")).json()
        ]
        needs = [
            r["notation"]
            for r in (
                await http.get("/maillage/concepts.json?scheme=needs&_shape=array&_size=max")
            ).json()
        ]
    mix = (pages_mix if mix_name == "pages" else requests_mix)(actors, needs)
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(client(base, mix, deadline, latencies, errors) for _ in range(clients)))
    return latencies, errors, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--mix", choices=("pages", "data"), default="pages")
    args = parser.parse_args()
    if not 1 <= args.clients <= 200 or not 0 < args.seconds <= 120:
        raise SystemExit("bounded load only: 1-200 clients, at most 120 seconds")
    if is_stale(args.data, args.dist):
        build(args.data, args.dist)
    random.seed(0)
    with served(args.dist.resolve()) as base:
        latencies, errors, elapsed = asyncio.run(run(base, args.clients, args.seconds, args.mix))
    ms = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, int(len(ms) * p))]

    print(f"{args.mix} mix, {args.clients} clients, {elapsed:.1f} s, {len(ms)} requests")
    print(f"requests per second: {len(ms) / elapsed:.1f}")
    print(
        f"latency: p50 {pct(0.50):.1f} ms, p95 {pct(0.95):.1f} ms, p99 {pct(0.99):.1f} ms, "
        f"mean {statistics.mean(ms):.1f} ms"
    )
    print(f"errors: {len(errors)}")
    for error in sorted(set(errors))[:10]:
        print(f"  {error}")
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
