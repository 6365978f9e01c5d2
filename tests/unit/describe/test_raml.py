"""The RAML 1.0 description (pgrestd/describe/raml.py): valid YAML under its header, the 2.0 document's content."""

from __future__ import annotations

import yaml

from pgrestd.describe import describe, raml
from pgrestd.describe.filters import FILTER_HINT, FILTER_PATTERN
from pgrestd.request.api import Target

from .schema import ROOT, subject


def _document(target: Target = ROOT, **options) -> dict:
    text = raml.render(describe(subject(target, **options)))
    assert text.startswith("#%RAML 1.0\n")
    return yaml.safe_load(text)


def test_header_title_and_base_uri():
    doc = _document()
    assert (doc["title"], doc["description"], doc["baseUri"]) == (
        "Film API", "Everything about films.", "http://0.0.0.0:3000")
    assert "securitySchemes" not in doc
    secured = _document(security=True)
    assert secured["securedBy"] == ["JWT"]
    assert secured["securitySchemes"]["JWT"]["type"] == "Pass Through"


def test_types_say_what_the_2_0_definitions_say():
    types = _document()["types"]
    films = types["films"]
    assert films["description"] == "Feature films\n\nOne row per film."
    assert films["properties"]["id"] == {"type": "integer", "description": "Note:\nThis is a Primary Key.<pk/>",
                                         "format": "int64", "required": True}
    assert films["properties"]["rated"] == {"type": "string | nil", "enum": ["G", "PG"], "required": False}
    assert films["properties"]["genres"]["type"] == "string[] | nil"
    assert films["properties"]["extra"]["type"] == "any"
    # A relation named like a built-in type, or with a space, gets another type name; its resource keeps its path.
    assert types["string_2"]["properties"]["on"]["type"] == "boolean | nil"
    assert "film_details" in types
    assert types["pgrst_filter"] == {"type": "string", "description": types["pgrst_filter"]["description"],
                                     "pattern": FILTER_PATTERN}


def test_resources_and_methods():
    doc = _document()
    films = doc["/films"]
    assert set(films) == {"description", "get", "post", "patch", "delete", "put"}
    get = films["get"]
    assert get["queryParameters"]["title"] == {"type": "pgrst_filter", "required": False,
                                               "description": 'The "title"\nsecond line\n\n' + FILTER_HINT}
    assert "select" in get["queryParameters"] and get["queryParameters"]["select"]["type"] == "string"
    assert get["headers"]["Prefer"]["enum"] == ["count=none"]
    assert get["responses"][200]["body"]["application/json"]["type"] == "films[]"
    assert films["post"]["body"]["application/json"]["type"] == "films | films[]"
    assert next(iter(films["put"]["queryParameters"])) == "id"
    assert set(doc["/summaries"]) == {"get"}
    assert "/film%20details" in doc and "/" in doc
    add = doc["/rpc/add"]
    assert add["get"]["queryParameters"] == {"a": {"type": "integer", "required": True},
                                             "b": {"type": "integer", "required": False}}
    assert add["post"]["body"]["application/json"]["properties"]["a"] == {
        "type": "integer", "format": "int32", "required": True}
    assert set(doc["/rpc/reset"]) == {"post"}
    # An unnamed argument cannot be sent by name: it is left out.
    assert doc["/rpc/cast_of"]["post"]["body"]["application/json"]["properties"] == {}


def test_a_table_alone():
    doc = _document(Target("relation", "films"))
    assert [key for key in doc if key.startswith("/")] == ["/films"]
    assert set(doc["types"]) == {"films", "pgrst_filter"}
