"""The OpenAPI 3.1 document: what the Swagger 2.0 document says (same descriptions, same types), in OpenAPI 3.1.

Built from the 2.0 builder's parts (:mod:`pgrestd.openapi`), so the two
cannot drift apart: table schemas are the 2.0 definitions with JSON Schema
2020-12's ``null`` added to nullable columns, and the shared parameters are
the 2.0 ones moved under ``schema``.  What 3.1 adds: every filter operator
on every column (each filter names them after the column's comment; the
shared ``pgrst.filter`` schema has their pattern and meanings), ``or`` and
``and`` trees, PUT, request bodies in each media type PostgREST reads,
response bodies in each media type it writes, PostgREST's error body,
``servers`` and an HTTP bearer ``securitySchemes``.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from .. import media as mt
from .. import openapi
from ..catalog import Column, Table
from ..openapi import Routine
from .filters import FILTER_PATTERN, LOGIC_PATTERN, OPERATORS_DOC, RESERVED_PARAMS, filter_doc, logic_doc
from .model import Description, path_of, server_url, unique_keys

__all__ = ["build_document", "encode"]

OPENAPI_VERSION = "3.1.0"

# OpenAPI 3.x: the keys of components match ^[a-zA-Z0-9._-]+$.
_INVALID_KEY = re.compile(r"[^A-Za-z0-9._-]")

_ERROR_RESPONSE = {
    "description": "PostgREST's error body",
    "content": {mt.JSON.mime: {"schema": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": "PGRSTnnn, or the PostgreSQL SQLSTATE"},
            "message": {"type": "string"},
            "details": {"type": ["string", "null"]},
            "hint": {"type": ["string", "null"]},
        },
        "required": ["code", "message"],
    }}},
}
_ERROR = {"$ref": "#/components/responses/Error"}
_CONTENT_RANGE = {"Content-Range": {"$ref": "#/components/headers/Content-Range"}}
_ANY = {"schema": {}}
_TEXT = {"schema": {"type": "string"}}

# What the root answers to each Accept (pgrestd.describe.FORMATS), for its own path item.
_ROOT_CONTENT = {
    mt.OPENAPI.mime: {"schema": {"type": "object"}},
    mt.OPENAPI_31.mime: {"schema": {"type": "object"}},
    mt.MERMAID.mime: _TEXT,
    mt.RAML.mime: _TEXT,
}

# The value every column filter takes: one schema, its key chosen after the tables'.
_FILTER_SCHEMA = {"type": "string", "pattern": FILTER_PATTERN, "description": OPERATORS_DOC}
_FILTER_KEY = "pgrst.filter"


def _filter(column: Column, filter_ref: dict[str, str]) -> dict[str, Any]:
    return {"name": column.name, "description": filter_doc(column), "required": False, "in": "query",
            "schema": filter_ref}


def _logic(word: str) -> dict[str, Any]:
    return {"name": word, "description": logic_doc(word), "required": False, "in": "query",
            "schema": {"type": "string", "pattern": LOGIC_PATTERN}}


# Swagger 2.0 parameter fields that describe the value: under ``schema`` in 3.x.
_SCHEMA_FIELDS = ("type", "format", "items", "enum", "default")


def _param(swagger: dict[str, Any]) -> dict[str, Any]:
    """A 2.0 query or header parameter in 3.x form: the value's type under ``schema``."""
    param = {key: value for key, value in swagger.items() if key not in _SCHEMA_FIELDS
             and key != "collectionFormat"}
    param["schema"] = {key: swagger[key] for key in _SCHEMA_FIELDS if key in swagger}
    if swagger.get("collectionFormat") == "multi":
        param.update(style="form", explode=True)  # ?v=1&v=2
    return param


def _allow_null(prop: dict[str, Any]) -> None:
    """JSON Schema 2020-12: a nullable column's value may also be null (2.0 could not say so)."""
    if "type" in prop:
        prop["type"] = [prop["type"], "null"]
    if "enum" in prop:
        prop["enum"] = [*prop["enum"], None]


