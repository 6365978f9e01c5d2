"""react-admin (examples/react-admin/) with the PostgREST data provider, over pgrestd, in headless Chromium.

The example is installed with ``npm ci`` when its node_modules are missing or stale, and built once
into a temporary directory whose config.js points it at a pgrestd over a fresh copy of the demo
database. A static HTTP server on another loopback port serves the build, so every API request is
cross-origin (CORS preflights, exposed Content-Range). The tests then use the app as a person
would: sign in with a JWT, sort, filter and page the films list, show a film, edit and create an
actor; each step is checked on the page, and writes in the database too.

Skipped only when Chromium, Playwright, node or npm cannot be found, or the packages cannot be
installed; a build that fails is a failure.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jwt
import pytest

from tests.support import ROOT, DemoApi, node_with_packages, tail

EXAMPLE = ROOT / "examples" / "react-admin"
DATABASE = "browser_react_admin"
PER_PAGE = 5  # the films list's page size (src/films.jsx)
TIMEOUT_MS = 15_000

playwright_api = pytest.importorskip("playwright.sync_api")
playwright_api.expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def api(demo_api_factory) -> DemoApi:
    return demo_api_factory(DATABASE)


@pytest.fixture(scope="module")
def app_url(api: DemoApi, tmp_path_factory, static_site) -> str:
    """The built example, served from another port than pgrestd's, its config.js naming the API."""
    node = node_with_packages(EXAMPLE, "the react-admin tests")
    out = tmp_path_factory.mktemp("react-admin")
    cmd = [node, "build.mjs", f"--outdir={out}"]
    done = subprocess.run(cmd, cwd=EXAMPLE, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        output = tail(done.stdout + done.stderr)
        pytest.fail(f"`{' '.join(cmd)}` in {EXAMPLE} exited {done.returncode}:\n{output}")
    (out / "config.js").write_text(f"window.PGRESTD_CONFIG = {json.dumps({'apiUrl': api.url})};\n")
    return static_site(out)


def _sign_in(page, app_url: str, token: str) -> None:
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.goto(app_url)
    page.wait_for_url("**#/login")  # requireAuth sends a visitor without a token here
    page.get_by_label("JWT").fill(token)
    # Once, not in a loop (src/index.jsx says why it could loop).
    assert len(navigations) <= 3, navigations[:10]
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture(scope="module")
def admin(browser, app_url: str, api: DemoApi):
    """One page signed in as alice (role web_user), shared by the module's tests in order."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    _sign_in(page, app_url, api.token("alice"))
    page.get_by_role("heading", name="Films").wait_for()
    yield page
    context.close()


def _column(page, label: str):
    """The cells of the column headed ``label`` in the page's data table, once the table shows."""
    table = page.locator("table.RaDataTable-table")
    table.locator("tbody tr").first.wait_for()
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    assert label in headers, f"no column {label!r} in {headers}"
    return table.locator(f"tbody tr td:nth-child({headers.index(label) + 1})")


def _expect_column(page, label: str, expected: list[str]) -> None:
    """The column shows ``expected``, once the list has refetched after a click."""
    playwright_api.expect(_column(page, label)).to_have_text(expected)


def _expect_range(page, text: str) -> None:
    """The pagination's "first-last of total" label."""
    playwright_api.expect(page.locator(".MuiTablePagination-displayedRows")).to_have_text(text)


def _films(api: DemoApi, order: str, where: str = "true", params: tuple = ()) -> list[tuple]:
    return api.sql(f"SELECT title, year::text FROM api.films WHERE {where} ORDER BY {order}", params)


def test_sign_in_with_a_jwt(admin):
    # The identity comes from the token's claims: "sub (role)".
    admin.get_by_role("button", name="Profile").wait_for()
    assert "alice (web_user)" in admin.locator("header").inner_text()
    assert admin.url.endswith("#/films")


def test_list_shows_the_first_page_sorted_by_title(admin, app_url: str, api: DemoApi, artifacts: Path):
    admin.goto(f"{app_url}#/films?sort=title&order=ASC&page=1&perPage={PER_PAGE}&filter=%7B%7D")
    rows = _films(api, "title")
    _expect_column(admin, "Title", [title for title, _ in rows[:PER_PAGE]])
    _expect_range(admin, f"1-{PER_PAGE} of {len(rows)}")
    # The director is embedded in the same request: films?select=...,director:directors(name).
    directors = dict(api.sql(
        "SELECT f.title, d.name FROM api.films f JOIN api.directors d ON d.id = f.director_id"
    ))
    _expect_column(admin, "Director", [directors[title] for title, _ in rows[:PER_PAGE]])
    admin.screenshot(path=str(artifacts / "react-admin-list.png"))


def test_sort_by_a_clicked_column(admin, app_url: str, api: DemoApi):
    admin.goto(f"{app_url}#/films?sort=title&order=ASC&page=1&perPage={PER_PAGE}&filter=%7B%7D")
    _expect_column(admin, "Title", [title for title, _ in _films(api, "title")[:PER_PAGE]])
    header = admin.locator("table.RaDataTable-table thead").get_by_role("button", name="Year")
    header.click()  # order=year.asc
    by_year = _films(api, "year, title")
    _expect_column(admin, "Year", [year for _, year in by_year[:PER_PAGE]])
    _expect_column(admin, "Title", [title for title, _ in by_year[:PER_PAGE]])  # no ties among these years
    assert "sort=year" in admin.url and "order=ASC" in admin.url
    header.click()  # order=year.desc
    _expect_column(admin, "Year", [year for _, year in _films(api, "year DESC")[:PER_PAGE]])
    assert "order=DESC" in admin.url


def test_filter_by_title(admin, app_url: str, api: DemoApi):
    admin.goto(f"{app_url}#/films?sort=title&order=ASC&page=1&perPage={PER_PAGE}&filter=%7B%7D")
    _expect_column(admin, "Title", [title for title, _ in _films(api, "title")[:PER_PAGE]])
    admin.get_by_placeholder("Search titles").fill("mem")  # title=ilike.*mem*
    matching = [title for title, _ in _films(api, "title", "title ILIKE %s", ("%mem%",))]
    assert matching == ["Memento", "Memories of Murder"]
    _expect_column(admin, "Title", matching)
    _expect_range(admin, f"1-{len(matching)} of {len(matching)}")


def test_next_page(admin, app_url: str, api: DemoApi):
    admin.goto(f"{app_url}#/films?sort=title&order=ASC&page=1&perPage={PER_PAGE}&filter=%7B%7D")
    titles = [title for title, _ in _films(api, "title")]
    _expect_column(admin, "Title", titles[:PER_PAGE])
    admin.get_by_role("button", name="Go to next page").click()  # offset=5&limit=5
    _expect_column(admin, "Title", titles[PER_PAGE : 2 * PER_PAGE])
    _expect_range(admin, f"{PER_PAGE + 1}-{2 * PER_PAGE} of {len(titles)}")
    admin.get_by_role("button", name="Go to next page").click()
    _expect_column(admin, "Title", titles[2 * PER_PAGE :])
    _expect_range(admin, f"{2 * PER_PAGE + 1}-{len(titles)} of {len(titles)}")
    assert admin.get_by_role("button", name="Go to next page").is_disabled()


def test_show_a_film(admin, app_url: str, api: DemoApi):
    admin.goto(f"{app_url}#/films?sort=title&order=ASC&page=1&perPage={PER_PAGE}&filter=%7B%7D")
    admin.locator("table.RaDataTable-table tbody tr").filter(has_text="Inception").click()
    (film_id,) = api.sql("SELECT id FROM api.films WHERE title = 'Inception'")[0]
    admin.wait_for_url(f"**#/films/{film_id}/show")
    main = admin.locator("#main-content")
    # The director through a reference (directors?id=eq.N), the cast embedded two levels deep.
    main.get_by_role("link", name="Christopher Nolan").wait_for()
    cast = api.sql(
        "SELECT a.name, r.character FROM api.roles r JOIN api.actors a ON a.id = r.actor_id "
        "JOIN api.films f ON f.id = r.film_id WHERE f.title = 'Inception'"
    )
    assert len(cast) == 3
    for name, character in cast:
        main.get_by_role("cell", name=name).wait_for()
        main.get_by_role("cell", name=character).wait_for()
    text = main.inner_text()
    for expected in ("Inception", "2010", "PG-13", "148", "$839,000,000", "science fiction"):
        assert expected in text


def test_edit_an_actor(admin, app_url: str, api: DemoApi):
    (actor_id,) = api.sql("SELECT id FROM api.actors WHERE name = 'Zendaya'")[0]
    admin.goto(f"{app_url}#/actors?sort=name&order=ASC&page=1&perPage=25&filter=%7B%7D")
    admin.locator("table.RaDataTable-table tbody tr").filter(has_text="Zendaya").click()
    admin.wait_for_url(f"**#/actors/{actor_id}/show")
    admin.locator("#main-content").get_by_role("link", name="Dune").wait_for()  # roles?actor_id=eq.N, films
    admin.get_by_role("link", name="Edit").click()
    admin.wait_for_url(f"**#/actors/{actor_id}")
    name = admin.get_by_label("Name")
    assert name.input_value() == "Zendaya"
    assert admin.get_by_label("Born").input_value() == "1996-09-01"
    name.fill("Zendaya Coleman")
    admin.get_by_role("button", name="Save").click()  # PATCH actors?id=eq.N, pessimistic
    admin.wait_for_url(f"**#/actors/{actor_id}/show")
    admin.get_by_text("Element updated").wait_for()
    admin.locator("#main-content").get_by_text("Zendaya Coleman", exact=True).wait_for()
    assert api.sql("SELECT name, born::text FROM api.actors WHERE id = %s", (actor_id,)) == [
        ("Zendaya Coleman", "1996-09-01")
    ]


def test_create_an_actor(admin, app_url: str, api: DemoApi):
    admin.goto(f"{app_url}#/actors?sort=name&order=ASC&page=1&perPage=25&filter=%7B%7D")
    admin.get_by_role("link", name="Create").click()
    admin.wait_for_url("**#/actors/create")
    admin.get_by_label("Name").fill("Hidetoshi Nishijima")
    admin.get_by_label("Born").fill("1971-03-29")
    admin.get_by_role("button", name="Save").click()  # POST actors, one object back
    admin.get_by_text("Element created").wait_for()
    rows = api.sql("SELECT id, born::text FROM api.actors WHERE name = 'Hidetoshi Nishijima'")
    assert [born for _, born in rows] == ["1971-03-29"]
    admin.wait_for_url(f"**#/actors/{rows[0][0]}/show")
    main = admin.locator("#main-content")
    main.get_by_text("Hidetoshi Nishijima", exact=True).wait_for()
    assert "March 29, 1971" in main.inner_text()
    # ... and the list finds it.
    admin.goto(f"{app_url}#/actors?sort=name&order=ASC&page=1&perPage=25&filter=%7B%7D")
    admin.get_by_placeholder("Search names").fill("nishi")
    _expect_column(admin, "Name", ["Hidetoshi Nishijima"])
    _expect_range(admin, "1-1 of 1")


def test_no_console_errors(admin):
    assert admin.console_errors == []


def test_a_token_pgrestd_rejects_signs_out(browser, app_url: str, api: DemoApi):
    """A token with a bad signature passes the page's own check; pgrestd's 401 (with CORS headers,
    so the page can read it) sends the user back to the login page."""
    claims = {"role": "web_user", "sub": "mallory"}
    forged = jwt.encode(claims, "not-this-server's-secret-0123456789", algorithm="HS256")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        with page.expect_response(lambda r: r.url.startswith(api.url) and r.status == 401):
            _sign_in(page, app_url, forged)
        page.wait_for_url("**#/login")
        page.get_by_label("JWT").wait_for()
        assert page.evaluate("localStorage.getItem('pgrestd.token')") is None
    finally:
        context.close()
