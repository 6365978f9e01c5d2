"""The first end-to-end path: GET on tables and views, unknown relations, the root."""

from __future__ import annotations


def test_get_table_returns_json_array_built_in_sql(demo_server):
    r = demo_server.get("/directors")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    rows = r.json()
    assert isinstance(rows, list) and len(rows) == 6
    assert {"id", "name"} <= set(rows[0])
    assert r.headers["Content-Range"] == "0-5/*"


def test_get_view(demo_server):
    r = demo_server.get("/film_summaries")
    assert r.status_code == 200
    assert len(r.json()) == 12


def test_rls_applies_to_anonymous_role(demo_server, cluster):
    # The demo has two unpublished drafts that anon must not see.
    r = demo_server.get("/reviews")
    assert r.status_code == 200
    assert all(row["published"] for row in r.json())
    assert len(r.json()) == 9


def test_unknown_relation_is_pgrst205(demo_server):
    r = demo_server.get("/unknown")
    assert r.status_code == 404
    assert r.json() == {
        "code": "PGRST205",
        "details": None,
        "hint": None,
        "message": "Could not find the table 'api.unknown' in the schema cache",
    }


def test_close_name_gets_a_hint(demo_server):
    r = demo_server.get("/director")
    assert r.status_code == 404
    assert r.json()["hint"] == "Perhaps you meant the table 'api.directors'"


def test_root_describes_the_schema(demo_server):
    r = demo_server.get("/")
    assert r.status_code == 200
    assert "/films" in r.json()["paths"]


def test_head_has_headers_and_no_body(demo_server):
    import requests

    r = requests.head(demo_server.url + "/films", timeout=10)
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["Content-Range"].startswith("0-")


def test_unknown_schema_profile_is_406(demo_server):
    r = demo_server.get("/films", headers={"Accept-Profile": "private"})
    assert r.status_code == 406
    assert r.json()["code"] == "PGRST106"
    assert r.json()["hint"] == "Only the following schemas are exposed: api"


def test_invalid_path_is_pgrst125(demo_server):
    r = demo_server.get("/films/1/extra")
    assert r.status_code == 404
    assert r.json()["code"] == "PGRST125"


def test_access_log_uses_combined_format_with_role(demo_server):
    import time

    demo_server.get("/actors", headers={"User-Agent": "pgrestd-test", "Referer": "http://example.test/"})
    # Gunicorn writes the access line after the response has gone out.
    deadline = time.monotonic() + 5
    while '"pgrestd-test"' not in demo_server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = demo_server.log()
    assert '"GET /actors HTTP/1.1" 200' in log
    assert ' - anon [' in log
    assert '"http://example.test/" "pgrestd-test"' in log
