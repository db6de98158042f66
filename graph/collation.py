"""French alphabetical order, the one every list, index and drop-down follows: the Unicode
Collation Algorithm (pyuca's default table), so that "É" sorts with "E", case does not
decide before letters do, and "Maison" comes before "MJC".

SQLite and Typst compare code points: the published tables carry the key as text
(:func:`sort_text`, written at build time), and the guide is handed lists already in order.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, TypeVar

T = TypeVar("T")


def unaccented(text: object) -> str:
    """French text as compared without case nor accents: ``"Médiathèque"`` -> ``"mediatheque"``
    (ligatures unfolded too: ``"œ"`` -> ``"oe"``)."""
    decomposed = unicodedata.normalize("NFKD", str(text or "").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _collator() -> Any:
    import pyuca

    return pyuca.Collator()


@lru_cache(maxsize=65536)
def french_key(text: object) -> tuple[int, ...]:
    """The collation key of ``text`` (None and "" sort first)."""
    return tuple(_collator().sort_key(str(text or "")))


def sort_text(text: object) -> str:
    """The collation key as text whose code-point order is the French order (SQLite's
    ``ORDER BY`` on it): each weight as four hexadecimal digits.

    >>> sorted(["MJC", "Écoles", "Maison", "ecole"], key=sort_text)
    ['ecole', 'Écoles', 'Maison', 'MJC']
    """
    return "".join(f"{min(weight, 0xFFFF):04x}" for weight in french_key(text))


def french_sorted(items: Iterable[T], key: Callable[[T], object] = str) -> list[T]:
    """``items`` in French order of ``key(item)``; ties keep their code-point order, so the
    order is the same on every run."""
    return sorted(items, key=lambda item: (french_key(key(item)), str(key(item))))
