"""Headless Chromium for the slides: printing PDF handouts, and the browser tests.

The kit never downloads a browser. It drives the system's Chromium (Debian: ``apt-get install
chromium``; the environment variable ``COURSE_CHROMIUM`` names another executable) through the
Python package ``playwright`` (``pip install playwright``; never ``playwright install``).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM_VARIABLE = "COURSE_CHROMIUM"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOW_TO_INSTALL = (
    "install Chromium and Playwright's Python package: `apt-get install chromium` (Debian/Ubuntu) "
    "and `pip install playwright` (never `playwright install`: the kit uses the system's "
    f"Chromium; set {CHROMIUM_VARIABLE} to use another executable)"
)


def chromium_path() -> str | None:
    """The Chromium executable to use, or ``None`` if there is none."""
    named = os.environ.get(CHROMIUM_VARIABLE)
    if named:
        return named if Path(named).exists() else None
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


def missing() -> str | None:
    """What is missing to drive a browser, with how to install it; ``None`` if nothing is."""
    problems = []
    if chromium_path() is None:
        problems.append("no Chromium executable")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("no Python package playwright")
    if not problems:
        return None
    return f"{' and '.join(problems)}: {HOW_TO_INSTALL}."


@contextlib.contextmanager
def launch() -> Iterator[Any]:
    """A headless Chromium browser (a Playwright ``Browser``), closed on exit.

    Raises:
        RuntimeError: if Chromium or Playwright is missing, saying how to install them.
    """
    problem = missing()
    if problem:
        raise RuntimeError(f"Cannot start a browser, {problem}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(directory: str | Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on 127.0.0.1 (a free port) while the block runs.

    Yields:
        The base address, such as ``http://127.0.0.1:41234``.

    Example:
        >>> import urllib.request
        >>> from course.project import ROOT
        >>> with serve(ROOT) as base:
        ...     urllib.request.urlopen(base + "/pyproject.toml").status
        200
    """
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with _no_proxy_for_this_machine():
            yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def _no_proxy_for_this_machine() -> Iterator[None]:
    """Add 127.0.0.1 and localhost to ``NO_PROXY`` while the block runs.

    Behind a proxy (``HTTP_PROXY`` set) Python's ``urllib`` would send requests for the local
    server to the proxy, which cannot reach it. Chromium bypasses proxies for loopback itself.
    """
    saved = {name: os.environ.get(name) for name in ("no_proxy", "NO_PROXY")}
    for name, value in saved.items():
        os.environ[name] = ",".join(part for part in (value, "127.0.0.1", "localhost") if part)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def print_pdfs(directory: Path, names: list[str], width: int, height: int) -> list[Path]:
    """Print each built deck ``directory/NAME.html`` to ``directory/NAME.pdf``, a page a slide.

    Uses reveal.js' print layout (``?print-pdf``) in headless Chromium.

    Args:
        directory: the folder of the built decks.
        names: the decks' file stems.
        width: the slide width in pixels.
        height: the slide height in pixels.

    Returns:
        The paths of the PDF files.
    """
    written = []
    with serve(directory) as base, launch() as browser:
        page = browser.new_page(viewport={"width": width, "height": height})
        for name in names:
            page.goto(f"{base}/{name}.html?print-pdf")
            page.wait_for_selector(".reveal.ready", timeout=30_000)
            page.evaluate("document.fonts.ready.then(() => true)")
            path = directory / f"{name}.pdf"
            page.pdf(path=str(path), print_background=True, prefer_css_page_size=True)
            written.append(path)
    return written
