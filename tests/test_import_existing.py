"""Importing real national files into the network a coordinator already has: the folder's own
files survive, the import is all or nothing even when killed, and it can be undone."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA, ROOT

from maillage.graph import legacy
from maillage.publish.build import check
from maillage.publish.cli import cli

STANDARDS = ROOT / "tests" / "standards" / "lieux-mediation-numerique"
EXAMPLE = STANDARDS / "exemple-valide.csv"
LEGACY = ROOT / "tests" / "standards_inputs" / "lieux-v0.1-labels-nationaux.csv"


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def network(tmp_path: Path) -> Path:
    """A copy of the default network, with what a coordinator keeps beside the data."""
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    (folder / "notes.txt").write_text("à rappeler : la MJC\n", encoding="utf-8")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    return folder


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_a_national_file_comes_into_the_existing_network(network: Path):
    before = files(network)
    result = run("import", "lieux-mediation", str(EXAMPLE), "--into", str(network))
    assert result.exit_code == 0, result.output
    after = files(network)
    new = set(after) - set(before)
    # the new actor, and what this import gave (the base of the next one's merge)
    assert len(new) == 2 and {name.split("/")[0] for name in new} == {"actors", "imports"}
    assert all(after[name] == content for name, content in before.items())  # nothing else moved
    assert len(check(network).network.of_kind("actor")) == 32


def test_the_data_inclusion_import_comes_into_the_existing_network(network: Path, tmp_path):
    exported = tmp_path / "di"
    assert run("export", "data-inclusion", "-o", str(exported), "--data", str(DATA)).exit_code == 0
    other = tmp_path / "other"
    result = run(
        "import",
        "data-inclusion",
        str(exported / "structures.json"),
        str(exported / "services.json"),
        "--into",
        str(other),
    )
    assert result.exit_code == 0, result.output
    # the network's own export into itself: every structure is an actor the coordinator wrote,
    # kept whole (what the export cannot say differs, and is listed), and no actor is added
    before = files(network)
    again = run(
        "import",
        "data-inclusion",
        str(exported / "structures.json"),
        str(exported / "services.json"),
        "--into",
        str(network),
    )
    assert again.exit_code == 0, again.output
    assert "Ajoutés : 0 ; mis à jour : 0" in again.output
    assert "ccas-miramas : fiche écrite dans le dossier, jamais importée : gardée" in again.output
    after = files(network)
    assert {n: c for n, c in after.items() if not n.startswith("imports/")} == before


def test_essai_reports_and_changes_nothing(network: Path):
    before = files(network)
    result = run("import", "lieux-mediation", str(EXAMPLE), "--into", str(network), "--essai")
    assert result.exit_code == 0, result.output
    assert "Essai : rien n'a été changé" in result.output and "1 acteurs" in result.output
    assert files(network) == before


def test_annuler_restores_the_folder_byte_for_byte(network: Path):
    before = files(network)
    assert run("import", "lieux-mediation", str(EXAMPLE), "--into", str(network)).exit_code == 0
    assert files(network) != before
    result = run("import", "--annuler", str(network))
    assert result.exit_code == 0, result.output
    assert files(network) == before


def test_the_standards_own_v0_1_example_imports_with_its_corrections(network: Path):
    example = STANDARDS / "v0.1.0" / "exemple-valide.csv"
    result = run("import", "lieux-mediation", str(example), "--into", str(network))
    assert result.exit_code == 0, result.output
    assert "« Point relais CAF » lu comme « Point d'accès numérique CAF »" in result.output
    assert "« APTIC » gardé comme label libre" in result.output


def test_every_v0_national_label_is_taken_with_its_correction_listed(tmp_path: Path):
    result = run("import", "lieux-mediation", str(LEGACY), "--into", str(tmp_path / "aix"))
    assert result.exit_code == 0, result.output
    for label, equivalent in legacy.NATIONAL_LABELS.items():
        assert f"ancien label national « {label} »" in result.output or (
            label == equivalent.value  # taken as it is: France Services, Aidants Connect
        ), label
    built = check(tmp_path / "aix")
    sites = built.network.of_kind("site")
    free = {v for s in sites for v in s.values.get("other_labels") or []}
    assert {"French Tech", "Campus connecté", "APTIC (Pass numérique)"} <= free


def test_a_full_disk_names_the_target_and_leaves_it_untouched(network: Path, monkeypatch):
    from maillage.publish import importer

    before = files(network)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(importer, "_fsync_tree", full)
    result = run("import", "lieux-mediation", str(EXAMPLE), "--into", str(network))
    assert result.exit_code == 1
    assert f"import impossible dans {network} : disque plein" in result.stderr
    assert "n'a pas été modifié" in result.stderr
    assert files(network) == before
    assert not list(network.parent.glob(".data.import-*"))


def _places(count: int, path: Path) -> Path:
    """A lieux file of ``count`` places, from the standard's example row."""
    import csv

    rows = list(csv.DictReader(EXAMPLE.open(encoding="utf-8")))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for i in range(count):
            writer.writerow(
                {
                    **rows[0],
                    "id": f"lieu-g-{i}",
                    "pivot": "00000000000000",
                    "nom": f"Lieu généré {i}",
                }
            )
    return path


