"""``maillage doublons``: one place described twice is found, with its evidence, and the
coordinator's decision that two actors are distinct holds across later imports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from conftest import DATA, ROOT

from maillage.publish.cli import cli

EXAMPLE = ROOT / "tests" / "standards" / "lieux-mediation-numerique" / "exemple-valide.csv"

# The media library of Miramas as a national file would describe it: another name, the same
# street written without its accent, 30 m from where the network puts it.
PLANTED = """\
name: Médiathèque municipale de Miramas
typology: BIB
pole: loisir-mediation
source: lieux de médiation numérique, source « Exemple », id m-1
sites:
  - id: m-1
    name: Mediatheque de Miramas
    street: avenue Falabregues
    postcode: "13140"
    commune: Miramas
    insee: "13063"
    latitude: 43.5830
    longitude: 5.0032
"""


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_a_planted_pair_is_listed_with_its_evidence_and_a_decision_holds(tmp_path: Path):
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    assert run("doublons", str(folder)).output == "Aucun doublon probable.\n"
    (folder / "actors" / "mediatheque-bis.yaml").write_text(PLANTED, encoding="utf-8")
    found = run("doublons", str(folder), "--format", "json")
    assert found.exit_code == 0, found.output
    (pair,) = json.loads(found.output)
    assert pair["acteurs"] == ["mediatheque-bis", "mediatheque-miramas"]
    assert pair["score"] >= 83 and "adresses à 100 %" in pair["raisons"]
    assert " m" in pair["raisons"]  # the distance between the two places
    decided = run("doublons", str(folder), "--distincts", "mediatheque-miramas", "mediatheque-bis")
    assert decided.exit_code == 0 and "Aucun doublon probable." in decided.output
    # an import later (the whole folder staged and exchanged) keeps the decision
    assert run("import", "lieux-mediation", str(EXAMPLE), "--into", str(folder)).exit_code == 0
    assert run("doublons", str(folder)).output == "Aucun doublon probable.\n"
    assert run("validate", "--data", str(folder)).exit_code == 0  # doublons.yaml is no data


def test_an_unknown_actor_or_a_broken_decisions_file_is_a_french_error(tmp_path: Path):
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    unknown = run("doublons", str(folder), "--distincts", "ccas-miramas", "personne")
    assert unknown.exit_code == 2 and "acteur inconnu" in unknown.stderr
    (folder / "doublons.yaml").write_text("- acteurs: [a]\n  decision: fusion\n", "utf-8")
    broken = run("doublons", str(folder))
    assert broken.exit_code == 1 and "décision 1" in broken.stderr
    assert "Traceback" not in broken.output
