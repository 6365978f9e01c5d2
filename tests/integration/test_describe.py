"""The API's descriptions by Accept, at the root and with OPTIONS (pgrestd.describe), over HTTP.

Swagger 2.0 stays the answer to every Accept PostgREST knows, byte for byte
(``golden/describe_swagger.json`` was written by the code before the
descriptions existed: ``PGRESTD_UPDATE_GOLDEN=1`` rewrites it); OpenAPI 3.1,
a Mermaid ER diagram and RAML 1.0 come only when Accept names them.  The
Mermaid and RAML texts are also read by Mermaid's and RAML's own parsers
(npm ``mermaid`` and ``raml-1-parser``, installed from describe_js/ on first
use; those two tests are skipped without node and npm).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import jwt
import orjson
import pytest
import requests
import yaml
from openapi_spec_validator import validate

import pgrestd
from tests.support import FIXTURES, node_with_packages, server_fixture

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "describe_swagger.json"
JS_DIR = HERE / "describe_js"
SECRET = "reallyreallyreallyreallyverysafe-describe"

OPENAPI = "application/openapi+json"
OPENAPI_31 = "application/openapi+json;version=3.1"
MERMAID = "text/vnd.mermaid"
RAML = "application/raml+yaml"
CONTENT_TYPES = {
    OPENAPI: "application/openapi+json; charset=utf-8",
    OPENAPI_31: "application/openapi+json; version=3.1; charset=utf-8",
    MERMAID: "text/vnd.mermaid; charset=utf-8",
    RAML: "application/raml+yaml; charset=utf-8",
}

SETTINGS = {"db-schemas": "api,other", "db-anon-role": "d_anon", "jwt-secret": SECRET, "server-workers": 1,
            "log-level": "info", "openapi-server-proxy-uri": "http://films.example.com:8080/"}

follow = server_fixture(FIXTURES / "describe.sql", SETTINGS, database="describe", user="d_auth")
ignore = server_fixture(FIXTURES / "describe.sql", {
    **SETTINGS, "openapi-mode": "ignore-privileges", "openapi-security-active": True,
    "openapi-server-proxy-uri": "https://films.example.com/api",
}, database="describe", user="d_auth")


def _get(server, path: str = "/", accept: str | None = None, method: str = "GET", **headers: str):
    if accept is not None:
        headers["Accept"] = accept
    return requests.request(method, server.url + path, headers=headers, timeout=30)


def _user() -> str:
    return "Bearer " + jwt.encode({"role": "d_user"}, SECRET, algorithm="HS256")


# -- Swagger 2.0, unchanged ---------------------------------------------------------------


def _expected_swagger() -> bytes:
    """The golden document as the server sends it: compact, with this build's version."""
    doc = orjson.loads(GOLDEN.read_bytes())
    doc["info"]["version"] = pgrestd.__version__
    return orjson.dumps(doc)


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/openapi+json;version=2.0",
                                    "application/openapi+json; version=2", "text/csv, application/json"])
def test_the_swagger_document_is_unchanged(follow, accept):
    r = _get(follow, accept=accept)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/openapi+json; charset=utf-8"
    assert r.headers["Content-Profile"] == "api"
    if os.environ.get("PGRESTD_UPDATE_GOLDEN") and accept is None:
        GOLDEN.write_bytes(orjson.dumps(orjson.loads(r.content), option=orjson.OPT_INDENT_2) + b"\n")
    assert r.content == _expected_swagger()


def test_head_sends_each_type_without_a_body(follow):
    for accept, content_type in CONTENT_TYPES.items():
        r = _get(follow, accept=accept, method="HEAD")
        assert (r.status_code, r.headers["Content-Type"], r.content) == (200, content_type, b"")
        assert "Content-Length" not in r.headers  # as PostgREST's HEAD


@pytest.mark.parametrize("accept", ["text/csv", "application/openapi+json;version=3.0", "text/*"])
def test_what_cannot_be_produced_is_still_406(follow, accept):
    r = _get(follow, accept=accept)
    assert r.status_code == 406
    assert r.json()["code"] == "PGRST107"


# -- OpenAPI 3.1 --------------------------------------------------------------------------


