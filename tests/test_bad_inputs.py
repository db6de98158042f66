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

CASES = sorted(p.name for p in BAD_INPUTS.iterdir() if p.is_dir())


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
