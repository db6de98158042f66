"""This code against an earlier commit, in the same run: build time and peak memory, cold and
warm, and whether the triples are the same.

    python benchmarks/compare.py --old c68447b [--actors 10000] [--runs 2] [--work DIR]

The earlier commit is checked out in a git worktree (``--work``/old) and imported from there
(the repository root is the package ``maillage``: a link named ``maillage`` to the worktree,
first on ``PYTHONPATH``). Both versions build the same generated network (``generate.py
--no-levels``: data an earlier maillage reads), alternately, ``--runs`` times each: cold (a new
output folder, ``--no-cache``) and warm (publishing again over that folder, with the load
cache). Each build runs in a fresh process whose peak resident memory is that of its largest
process (``getrusage`` of a wrapper's children). The best time and the lowest peak of each are
printed with the ratio new / old, and the N-Triples of the last builds are compared as sets of
lines (no blank nodes), the difference counted by predicate.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# a fresh interpreter that runs one command and prints the peak memory of its children (kB)
WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "seconds = time.perf_counter() - start\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(done.returncode, seconds, peak)\n"
)
BUILD = "from maillage.publish.cli import main; sys.argv[0] = 'maillage'; main()"


def _worktree(commit: str, work: Path) -> Path:
    old = work / "old"
    if not old.exists():
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), commit], check=True
        )
    else:
        subprocess.run(["git", "-C", str(old), "checkout", "-q", "--detach", commit], check=True)
    if "from maillage." not in (old / "publish" / "cli.py").read_text(encoding="utf-8"):
        return old  # before the package was named: graph, shapes and publish at the top
    package = work / "oldpkg"
    package.mkdir(exist_ok=True)
    link = package / "maillage"
    if not link.exists():
        link.symlink_to(old)
    return package


def _build(data: Path, out: Path, path: Path | None, cold: bool) -> tuple[float, float]:
    env = dict(os.environ)
    build = BUILD
    if path is not None:
        env["PYTHONPATH"] = str(path)
        if (path / "publish").is_dir():  # an earlier layout: bare top-level packages
            build = build.replace("maillage.publish", "publish")
    argv = [sys.executable, "-c", f"import sys; {build}", "build", "--data", str(data)]
    argv += ["--out", str(out)] + (["--no-cache"] if cold else [])
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *argv], env=env, capture_output=True, text=True, check=True
    )
    code, seconds, peak = done.stdout.split()
    if code != "0":
        raise SystemExit(f"build failed ({'old' if path else 'new'}): {argv}")
    return float(seconds), int(peak) / 1024


def _by_predicate(lines: set[str]) -> Counter:
    return Counter(line.split(" ", 2)[1] for line in lines if line.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", required=True, help="the commit to compare with")
    parser.add_argument("--actors", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/maillage-compare"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    old_path = _worktree(args.old, args.work)
    data = args.work / f"data-{args.actors}"
    if not data.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--actors", str(args.actors)]
            + ["--out", str(data), "--no-levels"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for run in range(args.runs):
        for name, path in (("old", old_path), ("new", None)):
            out = args.work / f"dist-{name}"
            shutil.rmtree(out, ignore_errors=True)
            for kind in ("cold", "warm"):
                seconds, peak = _build(data, out, path, cold=kind == "cold")
                figures.setdefault((name, kind), []).append((seconds, peak))
                print(f"run {run + 1} {name} {kind}: {seconds:.1f} s, {peak:.0f} MB", flush=True)
    print(f"\n{args.actors} actors, best of {args.runs} (time) and lowest peak, {time.ctime()}")
    print("| build | old time | new time | ratio | old peak | new peak | ratio |")
    print("|---|---|---|---|---|---|---|")
    for kind in ("cold", "warm"):
        old_s = min(s for s, _ in figures[("old", kind)])
        new_s = min(s for s, _ in figures[("new", kind)])
        old_m = min(m for _, m in figures[("old", kind)])
        new_m = min(m for _, m in figures[("new", kind)])
        print(
            f"| {kind} | {old_s:.1f} s | {new_s:.1f} s | {new_s / old_s:.2f} | {old_m:.0f} MB | "
            f"{new_m:.0f} MB | {new_m / old_m:.2f} |"
        )
    old_nt = set((args.work / "dist-old" / "maillage.nt").read_text(encoding="utf-8").splitlines())
    new_nt = set((args.work / "dist-new" / "maillage.nt").read_text(encoding="utf-8").splitlines())
    same = old_nt == new_nt
    print(f"\nN-Triples: {len(old_nt)} old, {len(new_nt)} new, same set: {same}")
    if not same:
        print("only in old, by predicate:", json.dumps(_by_predicate(old_nt - new_nt)))
        print("only in new, by predicate:", json.dumps(_by_predicate(new_nt - old_nt)))


if __name__ == "__main__":
    main()
