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

from maillage.publish.build import cache_file  # noqa: E402

STAGES = (
    "load",
    "build",
    "validate",
    "rdf",
    "void",
    "validate-wait",
    "tables",
    "network",
    "history",
    "sqlite",
    "exports",
    "rdf-wait",
    "sqlite-wait",
    "catalog",
    "fsync",
    "publish",
    "cleanup",
)
# waits and housekeeping: their time does not grow with the triples they would be divided by
NOT_OVER_TRIPLES = {"validate-wait", "rdf-wait", "sqlite-wait", "publish", "cleanup"}

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


# The processes beside the build, and the stages of the build during which each may run: the
# validation in a forked copy from the start of rdf until validate-wait, the converter from the
# end of rdf until rdf-wait, the release diff from void until history, the coverage matrix's
# drawing from network until rdf-wait.
BESIDE_SPANS = {
    "validate": ("rdf", "validate-wait"),
    "rdf": ("rdf", "rdf-wait"),
    "history": ("void", "history"),
    "plot": ("network", "rdf-wait"),  # the coverage matrix, drawn
}
BESIDE_NAMES = {
    "validate": "the validation",
    "rdf": "the converter",
    "history": "the release diff",
    "plot": "the matrix drawing",
}


def both_processes(result: dict) -> str | None:
    """The most memory the build and the processes beside it held together: over each stage,
    the build's peak then plus the own peaks of the processes that may run then (for the
    forked validation, the memory it does not share with the build)."""
    own = result.get("beside_peak_mb", {})
    if not own:
        return None
    peaks = result["peak_mb"]
    worst: tuple[float, float, list[str]] | None = None
    for i, stage in enumerate(STAGES):
        if stage not in peaks:
            continue
        running = [
            name
            for name, (first, last) in BESIDE_SPANS.items()
            if name in own and STAGES.index(first) <= i <= STAGES.index(last)
        ]
        if running:
            total = peaks[stage] + sum(own[name] for name in running)
            if worst is None or total > worst[0]:
                worst = (total, peaks[stage], running)
    if worst is None:
        return None
    total, build, running = worst
    parts = [f"{BESIDE_NAMES[name]}'s, {own[name]:.1f} MB" for name in running]
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
    for stage in STAGES:
        seconds = result["seconds"].get(stage)
        beside = result.get("beside", {}).get(stage, 0.0)
        if seconds is None and not beside:
            continue
        other = plain_result.get(stage)
        if other:
            ratio = other["seconds"] / max((seconds or 0.0) + beside, 1e-9)
            plain_cells = f"{other['seconds']:.2f} | {ratio:.1f}x"
        else:
            plain_cells = "- | -"
        beside_peak = result.get("beside_peak_mb", {}).get(stage, "")
        if seconds is None:  # wholly in another process: the validation, while rdf is written
            rate = f"{triples / beside:,.0f}".replace(",", " ") if beside > 0.01 else "-"
            lines.append(
                f"| {stage} (other process, during rdf) | ({beside:.2f}) | ({beside_peak}) |"
                f" {rate} | {plain_cells} |"
            )
            continue
        rate = (
            f"{triples / seconds:,.0f}".replace(",", " ")
            if seconds > 0.01 and stage not in NOT_OVER_TRIPLES
            else "-"
        )
        if stage == "sqlite":  # the rows and their indexes (written by a thread meanwhile)
            rate += f" ({result['rows'] / (seconds + beside):,.0f} rows/s)".replace(",", " ")
        peak = result["peak_mb"].get(stage, "-")
        lines.append(f"| {stage} | {seconds:.2f} | {peak} | {rate} | {plain_cells} |")
        if beside:
            by = "its indexes, by a thread" if stage == "sqlite" else "other process"
            peak_cell = f"({beside_peak})" if beside_peak != "" else "-"  # a thread: no own memory
            lines.append(f"| ({stage}: {by}, meanwhile) | ({beside:.2f}) | {peak_cell} | | | |")
        for job, (starts, _) in BESIDE_SPANS.items():  # jobs that are no stage's own
            if starts == stage and job not in STAGES and job in result.get("beside", {}):
                lines.append(
                    f"| ({job}: other process, from here) | ({result['beside'][job]:.2f}) |"
                    f" ({result.get('beside_peak_mb', {}).get(job, '')}) | | | |"
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
