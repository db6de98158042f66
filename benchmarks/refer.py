"""Benchmark: the `orienter` canned query on a synthetic network, asked as `maillage refer`
asks it (``connection.ask``) and through Datasette's client as the site does. Prints figures;
target < 100 ms per query.

    python benchmarks/refer.py [--actors 30000] [--queries 200]
    python benchmarks/refer.py --command [--actors 2000] [--queries 5] [--work DIR]

``--command`` measures the ``maillage refer`` command itself, as a partner runs it: a network
from ``generate.py`` built once by ``maillage build`` (kept in ``--work``), then each query in
a fresh process, its wall time and peak resident memory (``getrusage`` of the children of a
wrapper) printed; the issue's target is at most 0.5 s and 100 MB at 2,000 actors. Beside it,
the same questions asked of the published database through the site's own canned query
(``maillage.publish.connection.ask``), each in a fresh process too: what the command would take
if it asked the database as the site does.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
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
from maillage.publish.connection import ask  # noqa: E402
from maillage.publish.search import write_search_index  # noqa: E402
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


# a fresh interpreter that runs one command and prints its time and its children's peak (kB)
WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "seconds = time.perf_counter() - start\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(done.returncode, seconds, peak)\n"
)

# one question asked of the published database as the site asks it, in a fresh process
ASK = (
    "import sys; from pathlib import Path; from maillage.publish.connection import ask\n"
    "ask(Path(sys.argv[1]), 'orienter', {'actor': sys.argv[2], 'need': sys.argv[3]})\n"
)


def command_figures(actors: int, queries: int, work: Path) -> None:
    """Time and peak memory of ``maillage refer`` on a generated, built network."""
    maillage = str(Path(sys.executable).parent / "maillage")
    data, dist = work / f"data-{actors}", work / f"dist-{actors}"
    if not (dist / "maillage.db").exists():
        generate = Path(__file__).resolve().parent / "generate.py"
        subprocess.run(
            [sys.executable, str(generate), "--actors", str(actors), "--out", str(data)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [maillage, "build", "--data", str(data), "--out", str(dist)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    with sqlite3.connect(f"file:{dist / 'maillage.db'}?mode=ro", uri=True) as db:
        ids = [row[0] for row in db.execute("SELECT id FROM actors ORDER BY id")]
        needs = [row[0] for row in db.execute("SELECT DISTINCT need FROM offers ORDER BY need")]
    rng = random.Random(1)
    pairs = [(rng.choice(ids), rng.choice(needs).removeprefix("needs/")) for _ in range(queries)]
    refer_argv = [
        [maillage, "refer", "--from", actor, "--need", need, "--format", "json"]
        + ["--data", str(data), "--out", str(dist)]
        for actor, need in pairs
    ]
    ask_argv = [[sys.executable, "-c", ASK, str(dist), actor, need] for actor, need in pairs]
    for name, commands in (("maillage refer", refer_argv), ("orienter (ask)", ask_argv)):
        seconds, peaks = [], []
        for argv in commands:
            done = subprocess.run(
                [sys.executable, "-c", WRAPPER, *argv], capture_output=True, text=True, check=True
            )
            code, took, peak = done.stdout.split()
            if code != "0":
                raise SystemExit(f"{name} failed: {argv}")
            seconds.append(float(took))
            peaks.append(int(peak) / 1024)
        print(
            f"{name}, {actors} actors, {queries} queries (a process each): "
            f"mean {statistics.mean(seconds):.2f} s, best {min(seconds):.2f} s, "
            f"worst {max(seconds):.2f} s; peak {max(peaks):.0f} MB "
            f"(target: 0.5 s, 100 MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actors", type=int, default=30000)
    parser.add_argument("--services-per-actor", type=int, default=5)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--command", action="store_true", help="time maillage refer itself")
    parser.add_argument("--work", type=Path, default=Path("/tmp/maillage-refer"))
    args = parser.parse_args()
    if args.command:
        args.work.mkdir(parents=True, exist_ok=True)
        command_figures(args.actors, args.queries, args.work)
        return

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
        vocab = load_vocabulary(ROOT / "data" / "vocab", BASE)
        write_search_index(out / "maillage.db", tables, vocab, {"communes": []})
        write_metadata(DEFAULT_METADATA, out)
        print(f"SQLite written in {time.perf_counter() - start:.1f} s")
        rng = random.Random(1)
        actors = sorted(a["id"] for a in tables["actors"])
        needs = sorted(c["id"] for c in tables["concepts"] if c["scheme"] == "needs")
        pairs = [(rng.choice(actors), rng.choice(needs)) for _ in range(args.queries)]
        start = time.perf_counter()
        listed = [
            len(ask(out, "orienter", {"actor": a, "need": n.removeprefix("needs/")}))
            for a, n in pairs
        ]
        asked = (time.perf_counter() - start) / len(pairs)
        print(f"{args.queries} queries, {statistics.mean(listed):.0f} providers listed on average")
        print(f"orienter (ask, as maillage refer) mean {asked * 1000:7.1f} ms")
        ds = make_datasette(out)
        print(figures("orienter (SQL, Datasette)", asyncio.run(sql_times(ds, pairs))))


if __name__ == "__main__":
    main()