def test_openapi_3_1_at_the_root(follow):
    r = _get(follow, accept=OPENAPI_31)
    assert r.headers["Content-Type"] == CONTENT_TYPES[OPENAPI_31]
    doc = r.json()
    validate(doc)
    # Bare application/openapi+json is 3.1 too, sent with the Content-Type PostgREST gives that type.
    bare = _get(follow, accept=OPENAPI)
    assert bare.headers["Content-Type"] == "application/openapi+json; charset=utf-8"
    assert bare.json() == doc
    swagger = _get(follow).json()
    assert doc["info"] == swagger["info"] == {"title": "Film API", "description": "Everything about films.",
                                              "version": pgrestd.__version__}
    assert doc["servers"] == [{"url": "http://films.example.com:8080"}]
    assert set(doc["paths"]) == {p.replace(" ", "%20") for p in swagger["paths"]}
    assert doc["paths"]["/films"]["get"]["summary"] == swagger["paths"]["/films"]["get"]["summary"] == "Feature films"
    films = doc["components"]["schemas"]["films"]["properties"]
    assert films["title"]["description"] == swagger["definitions"]["films"]["properties"]["title"]["description"]
    assert films["rated"] == {"enum": ["G", "PG", None], "format": "api.rating", "type": ["string", "null"]}
    title = doc["components"]["parameters"]["rowFilter.films.title"]
    assert title["description"].startswith('The "title"\n\n`<operator>.<value>`')
    assert "/secrets" not in doc["paths"] and "security" not in doc


def test_openapi_3_1_follows_the_roles_privileges(follow):
    doc = _get(follow, accept=OPENAPI_31, Authorization=_user()).json()
    validate(doc)
    assert set(doc["paths"]["/secrets"]) == {"get", "post", "patch", "delete", "put"}


def test_openapi_3_1_with_ignore_privileges_proxy_and_security(ignore):
    doc = _get(ignore, accept=OPENAPI_31).json()
    validate(doc)
    assert "/secrets" in doc["paths"]
    assert doc["servers"] == [{"url": "https://films.example.com/api"}]
    assert doc["components"]["securitySchemes"]["JWT"]["scheme"] == "bearer"
    assert doc["security"] == [{"JWT": []}]


def test_accept_profile_picks_the_schema(follow):
    r = _get(follow, accept=OPENAPI_31, **{"Accept-Profile": "other"})
    assert r.headers["Content-Profile"] == "other"
    doc = r.json()
    validate(doc)
    assert set(doc["paths"]) == {"/", "/things"}
    assert _get(follow, accept=MERMAID, **{"Accept-Profile": "nope"}).json()["code"] == "PGRST106"


# -- Mermaid and RAML -----------------------------------------------------------------------


def test_mermaid_at_the_root(follow):
    r = _get(follow, accept=MERMAID)
    assert r.headers["Content-Type"] == CONTENT_TYPES[MERMAID]
    text = r.text
    assert text.startswith("erDiagram\n")
    for line in ('  "film details" {', "    integer film_id PK, FK", '    text _pk "pk"',
                 '    character_varying(80) title "The \'title\'"', "    text code UK",
                 '  "films" }o--o| "directors" : "director_id"', '  "actors" }o..o{ "films" : "via roles"',
                 '  "film details" |o--|| "films" : "film_id"', '  "films" }o..o{ "actors" : "cast_of()"',
                 '  "film_titles" }o--o| "directors" : "director_id"'):
        assert line in text.splitlines(), line
    assert '"secrets"' not in text
    assert '"secrets" }o--o| "films" : "film_id"' in _get(follow, accept=MERMAID, Authorization=_user()).text


def test_raml_at_the_root(ignore):
    r = _get(ignore, accept=RAML)
    assert r.headers["Content-Type"] == CONTENT_TYPES[RAML]
    assert r.text.startswith("#%RAML 1.0\n")
    doc = yaml.safe_load(r.text)
    assert (doc["title"], doc["baseUri"], doc["securedBy"]) == ("Film API", "https://films.example.com/api", ["JWT"])
    assert set(doc["types"]) >= {"films", "film_details", "pgrst_filter"}
    assert set(doc["/films"]) == {"description", "get", "post", "patch", "delete", "put"}
    assert doc["/rpc/add"]["get"]["queryParameters"]["a"] == {"type": "integer", "required": True}


def _parse_with_node(kind: str, text: str) -> dict:
    node = node_with_packages(JS_DIR, "the Mermaid and RAML parser checks")
    done = subprocess.run([node, str(JS_DIR / "check.mjs"), kind], input=text, capture_output=True, text=True,
                          cwd=JS_DIR, timeout=120, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"check.mjs {kind} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return json.loads(lines[-1])


@pytest.mark.parametrize("path", ["/", "/films", "/film%20details", "/rpc/add"])
def test_mermaids_parser_reads_the_diagram(follow, path):
    r = _get(follow, path, accept=MERMAID, method="GET" if path == "/" else "OPTIONS")
    assert r.status_code == 200
    assert _parse_with_node("mermaid", r.text) == {"ok": True, "errors": []}


@pytest.mark.parametrize("path", ["/", "/films", "/rpc/add"])
def test_the_raml_parser_reads_the_description(ignore, path):
    r = _get(ignore, path, accept=RAML, method="GET" if path == "/" else "OPTIONS")
    assert r.status_code == 200
    assert _parse_with_node("raml", r.text) == {"ok": True, "errors": []}


# -- OPTIONS ----------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/openapi+json;version=2.0",
                                    "text/csv"])
