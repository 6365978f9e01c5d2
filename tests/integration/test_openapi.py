"""The OpenAPI document at the root path: negotiation, openapi-mode, privileges, proxy, security, db-root-spec."""

from __future__ import annotations

import base64

import jwt
import requests

from tests.support import server_fixture

SECRET = "reallyreallyreallyreallyverysafe-openapi"

SCHEMA = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'oa_anon') THEN CREATE ROLE oa_anon NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'oa_user') THEN CREATE ROLE oa_user NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'oa_auth') THEN
    CREATE ROLE oa_auth LOGIN NOINHERIT PASSWORD 'oa_auth';
  END IF;
END $$;
GRANT oa_anon, oa_user TO oa_auth;

CREATE SCHEMA api;
COMMENT ON SCHEMA api IS 'Film API
Everything about films.';
GRANT USAGE ON SCHEMA api TO oa_anon, oa_user;

CREATE TYPE api.rating AS ENUM ('G', 'PG');
CREATE TABLE api.directors (id serial PRIMARY KEY, name text NOT NULL);
COMMENT ON TABLE api.directors IS 'Directors';
CREATE TABLE api.films (
  id integer PRIMARY KEY,
  title varchar(80) NOT NULL DEFAULT 'untitled',
  director_id integer REFERENCES api.directors,
  rated api.rating
);
COMMENT ON COLUMN api.films.title IS 'The title';
CREATE TABLE api.secrets (id integer PRIMARY KEY);
GRANT SELECT ON api.directors, api.films TO oa_anon, oa_user;
GRANT ALL ON api.secrets TO oa_user;

CREATE FUNCTION api.add(a integer, b integer DEFAULT 0) RETURNS integer
  LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
COMMENT ON FUNCTION api.add(integer, integer) IS 'Adds
two integers';
CREATE FUNCTION api.by_rating(r api.rating) RETURNS SETOF api.films
  LANGUAGE sql STABLE AS 'SELECT * FROM api.films WHERE rated = r';
CREATE FUNCTION api.reset() RETURNS void LANGUAGE sql AS 'SELECT';
CREATE FUNCTION api.secret_fn() RETURNS integer LANGUAGE sql STABLE AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION api.secret_fn() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.secret_fn() TO oa_user;

