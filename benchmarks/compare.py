"""Two commits, in the same run: build time and peak memory, cold and warm, and whether the
triples are the same.

    python benchmarks/compare.py --old c68447b [--new HEAD] [--actors 10000] [--runs 2]
        [--work DIR] [--busy]

Each commit is its own checkout (``git archive`` of it, under ``--work``/checkouts/HASH) with
its own virtual environment (``python -m venv`` and ``pip install -e`` of that checkout, under
``--work``/venvs/HASH), both kept so that a rerun only measures. Builds run that venv's
``maillage`` console script from a neutral folder outside any checkout, with no ``PYTHONPATH``:
nothing of the repository this script sits in can be imported by either side. Before
measuring, each side's interpreter says where its package comes from (``maillage`` or, before
the package was named, ``publish``), and the run stops if it is not that side's own checkout.

Both versions build the same generated network (``generate.py --no-levels``: data an earlier
maillage reads), alternately, ``--runs`` times each: cold (a new output folder, ``--no-cache``)
and warm (publishing again over that folder, with the load cache). Each build runs in a fresh
process whose peak resident memory is that of its largest process (``getrusage`` of a
wrapper's children). ``--busy`` keeps one core busy with another process (a spinning Python)
while measuring. The best time and the lowest peak of each are printed with the ratio
new / old, each side's ``build.json`` triple count, and the N-Triples of the last builds are
compared as sets of lines (no blank nodes), the difference counted by predicate.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
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
# where a top-level package is found, without running any of its code
WHERE = "import importlib.util, sys; print(importlib.util.find_spec(sys.argv[1]).origin)"
# variables that would let a side import code other than its own
FOREIGN = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONSAFEPATH", "VIRTUAL_ENV")


class WrongCode(SystemExit):
    """A side would run code other than its own checkout's."""


@dataclass(frozen=True)
class Side:
    """One commit ready to run: its checkout, its venv and its top-level package's name."""

    name: str
    commit: str
    checkout: Path
    venv: Path

    @property
    def package(self) -> str:
        return package_of(self.checkout)

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def maillage(self) -> Path:
        return self.venv / "bin" / "maillage"


def resolve(commit: str) -> str:
    """The full hash of ``commit`` in the repository this script belongs to."""
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{commit}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def package_of(checkout: Path) -> str:
    """``maillage``, or ``publish`` for a commit from before the package was named."""
    cli = (checkout / "publish" / "cli.py").read_text(encoding="utf-8")
    return "maillage" if "from maillage." in cli else "publish"


def checkout(commit: str, work: Path) -> Path:
    """The files of ``commit`` (a ``git archive``, no worktree registered), made once."""
    folder = work / "checkouts" / commit
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit],
        capture_output=True,
        check=True,
    ).stdout
    with tempfile.TemporaryFile() as handle:
        handle.write(archive)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            tar.extractall(folder, filter="data")
    (folder / ".complete").write_text(commit + "\n", encoding="utf-8")
    return folder


def clean_env() -> dict[str, str]:
    """This process's environment without what could point a side at other code."""
    return {key: value for key, value in os.environ.items() if key not in FOREIGN}


def venv(commit: str, source: Path, work: Path, deps: bool = True) -> Path:
    """A virtual environment with ``source`` installed editable, made once per commit
    (without its dependencies if not ``deps``: enough to see where it imports from)."""
    folder = work / ("venvs" if deps else "bare-venvs") / commit
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, env=clean_env())
    argv = [str(folder / "bin" / "python"), "-m", "pip", "install", "-q", "-e", str(source)]
    argv += [] if deps else ["--no-deps"]
    done = subprocess.run(argv, env=clean_env(), cwd=work, capture_output=True, text=True)
    if done.returncode != 0:  # pip's output only when it failed: it warns by the hundred
        raise SystemExit(f"pip install -e {source} failed:\n{done.stdout}{done.stderr}")
    (folder / ".complete").write_text(commit + "\n", encoding="utf-8")
    return folder


def prepare(name: str, commit: str, work: Path) -> Side:
    full = resolve(commit)
    source = checkout(full, work)
    return Side(name, full, source, venv(full, source, work))


