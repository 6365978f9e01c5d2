"""Headless Chromium for the browser tests: Debian's ``chromium`` driven by Playwright for Python.

Playwright's own browser downloads are not used: the system browser is launched through
``executable_path``. The tests are skipped only when Chromium or Playwright cannot be found
(`make test` installs both). Screenshots go to tests/artifacts/, kept as the tests' evidence.
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator, Mapping
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("chromium not found (Debian: apt-get install chromium; `make test` installs it)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page per test; console errors are kept on ``page.console_errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class _StaticHandler(SimpleHTTPRequestHandler):
    """Files under ``directory``; a path in ``overrides`` answers with those bytes instead."""

    def __init__(self, *args: object, overrides: Mapping[str, bytes], **kwargs: object) -> None:
        self.overrides = overrides
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def do_GET(self) -> None:
        body = self.overrides.get(self.path.split("?", 1)[0])
        if body is None:
            super().do_GET()
            return
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(self.path.split("?", 1)[0]))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def static_site() -> Iterator:
    """``static_site(directory, overrides={"/config.js": b"..."})``: the URL (ending in "/") of an
    HTTP server on its own loopback port serving ``directory``, so that a page it serves makes
    cross-origin requests to pgrestd. The servers stop at the end of the session."""
    servers: list[ThreadingHTTPServer] = []

    def serve(directory: Path, overrides: Mapping[str, bytes] | None = None) -> str:
        handler = functools.partial(_StaticHandler, directory=str(directory), overrides=dict(overrides or {}))
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/"

    yield serve
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()
