"""Helper processes (the loading's workers, the build's jobs beside it) die with the process
that started them: after a SIGKILL of a build nothing works on for nobody."""

from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent: int) -> None:
    """Linux: this process is killed (SIGKILL) when ``parent`` ends, however it ends (a SIGKILL
    included); elsewhere, nothing. Called first thing in the helper, with the pid its parent had
    when starting it: if the parent ended before this was set, the helper ends now.

    The kernel sends the signal when the *thread* that started the helper ends: helpers are
    started and awaited by one call in one thread (publish/runner.py, graph/load.py)."""
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
