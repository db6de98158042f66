"""The real pipeline, stage by stage, on generated national networks; and the plain way beside it.

    python benchmarks/stages.py [--actors 1000 10000 30000] [--plain-max 1000] [--work DIR]
                                [--results benchmarks/RESULTS.md]

For each size, ``benchmarks/generate.py`` writes the network (kept in ``--work`` and reused),
then ``maillage build`` runs in a fresh process (over a publication of the same network it has
just made, so that the release diff is measured as users meet it) and reports, per stage, its
seconds, its peak resident memory (reset between stages), and triples per second. Up to
``--plain-max`` actors the same stages are also run the plain way on the same data, in another
fresh process:

- load: PyYAML's pure-Python parser (what the loader used before libyaml);
- validate: pyshacl with its default options (the reference the compiled engine must equal);
- rdf: rdflib's own N-Triples, Turtle and TriG serialisers;

- build: the same triples added to rdflib's in-memory store (``build_graph``, then its
  ``graph``);

and the ratio plain / maillage is printed (for the dumps, maillage's time is its own stage plus
what the converter process did meanwhile). The other stages have no plain counterpart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from maillage.publish import build as build_module  # noqa: E402
from maillage.publish.build import cache_file  # noqa: E402

# the build's own list of stages: the table follows it, and where each job beside runs
STAGES = {stage.name: stage for stage in build_module.STAGES}
# waits and housekeeping: their time does not grow with the triples they would be divided by
HOUSEKEEPING = {"publish", "cleanup"}


# As `maillage build` does: the network is not freed, the process ends at once (os._exit).
_BUILD = """
import json, os, sys
from maillage.publish.build import build
report = build(sys.argv[1], sys.argv[2], free=False)
print(json.dumps({"seconds": report.seconds, "peak_mb": report.peak_mb, "triples": report.triples,
                  "rows": report.rows, "counts": report.counts, "beside": report.beside,
                  "beside_peak_mb": report.beside_peak_mb}), flush=True)
os._exit(0)
"""

_PLAIN = """
import gc, json, sys, time, tempfile
from pathlib import Path
import yaml
from maillage.publish.beside import peak_memory_mb, reset_peak_memory
from maillage.graph import load as loader
from maillage.graph.build import build_graph
from maillage.graph.vocab import load_vocabulary
from maillage.publish.rdf import source_graphs
from maillage.shapes import pyshacl_results
data = Path(sys.argv[1])
gc.disable()  # as in maillage build: the ratios compare the engines, not the collector
out = {}
def stage(name, fn):
    reset_peak_memory()
    start = time.perf_counter()
    value = fn()
    out[name] = {"seconds": time.perf_counter() - start, "peak_mb": peak_memory_mb()}
    return value
# load with the pure-Python parser only
loader._FastLoader = loader._Loader
network = stage("load", lambda: loader.load_network(data, strict=False))
vocab = load_vocabulary(data / "vocab", network.base)
built = stage("build", lambda: build_graph(network, vocab))
graph = stage("graph", lambda: built.graph)  # the same triples in rdflib's in-memory store
out["build"]["seconds"] += out.pop("graph")["seconds"]
stage("validate", lambda: pyshacl_results(graph))
def rdf():
    folder = Path(tempfile.mkdtemp())
    graph.serialize(destination=folder / "m.nt", format="nt", encoding="utf-8")
    graph.serialize(destination=folder / "m.ttl", format="turtle", encoding="utf-8")
    source_graphs(built).serialize(destination=folder / "m.trig", format="trig", encoding="utf-8")
stage("rdf", rdf)
print(json.dumps(out))
"""


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(
            int(line.split()[1]) // 1024 // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        memory = 0
    from importlib.metadata import version

    libraries = ", ".join(
        f"{name} {version(name)}"
        for name in ("rdflib", "pyshacl", "pyoxigraph", "networkx", "igraph")
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; {libraries}"
    )


def _run(code: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if done.returncode != 0:
        raise SystemExit(f"échec :\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def network_for(actors: int, work: Path) -> tuple[Path, dict]:
    from benchmarks.generate import generate

    data = work / f"national-{actors}"
    marker = data / "summary.json"
    if marker.exists():
        return data, json.loads(marker.read_text())
    start = time.perf_counter()
    summary = generate(actors, data)
    summary["generated_in"] = round(time.perf_counter() - start, 1)
    marker.write_text(json.dumps(summary))
    return data, summary


def spans(result: dict) -> dict[str, list[str]]:
    """For each job run beside the build, the stages of the build during which it may run:
    from the one after the stage it follows in the build's list, until the wait for it."""
    order = list(result["seconds"])
    names = list(STAGES)
    found = {}
    for job in result.get("beside", {}):
        if f"{job}-wait" not in order or job not in STAGES:
            continue
        before = [n for n in names[: names.index(job)] if n in order]
        first = order.index(before[-1]) + 1 if before else 0
        found[job] = order[first : order.index(f"{job}-wait") + 1]
    return found


