"""The RAML 1.0 description: the same tables, functions, parameters and descriptions as the OpenAPI documents.

Each table or view is a type (its 2.0 definition's properties: descriptions,
enums, formats) and a resource with GET, and POST, PATCH, DELETE (and PUT)
when it takes writes; each function a resource under ``/rpc``.  Type names
keep the relation's name unless RAML cannot take it (a built-in type's
name, or a character type expressions give a meaning to): then it is
spelled with ``_``.  A nullable column's type is a union with ``nil``.
"""

from __future__ import annotations

import re
from typing import Any

from .. import media as mt
from .. import openapi
from ..catalog import Table
from ..openapi import Routine
from . import yaml_text
from .filters import FILTER_PATTERN, LOGIC_PATTERN, OPERATORS_DOC, RESERVED_PARAMS, filter_doc, logic_doc
from .model import Description, path_of, server_url, unique_keys

__all__ = ["build_document", "encode", "render"]

HEADER = "#%RAML 1.0"

# Type expressions give meaning to | [ ] ( ) ? and library references to "."; keep names plain.
_INVALID_TYPE_NAME = re.compile(r"[^A-Za-z0-9_]")
_BUILTIN_TYPES = ("any", "array", "boolean", "date-only", "datetime", "datetime-only", "file", "integer",
                  "nil", "number", "object", "string", "time-only", "union")
# RAML's integer formats that PostgreSQL's integer types map to (OpenAPI.hs toSwaggerFormat).
_INTEGER_FORMATS = frozenset(("int32", "int64"))
_STRING = {"type": "string"}
# The type every column filter takes: declared once, named after the tables.
_FILTER_TYPE = "pgrst_filter"


def _type_of(swagger: dict[str, Any]) -> str:
    """A 2.0 property's type as a RAML type expression: json is ``any``, an array ``<element>[]``."""
    kind = swagger.get("type")
    if kind == "array":
        return swagger.get("items", {}).get("type", "any") + "[]"
    return kind or "any"


def _property(swagger: dict[str, Any], *, nullable: bool, required: bool) -> dict[str, Any]:
    """A RAML property from the 2.0 one; ``required`` is always written, so a ``?`` in a name stays a character."""
    kind = _type_of(swagger)
    prop: dict[str, Any] = {"type": f"{kind} | nil" if nullable and kind != "any" else kind}
    if "description" in swagger:
        prop["description"] = swagger["description"]
    if "enum" in swagger:
        prop["enum"] = list(swagger["enum"])
    if not nullable:  # facets of the scalar type, which a union with nil does not take
        if kind == "integer" and swagger.get("format") in _INTEGER_FORMATS:
            prop["format"] = swagger["format"]
        if "maxLength" in swagger:
            prop["maxLength"] = swagger["maxLength"]
    if "default" in swagger:
        prop["default"] = swagger["default"]
    prop["required"] = required
    return prop


def _type(description: Description, table: Table) -> dict[str, Any]:
    definition = openapi._definition(description.catalog, table)
    declared: dict[str, Any] = {"type": "object"}
    if table.description is not None:
        declared["description"] = table.description
    properties = definition.get("properties", {})
    declared["properties"] = {
        column.name: _property(properties[column.name], nullable=column.nullable, required=not column.nullable)
        for column in table.columns
    }
    return declared


def _parameter(swagger: dict[str, Any]) -> dict[str, Any]:
    """A 2.0 query or header parameter as a RAML one."""
    param: dict[str, Any] = {"type": swagger.get("type", "string")}
    for facet in ("description", "enum", "default"):
        if facet in swagger:
            param[facet] = swagger[facet]
    param["required"] = swagger.get("required", False)
    return param


_SHARED = openapi._parameters(())


def _shared(*names: str, where: str) -> dict[str, Any]:
    return {_SHARED[n]["name"]: _parameter(_SHARED[n]) for n in names if _SHARED[n]["in"] == where}


def _filters(table: Table, filter_type: str) -> dict[str, Any]:
    params = {c.name: {"type": filter_type, "description": filter_doc(c), "required": False}
              for c in table.columns if c.name not in RESERVED_PARAMS}
    for word in ("or", "and"):
        params[word] = {"type": "string", "description": logic_doc(word), "pattern": LOGIC_PATTERN, "required": False}
    return params


def _method(table: Table, query: dict[str, Any], headers: dict[str, Any], responses: dict[int, Any],
            body: dict[str, Any] | None = None) -> dict[str, Any]:
    method: dict[str, Any] = {}
    if table.description is not None:
        method["description"] = table.description
    if query:
        method["queryParameters"] = query
    if headers:
        method["headers"] = headers
    if body is not None:
        method["body"] = body
    method["responses"] = responses
    return method


