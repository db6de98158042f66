"""Opening hours in words, and whether a place is open now: one function for the site, the
printed guide and the CLI (the exports keep the standard's OpenStreetMap syntax).

The OSM ``opening_hours`` grammar is parsed and evaluated by ``opening-hours-py`` (the Rust
parser of opening-hours-rs), never by regular expressions here. The words are read off what
the parser computes: the open intervals of each day of a week, for every week of a year; the
most common week is said first, the weeks that differ after it, by period.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import opening_hours

PARIS = ZoneInfo("Europe/Paris")
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = tuple(
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
)
# Weeks of a year without public holidays in the evaluation (country unknown to the parser):
# the public holidays are said apart, from the expression's PH rule.
REFERENCE_YEAR = 2029  # starts on a Monday

Week = tuple[tuple[tuple[int, int], ...], ...]  # per day: (start minute, end minute) pairs


@functools.lru_cache(maxsize=4096)
def parse(expression: str | None) -> opening_hours.OpeningHours | None:
    """The parsed expression, or None when empty or refused by the parser (a network has a few
    hundred distinct expressions: each is parsed once, not at every page served)."""
    if not expression:
        return None
    try:
        return opening_hours.OpeningHours(expression)
    except (SyntaxError, ValueError, opening_hours.ParserError):
        return None


def clock(minutes: int) -> str:
    """``510`` -> ``8 h 30``; ``720`` -> ``12 h``; the end of a day is ``minuit``."""
    minutes %= 24 * 60
    if minutes == 0:
        return "minuit"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def _year(parsed: opening_hours.OpeningHours) -> dict[date, tuple[tuple[int, int], ...]]:
    """The open ranges of each day of the reference year, as minutes from its midnight."""
    first = datetime(REFERENCE_YEAR, 1, 1)
    last = datetime(REFERENCE_YEAR + 1, 1, 8)  # a week more: a night range of December 31
    days: dict[date, list[tuple[int, int]]] = {
        (first + timedelta(days=n)).date(): [] for n in range((last - first).days)
    }
    for start, end, state, _comment in parsed.intervals(first, last):
        if state != opening_hours.State.OPEN:
            continue
        start, end = max(start, first), min(end or last, last)
        while start < end:  # one piece per day
            midnight = datetime.combine(start.date() + timedelta(days=1), datetime.min.time())
            piece_end = min(end, midnight)
            begin = start.hour * 60 + start.minute
            days[start.date()].append(
                (begin, begin + int((piece_end - start).seconds // 60 or 1440))
            )
            start = piece_end
    ordered = sorted(days)
    # a range that goes on past midnight belongs to the day it starts ("de 22 h à 2 h")
    for today_date, tomorrow_date in zip(ordered, ordered[1:], strict=False):
        today, tomorrow = days[today_date], days[tomorrow_date]
        if (
            today
            and tomorrow
            and today[-1][1] == 24 * 60
            and today[-1][0] > 0
            and tomorrow[0][0] == 0
            and tomorrow[0][1] < 24 * 60
        ):
            today[-1] = (today[-1][0], 24 * 60 + tomorrow[0][1])
            tomorrow.pop(0)
    return {day: tuple(ranges) for day, ranges in days.items() if day.year == REFERENCE_YEAR}


def _ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    if ranges == ((0, 24 * 60),):
        return "toute la journée"
    return " et ".join(f"de {clock(a)} à {clock(b)}" for a, b in ranges)


def _days(indexes: list[int]) -> str:
    """Consecutive days as a range ("du lundi au vendredi"), others listed."""
    groups: list[list[int]] = []
    for index in indexes:
        if groups and groups[-1][-1] == index - 1:
            groups[-1].append(index)
        else:
            groups.append([index])
    words = []
    for group in groups:
        if len(group) >= 3:
            words.append(f"du {DAYS[group[0]]} au {DAYS[group[-1]]},")
        else:
            words.extend(f"le {DAYS[day]}" for day in group)
    text = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " et " + words[-1]
    return text.replace(", et", " et").replace(",,", ",")


def week_in_words(week: Week) -> str:
    if all(day == ((0, 24 * 60),) for day in week):
        return "24 h sur 24, 7 jours sur 7"
    by_ranges: dict[tuple, list[int]] = {}
    for index, ranges in enumerate(week):
        if ranges:
            by_ranges.setdefault(ranges, []).append(index)
    if not by_ranges:
        return "fermé"
    parts = sorted(by_ranges.items(), key=lambda item: item[1][0])
    return " ; ".join(f"{_days(days)} {_ranges(ranges)}" for ranges, days in parts)


def _period(first: date, last: date, with_year: bool = False) -> str:
    """ "le 1er mai", "du 2 janvier au 9 janvier"; with the year, as a dated closure is said:
    "le 1er mai 2027", "du 2 au 9 janvier 2027", "du 24 décembre 2026 au 1er janvier 2027"."""

    def day(d: date, year: bool) -> str:
        return f"{'1er' if d.day == 1 else d.day} {MONTHS[d.month - 1]}" + (
            f" {d.year}" if year else ""
        )

    if first == last:
        return f"le {day(first, with_year)}"
    if with_year and (first.year, first.month) == (last.year, last.month):
        return f"du {'1er' if first.day == 1 else first.day} au {day(last, True)}"
    return f"du {day(first, with_year and first.year != last.year)} au {day(last, with_year)}"


def _period_words(year: dict, typical: Week, first: date, last: date) -> str:
    """A period's hours: each weekday as it is there the first time (a period across the new
    year runs from ``first`` in December to ``last`` in January)."""
    if last < first:
        days = [d for d in year if d >= first or d <= last]
    else:
        days = [d for d in year if first <= d <= last]
    week: list[tuple] = [() for _ in DAYS]
    seen: set[int] = set()
    for day in sorted(days, key=lambda d: (d < first, d)):
        if day.weekday() not in seen:
            week[day.weekday()] = year[day]
            seen.add(day.weekday())
    return week_in_words(tuple(week))


@functools.lru_cache(maxsize=4096)
def in_words(expression: str | None) -> str:
    """The hours of an OSM ``opening_hours`` expression, in French sentences; an expression the
    parser refuses is returned as written."""
    if not expression or not expression.strip():
        return ""
    parsed = parse(expression)
    if parsed is None:
        return expression
    year = _year(parsed)
    typical: Week = tuple(
        Counter(r for d, r in year.items() if d.weekday() == weekday).most_common(1)[0][0]
        for weekday in range(7)
    )
    sentences = [week_in_words(typical)]
    differing = [d for d, r in sorted(year.items()) if r != typical[d.weekday()]]
    periods: list[list[date]] = []
    for day in differing:  # differing days at most a week apart make one period
        if periods and (day - periods[-1][-1]).days <= 7:
            periods[-1].append(day)
        else:
            periods.append([day])
    spans = [(period[0], period[-1]) for period in periods]
    if len(spans) > 1 and spans[0][0] == date(REFERENCE_YEAR, 1, 1):
        if spans[-1][1] == date(REFERENCE_YEAR, 12, 31):  # one period across the new year
            spans = spans[1:-1] + [(spans[-1][0], spans[0][1])]
    for first, last in spans:
        sentences.append(f"{_period(first, last)} : {_period_words(year, typical, first, last)}")
    text = ". ".join(s[0].upper() + s[1:] for s in sentences)
    if "PH off" in expression or "PH closed" in expression:
        text += ". Fermé les jours fériés"
    elif "PH" in expression:
        text += ". Horaires particuliers les jours fériés"
    return text


def _moment(when: datetime, now: datetime) -> str:
    if when.date() == now.date():
        return f"à {clock(when.hour * 60 + when.minute)}"
    if when.date() == now.date() + timedelta(days=1):
        return f"demain à {clock(when.hour * 60 + when.minute)}"
    if when.date() < now.date() + timedelta(days=7):
        return f"{DAYS[when.weekday()]} à {clock(when.hour * 60 + when.minute)}"
    return f"le {when.day} {MONTHS[when.month - 1]} à {clock(when.hour * 60 + when.minute)}"


OSM_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _osm_day(day: date) -> str:
    return f"{day.year} {OSM_MONTHS[day.month - 1]} {day.day:02d}"


def with_closures(expression: str | None, closures: list[dict]) -> str:
    """The hours in force: the site's OSM expression followed by a rule per dated closure
    (``2026 Dec 24-2027 Jan 01 off "congés"``) and per period of exceptional hours, so that
    the parser itself answers "open now?" and "when next?" on those days. ``closures`` are
    rows of the closures table (start, end, reason, hours); closures come before exceptional
    hours, which win on the days both name. Without regular hours, the rest of the year is
    unknown rather than closed."""
    if not closures:
        return expression or ""
    rules = [expression.strip() if expression and expression.strip() else "24/7 unknown"]
    ordered = sorted(closures, key=lambda c: (bool(c.get("hours")), str(c.get("start"))))
    for closure in ordered:
        days = _closure_days(closure)
        if days is None:
            continue  # refused by the shapes before any publication
        start, end = days
        span = f"{_osm_day(start)}-{_osm_day(end)}" if end != start else _osm_day(start)
        reason = str(closure.get("reason") or "").replace('"', "")
        comment = f' "{reason}"' if reason else ""
        rule = closure.get("hours") or "off"
        rules.append(f"{span} {rule}{comment}")
    return "; ".join(rules)


def _closure_days(closure: Mapping[str, Any]) -> tuple[date, date] | None:
    """A closure's first and last days, None when they are not dates."""
    try:
        return date.fromisoformat(str(closure["start"])), date.fromisoformat(str(closure["end"]))
    except (KeyError, ValueError):
        return None


