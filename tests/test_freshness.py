"""Checked dates: every record says when it was checked; the published view a_verifier, the
canned query and `maillage verifier` agree with an independent query at a fixed today; the
"Signaler une erreur" link is a well-formed mailto (RFC 6068) naming the record."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml
from click.testing import CliRunner
from conftest import DATA

from maillage.graph.freshness import checked_in_words, months_before
from maillage.publish.cli import cli
from maillage.publish.plugin import mailto
from maillage.publish.site import make_datasette

INDEPENDENT = """
WITH records(type, id, actor_id, verified) AS (
  SELECT 'acteur', id, id, verified FROM actors
  UNION ALL
  SELECT 'lieu', s.id, s.actor, coalesce(s.verified, a.verified)
  FROM sites s JOIN actors a ON a.id = s.actor
  UNION ALL
  SELECT 'service', v.id, v.provider, coalesce(v.verified, a.verified)
  FROM services v JOIN actors a ON a.id = v.provider
)
SELECT type, id FROM records
WHERE verified IS NULL OR verified < date(:today, '-' || :months || ' months')
"""


def _independent(db: Path, today: str, months: int) -> set[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return set(conn.execute(INDEPENDENT, {"today": today, "months": months}).fetchall())


@pytest.mark.parametrize(
    ("today", "months"), [("2026-12-01", 12), ("2024-01-15", 6), ("2020-03-31", 1)]
)
def test_verifier_agrees_with_an_independent_query(default_dist: Path, today: str, months: int):
    result = CliRunner().invoke(
        cli,
        ["verifier", "--date", today, "--mois", str(months), "--format", "json",
         "--data", str(DATA), "--out", str(default_dist)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {(r["type"], r["id"]) for r in rows} == _independent(
        default_dist / "maillage.db", today, months
    )
    dates = [r["verifie_le"] for r in rows]
    never = [d for d in dates if d is None]
    assert dates[: len(never)] == never  # never checked first, then the oldest
    assert [d for d in dates if d] == sorted(d for d in dates if d)


async def test_the_published_view_is_the_same_list_today(default_dist: Path):
    ds = make_datasette(default_dist)
    response = await ds.client.get("/maillage/a_verifier.json?_shape=array&_size=max")
    assert response.status_code == 200
    published = [(r["type"], r["id"]) for r in response.json()]
    assert set(published) == _independent(
        default_dist / "maillage.db", date.today().isoformat(), 12
    )
    canned = await ds.client.get("/maillage/fiches_a_verifier.json?mois=12&_shape=array&_size=max")
    assert [(r["type"], r["id"]) for r in canned.json()] == published
    # the command asks the page's own query: the same records, in the same order
    result = CliRunner().invoke(
        cli,
        ["verifier", "--mois", "12", "--format", "json", "--data", str(DATA),
         "--out", str(default_dist)],
    )  # fmt: skip
    assert [(r["type"], r["id"]) for r in json.loads(result.output)] == published


def test_the_default_data_dates_what_the_articles_date(default_dist: Path):
    """The articles' dates are their sources' dates, not checks: no default record was
    checked."""
    with sqlite3.connect(default_dist / "maillage.db") as conn:
        dated = dict(conn.execute("SELECT source_date, count(*) FROM actors GROUP BY 1"))
        checked = conn.execute("SELECT count(*) FROM actors WHERE verified IS NOT NULL")
        assert checked.fetchone() == (0,)
    assert dated == {"2023-09-01": 20, "2019-03-27": 5, None: 6}


def test_checked_dates_in_words():
    assert checked_in_words("2024-03-12") == "Informations vérifiées le 12 mars 2024"
    assert checked_in_words("2023-09-01") == "Informations vérifiées le 1er septembre 2023"
    assert checked_in_words(None) == "Informations jamais vérifiées"
    assert months_before(date(2026, 3, 31), 1) == date(2026, 3, 3)  # as SQLite counts it


async def test_actor_pages_say_when_and_offer_to_report_an_error(default_dist: Path):
    ds = make_datasette(default_dist)
    checked = await ds.client.get("/maillage/actors/france-services-miramas")
    # the guide of September 2023 is its source, which no page calls a check
    assert "Informations jamais vérifiées" in checked.text
    assert "(source du 1er septembre 2023)" in checked.text
    never = await ds.client.get("/maillage/actors/ccas-martigues")
    assert "Informations jamais vérifiées" in never.text
    start = checked.text.index('class="signaler" href="') + len('class="signaler" href="')
    link = checked.text[start : checked.text.index('"', start)].replace("&amp;", "&")
    parts = urlsplit(link)
    assert parts.scheme == "mailto" and unquote(parts.path) == "contact@maillage.example.org"
    fields = parse_qs(parts.query)
    assert " " not in link and "\n" not in link  # percent-encoded (RFC 6068)
    assert fields["subject"] == ["Erreur sur la fiche « Maison France services de Miramas »"]
    body = fields["body"][0]
    assert "/actor/france-services-miramas" in body and "\r\n" in body


def test_mailto_encodes_french_text():
    link = mailto("contact@exemple.fr", "Fiche « Été »", "Ligne 1\nLigne 2 & 3 ?")
    assert link == (
        "mailto:contact@exemple.fr?subject=Fiche%20%C2%AB%20%C3%89t%C3%A9%20%C2%BB"
        "&body=Ligne%201%0D%0ALigne%202%20%26%203%20%3F"
    )


def test_dates_round_trip_through_both_national_standards(tmp_path: Path):
    example = Path(__file__).parent / "standards" / "lieux-mediation-numerique"
    with (example / "exemple-valide.csv").open(encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    into = tmp_path / "importe"
    runner = CliRunner()
    result = runner.invoke(
        cli, ["import", "lieux-mediation", str(example / "exemple-valide.csv"), "--into", str(into)]
    )
    assert result.exit_code == 0, result.output
    actor_file = next((into / "actors").glob("*.yaml"))
    site = yaml.safe_load(actor_file.read_text(encoding="utf-8"))["sites"][0]
    assert str(site["verified"]) == row["date_maj"] and site["verified_by"] == row["source"]

    lieux = tmp_path / "lieux.csv"
    result = runner.invoke(
        cli, ["export", "lieux-mediation", "-o", str(lieux), "--data", str(into)]
    )
    assert result.exit_code == 0, result.output
    with lieux.open(encoding="utf-8") as handle:
        assert next(csv.DictReader(handle))["date_maj"] == row["date_maj"]

    out = tmp_path / "di"
    result = runner.invoke(cli, ["export", "data-inclusion", "-o", str(out), "--data", str(into)])
    assert result.exit_code == 0, result.output
    structures = json.loads((out / "structures.json").read_text(encoding="utf-8"))
    services = json.loads((out / "services.json").read_text(encoding="utf-8"))
    assert {s["date_maj"] for s in structures} == {row["date_maj"]}
    assert {s["date_maj"] for s in services} == {row["date_maj"]}


def test_the_default_networks_checked_dates_are_exported(tmp_path: Path):
    out = tmp_path / "di"
    result = CliRunner().invoke(
        cli, ["export", "data-inclusion", "-o", str(out), "--data", str(DATA)]
    )
    assert result.exit_code == 0, result.output
    structures = {
        s["id"]: s for s in json.loads((out / "structures.json").read_text(encoding="utf-8"))
    }
    assert structures["france-services-miramas"]["date_maj"] == "2023-09-01"


async def test_qui_aide_answers_show_no_check_that_did_not_happen(default_dist: Path):
    ds = make_datasette(default_dist)
    page = await ds.client.get("/maillage/qui_aide", params={"need": "acces-aux-droits"})
    assert page.status_code == 200
    assert 'class="carte"' in page.text and "vérifiées le" not in page.text
