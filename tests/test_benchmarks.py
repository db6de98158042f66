"""The benchmarks run (at a tiny size): they are scripts that print figures, kept working."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_the_refer_benchmark_runs_and_prints_figures():
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "refer.py"),
            "--actors",
            "300",
            "--queries",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "refer (networkx)" in result.stdout and "orienter (SQL, Datasette)" in result.stdout
    assert "p95" in result.stdout


def test_the_load_benchmark_runs_with_no_error(default_dist):
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "load.py"),
            "--clients",
            "3",
            "--seconds",
            "2",
            "--dist",
            str(default_dist),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "requests per second" in result.stdout and "p99" in result.stdout
    assert "errors: 0" in result.stdout
