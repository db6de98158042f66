"""The plain-text tables the CLI prints (``refer``, ``gaps``, ``sparql``...): headings, a rule,
columns padded to their widest cell, no trailing spaces."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def text_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """``rows`` under ``headers``; None is an empty cell."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)
