"""OPTIONS answers with Allow; CORS preflights and simple requests get wai-cors' headers."""

from __future__ import annotations

import requests

from tests.support import FIXTURES


def options(server, path, headers=None):
    return requests.options(server.url + path, headers=headers or {}, timeout=10)


def test_options_on_table_and_view(query_server):
    r = options(query_server, "/items")
    assert r.status_code == 200
    assert r.headers["Allow"] == "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE"
    assert r.content == b""
    # An auto-updatable view inherits its base table's primary key, so PUT is allowed too.
    assert options(query_server, "/cheap_items").headers["Allow"] == "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE"


def test_options_on_root_and_unknown(query_server):
    assert options(query_server, "/").headers["Allow"] == "OPTIONS,GET,HEAD"
    r = options(query_server, "/nope")
    assert r.status_code == 404
    assert r.json()["code"] == "PGRST205"


def test_cors_preflight_any_origin(query_server):
    r = options(query_server, "/items", {
        "Origin": "http://example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Foo,Bar",
    })
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Access-Control-Allow-Methods"] == "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD"
    assert r.headers["Access-Control-Allow-Headers"] == "Authorization, Foo, Bar, Accept, Accept-Language, Content-Language"
    assert r.headers["Access-Control-Max-Age"] == "86400"


def test_cors_simple_request_exposes_headers(query_server):
    r = query_server.get("/items?select=id&id=eq.1", headers={"Origin": "http://example.com"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Range" in r.headers["Access-Control-Expose-Headers"]


def test_cors_allowed_origins(pgrestd_server_factory):
    server = pgrestd_server_factory(FIXTURES / "query.sql", {
        "db-schemas": "api", "db-anon-role": "q_anon",
        "server-cors-allowed-origins": "http://example.com, http://other.test", "server-workers": 1,
    }, database="query", user="q_auth")
    try:
        r = server.get("/items?select=id&id=eq.1", headers={"Origin": "http://example.com"})
        assert r.headers["Access-Control-Allow-Origin"] == "http://example.com"
        assert r.headers["Access-Control-Allow-Credentials"] == "true"
        r = server.get("/items?select=id&id=eq.1", headers={"Origin": "http://evil.test"})
        assert r.status_code == 200
        assert "Access-Control-Allow-Origin" not in r.headers
    finally:
        server.stop()


def test_cors_headers_on_error_responses_too(query_server):
    # wai-cors wraps PostgREST's whole application, so a refused request still tells the browser it may read it.
    r = query_server.get("/no_such_table", headers={"Origin": "http://example.com"})
    assert r.status_code == 404
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Range" in r.headers["Access-Control-Expose-Headers"]
