"""Benchmark: `refer` (networkx) and the `orienter` canned query (SQL through Datasette's
client) on a synthetic network. Prints figures; target < 100 ms per query.

    python benchmarks/refer.py [--actors 30000] [--queries 200]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic_tables  # noqa: E402

from maillage.graph.network import ReferralNetwork, refer  # noqa: E402
from maillage.publish.build import DEFAULT_METADATA  # noqa: E402
from maillage.publish.site import make_datasette, write_metadata  # noqa: E402
from maillage.publish.sqlite import write_database  # noqa: E402


def figures(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return (
        f"{name:<28} mean {statistics.mean(ms):7.1f} ms   p50 {statistics.median(ms):7.1f} ms"
        f"   p95 {p95:7.1f} ms   max {ms[-1]:7.1f} ms"
    )


async def sql_times(ds, pairs) -> list[float]:
    times = []
    for actor, need in pairs:
        start = time.perf_counter()
        response = await ds.client.get(
            "/maillage/orienter.json",
            params={
                "actor": actor,
                "need": need.removeprefix("needs/"),
                "public": "",
                "commune": "",
                "_shape": "array",
            },
        )
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"orienter failed: {response.status_code} {response.text[:300]}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actors", type=int, default=30000)
    parser.add_argument("--services-per-actor", type=int, default=5)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    start = time.perf_counter()
    tables = synthetic_tables(args.actors, args.services_per_actor)
    print(
        f"synthetic network: {len(tables['actors'])} actors, {len(tables['services'])} services,"
        f" {len(tables['referrals'])} referrals, {len(tables['sites'])} sites"
        f" ({time.perf_counter() - start:.1f} s)"
    )
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        start = time.perf_counter()
        write_database(tables, out / "maillage.db")
        write_metadata(DEFAULT_METADATA, out)
        print(f"SQLite written in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        network = ReferralNetwork.from_tables(tables)
        print(f"networkx network built in {time.perf_counter() - start:.1f} s")

        rng = random.Random(1)
        actors = sorted(network.graph)
        pairs = [(rng.choice(actors), rng.choice(network.needs)) for _ in range(args.queries)]
        nx_times, results = [], []
        for actor, need in pairs:
            t = time.perf_counter()
            results.append(len(refer(network, actor, need)))
            nx_times.append(time.perf_counter() - t)
        print(f"{args.queries} queries, {statistics.mean(results):.0f} providers listed on average")
        print(figures("refer (networkx)", nx_times))
        ds = make_datasette(out)
        print(figures("orienter (SQL, Datasette)", asyncio.run(sql_times(ds, pairs))))


if __name__ == "__main__":
    main()
