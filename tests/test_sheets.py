"""Verification sheets: one per partner, with everything published about it, the missing
fields marked and a box to correct each field."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from conftest import DATA

from maillage.publish.build import published_tables
from maillage.publish.cli import cli
from maillage.publish.sheets import NO_CLOSURE, TABLES, sheet_context


def _text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


def test_a_sheet_per_actor_with_what_is_published(default_dist: Path, tmp_path: Path):
    result = CliRunner().invoke(
        cli,
        ["fiches", "-o", str(tmp_path), "--format", "html", "--data", str(DATA),
         "--out", str(default_dist)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    sheets = sorted(tmp_path.glob("*.html"))
    assert len(sheets) == 31 and "31 fiche(s)" in result.output
    text = _text(tmp_path / "france-services-miramas.html")
    for expected in (
        "Fiche de vérification : Maison France services de Miramas",
        "Place de l'Hôtel de Ville, 13140 Miramas",
        "Du lundi au vendredi, de 8 h 30 à 12 h et de 13 h 30 à 17 h",
        "Informations jamais vérifiées",  # its source's date is no check
        "contact@maillage.example.org",
        "Correction",
        "Aide aux démarches administratives",
    ):
        assert expected in text, expected
    assert text.count("manquant") >= 3  # telephone, e-mail, SIRET
    page = (tmp_path / "france-services-miramas.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and 'class="correction"' in page
    assert "Informations jamais vérifiées" in _text(tmp_path / "ccas-martigues.html")


def test_sheets_for_chosen_actors_and_an_unknown_one(default_dist: Path, tmp_path: Path):
    common = ["--format", "html", "--data", str(DATA), "--out", str(default_dist)]
    chosen = CliRunner().invoke(
        cli, ["fiches", "-o", str(tmp_path / "deux"), "--actor", "ccas-martigues",
              "--actor", "mjc-mpt-miramas", *common],
    )  # fmt: skip
    assert chosen.exit_code == 0, chosen.output
    assert sorted(p.name for p in (tmp_path / "deux").iterdir()) == [
        "ccas-martigues.html",
        "mjc-mpt-miramas.html",
    ]
    unknown = CliRunner().invoke(
        cli, ["fiches", "-o", str(tmp_path / "x"), "--actor", "nope", *common]
    )
    assert unknown.exit_code == 2 and "acteur inconnu : nope" in unknown.stderr


def test_the_sheets_are_pdf_by_default_laid_out_like_the_guide(default_dist: Path, tmp_path: Path):
    import pypdf

    result = CliRunner().invoke(
        cli,
        ["fiches", "-o", str(tmp_path), "--actor", "france-services-miramas",
         "--actor", "ccas-martigues", "--data", str(DATA), "--out", str(default_dist)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ccas-martigues.pdf",
        "france-services-miramas.pdf",
    ]
    reader = pypdf.PdfReader(tmp_path / "france-services-miramas.pdf")
    text = " ".join(page.extract_text() for page in reader.pages)
    text = re.sub(r"\s+", " ", text)
    for expected in (
        "Fiche de vérification : Maison France services de Miramas",
        "Place de l'Hôtel de Ville, 13140 Miramas",
        "Informations jamais vérifiées",  # its source's date is no check
        "contact@maillage.example.org",
        "Correction",
        "Aide aux démarches administratives",
    ):
        assert expected in text, expected
    assert text.count("manquant") >= 3
    never = " ".join(
        p.extract_text() for p in pypdf.PdfReader(tmp_path / "ccas-martigues.pdf").pages
    )
    assert "Informations jamais vérifiées" in never


def test_each_field_is_a_question_with_its_own_box_and_the_closures(
    default_dist: Path, tmp_path: Path
):
    result = CliRunner().invoke(
        cli,
        ["fiches", "-o", str(tmp_path), "--format", "html", "--actor", "france-services-miramas",
         "--data", str(DATA), "--out", str(default_dist)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    page = (tmp_path / "france-services-miramas.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>.*?</tr>", page, re.S)
    asked = [r for r in rows if not r.startswith("Autre structure")]
    # a box to tick on every row but the blank one
    assert page.count('<td class="juste"><span class="case"></span></td>') == len(asked)
    fields = [r for r in asked if "?" in r]
    assert len(fields) >= 8 + 6 + 6  # the structure, its place, its first service
    text = _text(tmp_path / "france-services-miramas.html")
    assert "Le point sur la carte est-il au bon endroit ?" in text
    assert "Position sur la carte" not in text and ": oui" not in text
    assert "Le numéro de téléphone de l'accueil est-il le bon ?" in text
    assert "04\u00a065\u00a071\u00a000\u00a014" in text  # shown the French way

    tables = published_tables(DATA, default_dist, names=TABLES)
    context = sheet_context(tables, "france-services-miramas", date(2026, 12, 1))
    closures = dict(context["sites"][0])[
        "Les fermetures et horaires exceptionnels à venir sont-ils justes ?"
    ]
    assert closures.startswith("Fermé du 24 décembre 2026 au 1er janvier 2027")
    after = sheet_context(tables, "france-services-miramas", date(2027, 2, 1))
    assert NO_CLOSURE in dict(after["sites"][0]).values()  # those over are not asked