@pytest.mark.parametrize("path, allow", [("/", "OPTIONS,GET,HEAD"),
                                         ("/films", "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE"),
                                         ("/rpc/add", "OPTIONS,GET,HEAD,POST")])
def test_options_is_unchanged_unless_accept_names_a_description(follow, accept, path, allow):
    r = _get(follow, path, accept=accept, method="OPTIONS")
    assert (r.status_code, r.headers["Allow"], r.content) == (200, allow, b"")
    assert "Content-Type" not in r.headers


def test_options_on_a_table_describes_it_and_its_relationships(follow):
    r = _get(follow, "/directors", accept=MERMAID, method="OPTIONS")
    assert (r.status_code, r.headers["Allow"], r.headers["Content-Type"]) == (
        200, "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE", CONTENT_TYPES[MERMAID])
    entities = [line.strip() for line in r.text.splitlines() if line.endswith("{")]
    assert entities == ['"directors" {', '"film_titles" {', '"films" {']
    doc = _get(follow, "/directors", accept=OPENAPI_31, method="OPTIONS").json()
    validate(doc)
    assert list(doc["paths"]) == ["/directors"]
    assert set(doc["components"]["schemas"]) == {"directors", "pgrst.filter"}


def test_options_on_the_root_and_a_function(follow):
    root = _get(follow, "/", accept=OPENAPI_31, method="OPTIONS")
    assert root.headers["Allow"] == "OPTIONS,GET,HEAD"
    assert root.json() == _get(follow, accept=OPENAPI_31).json()
    add = yaml.safe_load(_get(follow, "/rpc/add", accept=RAML, method="OPTIONS").text)
    assert [key for key in add if key.startswith("/")] == ["/rpc/add"]
    assert add["/rpc/add"]["description"] == "Adds\ntwo integers"


def test_options_of_what_does_not_exist_is_still_404(follow):
    assert _get(follow, "/nope", accept=MERMAID, method="OPTIONS").json()["code"] == "PGRST205"
    assert _get(follow, "/rpc/nope", accept=RAML, method="OPTIONS").json()["code"] == "PGRST202"


def test_options_reads_accept_profile_as_postgrest_does(follow):
    # PostgREST reads Content-Profile for POST, PATCH, PUT and DELETE only (ApiRequest.getSchema).
    r = _get(follow, "/things", accept=OPENAPI_31, method="OPTIONS", **{"Accept-Profile": "other"})
    assert (r.status_code, r.headers["Content-Profile"], list(r.json()["paths"])) == (200, "other", ["/things"])
    assert _get(follow, "/things", method="OPTIONS", **{"Accept-Profile": "other"}).headers["Allow"].startswith(
        "OPTIONS,GET")
    assert _get(follow, "/things", method="OPTIONS", **{"Content-Profile": "other"}).json()["code"] == "PGRST205"


def test_a_role_sees_only_its_own_part(follow):
    assert _get(follow, "/secrets", accept=MERMAID, method="OPTIONS").text == "erDiagram\n"
    assert '"secrets" {' in _get(follow, "/secrets", accept=MERMAID, method="OPTIONS", Authorization=_user()).text


# -- openapi-mode disabled ---------------------------------------------------------------------


def test_disabled_describes_nothing(pgrestd_server_factory):
    server = pgrestd_server_factory(FIXTURES / "describe.sql", {**SETTINGS, "openapi-mode": "disabled"},
                                    database="describe", user="d_auth")
    try:
        for accept in (None, OPENAPI_31, MERMAID, RAML):
            r = _get(server, accept=accept)
            assert (r.status_code, r.json()["code"]) == (404, "PGRST126")
        r = _get(server, "/films", accept=MERMAID, method="OPTIONS")
        assert (r.status_code, r.content) == (200, b"")  # PostgREST's OPTIONS, as without the feature
        assert "Content-Type" not in r.headers
    finally:
        server.stop()


# -- the demo -----------------------------------------------------------------------------------


def test_the_demo_described(demo_server):
    doc = _get(demo_server, accept=OPENAPI_31).json()
    validate(doc)
    assert {"/films", "/film_summaries", "/rpc/films_by_year"} <= set(doc["paths"])
    diagram = _get(demo_server, accept=MERMAID).text.splitlines()
    for line in ('  "actors" }o..o{ "films" : "via roles"', '  "competitions" }o..o{ "films" : "via nominations"',
                 '  "films" }o--|| "directors" : "director_id"', '  "reviews" }o--|| "films" : "film_id"'):
        assert line in diagram, line
    assert yaml.safe_load(_get(demo_server, accept=RAML).text)["title"]
