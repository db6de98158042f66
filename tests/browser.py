"""Real-browser helpers: Debian's Chromium driven by Playwright, and a served site on loopback.

Chromium comes from Debian's packages (``make test`` installs them when it can); the tests skip,
with the reason printed, where it is missing.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from maillage.publish.site import site_argv

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "Chromium is not installed (Debian package chromium; make test installs it "
        "when apt-get is available): browser test skipped"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(out: Path, python: str | None = None) -> Iterator[str]:
    """Serve a published folder with the real `maillage serve` command line (``python``: an
    interpreter other than this one, e.g. an earlier commit's venv, runs it)."""
    port = free_port()
    argv = site_argv(out, "127.0.0.1", port)
    argv[0] = python or argv[0]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                httpx.get(f"{url}/-/versions.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("datasette did not start: " + process.stderr.read().decode()[:500])
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def browser_page() -> Iterator:
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright's Python package is not installed: browser test skipped")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()