def _table_schema(description: Description, table: Table) -> dict[str, Any]:
    """The 2.0 definition (makeTableDef: the same descriptions, types and formats), with nulls and readOnly."""
    schema = openapi._definition(description.catalog, table)
    properties = schema.get("properties", {})
    for column in table.columns:
        prop = properties[column.name]
        if column.nullable:
            _allow_null(prop)
        if column.generated or column.identity == "a":
            prop["readOnly"] = True
    return schema


def _parameters(description: Description, filter_ref: dict[str, str]
                ) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    """components.parameters: the 2.0 shared ones, the logic trees, and a filter per column."""
    params = {name: _param(p) for name, p in openapi._parameters(()).items()}
    params["or"], params["and"] = _logic("or"), _logic("and")
    params["columns"] = {"name": "columns", "description": "The body's keys to insert or update", "required": False,
                         "in": "query", "schema": {"type": "string"}}
    wanted = [((t.name, c.name), f"rowFilter.{t.name}.{c.name}")
              for t in description.tables for c in t.columns if c.name not in RESERVED_PARAMS]
    keys = unique_keys(wanted, _INVALID_KEY, params)
    filters: dict[tuple[str, str], str] = {}
    for t in description.tables:
        for c in t.columns:
            key = keys.get((t.name, c.name))
            if key is not None:
                params[key] = _filter(c, filter_ref)
                filters[(t.name, c.name)] = key
    return params, filters


def _refs(*names: str) -> list[dict[str, str]]:
    return [{"$ref": "#/components/parameters/" + n} for n in names]


def _rows(ref: dict[str, str]) -> dict[str, Any]:
    """A representation in each media type PostgREST writes for a table (the 2.0 document's ``produces``)."""
    return {
        mt.JSON.mime: {"schema": {"type": "array", "items": ref}},
        mt.OBJECT_STRIPPED.mime: {"schema": ref},
        mt.OBJECT.mime: {"schema": ref},
        mt.CSV.mime: _TEXT,
    }


def _body(name: str, ref: dict[str, str], *, bulk: bool) -> dict[str, Any]:
    """A write's body in each media type PostgREST reads (Payload.hs): JSON (an array too for POST), CSV, a form."""
    json_schema: dict[str, Any] = {"oneOf": [ref, {"type": "array", "items": ref}]} if bulk else ref
    return {"description": name, "content": {
        mt.JSON.mime: {"schema": json_schema},
        mt.CSV.mime: _TEXT,
        mt.URLENCODED.mime: {"schema": ref},
    }}


def _table_item(table: Table, ref: dict[str, str], filters: list[str]) -> dict[str, Any]:
    """makePathItem's operations, plus PUT where PostgREST allows it (respondInfo)."""
    name = table.name
    rows = _rows(ref)
    get = openapi._operation([name], table.description)
    get["parameters"] = _refs(*filters, "or", "and", "select", "order", "range", "rangeUnit", "offset", "limit",
                              "preferCount")
    get["responses"] = {
        "200": {"description": "OK", "headers": _CONTENT_RANGE, "content": rows},
        "206": {"description": "Partial Content", "headers": _CONTENT_RANGE, "content": rows},
        "default": _ERROR,
    }
    item: dict[str, Any] = {"get": get}
    if not (table.insertable or table.updatable or table.deletable):
        return item
    written = {"200": {"description": "OK (Prefer: return=representation)", "content": rows},
               "204": {"description": "No Content"}, "default": _ERROR}
    post = openapi._operation([name], table.description)
    post["parameters"] = _refs("select", "columns", "on_conflict", "preferPost")
    post["requestBody"] = _body(name, ref, bulk=True)
    post["responses"] = {"201": {"description": "Created", "content": rows}, "default": _ERROR}
    patch = openapi._operation([name], table.description)
    patch["parameters"] = _refs(*filters, "or", "and", "select", "columns", "preferReturn")
    patch["requestBody"] = _body(name, ref, bulk=False)
    patch["responses"] = written
    delete = openapi._operation([name], table.description)
    delete["parameters"] = _refs(*filters, "or", "and", "select", "preferReturn")
    delete["responses"] = written
    item.update(post=post, patch=patch, delete=delete)
    if table.insertable and table.updatable and table.primary_key:
        put = openapi._operation([name], table.description)
        # PUT names its row with eq on every primary key column (PGRST105 otherwise).
        put["parameters"] = [{"name": column, "description": "eq.<value> of the primary key", "required": True,
                              "in": "query", "schema": {"type": "string", "pattern": r"^eq\."}}
                             for column in table.primary_key] + _refs("select", "preferReturn")
        put["requestBody"] = _body(name, ref, bulk=False)
        put["responses"] = written
        item["put"] = put
    return item


