"""The OpenAPI 2.0 document served at the root path, built as PostgREST's Response/OpenAPI.hs builds it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import orjson

from . import __version__
from .catalog import Cardinality, Catalog, Function, Table
from .catalog.cache_policy import without_policy

__all__ = [
    "ACCESS_SQL", "Access", "Routine", "RoutineParam", "Server", "build_document", "catalog_routines",
    "encode", "parse_access", "server_for", "swagger_format", "swagger_type",
]

# The per-request query: schema description, and with follow-privileges the
# tables and functions the role may use (PostgREST's openApiQuery).
ACCESS_SQL = resources.files("pgrestd.catalog").joinpath("queries", "openapi_access.sql").read_text()

# PostgREST links the docs of its own major version in externalDocs.
_DOCS_VERSION = "v12"

_JSON = "application/json"
_OBJECT_STRIPPED = "application/vnd.pgrst.object+json;nulls=stripped"
_OBJECT = "application/vnd.pgrst.object+json"
_CSV = "text/csv"
_OPENAPI = "application/openapi+json"
_DOCUMENT_MEDIA = [_JSON, _OBJECT_STRIPPED, _OBJECT, _CSV]
_RPC_MEDIA = [_JSON, _OBJECT_STRIPPED, _OBJECT]

# OpenAPI.hs toSwaggerType: PostgreSQL type name -> Swagger type (None: any).
_SWAGGER_TYPES: Mapping[str, str | None] = {
    "character varying": "string", "character": "string", "text": "string",
    "boolean": "boolean",
    "smallint": "integer", "integer": "integer", "bigint": "integer",
    "numeric": "number", "real": "number", "double precision": "number",
    "json": None, "jsonb": None,
}
_SWAGGER_FORMATS: Mapping[str, str] = {"smallint": "int32", "integer": "int32", "bigint": "int64"}

# Network.hs escapeHostName: the wildcard server-host values stand for any IPv4 address.
_WILDCARD_HOSTS = frozenset(("*", "*4", "!4", "*6", "!6"))


@dataclass(frozen=True, slots=True)
class RoutineParam:
    """An input argument as PostgREST's RoutineParam: name, type, required, variadic."""

    name: str
    type: str
    required: bool
    variadic: bool


@dataclass(frozen=True, slots=True)
class Routine:
    """What the document says of a function: PostgREST's Routine, reduced to what OpenAPI.hs reads."""

    name: str
    description: str | None
    volatility: str  # i, s, v
    params: tuple[RoutineParam, ...]


@dataclass(frozen=True, slots=True)
class Server:
    """Where the API is served: (scheme, host, port, base path) of PostgREST's proxyUri."""

    scheme: str
    host: str
    port: int
    base_path: str


@dataclass(frozen=True, slots=True)
class Access:
    """The per-request query's answer."""

    description: str | None
    tables: frozenset[str]
    functions: tuple[Routine, ...]


# -- inputs ---------------------------------------------------------------------


def server_for(proxy_uri: str | None, server_host: str, server_port: int) -> Server:
    """OpenAPI.hs proxyUri/pickProxy: openapi-server-proxy-uri, else server-host and server-port."""
    if proxy_uri:
        parts = urlsplit(proxy_uri)
        scheme = parts.scheme.lower()
        authority = parts.netloc.rpartition("@")[2]
        if scheme in ("http", "https") and authority:
            # Network.URI keeps the host as written (uriRegName), brackets included.
            if authority.startswith("["):
                host, _, rest = authority.partition("]")
                host += "]"
            else:
                host, _, rest = authority.partition(":")
                rest = ":" + rest if rest else ""
            digits = rest[1:] if rest.startswith(":") else ""
            if digits:
                port = int(digits) if digits.isdigit() else 80
            else:
                port = 443 if scheme == "https" else 80
            return Server(scheme, host, port, parts.path or "/")
    host = "0.0.0.0" if server_host in _WILDCARD_HOSTS else server_host
    return Server("http", host, server_port, "/")


def parse_access(body: bytes, catalog: Catalog, schema: str) -> Access:
    """Reads the per-request query's JSON; functions PostgREST cannot call (not in the catalog) are left out."""
    data = orjson.loads(body)
    callable_names = {name for (s, name) in catalog.functions if s == schema}
    routines = tuple(
        Routine(name, without_policy(description), volatility,
                tuple(RoutineParam(a[0], a[1], not a[2], a[3]) for a in args))
        for name, volatility, description, args in data["functions"]
        if name in callable_names
    )
    return Access(data["description"], frozenset(data["tables"]), routines)


