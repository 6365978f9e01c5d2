"""The OpenAPI 3.1 document (pgrestd/describe/openapi3.py): valid, and saying what the 2.0 document says."""

from __future__ import annotations

import re

import orjson
import pytest
from openapi_spec_validator import validate

from pgrestd import openapi
from pgrestd.describe import describe, openapi3
from pgrestd.describe.filters import FILTER_HINT, FILTER_PATTERN, OPERATORS_DOC
from pgrestd.openapi import Server
from pgrestd.request.api import Target
from pgrestd.request.grammar import parse_filter
from pgrestd.request.operators import OPERATORS

from .schema import CATALOG, EVERYTHING, ROOT, SERVER, TABLES, subject


def _document(target: Target = ROOT, **options) -> dict:
    return openapi3.build_document(describe(subject(target, **options)))


def _swagger() -> dict:
    return openapi.build_document(CATALOG, TABLES, openapi.catalog_routines(CATALOG, "api"), EVERYTHING.description,
                                  server=SERVER, security=False)


@pytest.mark.parametrize("target", [Target("root", ""), Target("relation", "films"), Target("relation", "string"),
                                    Target("rpc", "tags"), Target("rpc", "reset")], ids=str)
@pytest.mark.parametrize("security", [False, True])
def test_every_document_is_valid_openapi_3_1(target, security):
    doc = _document(target, security=security)
    validate(doc)  # openapi-spec-validator, against the OpenAPI 3.1 schema and its own checks
    assert doc["openapi"] == "3.1.0"


def test_the_same_descriptions_as_the_2_0_document():
    doc, swagger = _document(), _swagger()
    assert doc["info"] == swagger["info"]
    assert doc["externalDocs"] == swagger["externalDocs"]
    for path, item in swagger["paths"].items():
        key = path.replace(" ", "%20")
        assert set(item) <= set(doc["paths"][key]), path  # every operation 2.0 has
        for method, operation in item.items():
            for field in ("tags", "summary", "description"):
                assert doc["paths"][key][method].get(field) == operation.get(field), (path, method, field)
    schemas = doc["components"]["schemas"]
    for name, definition in swagger["definitions"].items():
        schema = schemas[name.replace(" ", "_")]
        assert schema.get("description") == definition.get("description")
        assert schema.get("required") == definition.get("required")
        for column, prop in definition["properties"].items():
            assert schema["properties"][column].get("description") == prop.get("description")
            assert schema["properties"][column].get("format") == prop.get("format")


def test_json_schema_types_say_null_where_a_column_may_be():
    films = _document()["components"]["schemas"]["films"]["properties"]
    assert films["id"] == {"description": "Note:\nThis is a Primary Key.<pk/>", "format": "int64", "type": "integer"}
    assert films["director_id"]["type"] == ["integer", "null"]
    assert films["rated"]["enum"] == ["G", "PG", None]
    assert films["genres"]["type"] == ["array", "null"] and films["genres"]["items"] == {"type": "string"}
    assert "type" not in films["extra"]  # json: any value, null too
    assert films["slug"]["readOnly"] is True  # generated


def test_every_column_has_a_filter_with_every_operator():
    doc = _document()
    params = doc["components"]["parameters"]
    title = params["rowFilter.films.title"]
    assert title["in"] == "query" and title["name"] == "title"
    assert title["description"] == 'The "title"\nsecond line\n\n' + FILTER_HINT
    assert title["schema"] == {"$ref": "#/components/schemas/pgrst.filter"}
    shared = doc["components"]["schemas"]["pgrst.filter"]
    assert shared["pattern"] == FILTER_PATTERN and shared["description"] == OPERATORS_DOC
    for op in OPERATORS:
        assert re.search(rf"[ ,]{op.key}[,.]", FILTER_HINT) and f"- `{op.key}`: {op.description}" in OPERATORS_DOC
    # A column named like one of PostgREST's own parameters cannot be filtered: no filter for it.
    assert "rowFilter.films.select" not in params
    get = doc["paths"]["/films"]["get"]["parameters"]
    names = [params[p["$ref"].rpartition("/")[2]]["name"] for p in get]
    assert names[:7] == ["id", "title", "director_id", "rated", "genres", "extra", "slug"]
    assert len(names) == len(set(names))
    assert params["rowFilter.film_details.1st_cut"]["name"] == "1st cut"


