"""Benchmark: the search (`chercher`) through Datasette on a synthetic network (issue 36).

    python benchmarks/search.py [--actors 30000] [--queries 200] [--old COMMIT [--runs 2] [--busy]]

The synthetic network's tables are written as the build writes them (``write_database``), then
the search's index (``write_search_index``, timed: the build time the index adds); then
``--queries`` searches through Datasette's own client, as the site serves them: random words
(actors' names, needs' labels and synonyms, publics, a typo) with a random commune or none, and
p50/p95 are printed. Target: p95 at most 50 ms.

With ``--old COMMIT``, the same benchmark of that commit (its own checkout and venv, made by
``compare.py``'s helpers and checked to import its own code) and of this code run alternately,
each in a fresh process, ``--runs`` times each, one core kept busy meanwhile with ``--busy``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import BASE, ROOT, synthetic_tables  # noqa: E402

from maillage.graph.vocab import load_vocabulary  # noqa: E402
from maillage.publish.build import DEFAULT_METADATA  # noqa: E402
from maillage.publish.search import write_search_index  # noqa: E402
from maillage.publish.site import make_datasette, write_metadata  # noqa: E402
from maillage.publish.sqlite import write_database  # noqa: E402

WORDS = [
    "seniors",
    "démarches",
    "carte grise",
    "CCAS",
    "médiathèque",
    "impots",
    "personnes âgées",
    "emploi",
    "ordinateur",
    "ateliers numériques",
    "fablab",
    "mediatheque miramas",
    "xyzzy",  # a word no place has
    "",
]


async def searches(ds, questions: list[tuple[str, str]]) -> list[float]:
    times = []
    for q, commune in questions:
        start = time.perf_counter()
        response = await ds.client.get(
            "/maillage/chercher.json",
            params={"q": q, "commune": commune, "besoin": "", "public": "", "_shape": "array"},
        )
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"chercher failed: {response.status_code} {response.text[:300]}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, default=30000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--old", help="also measure this commit, alternately with this code")
    parser.add_argument("--runs", type=int, default=2, help="runs of each side with --old")
    parser.add_argument("--busy", action="store_true", help="keep one core busy (with --old)")
    args = parser.parse_args()
    if args.old:
        return against(args)
    tables = synthetic_tables(args.actors, services_per_actor=3)
    vocab = load_vocabulary(ROOT / "data" / "vocab", BASE)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        start = time.perf_counter()
        write_database(tables, out / "maillage.db")
        database = time.perf_counter() - start
        start = time.perf_counter()
        counts = write_search_index(out / "maillage.db", tables, vocab, {"communes": []})
        index = time.perf_counter() - start
        write_metadata(DEFAULT_METADATA, out)
        print(
            f"{len(tables['actors'])} actors, {len(tables['sites'])} places: database "
            f"{database:.1f} s, search index {index:.1f} s more ({counts['recherche']} rows, "
            f"{counts['communes']} communes)"
        )
        rng = random.Random(1)
        names = [a["name"] for a in rng.sample(tables["actors"], min(50, len(tables["actors"])))]
        communes = sorted({s["commune"] for s in tables["sites"]})
        questions = [
            (rng.choice(WORDS + names), rng.choice(["", *communes])) for _ in range(args.queries)
        ]
        ds = make_datasette(out)
        times = asyncio.run(searches(ds, questions))
        ms = [t * 1000 for t in times]
        p95 = statistics.quantiles(ms, n=20)[-1]
        print(
            f"chercher through Datasette, {len(ms)} searches: p50 {statistics.median(ms):.1f} ms, "
            f"p95 {p95:.1f} ms, max {max(ms):.1f} ms (target p95 50 ms)"
        )


FIGURES = re.compile(r"p50 ([0-9.]+) ms, p95 ([0-9.]+) ms")


def against(args: argparse.Namespace) -> None:
    """This benchmark of ``args.old`` and of this checkout, alternately, in fresh processes."""
    from compare import busy, checked_sides, clean_env

    work = Path("/tmp/maillage-compare")
    [old], _ = checked_sides({"old": args.old}, work)
    own = [sys.executable, str(Path(__file__).resolve())]
    theirs = [str(old.python), str(old.checkout / "benchmarks" / "search.py")]
    common = ["--actors", str(args.actors), "--queries", str(args.queries)]
    figures: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
    with busy(args.busy):
        for run in range(args.runs):
            for name, argv in (("old", theirs), ("new", own)):
                done = subprocess.run(
                    argv + common, env=clean_env(), capture_output=True, text=True
                )
                found = FIGURES.search(done.stdout)
                if found is None:
                    raise SystemExit(f"{name}: no figures in\n{done.stdout}{done.stderr}")
                figures[name].append((float(found[1]), float(found[2])))
                for line in done.stdout.strip().splitlines():
                    print(f"run {run + 1} {name}: {line}", flush=True)
    print(
        f"\n{args.actors} actors, {args.queries} searches, {old.commit[:9]} (old) against this "
        f"code, best of {args.runs}{', one core kept busy' * args.busy}"
    )
    for name in ("old", "new"):
        p50 = min(f[0] for f in figures[name])
        p95 = min(f[1] for f in figures[name])
        print(f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