def catalog_routines(catalog: Catalog, schema: str) -> tuple[Routine, ...]:
    """Every function of ``schema`` in the schema cache (openapi-mode ignore-privileges)."""
    return tuple(_routine(fn) for (s, _), overloads in sorted(catalog.functions.items())
                 if s == schema for fn in overloads)


def _routine(fn: Function) -> Routine:
    return Routine(fn.name, fn.description, fn.volatility,
                   tuple(RoutineParam(a.name, a.type, not a.has_default, a.variadic) for a in fn.input_args))


# -- types ----------------------------------------------------------------------


def swagger_type(pg_type: str) -> str | None:
    """OpenAPI.hs toSwaggerType: arrays end in ``[]``, json and jsonb are any type, the rest strings."""
    if pg_type in _SWAGGER_TYPES:
        return _SWAGGER_TYPES[pg_type]
    return "array" if pg_type.endswith("[]") else "string"


def swagger_format(pg_type: str) -> str:
    """OpenAPI.hs toSwaggerFormat: the integer widths, else the PostgreSQL type name itself."""
    return _SWAGGER_FORMATS.get(pg_type, pg_type)


def _items(pg_type: str) -> dict[str, Any] | None:
    """makePropertyItems: the element type of an array (``{}`` when it is json)."""
    if swagger_type(pg_type) != "array":
        return None
    return _typed({}, swagger_type(pg_type[:-2]))


def _typed(obj: dict[str, Any], swagger: str | None) -> dict[str, Any]:
    if swagger is not None:
        obj["type"] = swagger
    return obj


def _default(pg_type: str, default: str) -> tuple[bool, Any]:
    """parseDefault: a string column's ``'x'::type`` becomes "x"; a default that is no JSON is left out."""
    text = default
    if swagger_type(pg_type) == "string":
        suffix = "::" + pg_type
        if text.endswith(suffix):
            text = text[: -len(suffix)].strip("'")
        text = '"' + text + '"'
    try:
        return True, orjson.loads(text)
    except orjson.JSONDecodeError:
        return False, None


def _split(description: str | None) -> tuple[str | None, str | None]:
    """The first line is the summary, the rest (leading newlines dropped) the description."""
    if description is None:
        return None, None
    summary, _, rest = description.partition("\n")
    return summary, rest.lstrip("\n")


# -- definitions ----------------------------------------------------------------


def _foreign_keys(catalog: Catalog, table: Table) -> dict[str, tuple[str, str]]:
    """makeProperty's fk: a single-column M2O (or child-side O2O) key, relationships to tables first."""
    rels = [r for r in catalog.relationships(table.schema, table.name, table.schema) if not r.is_computed]
    rels.sort(key=lambda r: r.foreign_table_is_view)
    found: dict[str, tuple[str, str]] = {}
    for column in table.columns:
        for rel in rels:
            if (rel.cardinality is Cardinality.M2O
                    or (rel.cardinality is Cardinality.O2O and not rel.is_parent)) \
                    and [c for c, _ in rel.columns] == [column.name]:
                found[column.name] = (rel.foreign_table[1], rel.columns[0][1])
                break
    return found


def _definition(catalog: Catalog, table: Table) -> dict[str, Any]:
    """makeTableDef."""
    fks = _foreign_keys(catalog, table)
    pk = frozenset(table.primary_key)
    properties: dict[str, Any] = {}
    for col in table.columns:
        pg_type = col.base_type or col.type
        notes = ["Note:"]
        if col.name in pk:
            notes.append("This is a Primary Key.<pk/>")
        if col.name in fks:
            ft, fc = fks[col.name]
            notes.append(f"This is a Foreign Key to `{ft}.{fc}`.<fk table='{ft}' column='{fc}'/>")
        description = col.description
        if len(notes) > 1:
            description = (col.description + "\n\n" if col.description is not None else "") + "\n".join(notes)
        prop: dict[str, Any] = {}
        if col.default is not None:
            ok, value = _default(pg_type, col.default)
            if ok:
                prop["default"] = value
        if description is not None:
            prop["description"] = description
        if col.enum_values:
            prop["enum"] = list(col.enum_values)
        prop["format"] = swagger_format(pg_type)
        if col.max_length is not None:
            prop["maxLength"] = col.max_length
        _typed(prop, swagger_type(pg_type))
        items = _items(pg_type)
        if items is not None:
            prop["items"] = items
        properties[col.name] = prop
    definition: dict[str, Any] = {}
    if table.description is not None:
        definition["description"] = table.description
    definition["type"] = "object"
    if properties:
        definition["properties"] = properties
    required = [c.name for c in table.columns if not c.nullable]
    if required:
        definition["required"] = required
    return definition


