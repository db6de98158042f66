"""CSV cells that a spreadsheet will not run: the published CSV files, the CLI's CSV and the
site's CSV exports all go through here.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by spreadsheets (``=HYPERLINK("http://evil.example", "x")``). As OWASP advises, such a
cell is written with a leading apostrophe, which spreadsheets show as text. A number stays a
number: a telephone number (``+33 4 90 58 00 00``) or a negative coordinate (``-4.99``) is
written as it is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_LIKE = re.compile(r"[+-]?[\d(][\d .,()/-]*")


def safe_cell(value: Any) -> Any:
    """``value``, made inert for a spreadsheet if it is text that would be a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        if NUMBER_LIKE.fullmatch(value) is None:
            return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


def safe_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: safe_cell(value) for key, value in row.items()}


class SafeDictWriter(csv.DictWriter):
    """``csv.DictWriter`` whose cells go through :func:`safe_cell`."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow(safe_dict(rowdict))

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


class CSVStream:
    """Makes a CSV text, given in chunks cut anywhere, safe record by record: each chunk's
    complete records (up to the last line end outside quotes) are parsed, made safe and
    written again; the rest waits for the next chunk."""

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, text: str, last: bool = False) -> str:
        text = self._pending + text
        cut = len(text) if last else _last_record_end(text)
        self._pending = text[cut:]
        if not cut:
            return ""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for row in csv.reader(io.StringIO(text[:cut], newline="")):
            writer.writerow(safe_row(row))
        if not text[:cut].endswith("\n"):  # the text's own end: no line end added
            return out.getvalue().removesuffix("\r\n")
        return out.getvalue()


def _last_record_end(text: str) -> int:
    """Where the last complete record of ``text`` ends (after its newline), or 0: the last
    newline with an even number of quotes before it (quotes inside a cell are doubled)."""
    position = text.rfind("\n")
    while position >= 0:
        if text.count('"', 0, position) % 2 == 0:
            return position + 1
        position = text.rfind("\n", 0, position)
    return 0
