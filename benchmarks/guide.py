"""Printed-guide benchmark: one commune's guide of a generated national network.

    python benchmarks/guide.py [--actors 30000] [--work /tmp/guide-bench] [--runs 3]

Generates the network (benchmarks/generate.py) and publishes it once, unless already done in
``--work``, then times ``maillage guide --commune INSEE`` as a coordinator runs it, a new
process each time, for the commune with the most places; and checks that the whole network's
guide is refused. Prints the seconds of each run, the pages and the size of the PDF.
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
    parser.add_argument("--actors", type=int, default=30000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/guide-bench"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data, out = args.work / "data", args.work / "dist"
    if not (out / "maillage.db").exists():
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--actors",
             str(args.actors), "--out", str(data)],
            check=True,
        )  # fmt: skip
        started = time.perf_counter()
        subprocess.run([*CLI, "build", "--data", str(data), "--out", str(out)], check=True)
        print(f"build: {time.perf_counter() - started:.1f} s")
    with sqlite3.connect(out / "maillage.db") as conn:
        insee, places = conn.execute(
            "SELECT insee, count(*) FROM sites GROUP BY insee ORDER BY 2 DESC, 1 LIMIT 1"
        ).fetchone()
        actors = conn.execute("SELECT count(*) FROM actors").fetchone()[0]
    print(f"{actors} actors; commune {insee}: {places} places")
    guide = args.work / f"guide-{insee}.pdf"
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        done = subprocess.run(
            [*CLI, "guide", "--data", str(data), "--out", str(out), "--commune", insee,
             "-o", str(guide)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        print(f"run {run}: {time.perf_counter() - started:.2f} s — {done.stdout.strip()}")
    import pypdf

    print(f"{len(pypdf.PdfReader(guide).pages)} pages, {guide.stat().st_size // 1024} kB")
    whole = subprocess.run(
        [*CLI, "guide", "--data", str(data), "--out", str(out), "-o", str(args.work / "all.pdf")],
        capture_output=True, text=True,
    )  # fmt: skip
    print(f"whole network: exit {whole.returncode} — {whole.stderr.strip()}")


if __name__ == "__main__":
    main()