def closure_in_words(closure: Mapping[str, Any]) -> str:
    """ "Fermé du 24 décembre 2026 au 1er janvier 2027 — congés", "Fermé le 1er mai 2027",
    "Horaires exceptionnels du 2 au 9 janvier 2027 : du lundi au vendredi, de 8 h 30 à 12 h"."""
    closure = dict(closure)  # a row of the closures table, as a dict or an sqlite3.Row
    days = _closure_days(closure)
    if days is None:
        return ""
    period = _period(*days, with_year=True)
    reason = f" — {closure['reason']}" if closure.get("reason") else ""
    if closure.get("hours"):
        words = in_words(str(closure["hours"]))
        words = words[0].lower() + words[1:] if words else ""
        return f"Horaires exceptionnels {period} : {words}{reason}"
    return f"Fermé {period}{reason}"


COUNTRY = "FR"


def holidays_closed(expression: str) -> str:
    """The expression as it is read for "open now": French public holidays are closed unless it
    has a ``PH`` rule of its own (most public services close on them; ``24/7`` stays open).

    >>> holidays_closed("Mo-Fr 09:00-12:00")
    'Mo-Fr 09:00-12:00; PH off "jour férié"'
    """
    if re.search(r"\bPH\b", expression) or expression.strip().startswith("24/7"):
        return expression
    return f'{expression}; PH off "jour férié"'


