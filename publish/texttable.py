"""The plain-text tables the CLI prints (``refer``, ``gaps``, ``sparql``...): headings, a rule,
columns padded to their widest cell, no trailing spaces; and text made safe for a terminal."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

# ECMA-48's sequences, in their 7-bit (ESC ...) and 8-bit (C1) forms: a terminal acts on them
# (colours, window title, links, clipboard, its own commands), so data must never carry one
ESCAPE_SEQUENCES = re.compile(
    r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]?            # CSI: parameters, final byte
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]) .*?     # OSC, DCS, SOS, PM, APC: a string
      (?:\x07|\x1b\\|\x9c|$)                          #   ended by BEL or ST (or the text)
    | \x1b [ -/]* [0-~]?                              # any other escape sequence
    """,
    re.VERBOSE | re.DOTALL,
)
CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
WHITESPACE_CONTROLS = re.compile(r"[\t\n\r\v\f]")


def terminal_text(text: str, lines: bool = False) -> str:
    """``text`` without any escape sequence or C0/C1 control character, as it may be printed
    to a terminal; tabs and line ends become spaces (a table's cell), or, with ``lines``, line
    ends stay."""
    text = ESCAPE_SEQUENCES.sub("", text)
    if lines:
        text = text.replace("\r\n", "\n")
        kept = text.split("\n")
        return "\n".join(CONTROLS.sub("", WHITESPACE_CONTROLS.sub(" ", line)) for line in kept)
    return CONTROLS.sub("", WHITESPACE_CONTROLS.sub(" ", text))


def text_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """``rows`` under ``headers``, every cell made safe for a terminal; None is an empty
    cell."""
    cells = [[terminal_text("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)