def _routine_item(routine: Routine) -> dict[str, Any]:
    """makeProcPathItem: POST always, GET too unless VOLATILE; the arguments as a body or as query parameters."""
    def operation() -> dict[str, Any]:
        op = openapi._operation(["(rpc) " + routine.name], routine.description)
        op["responses"] = {"200": {"description": "OK", "content": {
            mt.JSON.mime: _ANY, mt.OBJECT_STRIPPED.mime: _ANY, mt.OBJECT.mime: _ANY}}, "default": _ERROR}
        return op

    args = openapi._body_schema(routine)
    post = operation()
    post["parameters"] = _refs("preferParams")
    post["requestBody"] = {"required": True, "content": {mt.JSON.mime: {"schema": args},
                                                         mt.URLENCODED.mime: {"schema": args}}}
    if routine.volatility == "v":
        return {"post": post}
    get = operation()
    if routine.params:
        get["parameters"] = [_param(openapi._get_param(p)) for p in routine.params]
    return {"get": get, "post": post}


def build_document(description: Description) -> dict[str, Any]:
    """The OpenAPI 3.1 document as a dict: the 2.0 document's content, in 3.1's shapes."""
    title, info_description = openapi._split(description.comment)
    schema_keys = unique_keys([*((t.name, t.name) for t in description.tables), (_FILTER_KEY, _FILTER_KEY)],
                              _INVALID_KEY)
    parameters, filters = _parameters(description, {"$ref": "#/components/schemas/" + schema_keys[_FILTER_KEY]})
    paths: dict[str, Any] = {}
    if description.whole:
        paths["/"] = {"get": {
            "tags": ["Introspection"], "summary": "OpenAPI description (this document)",
            "responses": {"200": {"description": "OK", "content": _ROOT_CONTENT}, "default": _ERROR},
        }}
    schemas: dict[str, Any] = {}
    for t in description.tables:
        key = schema_keys[t.name]
        schemas[key] = _table_schema(description, t)
        ref = {"$ref": "#/components/schemas/" + key}
        paths[path_of(t.name)] = _table_item(t, ref, [filters[(t.name, c.name)] for c in t.columns
                                                      if (t.name, c.name) in filters])
    for r in description.routines:
        # Overloads share a path; the last one listed wins, as in the 2.0 document.
        paths[path_of("rpc", r.name)] = _routine_item(r)
    components: dict[str, Any] = {}
    if schemas:
        schemas[schema_keys[_FILTER_KEY]] = _FILTER_SCHEMA
        components["schemas"] = schemas
    components.update(
        parameters=parameters,
        headers={"Content-Range": {"description": "The range of rows sent, and the total with Prefer: count",
                                   "schema": {"type": "string"}}},
        responses={"Error": _ERROR_RESPONSE},
    )
    doc: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": title if title is not None else "PostgREST API",
            "description": info_description if info_description is not None
            else "This is a dynamic API generated by PostgREST",
            "version": description.version,
        },
        "servers": [{"url": server_url(description.server)}],
        "paths": paths,
        "components": components,
        "externalDocs": {
            "description": "PostgREST Documentation",
            "url": f"https://postgrest.org/en/{openapi._DOCS_VERSION}/references/api.html",
        },
    }
    if description.security:
        components["securitySchemes"] = {"JWT": {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "A JSON Web Token naming the database role, as `Authorization: Bearer <token>`",
        }}
        doc["security"] = [{"JWT": []}]
    return doc


def encode(description: Description) -> bytes:
    return orjson.dumps(build_document(description))
