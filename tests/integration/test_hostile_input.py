"""Hostile values in every position of the read grammar: a clean 4xx or a correct result, never a 500.

Each payload also tries to run SQL (drop a canary table, call a function
that records it was called); after all requests the canary is intact and
the function never ran.
"""

from __future__ import annotations

from urllib.parse import quote

import psycopg
import pytest
import requests

PAYLOADS = [
    "'",
    '"',
    "';DROP TABLE api.canary;--",
    '";DROP TABLE api.canary;--',
    "1); DROP TABLE api.canary; --",
    "x/* comment */",
    "-- comment",
    "$$;DROP TABLE api.canary;$$",
    "a\x00b",
    "%FF%FE",  # invalid UTF-8 once decoded
    "\\",
    "))))((((",
    "api.pwned()",
    "x" * 100_000,
]

POSITIONS = {
    "column": "/items?select={}",
    "alias": "/items?select={}:id",
    "cast": "/items?select=id::{}",
    "json key": "/items?select=data->{}",
    "json key in filter": "/items?data->>{}=eq.1",
    "filter column": "/items?{}=eq.1",
    "filter value": "/items?id=eq.{}",
    "like value": "/items?name=like.{}",
    "in list": "/items?id=in.({})",
    "quoted in list": '/items?name=in.("{}")',
    "is value": "/items?id=is.{}",
    "fts language": "/items?body=fts({}).fox",
    "or tree": "/items?or=(id.eq.{},id.eq.2)",
    "order term": "/items?order={}",
    "order modifier": "/items?order=id.{}",
    "limit": "/items?limit={}",
    "relation": "/{}",
}


@pytest.fixture(scope="module")
def canary(cluster, query_server):
    cluster.execute(
        "CREATE TABLE IF NOT EXISTS api.canary (id int);"
        "CREATE TABLE IF NOT EXISTS public.pwned_log (at timestamptz DEFAULT now());"
        "CREATE OR REPLACE FUNCTION api.pwned() RETURNS int LANGUAGE sql AS "
        "'INSERT INTO public.pwned_log DEFAULT VALUES RETURNING 1';"
        "GRANT SELECT ON api.canary TO q_anon; GRANT EXECUTE ON FUNCTION api.pwned() TO q_anon;"
        "GRANT INSERT ON public.pwned_log TO q_anon; GRANT USAGE ON SCHEMA public TO q_anon;",
        dbname="query")
    yield
    with psycopg.connect(cluster.uri(dbname="query")) as conn:
        assert conn.execute("SELECT to_regclass('api.canary') IS NOT NULL").fetchone()[0], "canary dropped"
        assert conn.execute("SELECT count(*) FROM public.pwned_log").fetchone()[0] == 0


def _encode(payload: str) -> str:
    if payload == "%FF%FE":
        return payload
    return quote(payload, safe="")


@pytest.mark.parametrize("position", sorted(POSITIONS))
def test_hostile_values(query_server, canary, position):
    template = POSITIONS[position]
    session = requests.Session()
    for payload in PAYLOADS:
        url = query_server.url + template.format(_encode(payload))
        r = session.get(url, timeout=30)
        assert r.status_code < 500, f"{position} {payload[:40]!r}: {r.status_code} {r.text[:300]}"
        if r.status_code >= 400:
            body = r.json()
            assert set(body) == {"code", "message", "details", "hint"}


# All-digit values: where PostgreSQL reads a name, it may read these as an OID instead.
DIGITS = ["0", "1", "3748", "4294967295", "4294967296", "9" * 100]


@pytest.mark.parametrize("position", sorted(POSITIONS))
def test_digit_values(query_server, canary, position):
    session = requests.Session()
    for payload in DIGITS:
        r = session.get(query_server.url + POSITIONS[position].format(payload), timeout=30)
        assert r.status_code < 500, f"{position} {payload[:40]!r}: {r.status_code} {r.text[:300]}"
        if r.status_code >= 400:
            assert set(r.json()) == {"code", "message", "details", "hint"}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_profile_header(query_server, canary, payload):
    try:
        value = payload.encode("latin-1").decode("latin-1")
    except UnicodeEncodeError:
        pytest.skip("not a header value")
    if "\x00" in value:
        pytest.skip("NUL cannot travel in an HTTP header")
    r = requests.get(query_server.url + "/items", headers={"Accept-Profile": value}, timeout=30)
    if len(value) > 256 * 1024:
        # Gunicorn refuses header fields over its limit before pgrestd sees them.
        assert r.status_code == 431
        return
    assert r.status_code == 406
    assert r.json()["code"] == "PGRST106"
