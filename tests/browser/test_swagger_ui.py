"""Swagger UI (npm ``swagger-ui-dist``) over pgrestd's OpenAPI document, in headless Chromium.

Swagger UI's static files are served from another loopback port than pgrestd's, with an initializer
whose ``url`` is pgrestd's root: the document and every request "Try it out" sends are cross-origin,
so the document's host, basePath and schemes, its parameters (headers such as Range-Unit and Prefer
are preflighted) and pgrestd's CORS answers all have to be right for a person to get rows back.
The tests use the page as a person would: expand an operation, "Try it out", fill parameters,
"Execute", and read the response on the page; a write signs in through "Authorize" with a JWT.

Skipped only when Chromium, Playwright, node or npm cannot be found, or the package cannot be
installed (``npm ci`` from swagger/package-lock.json when node_modules is missing or stale).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.support import DemoApi, node_with_packages, start_demo_api

SWAGGER = Path(__file__).resolve().parent / "swagger"
DATABASE = "browser_swagger"
TIMEOUT_MS = 15_000

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def api(pgrestd_server_factory, cluster, demo_settings) -> Iterator[DemoApi]:
    """pgrestd over its own copy of the demo, its document offering JWT authorization."""
    settings = {**demo_settings, "openapi-security-active": True}
    api = start_demo_api(pgrestd_server_factory, cluster, settings, DATABASE)
    yield api
    api.server.stop()


@pytest.fixture(scope="module")
def swagger_url(api: DemoApi, static_site) -> str:
    """Swagger UI's page, its initializer pointing at pgrestd's root document."""
    node_with_packages(SWAGGER, "the Swagger UI test")
    options = {"url": api.url + "/", "dom_id": "#swagger-ui", "validatorUrl": None, "deepLinking": False}
    initializer = (
        "window.onload = function () {\n"
        f"  window.ui = SwaggerUIBundle(Object.assign({json.dumps(options)}, {{\n"
        "    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],\n"
        '    layout: "StandaloneLayout"\n'
        "  }));\n"
        "};\n"
    )
    dist = SWAGGER / "node_modules" / "swagger-ui-dist"
    return static_site(dist, {"/swagger-initializer.js": initializer.encode()})


@pytest.fixture
def ui(page, swagger_url: str):
    """The page with the document rendered."""
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(swagger_url)
    try:
        page.locator(".information-container .title").wait_for()
    except playwright_api.TimeoutError:
        pytest.fail(f"Swagger UI did not render pgrestd's document; console errors: {page.console_errors}")
    return page


def _operation(page, method: str, path: str):
    """The operation block of ``method path``, expanded, in "Try it out" mode."""
    block = page.locator(f".opblock-{method}").filter(
        has=page.locator(f'.opblock-summary-path[data-path="{path}"]'))
    block.locator(".opblock-summary").first.click()
    block.get_by_role("button", name="Try it out").click()
    return block


def _param(block, name: str):
    """The input of parameter ``name`` in an operation in "Try it out" mode."""
    return block.locator(f'tr[data-param-name="{name}"]').locator("input, textarea, select").first


def _execute(block):
    """Execute; the live response's status cell, body and header lines, once it is answered."""
    block.get_by_role("button", name="Execute").click()
    live = block.locator(".live-responses-table tbody tr.response")
    live.wait_for()
    return live.locator(".response-col_status"), live.locator("pre.microlight").first, live.locator(".headerline")


def test_document_renders(ui, api: DemoApi):
    (comment,) = api.sql("SELECT obj_description('api'::regnamespace)")[0]
    expect(ui.locator(".information-container .title")).to_contain_text(comment.splitlines()[0])
    for path in ("/films", "/directors", "/actors", "/rpc/add"):
        expect(ui.locator(f'.opblock-summary-path[data-path="{path}"]').first).to_be_visible()
    expect(ui.locator(".errors-wrapper")).to_have_count(0)  # Swagger UI's resolver and schema errors
    assert ui.console_errors == []


def test_try_out_a_read(ui, api: DemoApi, artifacts: Path):
    block = _operation(ui, "get", "/films")
    _param(block, "select").fill("title,year,director:directors(name)")
    _param(block, "order").fill("year.desc,title")
    _param(block, "limit").fill("2")
    status, body, headers = _execute(block)
    expect(status).to_have_text("200")
    rows = orjson.loads(body.inner_text())
    expected = api.sql(
        "SELECT f.title, f.year, d.name FROM api.films f JOIN api.directors d ON d.id = f.director_id "
        "ORDER BY f.year DESC, f.title LIMIT 2")
    assert rows == [{"title": t, "year": y, "director": {"name": n}} for t, y, n in expected]
    # Content-Range is readable cross-origin only because pgrestd exposes it.
    expect(headers.filter(has_text="content-range")).to_have_text(re.compile(r"content-range: 0-1/\*"))
    request_url = block.locator(".request-url pre").inner_text()
    assert request_url.startswith(api.url + "/films?")
    assert "limit=2" in request_url
    body.scroll_into_view_if_needed()
    ui.screenshot(path=str(artifacts / "swagger-ui-execute.png"), full_page=False)
    assert ui.console_errors == []


def test_try_out_a_function(ui):
    block = _operation(ui, "get", "/rpc/add")
    _param(block, "a").fill("40")
    _param(block, "b").fill("2")
    status, body, _ = _execute(block)
    expect(status).to_have_text("200")
    assert orjson.loads(body.inner_text()) == 42
    assert ui.console_errors == []


def test_try_out_a_write_with_a_jwt(ui, api: DemoApi):
    ui.get_by_role("button", name="Authorize").first.click()
    dialog = ui.locator(".dialog-ux")
    dialog.locator("input").fill("Bearer " + api.token("alice"))
    dialog.get_by_role("button", name="Apply credentials").click()
    dialog.get_by_role("button", name="Remove authorization").wait_for()  # the dialog says "Authorized"
    dialog.get_by_role("button", name="Close").click()
    block = _operation(ui, "post", "/actors")
    block.locator("textarea.body-param__text").fill(json.dumps({"name": "Swagger Tester", "born": "1980-02-03"}))
    _param(block, "Prefer").select_option("return=representation")
    status, body, _ = _execute(block)
    expect(status).to_have_text("201")  # anon may not insert actors: the token went along
    (row,) = orjson.loads(body.inner_text())
    assert api.sql("SELECT id, born::text FROM api.actors WHERE name = 'Swagger Tester'") == [(row["id"], "1980-02-03")]
    assert ui.console_errors == []