def test_a_killed_import_leaves_the_folder_old_or_new_and_can_be_run_again(network, tmp_path):
    """SIGKILL at random moments of an import: the target is the old folder or the new one,
    never a half, and a second run finishes it."""
    places = _places(100, tmp_path / "lieux.csv")
    old = files(network)
    command = [
        sys.executable,
        "-m",
        "maillage.publish.cli",
        "import",
        "lieux-mediation",
        str(places),
        "--into",
        str(network),
    ]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=tmp_path)
    duration = time.perf_counter() - start
    new = files(network)
    assert len(new) == len(old) + 100 + 1  # the places, and what this import gave
    assert run("import", "--annuler", str(network)).exit_code == 0
    rng = random.Random(0)
    outcomes = set()
    for _ in range(6):
        process = subprocess.Popen(
            command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.05, duration))
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        now = files(network)
        assert now in (old, new)
        outcomes.add("new" if now == new else "old")
        if now == new:
            assert run("import", "--annuler", str(network)).exit_code == 0
    rerun = subprocess.run(command, capture_output=True, cwd=tmp_path, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert files(network) == new
    assert not [p for p in network.parent.iterdir() if ".import-" in p.name]


RELANCE = ROOT / "tests" / "standards_inputs" / "lieux-v0.1-labels-nationaux-relance.csv"


def test_next_months_file_merges_and_keeps_what_the_coordinator_wrote(tmp_path: Path):
    """The Aix file, then the coordinator's own work on it, then next month's file (place 1's
    hours changed, place 2's phone changed, place 4 renamed, place 3 gone)."""
    into = tmp_path / "aix"
    assert run("import", "lieux-mediation", str(LEGACY), "--into", str(into)).exit_code == 0
    actors = into / "actors"
    two = actors / "lieu-numerique-d-aix-2.yaml"
    two.write_text(
        "# relue par la coordination\n"
        + two.read_text(encoding="utf-8").replace(
            "telephone: '+33442000000'", "telephone: 04 42 00 00 01  # nouveau numéro"
        )
        + "referrals:\n  - to: lieu-numerique-d-aix-1\n"
        + "    needs: [aide-demarches-administratives]\n",
        encoding="utf-8",
    )
    untouched = {p.name: p.read_bytes() for p in actors.glob("*.yaml")}
    before = files(into)
    trial = run("import", "lieux-mediation", str(RELANCE), "--into", str(into), "--essai")
    assert trial.exit_code == 0 and files(into) == before  # the same report, nothing changed
    result = run("import", "lieux-mediation", str(RELANCE), "--into", str(into))
    assert result.exit_code == 0, result.output
    assert trial.output.split("Importé", 1)[1] == result.output.split("Importé", 1)[1]
    assert "Ajoutés : 0 ; mis à jour : 2 ; inchangés : 8 ; conflits : 1 ; absents : 1." in (
        result.output
    )
    built = check(into)
    site = {s.id: s for s in built.network.of_kind("site")}
    assert site["aix-1"].values["opening_hours"] == "Mo-Fr 09:00-12:00"  # the source's change
    four = actors / "lieu-numerique-d-aix-4.yaml"  # renamed by the source: the same actor
    assert "name: Lieu numérique d'Aix 4 bis" in four.read_text(encoding="utf-8")
    # the coordinator's phone, comments and referral are kept; nothing else in the file moved
    assert two.read_bytes() == untouched[two.name]
    changed = {p.name for p in actors.glob("*.yaml") if p.read_bytes() != untouched.get(p.name)}
    assert changed == {"lieu-numerique-d-aix-1.yaml", "lieu-numerique-d-aix-4.yaml"}
    # place 3 is listed, kept, and removed only when asked
    assert (actors / "lieu-numerique-d-aix-3.yaml").exists()
    again = run("import", "lieux-mediation", str(RELANCE), "--into", str(into))
    assert "mis à jour : 0 ; inchangés : 10 ; conflits : 0" in again.output  # reported once
    gone = run("import", "lieux-mediation", str(RELANCE), "--into", str(into), "--retirer-absents")
    assert gone.exit_code == 0 and "retiré : lieu-numerique-d-aix-3" in gone.output
    assert not (actors / "lieu-numerique-d-aix-3.yaml").exists()
    assert len(check(into).network.of_kind("actor")) == 10


def test_the_coordinators_notes_survive_a_re_import_and_are_never_published(tmp_path: Path):
    into = tmp_path / "aix"
    assert run("import", "lieux-mediation", str(LEGACY), "--into", str(into)).exit_code == 0
    one = into / "actors" / "lieu-numerique-d-aix-1.yaml"
    note = "notes: la responsable part en mars, demander qui reprend\n"
    one.write_text(note + one.read_text(encoding="utf-8"), encoding="utf-8")
    assert run("import", "lieux-mediation", str(RELANCE), "--into", str(into)).exit_code == 0
    assert one.read_text(encoding="utf-8").startswith(note)  # merged, the note kept
    dist = tmp_path / "dist"
    assert run("build", "--data", str(into), "--out", str(dist)).exit_code == 0
    published = [p for p in dist.rglob("*") if p.is_file()]
    assert published and not [p for p in published if b"la responsable part" in p.read_bytes()]


def test_the_import_says_how_far_it_is_in_its_long_steps(network: Path):
    from maillage.publish.importer import import_lieux

    heard: list[tuple[str, int, int]] = []
    import_lieux(LEGACY, network, progress=lambda *step: heard.append(step))
    # the files written, then the whole folder read and validated as a build would, each to
    # its end
    actors = len(list((network / "actors").glob("*.yaml")))
    assert ("ecriture", 11, 11) in heard and ("load", actors, actors) in heard
    assert any(stage == "validate" and 1 < done == total for stage, done, total in heard)
    stages = [stage for stage, _, _ in heard]
    assert stages.index("ecriture") < stages.index("load") < stages.index("validate")
