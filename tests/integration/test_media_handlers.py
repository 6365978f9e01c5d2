"""Custom media type handlers: aggregates returning a media-type domain build the body.

PostgREST docs: references/api/media_type_handlers; Plan/Negotiate.hs.
"""

from __future__ import annotations

import requests

from tests.support import FIXTURES, Server, server_fixture

server = server_fixture(FIXTURES / "media_handlers.sql", {
    "db-schemas": "api", "db-anon-role": "mh_anon", "db-plan-enabled": True, "server-workers": 1,
}, database="media_handlers", user="mh_auth")


def _get(server: Server, path: str, accept: str) -> requests.Response:
    return server.get(path, headers={"Accept": accept})


def test_handler_of_the_table(server):
    r = _get(server, "/items?order=id", "application/vnd.items")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/vnd.items"
    assert r.content == b"1,2"


def test_handler_of_the_table_needs_the_default_select(server):
    r = _get(server, "/items?select=name", "application/vnd.items")
    assert r.status_code == 406
    assert r.json()["code"] == "PGRST107"


def test_handler_of_one_table_is_not_for_another(server):
    assert _get(server, "/others", "application/vnd.items").status_code == 406


def test_anyelement_handler_takes_any_select(server):
    r = _get(server, "/items?select=name&order=id", "pg/outfunc")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "pg/outfunc"
    assert r.content == b"(a)\n(b)\n"


def test_jsonb_domain_body_is_its_binary_value(server):
    r = _get(server, "/others", "application/vnd.j+json")
    assert r.status_code == 200
    assert r.content[:1] == b"\x01"
    assert r.content[1:] == b'[{"id": 1, "label": "x"}]'


def test_table_handler_overrides_builtin_csv_for_that_table_only(server):
    r = _get(server, "/items?order=id", "text/csv")
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.content == b"custom:a;b;"
    assert _get(server, "/others", "text/csv").content == b"id,label\n1,x"


def test_first_acceptable_handler_wins(server):
    r = _get(server, "/others", "application/vnd.items, pg/outfunc;q=0.5")
    assert r.status_code == 200
    assert r.content == b"(1,x)\n"


def test_function_returning_the_table_uses_its_handler(server):
    r = _get(server, "/rpc/get_items?order=id", "application/vnd.items")
    assert r.status_code == 200
    assert r.content == b"1,2"


def test_head_sends_no_body(server):
    r = requests.head(server.url + "/items", headers={"Accept": "application/vnd.items"}, timeout=10)
    assert r.status_code == 200
    assert r.content == b""


def test_plan_for_a_handler(server):
    r = _get(server, "/items", 'application/vnd.pgrst.plan+json; for="application/vnd.items"; options=verbose')
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith('application/vnd.pgrst.plan+json; for="application/vnd.items"')
    assert "items_agg" in r.text
