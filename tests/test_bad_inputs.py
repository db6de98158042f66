"""Each bad-input case fails with exactly the expected located errors, and publishes nothing.

A case is a folder of tests/bad_inputs/: its files are laid over the tiny network, and
``expected.txt`` holds the exact lines ``maillage`` must print on stderr.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BAD_INPUTS, make_network, tree_bytes

from maillage.publish.build import build
from maillage.publish.cli import cli

CASES = sorted(p.name for p in BAD_INPUTS.iterdir() if p.is_dir() and "import-" not in p.name)
# import-*: a CSV of the lieux de médiation standard (lieux.csv) imported into a data folder
# (into/, or a new one), with the exact errors expected
IMPORT_CASES = sorted(p.name for p in BAD_INPUTS.glob("import-*") if p.is_dir())


def test_the_corpus_covers_the_cases_of_the_issue():
    required = {
        "unknown-concept",
        "dangling-referral",
        "duplicate-id",
        "bad-postcode",
        "missing-name",
    }
    assert required <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_validate_reports_the_exact_located_errors(case: str, tmp_path: Path):
    data = make_network(tmp_path, overlay=BAD_INPUTS / case)
    result = CliRunner().invoke(cli, ["validate", "--data", str(data)])
    expected = (BAD_INPUTS / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert result.exit_code == 1
    assert result.stderr.splitlines() == expected
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def good_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("good")
    build(make_network(folder), folder / "dist")
    return folder / "dist"


@pytest.mark.parametrize("case", CASES)
def test_a_failed_build_leaves_the_published_folder_byte_identical(
    case: str, tmp_path: Path, good_dist: Path
):
    out = tmp_path / "dist"
    shutil.copytree(good_dist, out)
    before = tree_bytes(out)
    data = make_network(tmp_path / "bad", overlay=BAD_INPUTS / case)
    result = CliRunner().invoke(cli, ["build", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 1
    assert tree_bytes(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dist")] == []


def _import_case(case: str, tmp_path: Path) -> tuple[Path, Path]:
    source = BAD_INPUTS / case
    csv_file = tmp_path / "lieux.csv"
    shutil.copy(source / "lieux.csv", csv_file)
    if (source / "GENERATE-LONG-FIELD").exists():  # a 100 MB value: too big to commit
        with csv_file.open("a", encoding="utf-8") as handle:
            handle.write('lieu-long,pivot,"' + "x" * (100 * 1024 * 1024) + '"\n')
    into = tmp_path / "into"
    if (source / "into").is_dir():
        shutil.copytree(source / "into", into)
    return csv_file, into


@pytest.mark.parametrize("case", IMPORT_CASES)
def test_a_bad_import_reports_the_exact_located_errors_and_writes_nothing(
    case: str, tmp_path: Path
):
    csv_file, into = _import_case(case, tmp_path)
    before = tree_bytes(into) if into.exists() else None
    result = CliRunner().invoke(
        cli, ["import", "lieux-mediation", str(csv_file), "--into", str(into)]
    )
    expected = (BAD_INPUTS / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == expected
    assert "Traceback" not in result.output
    assert (tree_bytes(into) if into.exists() else None) == before
