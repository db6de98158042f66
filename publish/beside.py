"""A job run in another process while the build goes on: the machine's second core.

Spawned, not forked: a forked child would share (and copy, page by page, as reference counts
change) the build's gigabytes of graph. A small job is run right away in the build's own
process instead, where starting another would cost more than the job.

The peak resident memory of a process is read (and reset) here too: the build reports it per
stage, and the job's own once done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from multiprocessing import get_context
from pathlib import Path
from typing import Any


def reset_peak_memory() -> None:
    """Linux: writing 5 to clear_refs resets the process's peak resident size (VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_memory_mb() -> float | None:
    """Peak resident memory of this process (since the last reset), in MB; Linux only."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _measured(function: Callable[..., Any], args: tuple) -> tuple[Any, float, float | None]:
    """In the other process: the function's value, its seconds, the process's peak memory."""
    start = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - start, peak_memory_mb()


class Beside:
    """``function(*args)``, in another process unless ``here``; :meth:`result` waits for it.

    Once done, ``seconds`` is the time the function took, and ``peak_mb`` the other process's
    peak resident memory (None when run here, in the build's own process)."""

    def __init__(self, function: Callable[..., Any], args: tuple, here: bool = False) -> None:
        self._pool = None
        self.seconds = 0.0
        self.peak_mb: float | None = None
        if here:
            self._value, self.seconds, _ = _measured(function, args)
            return
        self._pool = get_context("spawn").Pool(1)
        self._pending = self._pool.apply_async(_measured, (function, args))

    def result(self) -> Any:
        """The function's value (its exception is raised here); the process is then stopped."""
        try:
            if self._pool is not None:
                self._value, self.seconds, self.peak_mb = self._pending.get()
        finally:
            self.close()
        return self._value

    def close(self) -> None:
        """Stop the process (done, or no longer wanted because the build failed)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
