"""The site's short-lived page cache: the same page within its lifetime, a fresh one after, never
a signed-in visitor's or an error, and never the previous publication's."""

from __future__ import annotations

import asyncio

from maillage.publish.pagecache import PageCache


class CountingApp:
    """An ASGI application that numbers its answers: a cached answer repeats a number."""

    def __init__(self, status: int = 200) -> None:
        self.calls = 0
        self.status = status

    async def __call__(self, scope: dict, receive, send) -> None:
        self.calls += 1
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": b"page ", "more_body": True})
        await send({"type": "http.response.body", "body": str(self.calls).encode()})


def ask(cache: PageCache, app, key=("db", "/", ""), headers=()) -> bytes:
    scope = {"type": "http", "method": "GET", "headers": list(headers)}
    body: list[bytes] = []

    async def send(message: dict) -> None:
        if message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    async def go() -> None:
        if PageCache.cacheable(scope):
            await cache.serve(key, app, scope, None, send)
        else:
            await app(scope, None, send)

    asyncio.run(go())
    return b"".join(body)


def test_a_page_asked_again_is_served_from_the_cache_until_it_expires():
    cache, app = PageCache(ttl=0.3), CountingApp()
    assert ask(cache, app) == b"page 1"
    assert ask(cache, app) == b"page 1"
    assert app.calls == 1
    asyncio.run(asyncio.sleep(0.4))
    assert ask(cache, app) == b"page 2"


def test_another_publication_or_address_is_another_page():
    cache, app = PageCache(), CountingApp()
    ask(cache, app, key=("old", "/", ""))
    assert ask(cache, app, key=("new", "/", "")) == b"page 2"
    assert ask(cache, app, key=("new", "/", "a=1")) == b"page 3"


def test_errors_and_signed_in_visitors_are_never_kept():
    cache, failing = PageCache(), CountingApp(status=500)
    ask(cache, failing)
    ask(cache, failing)
    assert failing.calls == 2
    app = CountingApp()
    ask(cache, app, headers=[(b"cookie", b"ds_actor=x")])
    assert ask(cache, app, headers=[(b"cookie", b"ds_actor=x")]) == b"page 2"


def test_the_cache_is_bounded_in_bytes():
    cache, app = PageCache(max_bytes=10_000), CountingApp()
    for i in range(100):
        ask(cache, app, key=("db", f"/{i}", ""))
    assert cache.entries.currsize <= 10_000