# -- parameters -----------------------------------------------------------------


def _prefer(values: Sequence[str]) -> dict[str, Any]:
    """makePreferParam: an empty enum is left out."""
    param: dict[str, Any] = {"name": "Prefer", "description": "Preference", "required": False,
                             "in": "header", "type": "string"}
    enum = [v for key in values for v in _PREFER_VALUES.get(key, ())]
    if enum:
        param["enum"] = enum
    return param


_PREFER_VALUES: Mapping[str, tuple[str, ...]] = {
    "count": ("count=none",),
    "return": ("return=representation", "return=minimal", "return=none"),
    "resolution": ("resolution=ignore-duplicates", "resolution=merge-duplicates"),
}


def _query_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "description": description, "required": False, "in": "query", "type": "string"}


def _parameters(tables: Iterable[Table]) -> dict[str, Any]:
    """makeParamDefs."""
    params: dict[str, Any] = {
        "preferParams": _prefer(["params"]),
        "preferReturn": _prefer(["return"]),
        "preferCount": _prefer(["count"]),
        "preferPost": _prefer(["return", "resolution"]),
        "select": _query_param("select", "Filtering Columns"),
        "on_conflict": _query_param("on_conflict", "On Conflict"),
        "order": _query_param("order", "Ordering"),
        "range": {"name": "Range", "description": "Limiting and Pagination", "required": False,
                  "in": "header", "type": "string"},
        "rangeUnit": {"name": "Range-Unit", "description": "Limiting and Pagination", "required": False,
                      "in": "header", "type": "string", "default": "items"},
        "offset": _query_param("offset", "Limiting and Pagination"),
        "limit": _query_param("limit", "Limiting and Pagination"),
    }
    for t in tables:
        params["body." + t.name] = {"name": t.name, "description": t.name, "required": False, "in": "body",
                                    "schema": {"$ref": "#/definitions/" + t.name}}
        for col in t.columns:
            param: dict[str, Any] = {"name": col.name}
            if col.description is not None:
                param["description"] = col.description
            param.update(required=False, **{"in": "query"}, type="string")
            params[f"rowFilter.{t.name}.{col.name}"] = param
    return params


def _refs(names: Iterable[str]) -> list[dict[str, str]]:
    return [{"$ref": "#/parameters/" + n} for n in names]


# -- paths ----------------------------------------------------------------------


def _operation(tags: list[str], description: str | None) -> dict[str, Any]:
    summary, rest = _split(description)
    op: dict[str, Any] = {"tags": tags}
    if summary is not None:
        op["summary"] = summary
    if rest:
        op["description"] = rest
    return op


def _table_path(table: Table) -> dict[str, Any]:
    """makePathItem: GET always, POST/PATCH/DELETE when the relation takes any write."""
    tn = table.name
    filters = [f"rowFilter.{tn}.{c.name}" for c in table.columns]
    get = _operation([tn], table.description)
    get["parameters"] = _refs(filters + ["select", "order", "range", "rangeUnit", "offset", "limit", "preferCount"])
    get["responses"] = {
        "200": {"description": "OK", "schema": {"type": "array", "items": {"$ref": "#/definitions/" + tn}}},
        "206": {"description": "Partial Content"},
    }
    item: dict[str, Any] = {"get": get}
    if table.insertable or table.updatable or table.deletable:
        post = _operation([tn], table.description)
        post["parameters"] = _refs(["body." + tn, "select", "preferPost"])
        post["responses"] = {"201": {"description": "Created"}}
        patch = _operation([tn], table.description)
        patch["parameters"] = _refs(filters + ["body." + tn, "preferReturn"])
        patch["responses"] = {"204": {"description": "No Content"}}
        delete = _operation([tn], table.description)
        delete["parameters"] = _refs(filters + ["preferReturn"])
        delete["responses"] = {"204": {"description": "No Content"}}
        item.update(post=post, patch=patch, delete=delete)
    return item


