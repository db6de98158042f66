"""Every command answers a mistake with a French message and a non-zero exit, never a Python
traceback: missing or unreadable files, a damaged database, outputs into a missing folder,
SPARQL that would run for ever or call other servers, and hostile CSV cells."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA

from maillage.publish.cli import GRAPH_IRI, cli
from maillage.publish.csvcells import CSVStream, safe_cell
from maillage.publish.site import make_datasette


def _run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli-errors") / "dist"
    assert _run("build", "--data", str(DATA), "--out", str(out)).exit_code == 0
    return out


def _no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_sparql_names_a_missing_file_a_folder_and_a_non_utf8_file(dist: Path, tmp_path: Path):
    common = ("--data", str(DATA), "--out", str(dist))
    missing = _run("sparql", str(tmp_path / "nope.rq"), *common)
    assert missing.exit_code == 2 and "introuvable" in missing.stderr
    folder = tmp_path / "requete.rq"
    folder.mkdir()
    as_folder = _run("sparql", str(folder), *common)
    assert as_folder.exit_code == 2 and "dossier" in as_folder.stderr
    latin = tmp_path / "latin.rq"
    latin.write_bytes(b"# requ\xeate\nSELECT * WHERE { ?s ?p ?o } LIMIT 1\n")
    not_utf8 = _run("sparql", str(latin), *common)
    assert (
        not_utf8.exit_code == 2 and "latin.rq:1: la requête n'est pas en UTF-8" in not_utf8.stderr
    )
    for result in (missing, as_folder, not_utf8):
        _no_traceback(result)


def test_sparql_stops_a_runaway_query_and_refuses_service(dist: Path):
    common = ("--data", str(DATA), "--out", str(dist))
    cross = "SELECT (count(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    slow = _run("sparql", "--timeout", "1", cross, *common)
    assert slow.exit_code == 1 and "dépassé 1 s" in slow.stderr
    service = _run(
        "sparql", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", *common
    )
    assert service.exit_code == 1 and "SERVICE refusé" in service.stderr
    ok = _run("sparql", "SELECT (count(*) AS ?n) WHERE { ?s a ?type }", *common)
    assert ok.exit_code == 0, ok.output


def test_refer_and_gaps_on_a_damaged_database(dist: Path, tmp_path: Path):
    damaged = tmp_path / "dist"
    damaged.mkdir()
    for path in dist.iterdir():
        (damaged / path.name).write_bytes(path.read_bytes())
    (damaged / "maillage.db").write_bytes(b"ceci n'est pas une base" * 100)
    os.utime(damaged / "maillage.db", (4102444800, 4102444800))  # newer than the data
    for args in (
        ("refer", "--from", "france-services-miramas", "--need", "acces-aux-droits"),
        ("gaps",),
    ):
        result = _run(*args, "--data", str(DATA), "--out", str(damaged))
        assert result.exit_code == 1
        assert "base de données illisible ou abîmée" in result.stderr
        _no_traceback(result)


def test_outputs_into_a_missing_folder_make_it(dist: Path, tmp_path: Path):
    plot = tmp_path / "absent" / "matrice.png"
    result = _run("gaps", "--plot", str(plot), "--data", str(DATA), "--out", str(dist))
    assert result.exit_code == 0, result.output
    assert plot.is_file()
    export = tmp_path / "ailleurs" / "lieux.csv"
    result = _run("export", "lieux-mediation", "-o", str(export), "--data", str(DATA))
    assert result.exit_code == 0, result.output
    assert export.is_file()


@pytest.mark.parametrize(
    ("iri", "valid"),
    [
        ("urn:maillage:test", True),
        ("https://example.org/graphe", True),
        ("tag:maillage.example.org,2026:graphe", True),
        ("pas une iri", False),
        ("<http://x>", False),
        ("relative/path", False),
    ],
)
def test_any_absolute_iri_names_a_graph(iri: str, valid: bool):
    assert bool(GRAPH_IRI.fullmatch(iri)) is valid


def test_push_accepts_an_urn_as_graph_name(dist: Path):
    result = _run(
        "push",
        "--endpoint",
        "http://127.0.0.1:9/store",
        "--graph",
        "urn:maillage:test",
        "--data",
        str(DATA),
        "--out",
        str(dist),
    )
    assert "IRI de graphe invalide" not in result.output
    assert result.exit_code == 1 and "injoignable" in result.output  # nothing listens there


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd", "'-2+3+cmd"),
        ("\tx", "'\tx"),
        ("+33 4 90 58 00 00", "+33 4 90 58 00 00"),
        ("-4.99", "-4.99"),
        ("43.57", "43.57"),
        ("Centre social", "Centre social"),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_is_neutralised(value: str, written: str):
    assert safe_cell(value) == written
    text = '"id","name"\r\n' + f'"a","{value.replace(chr(34), chr(34) * 2)}"\r\n'
    stream = CSVStream()
    cut = len(text) // 2
    out = stream.feed(text[:cut]) + stream.feed(text[cut:], last=True)
    assert list(csv.reader(io.StringIO(out))) == [["id", "name"], ["a", written]]


@pytest.fixture
def hostile_csv_dist(tmp_path: Path, tiny: Path) -> Path:
    actor = tiny / "actors" / "accueil.yaml"
    hostile = '\'=HYPERLINK("http://evil.example","x")\''
    lines = [  # the actor's name and its site's
        line.split("name:")[0] + f"name: {hostile}" if line.lstrip().startswith("name:") else line
        for line in actor.read_text(encoding="utf-8").splitlines()
    ]
    actor.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "dist"
    result = _run("build", "--data", str(tiny), "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


async def test_published_and_served_csv_carry_no_formula(hostile_csv_dist: Path):
    lieux = (hostile_csv_dist / "lieux-mediation-numerique.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(\"" in lieux.replace('""', '"')
    ds = make_datasette(hostile_csv_dist)
    for url in ("/maillage/actors.csv", "/maillage/actors.csv?_stream=1", "/maillage/sites.csv"):
        response = await ds.client.get(url)
        assert response.status_code == 200
        for row in csv.reader(io.StringIO(response.text)):
            assert not any(cell.startswith("=") for cell in row), (url, row)
    response = await ds.client.get("/maillage/actors.csv")
    cells = [cell for row in csv.reader(io.StringIO(response.text)) for cell in row]
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)


def test_one_export_command_takes_each_standard_and_refuses_a_file_for_a_folder(tmp_path: Path):
    existing = tmp_path / "lieux.csv"
    existing.write_text("garder\n", encoding="utf-8")
    result = _run("export", "data-inclusion", "-o", str(existing), "--data", str(DATA))
    assert result.exit_code == 2
    assert "data-inclusion s'écrit dans un dossier" in result.stderr
    assert existing.read_text(encoding="utf-8") == "garder\n"
    result = _run("export", "lieux-mediation", "-o", str(tmp_path), "--data", str(DATA))
    assert result.exit_code == 2 and "s'écrit dans un fichier" in result.stderr
    help_text = _run("export", "--help").output
    for name in ("lieux-mediation", "data-inclusion", "openreferral"):
        assert name in help_text


@pytest.mark.parametrize(
    ("args", "french"),
    [
        (["gaps", "--format", "x"], "valeur invalide pour '--format' : 'x' n'est pas l'une"),
        (["refer", "--need", "x"], "Option manquante '--depuis'"),
        (["parcours", "--need"], "L'option '--need' demande une valeur"),
        (["commande-inconnue"], "Commande inconnue : 'commande-inconnue'"),
        (["validate", "--bogus"], "Option inconnue : '--bogus'. Vouliez-vous dire '--verbose' ?"),
        (["build", "--data", "/pas-de-dossier"], "Dossier '/pas-de-dossier' n'existe pas"),
        (
            ["refer", "--from", "a", "--need", "b", "--max-hops", "99"],
            "n'est pas dans l'intervalle",
        ),
    ],
)
def test_usage_errors_are_french(args: list[str], french: str):
    result = _run(*args)
    assert result.exit_code == 2
    assert french in result.stderr, result.stderr
    for english in ("Error:", "Usage:", "Try '", "Missing", "No such", "does not exist"):
        assert english not in result.stderr, result.stderr


def test_help_is_french():
    text = _run("parcours", "--help").output
    assert "Utilisation : " in text and "Affiche cette aide" in text
    assert "[obligatoire]" in text and "[par défaut : table]" in text