@pytest.mark.parametrize("value", ["eq.1", "not.eq.1", "gte.2", "eq(any).{1,2}", "like(all).{a*,*b}", "neq.x",
                                   "cs.{a,b}", "in.(1,2,3)", "not.in.(a)", "is.null", "is.NOT_NULL", "isdistinct.1",
                                   "fts.cat", "wfts(english).the cat", "adj.[1,2)"])
def test_the_pattern_takes_what_the_grammar_takes(value):
    parse_filter("col", value)
    assert re.search(FILTER_PATTERN, value)


@pytest.mark.parametrize("value", ["1", "equals.1", "eq1", "eq(some).{1}", "in.1", "not.not.eq.1", "ilike"])
def test_the_pattern_refuses_what_is_no_filter(value):
    assert not re.search(FILTER_PATTERN, value)


def test_writes_bodies_and_responses():
    films = _document()["paths"]["/films"]
    assert set(films) == {"get", "post", "patch", "delete", "put"}
    post = films["post"]["requestBody"]["content"]
    assert set(post) == {"application/json", "text/csv", "application/x-www-form-urlencoded"}
    assert post["application/json"]["schema"]["oneOf"][1]["type"] == "array"
    assert films["patch"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/films"}
    assert [p["name"] for p in films["put"]["parameters"][:1]] == ["id"]
    assert set(films["get"]["responses"]["200"]["content"]) == set(openapi._DOCUMENT_MEDIA)
    assert films["delete"]["responses"]["default"] == {"$ref": "#/components/responses/Error"}
    # A view that takes no writes has GET only, as in 2.0; a table without a key no PUT.
    assert set(_document()["paths"]["/summaries"]) == {"get"}


def test_functions():
    paths = _document()["paths"]
    add = paths["/rpc/add"]
    assert add["get"]["summary"] == "Adds." and add["get"]["description"] == "Two integers."
    assert [(p["name"], p["required"], p["schema"]) for p in add["get"]["parameters"]] == [
        ("a", True, {"format": "int32", "type": "integer"}), ("b", False, {"format": "int32", "type": "integer"})]
    assert add["post"]["requestBody"]["content"]["application/json"]["schema"]["required"] == ["a"]
    assert set(paths["/rpc/reset"]) == {"post"}
    variadic = paths["/rpc/tags"]["get"]["parameters"][0]
    assert (variadic["schema"]["type"], variadic["style"], variadic["explode"]) == ("array", "form", True)


def test_servers_and_security():
    doc = _document(security=True, server=Server("https", "films.example.com", 443, "/api"))
    assert doc["servers"] == [{"url": "https://films.example.com/api"}]
    assert doc["components"]["securitySchemes"]["JWT"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "A JSON Web Token naming the database role, as `Authorization: Bearer <token>`"}
    assert doc["security"] == [{"JWT": []}]
    plain = _document()
    assert "security" not in plain and "securitySchemes" not in plain["components"]
    assert plain["servers"] == [{"url": "http://0.0.0.0:3000"}]


def test_a_table_or_a_function_alone():
    films = _document(Target("relation", "films"))
    assert list(films["paths"]) == ["/films"]
    assert set(films["components"]["schemas"]) == {"films", "pgrst.filter"}
    add = _document(Target("rpc", "add"))
    assert list(add["paths"]) == ["/rpc/add"] and "schemas" not in add["components"]


def test_encode_is_the_document_as_json():
    d = describe(subject())
    assert orjson.loads(openapi3.encode(d)) == openapi3.build_document(d)
