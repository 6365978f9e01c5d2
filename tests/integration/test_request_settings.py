"""Every per-request setting PostgREST sets is visible to SQL: to a function, and to a row-level security policy.

PostgREST's transaction sets the role, search_path, request.jwt.claims,
request.method, request.path, request.headers, request.cookies and the
app.settings.* of the configuration (docs: references/transactions); the
database's own code reads them.  Whatever carries them to the database, these
tests read them back where users read them.
"""

from __future__ import annotations

import time

import jwt
import requests

from tests.support import server_fixture

SECRET = "reallyreallyreallyreallyverysafe-settings"

SQL = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 's_anon') THEN CREATE ROLE s_anon NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 's_user') THEN CREATE ROLE s_user NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 's_auth') THEN
    CREATE ROLE s_auth LOGIN NOINHERIT PASSWORD 's_auth';
  END IF;
END $$;
GRANT s_anon, s_user TO s_auth;
CREATE SCHEMA api;
CREATE SCHEMA extra;
GRANT USAGE ON SCHEMA api TO s_anon, s_user;

CREATE FUNCTION api.settings() RETURNS json STABLE LANGUAGE sql AS $$
  SELECT json_build_object(
    'role', current_setting('role'),
    'current_user', current_user,
    'search_path', current_setting('search_path'),
    'claims', current_setting('request.jwt.claims', true)::json,
    'method', current_setting('request.method', true),
    'path', current_setting('request.path', true),
    'headers', current_setting('request.headers', true)::json,
    'cookies', current_setting('request.cookies', true)::json,
    'greeting', current_setting('app.settings.greeting', true))
$$;
GRANT EXECUTE ON FUNCTION api.settings() TO s_anon, s_user;

-- Rows are visible to their owner (the JWT's sub), and only to GET requests
-- that carry the X-Tenant header of their tenant.
CREATE TABLE api.notes (
  id int PRIMARY KEY,
  owner text NOT NULL,
  tenant text NOT NULL,
  body text NOT NULL
);
INSERT INTO api.notes VALUES (1, 'alice', 'red', 'a1'), (2, 'alice', 'blue', 'a2'), (3, 'bob', 'red', 'b1');
ALTER TABLE api.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY owner_tenant_get ON api.notes FOR SELECT USING (
  owner = current_setting('request.jwt.claims', true)::json ->> 'sub'
  AND tenant = current_setting('request.headers', true)::json ->> 'x-tenant'
  AND current_setting('request.method', true) = 'GET'
  AND current_setting('request.path', true) = '/notes'
);
GRANT SELECT ON api.notes TO s_user;
"""

server = server_fixture(SQL, {
    "db-schemas": "api", "db-anon-role": "s_anon", "db-extra-search-path": "extra",
    "jwt-secret": SECRET, "app.settings.greeting": "hello", "server-workers": 2, "log-level": "info",
}, database="settings", user="s_auth")


def token(claims: dict[str, object]) -> str:
    return "Bearer " + jwt.encode(claims, SECRET, algorithm="HS256")


def test_a_function_reads_every_setting_of_an_anonymous_request(server):
    r = requests.get(server.url + "/rpc/settings", headers={"X-Trace": "t1", "Cookie": "session=abc; theme=dark"},
                     timeout=10)
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["role"] == "s_anon" and seen["current_user"] == "s_anon"
    assert seen["search_path"] == '"api", "extra"'
    assert seen["claims"] == {"role": "s_anon"}
    assert seen["method"] == "GET"
    assert seen["path"] == "/rpc/settings"
    assert seen["headers"]["x-trace"] == "t1"
    assert seen["cookies"] == {"session": "abc", "theme": "dark"}
    assert seen["greeting"] == "hello"


def test_a_function_reads_the_claims_of_a_token_on_post(server):
    claims = {"role": "s_user", "sub": "alice", "tenants": ["red"]}
    r = requests.post(server.url + "/rpc/settings", json={}, headers={"Authorization": token(claims)}, timeout=10)
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["role"] == "s_user" and seen["current_user"] == "s_user"
    assert seen["claims"] == claims
    assert seen["method"] == "POST"
    assert seen["headers"]["content-type"] == "application/json"
    assert seen["cookies"] == {}


def test_a_policy_reads_claims_headers_method_and_path(server):
    alice = {"Authorization": token({"role": "s_user", "sub": "alice"})}
    r = requests.get(server.url + "/notes?order=id", headers={**alice, "X-Tenant": "red"}, timeout=10)
    assert r.status_code == 200, r.text
    assert [row["id"] for row in r.json()] == [1]
    r = requests.get(server.url + "/notes?order=id", headers={**alice, "X-Tenant": "blue"}, timeout=10)
    assert [row["id"] for row in r.json()] == [2]
    bob = {"Authorization": token({"role": "s_user", "sub": "bob"}), "X-Tenant": "red"}
    assert [row["id"] for row in requests.get(server.url + "/notes", headers=bob, timeout=10).json()] == [3]
    # HEAD runs the same read with request.method = 'HEAD': the policy hides every row.
    r = requests.head(server.url + "/notes", headers={**alice, "X-Tenant": "red", "Prefer": "count=exact"}, timeout=10)
    assert r.headers["Content-Range"] == "*/0"


def test_the_access_log_names_the_role_of_failed_requests_too(server):
    """The user field of the access log is the request's role, also when planning or the database refuses it."""
    user = {"Authorization": token({"role": "s_user", "sub": "carol"})}
    ok, missing, refused = "/notes?select=owner", "/nothing_here", "/notes?select=body"
    assert requests.get(server.url + ok, headers=user, timeout=10).status_code == 200
    assert requests.get(server.url + missing, headers=user, timeout=10).status_code == 404
    assert requests.get(server.url + refused, timeout=10).status_code == 401
    lines: dict[str, str] = {}
    for _ in range(50):
        lines = {path: line for line in server.log().splitlines()
                 for path in (ok, missing, refused) if f"GET {path} HTTP" in line}
        if len(lines) == 3:
            break
        time.sleep(0.1)
    assert " - s_user [" in lines[ok]
    assert " - s_user [" in lines[missing]
    assert " - s_anon [" in lines[refused]
