"""Progress of long stages, reported to whoever asked (the CLI's bars, the benchmark, nobody).

The pipeline only calls ``progress(stage, done, total)``; it never prints. ``NO_PROGRESS`` is
the default, so library callers and tests see nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

Progress = Callable[[str, int, int], None]
T = TypeVar("T")


def NO_PROGRESS(stage: str, done: int, total: int) -> None:  # noqa: N802 - a constant
    """Report nothing."""


def tracked(items: list[T], stage: str, progress: Progress, every: int = 500) -> Iterator[T]:
    """Yield the items, reporting every ``every`` items and at the end."""
    total = len(items)
    for done, item in enumerate(items, 1):
        yield item
        if done % every == 0 or done == total:
            progress(stage, done, total)
