"""The coordinators' workspace as a coordinator meets it: their pages in French words (no SQL
column name, no ``:name`` placeholder, no JSON array), the dashboard's pictures drawn at publish
time with their text alternatives, tables and CSV, and a command line that speaks French."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from pathlib import Path

import pytest
from browser import browser_page
from click.testing import CliRunner
from conftest import DATA, ROOT
from test_site_accessibility import ENGLISH, axe_script, violations

from maillage.publish.cli import cli
from maillage.publish.site import make_datasette

COORDINATOR_PAGES = [
    "/tableau-de-bord",
    "/maillage",
    "/maillage/lacunes",
    "/maillage/lacunes?public=seniors&commune=13063",
    "/maillage/points_fragiles",
    "/maillage/fiches_a_verifier?mois=12",
    "/maillage/fiches_a_completer",
]
# what a page must never show a person: the queries' own column names, a parameter's
# placeholder, a JSON array, a raw channel code
SQL_WORDS = re.compile(
    r"\b(etat|demande_pct|intermediarite|niveau_intermediarite|orientations_recues|"
    r"orientations_emises|verifie_le|verifie_par|telephone|courriel|en-personne|"
    r"actors|referrals|closures)\b"
)
PLACEHOLDER = re.compile(r"(?<![\w/]):[a-z_]+\b")
JSON_ARRAY = re.compile(r"\[\s*(\"|\]|\{)")


@pytest.fixture(scope="module")
def ds(default_dist: Path):
    return make_datasette(default_dist)


def visible_problems(path: str, text: str) -> list[str]:
    found = [f"{path} : colonne SQL « {m.group(0)} »" for m in SQL_WORDS.finditer(text)]
    found += [f"{path} : paramètre « {m.group(0)} »" for m in PLACEHOLDER.finditer(text)]
    found += [f"{path} : tableau JSON « {m.group(0)} »" for m in JSON_ARRAY.finditer(text)]
    found += [f"{path} : anglais « {m.group(0)} »" for m in ENGLISH.finditer(text)]
    return found


def test_the_checks_see_what_they_look_for():
    text = 'etat lacune ; vérifiées il y a plus de :mois mois ; qui ["ccas-miramas"] ; telephone'
    assert len(visible_problems("/x", text)) == 4
    assert visible_problems("/x", "Situation lacune ; 18 % des habitants ; à 12 h 30") == []


def test_coordinator_pages_read_in_french_words_at_both_widths(site: str):
    script = axe_script()
    problems: list[str] = []
    with browser_page() as page:
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            for path in COORDINATOR_PAGES:
                response = page.goto(site + path)
                assert response is not None and response.status == 200, path
                text = page.inner_text("main")
                problems += visible_problems(f"{path} à {width} px", text)
                problems += [f"{path} à {width} px : {v}" for v in violations(page, script)]
    assert problems == []


def test_the_dashboard_pictures_have_words_and_numbers_beside_them(site: str, screenshots: Path):
    with browser_page() as page:
        page.set_viewport_size({"width": 1280, "height": 1100})
        page.goto(site + "/")
        page.get_by_role("link", name="le tableau de bord du réseau").click()
        assert page.locator("h1").inner_text() == "Tableau de bord du réseau"
        images = page.locator("figure img")
        assert images.count() >= 6  # coverage for each commune, gaps, freshness, parcours, actions
        for i in range(images.count()):
            image = images.nth(i)
            assert len(image.get_attribute("alt") or "") > 40
            assert image.evaluate("img => img.complete && img.naturalWidth > 0")
            # its table right after it, with a caption and headers
            table = image.locator("xpath=ancestor::figure/following-sibling::details[1]//table")
            assert table.locator("caption").count() == 1 and table.locator("th").count() > 2
        text = page.inner_text("main")
        assert (
            "Si CCAS de Miramas s'arrête, plus personne n'aide les habitants pour « Acquisition "
            "de matériel informatique à prix solidaire » à Miramas." in text
        )
        page.screenshot(path=str(screenshots / "tableau-de-bord.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(site + "/tableau-de-bord#lacunes")
        page.screenshot(path=str(screenshots / "tableau-de-bord-telephone.png"))
    assert (screenshots / "tableau-de-bord.png").stat().st_size > 10_000


async def test_the_dashboard_figures_are_the_database_s(ds, default_dist: Path):
    page = (await ds.client.get("/tableau-de-bord")).text
    with sqlite3.connect(default_dist / "maillage.db") as conn:
        never = conn.execute("SELECT count(*) FROM verifications WHERE verifie_le IS NULL")
        total = conn.execute("SELECT count(*) FROM verifications").fetchone()[0]
        never = never.fetchone()[0]
    assert f"sur {total} fiches" in page and f"{never} jamais vérifiées (en rouge)" in page
    links = re.findall(r'href="(/maillage/[a-z_]+\.csv\?[^"]+)"', page)
    assert len(links) == 6
    freshness = next(link for link in links if "tableau_fraicheur" in link)
    rows = list(csv.DictReader(io.StringIO((await ds.client.get(freshness)).text)))
    assert len(rows) == 31 and sum(int(r["jamais"]) for r in rows) == never


def test_the_build_draws_the_dashboard_as_svg(default_dist: Path):
    pictures = sorted(p.name for p in default_dist.glob("tableau-*.svg"))
    assert pictures == [
        "tableau-actions.svg",
        "tableau-couverture-martigues.svg",
        "tableau-couverture-miramas.svg",
        "tableau-fraicheur.svg",
        "tableau-lacunes.svg",
        "tableau-parcours.svg",
    ]
    text = (default_dist / "tableau-fraicheur.svg").read_text(encoding="utf-8")
    assert "<svg" in text and "<dc:date>" not in text  # no date: the same data, the same file


async def test_the_lacunes_page_names_who_covers_and_offers_lists(ds):
    page = (await ds.client.get("/maillage/lacunes?public=&commune=")).text
    assert '<select id="commune" name="commune">' in page and ">Miramas</option>" in page
    assert "<td>CCAS de Miramas</td>" in page and "<td>18 % des habitants</td>" in page
    answer = await ds.client.get("/maillage/lacunes.json?public=&commune=&_shape=array")
    assert all(not (r["qui"] or "").startswith("[") for r in answer.json())


async def test_points_fragiles_says_forte_moyenne_faible(ds):
    page = (await ds.client.get("/maillage/points_fragiles")).text
    assert "0,058 (moyenne)" in page and "(faible)" in page


def test_validate_prints_french_counts():
    result = CliRunner().invoke(cli, ["valider", "--data", str(DATA)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Données valides : 31 acteurs, 34 lieux, 2 fermetures")
    assert not re.search(r"\b(actors|sites|closures|referrals|demand|refersTo)\b", result.output)


def test_the_yearly_report_prints_the_database_s_figures(default_dist: Path, tmp_path: Path):
    import pypdf

    output = tmp_path / "rapport-2023.pdf"
    result = CliRunner().invoke(
        cli,
        ["rapport", "annuel", "--annee", "2023", "-o", str(output)]
        + ["--data", str(DATA), "--out", str(default_dist)],
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"Rapport annuel 2023 écrit : {output}\n"
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(output).pages)
    text = " ".join(text.split())
    with sqlite3.connect(default_dist / "maillage.db") as conn:
        actors, sites = conn.execute("SELECT actors, sites FROM publication").fetchone()
        total, never = conn.execute(
            "SELECT count(*), sum(verifie_le IS NULL) FROM verifications"
        ).fetchone()
        broken = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM parcours GROUP BY need, commune"
            " HAVING max(broken) = 1)"
        ).fetchone()[0]
    assert f"{actors} acteurs, {sites} lieux" in text
    assert f"Sur {total} fiches" in text and f"{never} jamais vérifiées" in text
    assert f"{broken} parcours interrompu(s)" in text
    # the year's actions as `maillage rapport actions` counts them
    actions = CliRunner().invoke(
        cli,
        ["report", "actions", "--year", "2023", "--data", str(DATA), "--out", str(default_dist)],
    )
    assert "| Numérique loisir et médiation numérique | 3 | 3 |  |" in actions.output
    assert "Numérique loisir et médiation numérique 3 3 0" in text


GUIDE = ROOT / "docs" / "guide-coordinateur.md"


def test_the_coordinators_guide_names_real_commands_and_shows_their_output(
    default_dist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    text = GUIDE.read_text(encoding="utf-8")
    for name in set(re.findall(r"`maillage ([a-z]+)", text)):
        assert cli.get_command(None, name) is not None, name  # type: ignore[arg-type]
    examples = re.findall(r"```console\n\$ maillage ([^\n]*)\n(.*?)```", text, re.S)
    assert len(examples) == 2
    monkeypatch.chdir(tmp_path)  # the report's file is written here
    for line, shown in examples:
        args = line.split()
        if args[0] != "valider":
            args += ["--out", str(default_dist)]
        result = CliRunner().invoke(cli, [*args, "--data", str(DATA)])
        assert result.exit_code == 0, result.output
        assert result.output == shown, line
    assert (tmp_path / "rapport-2023.pdf").read_bytes()[:4] == b"%PDF"


async def test_a_large_network_s_dashboard_is_bounded(
    default_dist: Path, monkeypatch: pytest.MonkeyPatch
):
    from maillage.publish import dashboard

    monkeypatch.setattr(dashboard, "PAGE_ROWS", 10)
    fresh = make_datasette(default_dist)  # its own page cache
    response = await fresh.client.get("/tableau-de-bord")
    assert response.status_code == 200
    assert "elle en montre au plus 10 ; le CSV les a toutes" in response.text
