"""A job run in another process while the build goes on: the machine's second core.

Spawned, not forked: a forked child would share (and copy, page by page, as reference counts
change) the build's gigabytes of graph. A small job is run right away in the build's own
process instead, where starting another would cost more than the job.
"""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing import get_context
from typing import Any


class Beside:
    """``function(*args)``, in another process unless ``here``; :meth:`result` waits for it."""

    def __init__(self, function: Callable[..., Any], args: tuple, here: bool = False) -> None:
        self._pool = None
        if here:
            self._value = function(*args)
            return
        self._pool = get_context("spawn").Pool(1)
        self._pending = self._pool.apply_async(function, args)

    def result(self) -> Any:
        """The function's value (its exception is raised here); the process is then stopped."""
        try:
            if self._pool is not None:
                self._value = self._pending.get()
        finally:
            self.close()
        return self._value

    def close(self) -> None:
        """Stop the process (done, or no longer wanted because the build failed)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