def _resource(table: Table, type_name: str, filter_type: str) -> dict[str, Any]:
    """makePathItem's methods, plus PUT where PostgREST allows it (respondInfo)."""
    rows = {mt.JSON.mime: {"type": type_name + "[]"}, mt.OBJECT.mime: {"type": type_name}, mt.CSV.mime: _STRING}
    filters = _filters(table, filter_type)
    read = {**filters, **_shared("select", "order", "offset", "limit", where="query")}
    resource: dict[str, Any] = {}
    if table.description is not None:
        resource["description"] = table.description
    resource["get"] = _method(table, read, _shared("range", "rangeUnit", "preferCount", where="header"), {
        200: {"body": rows}, 206: {"description": "Partial Content", "body": rows}})
    if not (table.insertable or table.updatable or table.deletable):
        return resource
    one = {mt.JSON.mime: {"type": type_name}, mt.CSV.mime: _STRING, mt.URLENCODED.mime: {"type": type_name}}
    written = {200: {"body": rows}, 204: {"description": "No Content"}}
    prefer_return = _shared("preferReturn", where="header")
    select = _shared("select", where="query")
    resource["post"] = _method(
        table, {**select, **_shared("on_conflict", where="query")}, _shared("preferPost", where="header"),
        {201: {"description": "Created", "body": rows}},
        {**one, mt.JSON.mime: {"type": f"{type_name} | {type_name}[]"}})
    resource["patch"] = _method(table, {**filters, **select}, prefer_return, written, one)
    resource["delete"] = _method(table, {**filters, **select}, prefer_return, written)
    if table.insertable and table.updatable and table.primary_key:
        keys = {c: {"type": "string", "description": "eq.<value> of the primary key", "pattern": r"^eq\.",
                    "required": True} for c in table.primary_key}
        resource["put"] = _method(table, {**keys, **select}, prefer_return, written, one)
    return resource


def _routine(routine: Routine) -> dict[str, Any]:
    """makeProcPathItem: POST always, GET too unless VOLATILE.  Unnamed arguments have no name to send."""
    named = [p for p in routine.params if p.name]
    body = openapi._body_schema(routine)
    required = frozenset(body.get("required", ()))
    properties = {name: _property(prop, nullable=False, required=name in required)
                  for name, prop in body.get("properties", {}).items() if name}
    args: dict[str, Any] = {"type": "object", "properties": properties}
    resource: dict[str, Any] = {}
    if routine.description is not None:
        resource["description"] = routine.description
    ok = {200: {"body": {mt.JSON.mime: {"type": "any"}}}}
    if routine.volatility != "v":
        get: dict[str, Any] = {}
        if named:
            get["queryParameters"] = {p.name: _parameter(openapi._get_param(p)) for p in named}
        get["responses"] = ok
        resource["get"] = get
    resource["post"] = {"headers": _shared("preferParams", where="header"),
                        "body": {mt.JSON.mime: args, mt.URLENCODED.mime: args}, "responses": ok}
    return resource


def build_document(description: Description) -> dict[str, Any]:
    """The RAML document below its ``#%RAML 1.0`` line, as a dict."""
    title, text = openapi._split(description.comment)
    doc: dict[str, Any] = {
        "title": title if title is not None else "PostgREST API",
        "description": text if text is not None else "This is a dynamic API generated by PostgREST",
        "version": description.version,
        "baseUri": server_url(description.server),
    }
    if description.security:
        doc["securitySchemes"] = {"JWT": {
            "type": "Pass Through",
            "description": "A JSON Web Token naming the database role",
            "describedBy": {"headers": {"Authorization": {"type": "string", "description": "Bearer <token>"}}},
        }}
        doc["securedBy"] = ["JWT"]
    names = unique_keys([*((t.name, t.name) for t in description.tables), (_FILTER_TYPE, _FILTER_TYPE)],
                        _INVALID_TYPE_NAME, _BUILTIN_TYPES)
    if description.tables:
        doc["types"] = {names[t.name]: _type(description, t) for t in description.tables}
        doc["types"][names[_FILTER_TYPE]] = {"type": "string", "description": OPERATORS_DOC, "pattern": FILTER_PATTERN}
    if description.whole:
        doc["/"] = {"get": {"description": "This API's description: Swagger 2.0 by default; "
                                           "OpenAPI 3.1, a Mermaid ER diagram or RAML 1.0 by Accept.",
                            "responses": {200: {"body": {mt.OPENAPI.mime: {"type": "object"},
                                                         mt.MERMAID.mime: _STRING, mt.RAML.mime: _STRING}}}}}
    for t in description.tables:
        doc[path_of(t.name)] = _resource(t, names[t.name], names[_FILTER_TYPE])
    for r in description.routines:
        doc[path_of("rpc", r.name)] = _routine(r)  # overloads share a resource: the last one wins
    return doc


def render(description: Description) -> str:
    return yaml_text.dump(build_document(description), HEADER)


def encode(description: Description) -> bytes:
    return render(description).encode()