def _get_param(p: RoutineParam) -> dict[str, Any]:
    """makeProcGetParam: a query parameter per argument; VARIADIC ones repeat (collectionFormat multi)."""
    swagger = swagger_type(p.type)
    param: dict[str, Any] = {"name": p.name, "required": p.required, "in": "query"}
    if p.variadic:
        element = p.type[:-2] if p.type.endswith("[]") else p.type
        param["type"] = swagger or "string"
        param["collectionFormat"] = "multi"
        param["items"] = _typed({}, swagger_type(element)) | {"format": swagger_format(element)}
    else:
        param["format"] = swagger_format(p.type)
        # Query parameters must have a type, and arrays are sent as {a,b}.
        param["type"] = "string" if swagger in (None, "array") else swagger
    return param


def _body_schema(routine: Routine) -> dict[str, Any]:
    """makeProcSchema."""
    schema: dict[str, Any] = {}
    if routine.description is not None:
        schema["description"] = routine.description
    schema["type"] = "object"
    properties = {}
    for p in routine.params:
        prop = _typed({}, swagger_type(p.type))
        items = _items(p.type)
        if items is not None:
            prop["items"] = items
        prop["format"] = swagger_format(p.type)
        properties[p.name] = prop
    if properties:
        schema["properties"] = properties
    required = [p.name for p in routine.params if p.required]
    if required:
        schema["required"] = required
    return schema


def _routine_path(routine: Routine) -> dict[str, Any]:
    """makeProcPathItem: POST always, GET too unless the function is VOLATILE."""
    def operation() -> dict[str, Any]:
        op = _operation(["(rpc) " + routine.name], routine.description)
        op["produces"] = list(_RPC_MEDIA)
        op["responses"] = {"200": {"description": "OK"}}
        return op

    post = operation()
    post["parameters"] = [
        {"name": "args", "required": True, "in": "body", "schema": _body_schema(routine)},
        {"$ref": "#/parameters/preferParams"},
    ]
    if routine.volatility == "v":
        return {"post": post}
    get = operation()
    if routine.params:
        get["parameters"] = [_get_param(p) for p in routine.params]
    return {"get": get, "post": post}


_ROOT_PATH = {
    "get": {
        "tags": ["Introspection"],
        "summary": "OpenAPI description (this document)",
        "produces": [_OPENAPI, _JSON],
        "responses": {"200": {"description": "OK"}},
    }
}


# -- the document ---------------------------------------------------------------


def build_document(catalog: Catalog, tables: Sequence[Table], routines: Sequence[Routine],
                   description: str | None, *, server: Server, security: bool,
                   version: str = __version__) -> dict[str, Any]:
    """postgrestSpec: the whole document as a dict, keys as swagger2 writes them (empty ones left out)."""
    title, info_description = _split(description)
    paths: dict[str, Any] = {"/": _ROOT_PATH}
    for t in tables:
        paths["/" + t.name] = _table_path(t)
    for r in routines:
        # Overloads share a path; the last one listed wins, as InsOrdHashMap.fromList does.
        paths["/rpc/" + r.name] = _routine_path(r)
    doc: dict[str, Any] = {
        "swagger": "2.0",
        "info": {
            "description": info_description if info_description is not None
            else "This is a dynamic API generated by PostgREST",
            "title": title if title is not None else "PostgREST API",
            "version": version,
        },
        "host": f"{server.host}:{server.port}",
        "basePath": server.base_path,
        "schemes": ["http" if server.scheme == "http" else "https"],
        "consumes": list(_DOCUMENT_MEDIA),
        "produces": list(_DOCUMENT_MEDIA),
        "paths": paths,
        "definitions": {t.name: _definition(catalog, t) for t in tables},
        "parameters": _parameters(tables),
        "externalDocs": {
            "description": "PostgREST Documentation",
            "url": f"https://postgrest.org/en/{_DOCS_VERSION}/references/api.html",
        },
    }
    if not doc["definitions"]:
        del doc["definitions"]
    if security:
        doc["securityDefinitions"] = {"JWT": {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": 'Add the token prepending "Bearer " (without quotes) to it',
        }}
        doc["security"] = [{"JWT": []}]
    return doc


def encode(catalog: Catalog, schema: str, access: Access, *, follow_privileges: bool, server: Server,
           security: bool) -> bytes:
    """The document for ``schema``: what the role may use (follow-privileges) or all of it."""
    tables = [t for (s, name), t in sorted(catalog.tables.items())
              if s == schema and (not follow_privileges or name in access.tables)]
    routines = access.functions if follow_privileges else catalog_routines(catalog, schema)
    return orjson.dumps(build_document(catalog, tables, routines, access.description,
                                       server=server, security=security))
