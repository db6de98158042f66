"""Printed-guide benchmark: the guides of generated networks.

    python benchmarks/guide.py [--actors 300 2000] [--work /tmp/guide-bench] [--runs 3]

For each size, generates the network (benchmarks/generate.py) and publishes it once, unless
already done in ``--work/N``, then times ``maillage guide --commune INSEE`` as a coordinator
runs it, a new process each time, for the commune with the most places, in the standard and
the large-print edition (``--gros-caracteres``); and the whole network's guide, made or
refused (above 2,500 entries a booklet is refused: a department's guide is one per commune).
Prints the seconds of each run, the pages and the size of each PDF.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from maillage.publish.cli import main; main()"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actors", type=int, nargs="+", default=[300, 2000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/guide-bench"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for actors in args.actors:
        measure(actors, args.work / str(actors), args.runs)


def measure(actors: int, work: Path, runs: int) -> None:
    import pypdf

    data, out = work / "data", work / "dist"
    if not (out / "maillage.db").exists():
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--actors",
             str(actors), "--out", str(data)],
            check=True, capture_output=True,
        )  # fmt: skip
        started = time.perf_counter()
        subprocess.run(
            [*CLI, "build", "--data", str(data), "--out", str(out)], check=True, capture_output=True
        )
        print(f"{actors} actors: build {time.perf_counter() - started:.1f} s")
    with sqlite3.connect(out / "maillage.db") as conn:
        insee, places = conn.execute(
            "SELECT insee, count(*) FROM sites GROUP BY insee ORDER BY 2 DESC, 1 LIMIT 1"
        ).fetchone()
        counted = conn.execute("SELECT count(*) FROM actors").fetchone()[0]
    print(f"{counted} actors; commune {insee}: {places} places")
    for edition in ([], ["--gros-caracteres"]):
        guide = work / f"guide-{insee}{''.join(edition)}.pdf"
        for run in range(1, runs + 1):
            started = time.perf_counter()
            done = subprocess.run(
                [*CLI, "guide", "--data", str(data), "--out", str(out), "--commune", insee,
                 *edition, "-o", str(guide)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            took = time.perf_counter() - started
            name = " ".join(edition) or "standard"
            print(f"  {name} run {run}: {took:.2f} s — {done.stdout.strip()}")
        pages = len(pypdf.PdfReader(guide).pages)
        print(f"  {pages} pages, {guide.stat().st_size // 1024} kB")
    started = time.perf_counter()
    whole = subprocess.run(
        [*CLI, "guide", "--data", str(data), "--out", str(out), "-o", str(work / "all.pdf")],
        capture_output=True, text=True,
    )  # fmt: skip
    said = (whole.stdout if whole.returncode == 0 else whole.stderr).strip().splitlines()[0]
    print(
        f"  whole network: exit {whole.returncode}, {time.perf_counter() - started:.2f} s — {said}"
    )


if __name__ == "__main__":
    main()
