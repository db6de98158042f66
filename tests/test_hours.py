"""Opening hours in words, and open or closed now: the words on the standard's example, the
default network and edge cases; open-now agrees with the parser's own answers at fixed
instants."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import opening_hours
import pytest
import yaml
from conftest import DATA

from maillage.graph import hours
from maillage.publish.site import make_datasette

STANDARD = Path(__file__).parent / "standards" / "lieux-mediation-numerique"
PARIS = hours.PARIS


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        (
            "Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00",
            "Du lundi au vendredi, de 8 h 30 à 12 h et de 13 h 30 à 17 h ; le samedi de 9 h à 12 h",
        ),
        ("24/7", "24 h sur 24, 7 jours sur 7"),
        ("Mo-Su 00:00-24:00", "24 h sur 24, 7 jours sur 7"),
        (
            "Mo-Fr 09:00-12:00; PH off",
            "Du lundi au vendredi, de 9 h à 12 h. Fermé les jours fériés",
        ),
        ("Fr-Sa 22:00-02:00", "Le vendredi et le samedi de 22 h à 2 h"),
        ("Tu,Th 14:00-17:00", "Le mardi et le jeudi de 14 h à 17 h"),
        ("Mo,We,Fr 10:00-12:00", "Le lundi, le mercredi et le vendredi de 10 h à 12 h"),
        (
            "Mo-Fr 09:00-18:00; Jul-Aug Mo-Fr 09:00-12:00",
            "Du lundi au vendredi, de 9 h à 18 h. Du 2 juillet au 31 août : du lundi au "
            "vendredi, de 9 h à 12 h",
        ),
        (
            "Mo-Fr 09:00-17:00; Dec 24-Jan 02 off",
            "Du lundi au vendredi, de 9 h à 17 h. Du 24 décembre au 2 janvier : fermé",
        ),
        (
            "week 01-26 Mo 10:00-12:00",
            "Le lundi de 10 h à 12 h. Du 2 juillet au 24 décembre : fermé",
        ),
        (
            "Mo-Fr 09:00-12:00; Dec 25 off",
            "Du lundi au vendredi, de 9 h à 12 h. Le 25 décembre : fermé",
        ),
        ("pas des horaires", "pas des horaires"),  # as written when the parser refuses it
        ("", ""),
    ],
)
def test_hours_in_words(expression: str, words: str):
    assert hours.in_words(expression) == words


def test_the_standards_example_in_words():
    with (STANDARD / "exemple-valide.csv").open(encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert hours.in_words(row["horaires"]) == (
        "Du lundi au vendredi, de 9 h à 12 h et de 14 h à 18 h 30 ; le samedi de 8 h 30 à 12 h"
    )


def _default_hours() -> list[str]:
    found = set()
    for path in (DATA / "actors").glob("*.yaml"):
        for site in yaml.safe_load(path.read_text(encoding="utf-8")).get("sites", []):
            if site.get("opening_hours"):
                found.add(site["opening_hours"])
    return sorted(found)


@pytest.mark.parametrize("expression", _default_hours())
def test_every_default_hours_read_as_french_words(expression: str):
    words = hours.in_words(expression)
    assert words != expression and words[0].isupper()
    for osm in ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su", ":"):
        assert osm not in words.replace("h 30", "")


INSTANTS = [datetime(2026, 12, 1, 8, 0) + timedelta(hours=7 * n) for n in range(48)]


@pytest.mark.parametrize(
    "expression",
    [
        "Mo-Fr 08:30-12:00,13:30-17:00",
        "We 14:00-18:00; Sa 10:00-12:00,14:00-18:00",
        "Fr-Sa 22:00-02:00",
        "24/7",
        "Mo-Fr 09:00-17:00; Dec 24-Jan 02 off",
    ],
)
def test_open_now_agrees_with_the_parser(expression: str):
    parsed = opening_hours.OpeningHours(expression)
    for instant in INSTANTS:
        now = instant.replace(tzinfo=PARIS)
        said = hours.status(expression, now)
        assert hours.is_open(expression, now) == parsed.is_open(instant)
        assert said.startswith("Ouvert" if parsed.is_open(instant) else "Fermé"), (instant, said)
        change = parsed.next_change(instant)
        if change is not None:
            assert hours.clock(change.hour * 60 + change.minute) in said


def test_open_now_says_when_it_changes():
    tuesday_ten = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=PARIS)
    monday_night = datetime(2026, 11, 30, 20, 0, tzinfo=PARIS)
    week = "Mo-Fr 08:30-12:00,13:30-17:00"
    assert hours.status(week, tuesday_ten) == "Ouvert — ferme à 12 h"
    assert hours.status(week, saturday) == "Fermé — ouvre lundi à 8 h 30"
    assert hours.status(week, monday_night) == "Fermé — ouvre demain à 8 h 30"
    assert hours.status("24/7", tuesday_ten) == "Ouvert en permanence"
    assert hours.status("n'importe quoi", tuesday_ten) == ""


async def test_the_site_shows_hours_in_words_and_open_now(default_dist: Path):
    ds = make_datasette(default_dist)
    page = await ds.client.get("/maillage/actors/france-services-miramas")
    assert page.status_code == 200
    assert "Du lundi au vendredi, de 8 h 30 à 12 h" in page.text
    assert "Mo-Fr" not in page.text
    assert "Ouvert — ferme" in page.text or "Fermé — ouvre" in page.text
    answer = await ds.client.get(
        "/maillage/qui_aide", params={"need": "aide-demarches-administratives"}
    )
    assert "Mo-Fr" not in answer.text and "Du lundi au vendredi" in answer.text


CLOSURES = [
    {"start": "2026-12-24", "end": "2027-01-01", "reason": "fermeture de fin d'année"},
    {"start": "2027-01-02", "end": "2027-01-09", "hours": "Mo-Fr 08:30-12:00", "reason": "matin"},
]
WEEK = "Mo-Fr 08:30-12:00,13:30-17:00"


@pytest.mark.parametrize(
    ("instant", "said"),
    [
        (datetime(2026, 12, 23, 10, 0), "Ouvert — ferme à 12 h"),
        (datetime(2026, 12, 23, 18, 0), "Fermé — ouvre le 4 janvier à 8 h 30"),
        (
            datetime(2026, 12, 28, 10, 0),
            "Fermé (fermeture de fin d'année) — ouvre le 4 janvier à 8 h 30",
        ),
        (datetime(2027, 1, 4, 10, 0), "Ouvert (matin) — ferme à 12 h"),
        (datetime(2027, 1, 4, 14, 0), "Fermé — ouvre demain à 8 h 30"),
        (datetime(2027, 1, 11, 14, 0), "Ouvert — ferme à 17 h"),
    ],
)
def test_closures_and_exceptional_hours_decide_open_now(instant: datetime, said: str):
    in_force = hours.with_closures(WEEK, CLOSURES)
    assert hours.status(in_force, instant.replace(tzinfo=PARIS)) == said
    # the parser's own answer on the expression in force
    assert opening_hours.OpeningHours(in_force).is_open(instant) == said.startswith("Ouvert")


def test_a_closure_without_regular_hours_leaves_the_rest_unknown():
    in_force = hours.with_closures("", [{"start": "2026-12-24", "end": "2026-12-26"}])
    assert hours.status(in_force, datetime(2026, 12, 25, 10, tzinfo=PARIS)) == "Fermé"
    assert hours.status(in_force, datetime(2026, 12, 20, 10, tzinfo=PARIS)) == ""


def test_closures_in_words():
    assert hours.closure_in_words(CLOSURES[0]) == (
        "Fermé du 24 décembre 2026 au 1er janvier 2027 — fermeture de fin d'année"
    )
    assert hours.closure_in_words(CLOSURES[1]) == (
        "Horaires exceptionnels du 2 au 9 janvier 2027 : du lundi au vendredi, de 8 h 30 à 12 h"
        " — matin"
    )
    assert hours.closure_in_words({"start": "2027-05-01", "end": "2027-05-01"}) == (
        "Fermé le 1er mai 2027"
    )


async def test_the_actor_page_shows_the_closures_to_come(default_dist: Path):
    ds = make_datasette(default_dist)
    page = (await ds.client.get("/maillage/actors/france-services-miramas")).text
    closures = await ds.client.get(
        "/maillage/closures.json",
        params={"_shape": "array", "site": "france-services-miramas-accueil"},
    )
    today = datetime.now(PARIS).date().isoformat()
    for row in closures.json():
        words = hours.closure_in_words(row)
        assert (words in page.replace("&#39;", "'")) == (row["end"] >= today), words


BASTILLE_DAY = datetime(2026, 7, 14, 10, 0, tzinfo=PARIS)  # a Tuesday


def test_a_public_holiday_closes_a_place_open_on_that_weekday():
    week = "Mo-Fr 09:00-12:00"
    assert hours.status(week, BASTILLE_DAY - timedelta(days=7)) == "Ouvert — ferme à 12 h"
    assert hours.status(week, BASTILLE_DAY) == "Fermé (jour férié) — ouvre demain à 9 h"
    assert not hours.is_open(week, BASTILLE_DAY)
    # Easter Monday 2027 (29 March), a movable holiday: the calendar is the parser's
    assert hours.status(week, datetime(2027, 3, 29, 10, tzinfo=PARIS)).startswith("Fermé")


def test_a_public_holiday_rule_of_the_place_is_honoured():
    assert hours.status("Mo-Fr 09:00-17:00; PH off", BASTILLE_DAY) == "Fermé — ouvre demain à 9 h"
    said = hours.status("Mo-Fr 09:00-17:00; PH 10:00-12:00", BASTILLE_DAY + timedelta(hours=1))
    assert said == "Ouvert — ferme à 12 h"
    assert hours.is_open("24/7", BASTILLE_DAY)


def test_the_hour_summer_time_skips_is_never_announced():
    # 28 March 2027 in Paris: 02:00 becomes 03:00
    night = datetime(2027, 3, 28, 1, 59, tzinfo=PARIS)
    # not "ouvre à 2 h": that night has no 2 h; the next opening is a week later
    assert hours.status("Su 02:00-03:00", night) == "Fermé — ouvre le 4 avril à 2 h"
    assert hours.status("Su 01:00-04:00", night) == "Ouvert — ferme à 4 h"
