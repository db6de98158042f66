"""The benchmarks run (at a tiny size): they are scripts that print figures, kept working."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import ROOT

from benchmarks.generate import generate
from maillage.publish.cli import StageProgress, cli


def run_benchmark(script: str, *args: str, timeout: int = 300) -> str:
    """Run ``benchmarks/<script>`` as a user would; its output once it exited with 0."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_refer_benchmark_runs_and_prints_figures():
    out = run_benchmark("refer.py", "--actors", "300", "--queries", "5")
    assert "orienter (ask, as maillage refer)" in out and "orienter (SQL, Datasette)" in out
    assert "p95" in out


def test_the_load_benchmark_runs_with_no_error(default_dist):
    out = run_benchmark(
        "load.py", "--clients", "3", "--seconds", "2", "--dist", str(default_dist), timeout=120
    )
    assert "requests per second" in out and "p99" in out
    assert "errors: 0" in out


def test_the_generator_writes_a_network_that_builds(tmp_path):
    data = tmp_path / "national"
    summary = json.loads(
        run_benchmark("generate.py", "--actors", "40", "--out", str(data), timeout=120)
    )
    assert summary["actors"] == 40 and len(list((data / "actors").glob("*.yaml"))) == 40
    # the realistic shape the issue asks for: 1-3 sites and 3-10 services per actor
    assert 40 <= summary["sites"] <= 120 and 120 <= summary["services"] <= 400
    assert 4 <= summary["referrals"] / 40 <= 7
    built = CliRunner().invoke(cli, ["build", "--data", str(data), "--out", str(tmp_path / "d")])
    assert built.exit_code == 0, built.output
    assert "acteurs                      40" in built.output
    assert "Durée : lecture" in built.output
    # the same seed gives the same network
    again = tmp_path / "again"
    generate(40, again)
    for path in (data / "actors").glob("*.yaml"):
        assert (again / "actors" / path.name).read_bytes() == path.read_bytes()


def test_injected_defects_make_the_build_fail_with_located_errors(tmp_path):
    data = tmp_path / "national"
    summary = generate(30, data, defects=0.5, seed=1)
    assert summary["defects"] > 0
    result = CliRunner().invoke(cli, ["validate", "--data", str(data)])
    assert result.exit_code == 1
    for defect in json.loads((data / "defects.json").read_text()):
        assert f"actors/{defect['actor']}.yaml:" in result.output


def test_the_stage_benchmark_prints_every_stage_and_the_plain_ratios(tmp_path):
    out = run_benchmark(
        "stages.py",
        *("--actors", "12", "--plain-max", "12"),
        *("--work", str(tmp_path), "--results", str(tmp_path / "R.md")),
    )
    table = (tmp_path / "R.md").read_text()
    assert table.strip() == out.strip()
    for stage in ("load", "build", "validate", "network", "sqlite", "rdf"):
        assert f"| {stage} |" in table
    ratios = [line for line in table.splitlines() if line.endswith("x |")]
    assert {line.split(" | ")[0] for line in ratios} == {"| load", "| build", "| validate", "| rdf"}
    # 12 actors: the dumps are converted in the build's own process, within the rdf stage
    assert "other process" not in table and "All processes" not in table
    assert "rows/s" in table and "**whole build**" in table and "cores" in table
    # the whole build is every stage's time, the cleanup after the publication included
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| ")]
    seconds = {row[0][2:]: row[1] for row in rows if row[1][:1].isdigit()}
    whole = float(next(row[1] for row in rows if "whole build" in row[0]).strip("*"))
    assert "cleanup" in seconds and "publish" in seconds
    assert abs(sum(map(float, seconds.values())) - whole) <= 0.01 * len(seconds)
    cleanup = next(row for row in rows if row[0] == "| cleanup")
    assert cleanup[3] == "-"  # no triples per second for housekeeping