@functools.lru_cache(maxsize=4096)
def parse_in_force(expression: str | None) -> opening_hours.OpeningHours | None:
    """The expression parsed to answer "open now?": with the French calendar of public
    holidays (the parser's own, ``country``) and Paris's clock, so that the hour a change to
    summer time skips is never announced."""
    if parse(expression) is None:
        return None
    assert expression is not None
    try:
        return opening_hours.OpeningHours(
            holidays_closed(expression), timezone=PARIS, country=COUNTRY
        )
    except (SyntaxError, ValueError, opening_hours.ParserError):
        return None


def _aware(now: datetime | None) -> datetime:
    """``now`` (default: this instant) on Paris's clock, to the second."""
    return (now or datetime.now(PARIS)).astimezone(PARIS).replace(microsecond=0)


def status(expression: str | None, now: datetime | None = None) -> str:
    """ "Ouvert — ferme à 17 h", "Fermé — ouvre lundi à 8 h 30", "Fermé (congés) — ouvre le
    4 janvier à 8 h 30", or "" when unknown; ``now`` is taken in Europe/Paris."""
    parsed = parse_in_force(expression)
    if parsed is None:
        return ""
    now = _aware(now)
    if parsed.is_unknown(now):
        return ""
    state, comment = parsed.state(now)
    why = f" ({comment})" if comment else ""
    if parsed.is_open(now):
        change = parsed.next_change(now)
        return "Ouvert" + why + (f" — ferme {_moment(change, now)}" if change else " en permanence")
    # the next change may be from closed to closed (a closure ends on a closed day): go on to
    # the next opening, a few changes ahead at most
    change = parsed.next_change(now)
    for _ in range(16):
        if change is None or parsed.is_open(change) or parsed.is_unknown(change):
            break
        change = parsed.next_change(change)
    if change is None or parsed.is_unknown(change):
        return "Fermé" + why
    return "Fermé" + why + f" — ouvre {_moment(change, now)}"


def is_open(expression: str | None, now: datetime | None = None) -> bool:
    parsed = parse_in_force(expression)
    return parsed is not None and bool(parsed.is_open(_aware(now)))
