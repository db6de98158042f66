"""Load benchmark of the pages the page cache cannot answer: drive the served site on 127.0.0.1.

    python benchmarks/uncached.py [--clients 50] [--seconds 15] [--dist dist] [--kind all]
                                  [--old COMMIT [--runs 2] [--busy]]

Starts the site on the published folder (built first if missing) exactly as `maillage serve`
does, then runs N concurrent clients for a bounded time on URLs that miss the page cache
(``publish/pagecache.py`` keys on the path and query): every request carries a query parameter
of its own (``_n=<counter>``, which Datasette ignores), as a crawler's or an attacker's would.
The pages are what partners load: an actor's page, an ``orienter`` answer, a ``qui_aide``
answer, and a full-text search of the services, all HTML. Prints requests per second,
p50/p95/p99 latency and errors (which must be zero), overall and per kind of page.

The search is the page the home page's box opens: ``chercher`` (random words and communes);
a commit without it is asked its services table's full-text search, its box's page then.
With ``--old COMMIT``, that commit's site (its own checkout and venv, made by ``compare.py``'s
helpers and checked to import its own code, serving its own build of its own default network)
and this one are loaded alternately, ``--runs`` times each, one core kept busy with ``--busy``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser import served  # noqa: E402

from maillage.publish.build import build, is_stale  # noqa: E402

SEARCHES = ["demarches", "numerique", "seniors", "emploi", "fablab", "atelier", "France"]
COMMUNES = ["", "Miramas", "13500", "Martigues", "13140"]
COUNTER = itertools.count()


def kinds(actors: list[str], needs: list[str], publics: list[str], chercher: bool = True) -> dict:
    """Each kind of page, as a function that makes one of its addresses."""
    return {
        "fiche": lambda: f"/maillage/actors/{random.choice(actors)}",
        "orienter": lambda: (
            f"/maillage/orienter?actor={random.choice(actors)}"
            f"&need={random.choice(needs)}&public=&commune="
        ),
        "qui_aide": lambda: (
            f"/maillage/qui_aide?need={random.choice(needs)}"
            f"&public={random.choice(publics)}&commune=&ouvert="
        ),
        "recherche": (
            lambda: (
                f"/maillage/chercher?q={random.choice(SEARCHES)}&commune={random.choice(COMMUNES)}"
            )
        )
        if chercher
        else (lambda: f"/maillage/services?_search={random.choice(SEARCHES)}"),
    }


def uncached(address: str) -> str:
    return f"{address}{'&' if '?' in address else '?'}_n={next(COUNTER)}"


async def client(base: str, mix: dict, deadline: float, latencies: dict, errors: list) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.perf_counter() < deadline:
            kind = random.choice(list(mix))
            path = uncached(mix[kind]())
            start = time.perf_counter()
            try:
                response = await http.get(path)
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {path}")
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__} {path}")
            latencies[kind].append(time.perf_counter() - start)


async def _column(http: httpx.AsyncClient, address: str, column: str) -> list[str]:
    return [row[column] for row in (await http.get(address)).json()]


async def run(base: str, clients: int, seconds: float, kind: str) -> tuple[dict, list, float]:
    async with httpx.AsyncClient(base_url=base) as http:
        actors = await _column(http, "/maillage/actors.json?_shape=array&_col=id&_size=max", "id")
        concepts = "/maillage/concepts.json?_shape=array&_size=max&scheme="
        needs = await _column(http, concepts + "needs", "notation")
        publics = ["", *await _column(http, concepts + "publics", "notation")]
        chercher = (await http.get("/maillage/chercher.json?q=&commune=")).status_code == 200
    mix = kinds(actors, needs, publics, chercher)
    if kind != "all":
        mix = {kind: mix[kind]}
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(client(base, mix, deadline, latencies, errors) for _ in range(clients)))
    return latencies, errors, time.perf_counter() - start


def figures(seconds: list[float], elapsed: float) -> str:
    ms = sorted(x * 1000 for x in seconds)

    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, int(len(ms) * p))]

    return (
        f"{len(ms) / elapsed:.1f} req/s, p50 {pct(0.50):.0f} ms, p95 {pct(0.95):.0f} ms, "
        f"p99 {pct(0.99):.0f} ms, mean {statistics.mean(ms):.0f} ms ({len(ms)} requests)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument(
        "--kind", choices=("all", "fiche", "orienter", "qui_aide", "recherche"), default="all"
    )
    parser.add_argument("--old", help="also load this commit's site, alternately with this one")
    parser.add_argument("--runs", type=int, default=2, help="runs of each side with --old")
    parser.add_argument("--busy", action="store_true", help="keep one core busy (with --old)")
    args = parser.parse_args()
    if not 1 <= args.clients <= 200 or not 0 < args.seconds <= 120:
        raise SystemExit("bounded load only: 1-200 clients, at most 120 seconds")
    if is_stale(args.data, args.dist):
        build(args.data, args.dist)
    if args.old:
        return against(args)
    random.seed(0)
    errors = measure(args.dist.resolve(), None, args)
    if errors:
        raise SystemExit(1)


def measure(dist: Path, python: str | None, args: argparse.Namespace, label: str = "") -> list:
    """Load the site of ``dist`` (served by ``python``, this one by default) and print."""
    with served(dist, python) as base:
        latencies, errors, elapsed = asyncio.run(run(base, args.clients, args.seconds, args.kind))
    every = [x for values in latencies.values() for x in values]
    print(f"{label}uncached pages ({args.kind}), {args.clients} clients, {elapsed:.1f} s")
    print(f"{label}all: {figures(every, elapsed)}")
    for kind, values in sorted(latencies.items()):
        print(f"{label}  {kind}: {figures(values, elapsed)}")
    print(f"{label}errors: {len(errors)}")
    for error in sorted(set(errors))[:10]:
        print(f"{label}  {error}")
    return errors


def against(args: argparse.Namespace) -> None:
    """This site and ``args.old``'s, alternately (see the module's doc)."""
    import subprocess

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from compare import busy, checked_sides, clean_env

    work = Path("/tmp/maillage-compare")
    [old], neutral = checked_sides({"old": args.old}, work)
    old_dist = work / f"uncached-dist-{old.commit[:9]}"
    argv = [str(old.maillage), "build", "--data", str(old.checkout / "data")]
    subprocess.run(
        [*argv, "--out", str(old_dist)],
        env=clean_env(),
        cwd=neutral,
        check=True,
        capture_output=True,
    )
    failed = []
    with busy(args.busy):
        for run_number in range(args.runs):
            for name, dist, python in (
                ("old", old_dist, str(old.python)),
                ("new", args.dist.resolve(), None),
            ):
                random.seed(run_number)
                failed += measure(dist, python, args, f"run {run_number + 1} {name}: ")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