def checked_sides(commits: dict[str, str], work: Path) -> tuple[list[Side], Path]:
    """Each ``name -> commit`` checked out with its own venv under ``work``, each checked (and
    said) to import its own code; and the folder outside every checkout to run them in."""
    work.mkdir(parents=True, exist_ok=True)
    sides = [prepare(name, commit, work) for name, commit in commits.items()]
    neutral = work / "run"  # outside every checkout: nothing importable there
    neutral.mkdir(exist_ok=True)
    for side in sides:
        origin = check_own_code(side.python, side.package, side.checkout, neutral)
        print(f"{side.name} {side.commit[:9]}: {side.package} from {origin}", flush=True)
    return sides, neutral


def imported_from(python: Path, package: str, cwd: Path, safe: bool = True) -> Path:
    """Where ``python``, started in ``cwd``, finds ``package`` (with ``-P`` unless not
    ``safe``: without it, ``-c`` puts ``cwd`` first on ``sys.path``)."""
    argv = [str(python), *(["-P"] if safe else []), "-c", WHERE, package]
    done = subprocess.run(
        argv, cwd=cwd, env=clean_env(), capture_output=True, text=True, check=True
    )
    return Path(done.stdout.strip()).resolve()


def check_own_code(python: Path, package: str, checkout: Path, cwd: Path, safe: bool = True):
    """Stop loudly unless ``python`` imports ``package`` from ``checkout``."""
    origin = imported_from(python, package, cwd, safe)
    if not origin.is_relative_to(checkout.resolve()):
        raise WrongCode(f"{python} imports {package} from {origin}, not from {checkout}")
    return origin


def _build(side: Side, data: Path, out: Path, cold: bool, cwd: Path) -> tuple[float, float]:
    argv = [str(side.maillage), "build", "--data", str(data), "--out", str(out)]
    argv += ["--no-cache"] if cold else []
    done = subprocess.run(
        [str(side.python), "-P", "-c", WRAPPER, *argv],
        env=clean_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    code, seconds, peak = done.stdout.split()
    if code != "0":
        raise SystemExit(f"build failed ({side.name} {side.commit[:9]}): {argv}")
    return float(seconds), int(peak) / 1024


@contextmanager
def busy(on: bool):
    """One core kept busy by another process meanwhile, if ``on``."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if on else None
    try:
        yield
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()


def _by_predicate(lines: set[str]) -> Counter:
    return Counter(line.split(" ", 2)[1] for line in lines if line.strip())


def _triples(out: Path) -> int:
    return json.loads((out / "build.json").read_text(encoding="utf-8"))["triples"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", required=True, help="the commit to compare with")
    parser.add_argument("--new", default="HEAD", help="the commit measured (HEAD)")
    parser.add_argument("--actors", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/maillage-compare"))
    parser.add_argument("--busy", action="store_true", help="keep one core busy meanwhile")
    args = parser.parse_args()
    work = args.work.resolve()
    sides, neutral = checked_sides({"old": args.old, "new": args.new}, work)
    data = work / f"data-{args.actors}"
    if not data.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--actors", str(args.actors)]
            + ["--out", str(data), "--no-levels"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with busy(args.busy):
        for run in range(args.runs):
            for side in sides:
                out = work / f"dist-{side.name}"
                shutil.rmtree(out, ignore_errors=True)
                for kind in ("cold", "warm"):
                    seconds, peak = _build(side, data, out, kind == "cold", neutral)
                    figures.setdefault((side.name, kind), []).append((seconds, peak))
                    print(f"run {run + 1} {side.name} {kind}: {seconds:.1f} s, {peak:.0f} MB")
    old, new = sides
    print(
        f"\n{args.actors} actors, {old.commit[:9]} (old) against {new.commit[:9]} (new), "
        f"best of {args.runs} (time) and lowest peak{', one core kept busy' * args.busy}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
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
    old_nt = set((work / "dist-old" / "maillage.nt").read_text(encoding="utf-8").splitlines())
    new_nt = set((work / "dist-new" / "maillage.nt").read_text(encoding="utf-8").splitlines())
    same = old_nt == new_nt
    print(
        f"\nbuild.json triples: {_triples(work / 'dist-old')} old, "
        f"{_triples(work / 'dist-new')} new"
    )
    print(f"N-Triples: {len(old_nt)} old, {len(new_nt)} new, same set: {same}")
    if not same:
        print("only in old, by predicate:", json.dumps(_by_predicate(old_nt - new_nt)))
        print("only in new, by predicate:", json.dumps(_by_predicate(new_nt - old_nt)))


if __name__ == "__main__":
    main()
