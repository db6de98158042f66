"""A short-lived cache of the site's answers, in each server process.

The published database never changes while it is served (a new build swaps in a new folder and
restarts nothing: the cache key carries the database file's identity), so a page asked again
within a few seconds is the same page — but for "open now", which is why the pages are kept
:data:`TTL` seconds only. Under load the same pages are asked many times a second (the home
page, the popular actors); each Datasette page costs 4 to 10 ms of Python, a cached one a
dictionary lookup. Entries are bounded in total size (:data:`MAX_BYTES` per process) by
cachetools' TTL cache; only complete 200 answers to anonymous GET requests are kept.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cachetools import TTLCache

TTL = 20.0  # seconds: "ouvert — ferme à 17 h" is at most this old
MAX_BYTES = 32 * 1024 * 1024
MAX_ENTRY = 512 * 1024  # a bigger answer (a large export) is streamed, never kept

Send = Callable[[dict], Awaitable[None]]


@dataclass
class Entry:
    start: dict
    body: list[bytes] = field(default_factory=list)
    size: int = 0


class PageCache:
    def __init__(self, ttl: float = TTL, max_bytes: int = MAX_BYTES) -> None:
        self.entries: TTLCache = TTLCache(maxsize=max_bytes, ttl=ttl, getsizeof=_size)

    @staticmethod
    def cacheable(scope: dict) -> bool:
        if scope.get("type") != "http" or scope.get("method") != "GET":
            return False
        # a signed-in visitor (Datasette's ds_actor cookie) may see other pages
        return not any(name == b"cookie" for name, _ in scope.get("headers", []))

    async def serve(self, key: tuple, app: Any, scope: dict, receive: Any, send: Send) -> None:
        """Answer from the cache, or let ``app`` answer and keep a copy of a small 200."""
        entry = self.entries.get(key)
        if entry is not None:
            await send(entry.start)
            for chunk in entry.body[:-1]:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send(
                {"type": "http.response.body", "body": entry.body[-1] if entry.body else b""}
            )
            return
        kept: Entry | None = None

        async def keep(message: dict) -> None:
            nonlocal kept
            if message["type"] == "http.response.start":
                kept = Entry(message) if message.get("status") == 200 else None
            elif message["type"] == "http.response.body" and kept is not None:
                kept.body.append(bytes(message.get("body", b"")))
                kept.size += len(kept.body[-1])
                if kept.size > MAX_ENTRY:
                    kept = None
                elif not message.get("more_body", False):
                    self.entries[key] = kept
            await send(message)

        await app(scope, receive, keep)


def _size(entry: Entry) -> int:
    return entry.size + 1024  # the headers and the entry itself


def database_stamp(path: str | None) -> tuple[int, int]:
    """The identity of the served database file: a new publication is a new file."""
    try:
        stat = os.stat(path) if path else None
    except OSError:
        return (0, 0)
    return (stat.st_ino, stat.st_mtime_ns) if stat else (0, 0)
