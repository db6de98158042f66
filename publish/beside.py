"""A job run in another process while the build goes on: the machine's second core.

:class:`Beside` starts a new Python for it: a job that reads files (the dumps' converter, the
release diff) or small data (the coverage matrix) needs none of the build's gigabytes of graph.
:class:`Forked` forks it, for a job that reads the graph itself (the validation): the copy
shares the build's memory, and copies only the pages whose objects it touches (their reference
counts change). A small job is run right away in the build's own process instead, where
starting another would cost more than the job.

The peak resident memory of a process is read (and reset) here too: the build reports it per
stage, and the job's own once done.

Why not the libraries: ``concurrent.futures``' process pools start their workers with
multiprocessing, whose *spawn* imports the main module again in each worker (the console
script: all of maillage, 0.9 s of CPU each), whose *fork* would copy a process that runs
threads, and whose *forkserver* imports it once in its server, on the core the build does not
use (not measured against this yet); psutil reads the resident size but neither its peak nor
its reset (``/proc/self/clear_refs``), which per-stage peaks need. Which stage runs here or
beside is decided by ``publish.runner`` alone.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from maillage.graph.lifetime import die_with_parent


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


def own_memory_mb() -> float | None:
    """The most memory this process held that no other process shares, in MB (Linux only):
    its private pages now, plus how far its resident size rose since the last reset above what
    it is now (memory it held and freed is its own). For a forked process, whose resident size
    counts the pages it still shares with its parent."""
    try:
        rollup = Path("/proc/self/smaps_rollup").read_text().splitlines()
        status = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    kb = {}
    for line in rollup + status:
        name, _, value = line.partition(":")
        if value.strip().endswith("kB"):
            kb[name] = int(value.split()[0])
    if not {"Private_Clean", "Private_Dirty", "Rss", "VmHWM"} <= kb.keys():
        return None
    private = kb["Private_Clean"] + kb["Private_Dirty"]
    return round((private + max(0, kb["VmHWM"] - kb["Rss"])) / 1024, 1)


def _measured(function: Callable[..., Any], args: tuple) -> tuple[Any, float, float | None]:
    """In the other process: the function's value, its seconds, the process's peak memory."""
    start = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - start, peak_memory_mb()


# The job's scheduling priority, below the build's (0): the build takes a core when it needs one.
NICENESS = 10

# The other process starts with this: Python's own start-up, this module, then the function's
# module, unpickled. multiprocessing's "spawn" would import the build's main module too (the
# console script: every module of maillage, 0.9 s of CPU per process, on the core the build
# does not use).
_BOOT = (
    "import pickle, sys\n"
    "sys.path[:0] = pickle.load(sys.stdin.buffer)\n"
    "from maillage.publish.beside import _serve\n"
    "_serve({parent})\n"
)


class Beside:
    """``function(*args)``, in another process unless ``here``; :meth:`result` waits for it.

    The other process is a new Python (``sys.executable``) given the pickled function and
    arguments on its standard input; its answer comes back pickled on its standard output.
    Once done, ``seconds`` is the time the function took, and ``peak_mb`` the other process's
    peak resident memory (None when run here, in the build's own process)."""

    def __init__(self, function: Callable[..., Any], args: tuple, here: bool = False) -> None:
        self._process: subprocess.Popen | None = None
        self.seconds = 0.0
        self.peak_mb: float | None = None
        if here:
            self._value, self.seconds, _ = _measured(function, args)
            return
        job = pickle.dumps((function, args), protocol=pickle.HIGHEST_PROTOCOL)
        self._process = subprocess.Popen(
            [sys.executable, "-c", _BOOT.format(parent=os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        # sent by a thread: the pipe holds 64 kB, and the process reads once Python has started
        self._sender = threading.Thread(target=self._send, args=(job,), daemon=True)
        self._sender.start()

    def _send(self, job: bytes) -> None:
        assert self._process is not None and self._process.stdin is not None
        try:
            with self._process.stdin as stdin:
                pickle.dump([p for p in sys.path if p], stdin)
                stdin.write(job)
        except (BrokenPipeError, ValueError):  # the process ended (or was stopped) early
            pass

    def result(self) -> Any:
        """The function's value (its exception is raised here); the process is then stopped."""
        try:
            if self._process is not None:
                assert self._process.stdout is not None
                answer = self._process.stdout.read()
                code = self._process.wait()
                try:
                    done, value, self.seconds, self.peak_mb = pickle.loads(answer)
                except Exception:
                    raise RuntimeError(
                        f"le processus {self._process.pid} s'est arrêté sans répondre (code {code})"
                    ) from None
                if not done:
                    raise value
                self._value = value
        finally:
            self.close()
        return self._value

    def close(self) -> None:
        """Stop the process (done, or no longer wanted because the build failed)."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._sender.join()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None


def _serve(parent: int) -> None:
    """In the other process: read the job, answer (done, value or exception, seconds, peak
    memory) on the standard output, which the job itself cannot write to (it is the standard
    error meanwhile); die with ``parent``, the build."""
    die_with_parent(parent)
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    # Second to the build on a busy machine: the build waits for nothing of this job until
    # later stages, and would otherwise share its core with it (three processes, two cores).
    os.nice(NICENESS)
    function, args = pickle.load(sys.stdin.buffer)
    try:
        message: tuple = (True, *_measured(function, args))
    except BaseException as exc:  # noqa: BLE001 - raised again in the build
        message = (False, exc, 0.0, None)
    try:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # the value or the exception cannot be pickled
        data = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}"), 0.0, None))
    with answer:
        answer.write(data)


class Forked:
    """``function(*args)`` in a forked copy of this process; :meth:`result` waits for it.

    The copy reads what this process held when it was made (a built graph) without it being
    sent; only the value comes back (pickled). Once done, ``seconds`` is the time the function
    took and ``peak_mb`` the most memory the copy held of its own (:func:`own_memory_mb`).
    Fork while this process runs no other thread, with the cyclic garbage collector off (it
    would write to every object, and the copy would copy them all).
    """

    def __init__(self, function: Callable[..., Any], args: tuple) -> None:
        self.seconds = 0.0
        self.peak_mb: float | None = None
        context = get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process: Any = context.Process(
            target=_forked, args=(function, args, send, os.getpid()), daemon=True
        )
        self._process.start()
        send.close()

    def result(self) -> Any:
        """The function's value (its exception is raised here); the copy is then gone."""
        try:
            try:
                done, value, self.seconds, self.peak_mb = self._receive.recv()
            except EOFError:
                self._process.join()
                raise RuntimeError(
                    f"le processus {self._process.pid} s'est arrêté sans répondre"
                    f" (code {self._process.exitcode})"
                ) from None
            if not done:
                raise value
            return value
        finally:
            self.close()

    def close(self) -> None:
        """Stop the copy (done, or no longer wanted because the build failed)."""
        if self._process is not None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._receive.close()
            self._process = None


def _forked(function: Callable[..., Any], args: tuple, send: Any, parent: int) -> None:
    """In the forked copy: send (done, value or exception, seconds, own peak memory); die
    with ``parent``, the build."""
    die_with_parent(parent)
    reset_peak_memory()
    start = time.perf_counter()
    try:
        message = (True, function(*args), time.perf_counter() - start, own_memory_mb())
    except BaseException as exc:  # noqa: BLE001 - raised again in the parent
        message = (False, exc, time.perf_counter() - start, None)
    try:
        send.send(message)
    except Exception as exc:  # the value or the exception cannot be pickled
        send.send((False, RuntimeError(f"{type(exc).__name__}: {exc}"), 0.0, None))
    finally:
        send.close()