def _large_build(peaks: dict, own: dict) -> dict:
    """A report of a build whose jobs beside ran (the stages' order is the build's)."""
    order = ["load", "build", "folder", "rdf", "void", "validate-wait", "tables", "network"]
    order += ["publication", "guide", "history-wait", "sqlite", "exports", "dumps-wait"]
    order += ["catalog"]
    seconds = {stage: 1.0 for stage in order}
    if "validate" not in own:  # validated here, first
        seconds = {"validate": 1.0, **{k: v for k, v in seconds.items() if k != "validate-wait"}}
    if "history" not in own:
        seconds = {("history" if k == "history-wait" else k): v for k, v in seconds.items()}
    return {"seconds": seconds, "peak_mb": peaks, "beside": dict(own), "beside_peak_mb": own}


def test_the_memory_of_all_processes_is_the_build_s_peak_meanwhile_plus_their_own():
    from benchmarks.stages import both_processes

    peaks = {"validate": 900.0, "rdf": 700.0, "sqlite": 800.0, "dumps-wait": 600.0, "catalog": 999}
    line = both_processes(_large_build(peaks, {"dumps": 250.5}))
    assert line is not None and line.startswith("All processes together: at most 1050.5 MB")
    assert both_processes(_large_build(peaks, {})) is None
    # the validation's copy runs from the folder until validate-wait, the converter from void
    peaks["validate-wait"] = 650.0
    del peaks["validate"]
    line = both_processes(_large_build(peaks, {"dumps": 250.5, "validate": 500}))
    assert line is not None and line.startswith("All processes together: at most 1400.5 MB")
    line = both_processes(
        _large_build({**peaks, "sqlite": 1300.0}, {"dumps": 250.5, "validate": 500})
    )
    assert line is not None and line.startswith("All processes together: at most 1550.5 MB")
    # the release diff runs from void until history-wait, before sqlite; not during rdf
    own = {"dumps": 250.5, "validate": 500, "history": 100}
    line = both_processes(_large_build(peaks, own))
    assert line is not None and line.startswith("All processes together: at most 1500.5 MB")
    line = both_processes(_large_build({**peaks, "tables": 1300.0}, own))
    assert line is not None and line.startswith("All processes together: at most 1650.5 MB")
    line = both_processes(_large_build({**peaks, "sqlite": 1450.0}, own))
    assert line is not None and line.startswith("All processes together: at most 1700.5 MB")


def test_progress_is_plain_lines_off_a_terminal_and_silent_for_small_stages():
    import io

    stream = io.StringIO()
    progress = StageProgress(stream)
    progress("load", 5, 31)  # a small network: nothing
    for done in range(0, 2001, 100):
        progress("load", done, 2000)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "lecture des fichiers : 0/2000 (0 %)"
    assert lines[-1] == "lecture des fichiers : 2000/2000 (100 %)"
    assert len(lines) == 11  # one line per tenth, not one per call


def test_progress_is_a_bar_on_a_terminal():
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = StageProgress(stream)
    for done in range(0, 101, 20):
        progress("validate", done, 100)
    progress.close()
    shown = stream.getvalue()
    assert "validation SHACL" in shown and "100/100" in shown and "#" in shown


def test_the_rebuild_benchmark_runs_and_agrees_with_a_whole_check(tmp_path):
    out = run_benchmark(
        "rebuild.py",
        *("--actors", "40", "--edits", "6", "--verify"),
        *("--work", str(tmp_path), "--publish", str(tmp_path / "dist")),
    )
    assert "check after one file changed: mean" in out and "p95" in out
    assert "whole check of the edited folder: same result" in out
    assert "publication from memory" in out
    assert (tmp_path / "dist" / "maillage.db").exists()