CREATE FUNCTION api.root_doc() RETURNS json LANGUAGE sql STABLE AS $$SELECT '{"custom": true}'::json$$;
"""

SETTINGS = {"db-schemas": "api", "db-anon-role": "oa_anon", "jwt-secret": SECRET, "server-workers": 1,
            "log-level": "info"}

follow = server_fixture(SCHEMA, SETTINGS, database="openapi", user="oa_auth")
ignore = server_fixture(SCHEMA, {
    **SETTINGS, "openapi-mode": "ignore-privileges", "openapi-security-active": True,
    "openapi-server-proxy-uri": "https://films.example.com/api",
}, database="openapi", user="oa_auth")


def _server(pgrestd_server_factory, **settings: object):
    return pgrestd_server_factory(SCHEMA, {**SETTINGS, **settings}, database="openapi", user="oa_auth")


def _token(role: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + jwt.encode({"role": role}, SECRET, algorithm="HS256")}


def test_root_is_an_openapi_document(follow):
    r = follow.get("/")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/openapi+json; charset=utf-8"
    assert "Content-Profile" not in r.headers
    doc = r.json()
    assert doc["swagger"] == "2.0"
    assert doc["info"]["title"] == "Film API"
    assert doc["info"]["description"] == "Everything about films."
    assert doc["basePath"] == "/" and doc["schemes"] == ["http"]
    assert doc["host"] == f"127.0.0.1:{follow.port}"


def test_definitions_and_paths(follow):
    doc = follow.get("/").json()
    films = doc["definitions"]["films"]
    assert films["required"] == ["id", "title"]
    assert films["properties"]["title"] == {"default": "untitled", "description": "The title",
                                            "format": "character varying", "maxLength": 80, "type": "string"}
    assert films["properties"]["director_id"]["description"] == (
        "Note:\nThis is a Foreign Key to `directors.id`.<fk table='directors' column='id'/>")
    assert films["properties"]["rated"] == {"enum": ["G", "PG"], "format": "api.rating", "type": "string"}
    assert doc["paths"]["/directors"]["get"]["summary"] == "Directors"
    assert set(doc["paths"]["/films"]) == {"get", "post", "patch", "delete"}
    assert doc["parameters"]["rowFilter.films.title"]["description"] == "The title"


def test_functions_by_volatility_with_argument_types_as_the_schema_sees_them(follow):
    paths = follow.get("/").json()["paths"]
    assert set(paths["/rpc/add"]) == {"get", "post"}
    assert paths["/rpc/add"]["get"]["summary"] == "Adds"
    assert paths["/rpc/add"]["get"]["description"] == "two integers"
    assert [(p["name"], p["required"]) for p in paths["/rpc/add"]["get"]["parameters"]] == [
        ("a", True), ("b", False)]
    # follow-privileges reads argument types in the request's search_path (PostgREST's accessibleFuncs).
    assert paths["/rpc/by_rating"]["get"]["parameters"][0]["format"] == "rating"
    assert set(paths["/rpc/reset"]) == {"post"}


def test_follow_privileges_shows_what_the_role_may_use(follow):
    anon = follow.get("/").json()["paths"]
    assert "/secrets" not in anon and "/rpc/secret_fn" not in anon
    user = follow.get("/", headers=_token("oa_user")).json()["paths"]
    assert user["/secrets"]["post"]["tags"] == ["secrets"]
    assert user["/rpc/secret_fn"]["post"]["tags"] == ["(rpc) secret_fn"]


def test_head_sends_headers_only(follow):
    r = requests.head(follow.url + "/", headers={"Accept": "application/openapi+json"}, timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/openapi+json; charset=utf-8"
    assert "Content-Length" not in r.headers
    assert r.content == b""


def test_accept_negotiation(follow):
    assert follow.get("/", headers={"Accept": "application/json"}).status_code == 200
    r = follow.get("/", headers={"Accept": "text/csv"})
    assert r.status_code == 406
    assert r.json()["code"] == "PGRST107"
    assert follow.get("/films", headers={"Accept": "application/openapi+json"}).status_code == 406


def test_other_methods_are_refused(follow):
    assert requests.post(follow.url + "/", timeout=10).status_code == 405


def test_ignore_privileges_proxy_and_security(ignore):
    doc = ignore.get("/").json()
    assert "/secrets" in doc["paths"] and "/rpc/secret_fn" in doc["paths"]
    # From the schema cache the type names are schema-qualified, as in PostgREST.
    assert doc["paths"]["/rpc/by_rating"]["get"]["parameters"][0]["format"] == "api.rating"
    assert (doc["host"], doc["basePath"], doc["schemes"]) == ("films.example.com:443", "/api", ["https"])
    assert doc["security"] == [{"JWT": []}]
    assert doc["securityDefinitions"]["JWT"]["in"] == "header"


def test_disabled_is_pgrst126(pgrestd_server_factory):
    server = _server(pgrestd_server_factory, **{"openapi-mode": "disabled"})
    try:
        r = server.get("/")
        assert r.status_code == 404
        assert r.json() == {"code": "PGRST126", "details": None, "hint": None,
                            "message": "Root endpoint metadata is disabled"}
    finally:
        server.stop()


def test_root_spec_function_replaces_the_document(pgrestd_server_factory):
    server = _server(pgrestd_server_factory, **{"db-root-spec": "root_doc"})
    try:
        r = server.get("/")
        assert r.status_code == 200
        assert r.json() == {"custom": True}
    finally:
        server.stop()


def test_base64url_secret_with_dot_padding(pgrestd_server_factory):
    # jwt-secret-is-base64 takes base64url with "." for "=" (PostgREST's decodeSecret); workers
    # once decoded it again their own way and failed to start on such a secret.
    encoded = base64.urlsafe_b64encode(SECRET.encode()).decode().replace("=", ".")
    assert encoded.endswith("..")
    server = _server(pgrestd_server_factory, **{"jwt-secret": encoded, "jwt-secret-is-base64": True})
    try:
        r = server.get("/rpc/secret_fn", headers=_token("oa_user"))  # signed with the decoded key
        assert (r.status_code, r.json()) == (200, 1)
        r = server.get("/rpc/secret_fn", headers={
            "Authorization": "Bearer " + jwt.encode({"role": "oa_user"}, encoded, algorithm="HS256")})
        assert r.status_code == 401
        assert r.json()["code"] == "PGRST301"
    finally:
        server.stop()