def both_processes(result: dict) -> str | None:
    """The most memory the build and the processes beside it held together: over each stage,
    the build's peak then plus the own peaks of the processes that may run then (for the
    forked validation, the memory it does not share with the build)."""
    own = result.get("beside_peak_mb", {})
    running_in = spans(result)
    worst: tuple[float, float, list[str]] | None = None
    for stage, peak in result["peak_mb"].items():
        running = [job for job, stages in running_in.items() if job in own and stage in stages]
        if running:
            total = peak + sum(own[job] for job in running)
            if worst is None or total > worst[0]:
                worst = (total, peak, running)
    if worst is None:
        return None
    total, build, running = worst
    parts = [f"{job}'s, {own[job]:.1f} MB" for job in running]
    return (
        f"All processes together: at most {total:.1f} MB (the build's peak while others run,"
        f" {build:.1f} MB, plus {' and '.join(parts)})."
    )


def measure(actors: int, work: Path, plain: bool) -> str:
    data, summary = network_for(actors, work)
    out = work / f"dist-{actors}"
    # The build measured replaces a publication of the same network, made just before by the
    # same code: its release diff (stage `history`) is part of every build but the first, and
    # it reads the actor files back from the load cache the first one kept.
    shutil.rmtree(out, ignore_errors=True)
    cache_file(out).unlink(missing_ok=True)
    first = _run(_BUILD, str(data), str(out))
    result = _run(_BUILD, str(data), str(out))
    plain_result = _run(_PLAIN, str(data)) if plain else {}
    return section(actors, summary, first, result, plain_result)


def section(actors: int, summary: dict, first: dict, result: dict, plain_result: dict) -> str:
    """The figures of one size: the measured build's stages, beside the plain way's."""
    triples = result["triples"]
    lines = [
        f"### {actors:,} actors".replace(",", " "),
        "",
        f"{summary['sites']} sites, {summary['services']} services, "
        f"{summary['referrals']} referrals, {summary['communes']} communes; "
        f"{triples} triples; {result['rows']} SQLite rows.",
        "",
        "| stage | seconds | peak MB | triples/s | plain way (s) | plain / maillage |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    beside = result.get("beside", {})
    starts = {}  # the stage a job beside starts before
    for job, stages in spans(result).items():
        starts.setdefault(stages[0], []).append(job)
    for stage, seconds in result["seconds"].items():
        for job in starts.get(stage, []):
            where = "a thread" if STAGES[job].beside == "thread" else "other process"
            peak_cell = (
                f"({result['beside_peak_mb'][job]})"
                if job in result.get("beside_peak_mb", {})
                else "-"
            )  # a thread: no memory of its own
            lines.append(
                f"| ({job}: {where}, from here) | ({beside[job]:.2f}) | {peak_cell} |"
                f" {_rate(result, job, beside[job])} | {_plain(plain_result, job, beside[job])} |"
            )
        # a stage's counterpart: the same work, wherever it ran (the dumps: rdf's N-Triples
        # then the converter's Turtle, TriG and JSON-LD)
        mine = seconds + (beside.get("dumps", 0.0) if stage == "rdf" else 0.0)
        peak = result["peak_mb"].get(stage, "-")
        lines.append(
            f"| {stage} | {seconds:.2f} | {peak} | {_rate(result, stage, seconds)} |"
            f" {_plain(plain_result, stage, mine)} |"
        )
    total = sum(result["seconds"].values())
    peak = max(result["peak_mb"].values()) if result["peak_mb"] else "-"
    lines.append(f"| **whole build** | **{total:.2f}** | **{peak}** | | | |")
    lines += [
        "",
        f"The first build's `load`, every file parsed and the cache written:"
        f" {first['seconds']['load']:.2f} s, peak {first['peak_mb'].get('load', '-')} MB.",
    ]
    both = both_processes(result)
    if both:
        lines += ["", both]
    lines.append("")
    return "\n".join(lines)


def _rate(result: dict, stage: str, seconds: float) -> str:
    if seconds <= 0.01 or stage in HOUSEKEEPING or stage.endswith("-wait"):
        return "-"
    rate = f"{result['triples'] / seconds:,.0f}".replace(",", " ")
    if stage == "sqlite":
        rate += f" ({result['rows'] / seconds:,.0f} rows/s)".replace(",", " ")
    return rate


def _plain(plain_result: dict, stage: str, seconds: float) -> str:
    other = plain_result.get(stage)
    if not other:
        return "- | -"
    return f"{other['seconds']:.2f} | {other['seconds'] / max(seconds, 1e-9):.1f}x"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, nargs="+", default=[1000, 10000, 30000])
    parser.add_argument("--plain-max", type=int, default=1000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/maillage-bench"))
    parser.add_argument("--results", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    sections = [
        "# maillage at national scale: stage by stage",
        "",
        f"Machine: {machine()}.",
        f"Measured {time.strftime('%Y-%m-%d')} by `python benchmarks/stages.py "
        f"--actors {' '.join(map(str, args.actors))} --plain-max {args.plain_max}`. "
        "Each build measured replaces a publication of the same network made just before, "
        "as every build but the first does: `history` is its release diff, and `load` reads "
        "the actor files back from the load cache that build kept (its own load, which parsed "
        "every file, is given under the table).",
        "",
    ]
    print("\n".join(sections), flush=True)
    for actors in args.actors:
        section = measure(actors, args.work, plain=actors <= args.plain_max)
        print(section, flush=True)
        sections.append(section)
    if args.results:
        args.results.write_text("\n".join(sections) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