def test_a_section_shows_every_process_beside_the_build_and_adds_up_the_stages():
    from benchmarks.stages import section

    seconds = {"load": 1.0, "build": 2.0, "folder": 0.0, "rdf": 3.0, "void": 1.0}
    seconds |= {"validate-wait": 0.5, "tables": 1.0, "network": 1.0, "history-wait": 0.0}
    seconds |= {"sqlite": 2.0, "dumps-wait": 0.0, "plot-wait": 0.0, "index-wait": 0.0}
    seconds |= {"cleanup": 0.25}
    result = {
        "seconds": seconds,
        "peak_mb": {stage: 100.0 for stage in seconds if stage != "cleanup"},
        "triples": 1_000_000,
        "rows": 50_000,
        "beside": {"validate": 2.5, "dumps": 9.0, "history": 1.5, "plot": 0.75, "index": 0.5},
        "beside_peak_mb": {"validate": 50.0, "dumps": 20.0, "history": 10.0, "plot": 5.0},
    }
    summary = {"sites": 3, "services": 4, "referrals": 5, "communes": 6}
    first = {"seconds": {"load": 9.5}, "peak_mb": {"load": 120.0}}
    plain = {"load": {"seconds": 19.0}, "rdf": {"seconds": 24.0}}
    text = section(1000, summary, first, result, plain)
    assert "| (validate: other process, from here) | (2.50) | (50.0) | 400 000 |" in text
    assert text.index("(validate:") < text.index("| folder |")  # forked before the folder
    assert "| (dumps: other process, from here) | (9.00) | (20.0) |" in text
    assert text.index("| rdf |") < text.index("(dumps:") < text.index("| void |")
    assert "| (history: other process, from here) | (1.50) | (10.0) |" in text
    assert "| (plot: other process, from here) | (0.75) | (5.0) |" in text
    assert text.index("(plot:") > text.index("| network |")  # drawn from the network on
    assert "| (index: a thread, from here) | (0.50) | - |" in text  # no memory of its own
    assert "| load | 1.00 | 100.0 | 1 000 000 | 19.00 | 19.0x |" in text
    assert "| rdf | 3.00 | 100.0 | 333 333 | 24.00 | 2.0x |" in text  # with the converter's
    assert "| **whole build** | **11.75** |" in text
    assert "The first build's `load`, every file parsed and the cache written: 9.50 s" in text
    assert "All processes together: at most 180.0 MB" in text


def test_the_api_benchmark_runs_and_prints_figures(default_dist):
    out = run_benchmark("api.py", "--dist", str(default_dist), "--requests", "20", timeout=180)
    assert "/api/v1/search/services: 20 requests" in out and "/hsds/services: 20" in out
    assert "p95" in out


def test_compare_runs_each_commit_from_its_own_checkout_and_stops_if_it_does_not(tmp_path):
    from benchmarks.compare import WrongCode, check_own_code, checkout, resolve, venv

    # c68447b is from before the package was named: its code is the top-level `publish`
    old = resolve("c68447b")
    source = checkout(old, tmp_path)
    assert (source / "publish" / "cli.py").exists() and not (source / ".git").exists()
    python = venv(old, source, tmp_path, deps=False) / "bin" / "python"
    neutral = tmp_path / "run"
    neutral.mkdir()
    origin = check_own_code(python, "publish", source, neutral)
    assert origin == (source / "publish" / "__init__.py").resolve()
    # the mistake compare.py used to make: `python -c` from the repository root puts the
    # root first on sys.path, and the "old" side imports this checkout's own publish/
    with pytest.raises(WrongCode, match=str(ROOT / "publish")):
        check_own_code(python, "publish", source, ROOT, safe=False)
    # even from the root, -P keeps each side to its own code
    assert check_own_code(python, "publish", source, ROOT) == origin


def test_the_refer_benchmark_times_the_command_itself(tmp_path):
    out = run_benchmark(
        "refer.py", "--command", "--actors", "20", "--queries", "1", "--work", str(tmp_path)
    )
    assert "maillage refer, 20 actors, 1 queries (a process each): mean" in out
    assert "orienter (ask), 20 actors, 1 queries (a process each): mean" in out
    assert "peak" in out and "MB (target: 0.5 s, 100 MB)" in out


def test_the_merge_benchmark_imports_then_merges_next_months_file(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "merge.py"), "--places", "100"]
        + ["--work", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Ajoutés : 100 ; mis à jour : 0" in done.stdout
    # a tenth with new hours, one renamed, one gone: exactly those changes
    assert "Ajoutés : 0 ; mis à jour : 11 ; inchangés : 88 ; conflits : 0 ; absents : 1." in (
        done.stdout
    )


def test_the_search_benchmark_times_the_index_and_the_searches():
    out = run_benchmark("search.py", "--actors", "200", "--queries", "20")
    assert "search index" in out and "chercher through Datasette, 20 searches: p50" in out
