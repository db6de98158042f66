"""Benchmark: a national file merged into a network that already holds it (issue 35).

    python benchmarks/merge.py [--places 30000] [--work DIR]

A lieux de médiation numérique file of ``--places`` places (the standard's example row, each
place its own id, name and position, spread over 60 communes) is imported into an empty folder,
then next month's file (a tenth of the places with new hours, one in a hundred renamed, one in
a hundred gone) is imported into the result: the re-import merges field by field. Each import
runs as ``maillage import`` in a fresh process; its wall time and peak resident memory
(``getrusage`` of the child) are printed, and the re-import's report line.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "standards" / "lieux-mediation-numerique" / "exemple-valide.csv"


def write_places(path: Path, count: int, month: int) -> None:
    """``count`` places; ``month`` 1 is the first file, 2 the next month's."""
    row = next(csv.DictReader(EXAMPLE.open(encoding="utf-8")))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        for i in range(count):
            if month == 2 and i % 100 == 99:
                continue  # gone from the file
            commune = i % 60
            place = {
                **row,
                "id": f"lieu-{i}",
                "pivot": "00000000000000",
                "nom": f"Lieu numérique {i}"
                + (" (nouveau nom)" if month == 2 and i % 100 == 7 else ""),
                "code_insee": f"{13001 + commune}",
                "code_postal": f"{13100 + commune:05d}",
                "commune": f"Commune {commune}",
                "latitude": f"{43.0 + (i % 1000) / 2000:.5f}",
                "longitude": f"{5.0 + (i // 1000) / 200:.5f}",
            }
            if month == 2 and i % 10 == 3:
                place["horaires"] = "Mo-Fr 09:00-12:00"
            writer.writerow(place)


def timed(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak MB and output of one command in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    # ru_maxrss of the children is the largest so far: each run is measured in its own wrapper
    return seconds, max(peak, before) / 1024, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=30000)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="maillage-merge-"))
    work.mkdir(parents=True, exist_ok=True)
    first, second = work / "mois-1.csv", work / "mois-2.csv"
    write_places(first, args.places, 1)
    write_places(second, args.places, 2)
    into = work / "data"
    base = [sys.executable, "-m", "maillage.publish.cli", "import", "lieux-mediation"]
    for label, path in (("first import (empty folder)", first), ("re-import (merge)", second)):
        # a wrapper process per run, so that getrusage gives this run's own peak
        wrapper = [
            sys.executable,
            "-c",
            "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
            *base,
            str(path),
            "--into",
            str(into),
        ]
        seconds, _, out = timed(wrapper)
        peak = int(out.strip().splitlines()[-1]) / 1024
        report = next(x for x in out.splitlines() if x.startswith("Ajoutés"))
        print(f"{label}: {args.places} places, {seconds:.1f} s, peak {peak:.0f} MB; {report}")
    _, _, report = timed([*base, str(second), "--into", str(into), "--essai"])
    line = next(x for x in report.splitlines() if x.startswith("Ajoutés"))
    print(f"the same file again (--essai): {line}")
    print(f"files: {sum(1 for _ in (into / 'actors').iterdir())} actors in {into}")
    os.sync()


if __name__ == "__main__":
    main()
