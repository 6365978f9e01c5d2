"""Loads the catalog snapshot from PostgreSQL in one round of catalog queries."""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

import orjson
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import set_json_loads

from ..media import MediaType, decode_media_type
from .cache_policy import CachePolicy, DirectiveError, TableActivity, declared_policy, infer_policy
from .model import Catalog, Column, ForeignKey, Function, FunctionArg, MediaHandler, QualifiedName, Table
from .relationships import (
    ComputedRelationshipRow,
    KeyDependency,
    derive_relationships,
    index_relationships,
    view_primary_keys,
)

__all__ = ["build_catalog", "fetch_catalog", "load_catalog", "timed_load"]

_QUERY_NAMES = ("tables", "foreign_keys", "view_key_dependencies", "functions", "computed_relationships",
                "representations", "media_handlers", "role_settings")
# Sent only with db-cache-infer: the statistics behind the inferred Cache-Control policies.
_STATISTICS = "cache_statistics"
_QUERIES = {
    name: resources.files(__package__).joinpath("queries", f"{name}.sql").read_text()
    for name in (*_QUERY_NAMES, _STATISTICS)
}

_SETTINGS = "SELECT pg_catalog.set_config('search_path', '', true), pg_catalog.set_config('jit', 'off', true)"

_MISSING_SCHEMAS = ("SELECT s FROM unnest(%(schemas)s::text[]) AS s "
                    "WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = s)")

Rows = Mapping[str, Iterable[Mapping[str, Any]]]
log = logging.getLogger("pgrestd.catalog")


def load_catalog(conninfo: str, schemas: tuple[str, ...], *, connect_timeout: int = 5,
                 extra_search_path: tuple[str, ...] = (), infer_max_age: int | None = None) -> Catalog:
    """Connect, read the catalog, disconnect: the master does this before forking."""
    with psycopg.connect(conninfo, connect_timeout=connect_timeout, autocommit=True,
                         application_name="pgrestd schema cache") as conn:
        return fetch_catalog(conn, schemas, extra_search_path=extra_search_path, infer_max_age=infer_max_age)


def fetch_catalog(conn: psycopg.Connection[Any], schemas: tuple[str, ...], *,
                  extra_search_path: tuple[str, ...] = (), infer_max_age: int | None = None) -> Catalog:
    """All catalog queries go out pipelined in one read-only transaction: one round trip.

    ``extra_search_path`` (db-extra-search-path) lets views there link
    exposed views to their tables, and lends its functions as computed
    fields, as in PostgREST.  ``infer_max_age`` (db-cache-infer-max-age,
    None without db-cache-infer) adds the statistics query and caps the
    policies inferred from it.
    """
    params = {"schemas": list(schemas), "extra_search_path": list(extra_search_path)}
    conn.read_only = True
    with conn.transaction(), conn.pipeline():
        # An empty search_path makes every type name outside pg_catalog come
        # out schema-qualified (PostgREST's querySchemaCache does the same).
        # JIT stays off: catalog statistics lag behind a freshly migrated
        # schema, the estimates cross jit_above_cost, and compiling then
        # takes seconds for queries that run in milliseconds.
        conn.execute(_SETTINGS, prepare=False)
        cursors = {}
        for name in _QUERY_NAMES if infer_max_age is None else (*_QUERY_NAMES, _STATISTICS):
            cur = conn.cursor(row_factory=dict_row)
            set_json_loads(orjson.loads, cur)
            query = _QUERIES[name]
            if conn.info.server_version < 150000:  # no has_parameter_privilege() before 15
                query = re.sub(r"\n[^\n]*-- PostgreSQL 15\+", "", query)
            cur.execute(query, params, prepare=False)
            cursors[name] = cur
        missing = conn.execute(_MISSING_SCHEMAS, params, prepare=False)
        results = {name: cur.fetchall() for name, cur in cursors.items()}
    for (name,) in missing.fetchall():
        # PostgREST loads such a cache silently; every request to it then fails with PGRST205.
        log.warning("db-schemas names the schema %r, which does not exist in the database", name)
    return build_catalog(schemas, results, conn.info.server_version, extra_search_path=extra_search_path,
                         infer_max_age=infer_max_age)


def build_catalog(schemas: tuple[str, ...], rows: Rows, version: int, *,
                  extra_search_path: tuple[str, ...] = (), infer_max_age: int | None = None) -> Catalog:
    """Turns the catalog queries' rows into the snapshot; pure, so it is tested without a database.

    ``rows`` holds one list of dict rows per query file; the view key
    dependency, function, computed relationship and statistics lists may
    be missing.  Policies are inferred from the statistics rows only with
    ``infer_max_age``, and only for relations that declare none.
    """
    key_deps = [_key_dependency(r) for r in rows.get("view_key_dependencies", ())]
    tables = {(r["schema"], r["name"]): _table(r) for r in rows["tables"]}
    for view, pk in view_primary_keys(tables, key_deps).items():
        tables[view] = dataclasses.replace(tables[view], primary_key=pk)

    all_keys = [_foreign_key(r) for r in rows["foreign_keys"]]
    exposed = frozenset(schemas)
    foreign_keys = tuple(fk for fk in all_keys if fk.table[0] in exposed or fk.foreign_table[0] in exposed)

    functions: dict[QualifiedName, list[Function]] = {}
    computed_fields: dict[QualifiedName, dict[str, tuple[int, Function]]] = {}
    # PostgREST resolves a computed field through the search path: the
    # request's schema first, then db-extra-search-path, in order
    # (docs: references/api/computed_fields).
    rank = {s: i + 1 for i, s in reversed(list(enumerate(extra_search_path)))}
    for r in rows.get("functions", ()):
        fn = _function(r)
        if r["exposed"] and r["callable"]:
            functions.setdefault((fn.schema, fn.name), []).append(fn)
        if r["row_arg_name"] is None:
            continue
        table = (r["row_arg_schema"], r["row_arg_name"])
        # A function returning SETOF a relation is a to-many computed
        # relationship, not a field.
        if fn.returns_set and fn.return_relation is not None:
            continue
        order = 0 if fn.schema == table[0] else rank.get(fn.schema)
        if order is None:
            continue
        current = computed_fields.setdefault(table, {}).get(fn.name)
        if current is None or order < current[0]:
            computed_fields[table][fn.name] = (order, fn)

    computed = [
        ComputedRelationshipRow(
            function=(r["schema"], r["name"]),
            table=(r["table_schema"], r["table_name"]),
            foreign_table=(r["foreign_table_schema"], r["foreign_table_name"]),
            to_one=r["to_one"],
        )
        for r in rows.get("computed_relationships", ())
    ]
    rels = derive_relationships(all_keys, key_deps, tables, computed, schemas)
    origin_index, schema_index = index_relationships(rels)
    return Catalog(
        schemas=schemas,
        tables=tables,
        foreign_keys=foreign_keys,
        functions={k: tuple(sorted(v, key=overload_order)) for k, v in functions.items()},
        server_version=version,
        relationship_index=origin_index,
        relationship_schema_index=schema_index,
        computed_field_index={t: {name: fn for name, (_, fn) in sorted(fields.items())}
                              for t, fields in computed_fields.items()},
        representations={(r["source_type"], r["target_type"]): (r["function_schema"], r["function_name"])
                         for r in rows.get("representations", ())},
        media_handlers=_media_handlers(rows.get("media_handlers", ())),
        **_role_settings(rows.get("role_settings", ())),
        **_cache_policies(tables, rows.get(_STATISTICS, ()), infer_max_age),
    )


def _cache_policies(tables: Mapping[QualifiedName, Table], statistics: Iterable[Mapping[str, Any]],
                    cap: int | None) -> dict[str, Any]:
    """Each relation's policy: the one its comment declares, else (with a cap) the one its statistics suggest."""
    policies: dict[QualifiedName, CachePolicy] = {}
    if cap is not None:
        for r in statistics:
            sources = [TableActivity(*source) for source in r["sources"]]
            inferred = infer_policy(sources, cap, view=r["is_view"])
            if inferred is not None:
                policies[(r["schema"], r["name"])] = inferred
    policies.update((name, t.cache_policy) for name, t in tables.items() if t.cache_policy is not None)
    return {"cache_policies": policies}


_COMMENT_ON = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "f": "FOREIGN TABLE"}


def _described(comment: str | None, subject: str) -> tuple[str | None, CachePolicy | None]:
    """The description and the declared policy of an object; a bad Cache-Control line is logged and ignored."""
    try:
        return declared_policy(comment, subject)
    except DirectiveError as exc:
        log.warning("%s: the Cache-Control line is ignored: %s", subject, exc)
        return comment, None


def _media_handlers(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[QualifiedName | None, MediaType], MediaHandler]:
    """SchemaCache.decodeMediaHandlers: keyed by (relation or None for anyelement, media type).

    Both names are read as media types the way an Accept header is
    (decodeMediaType), so ``text/csv`` overrides the built-in CSV handler.
    """
    handlers: dict[tuple[QualifiedName | None, MediaType], MediaHandler] = {}
    for r in rows:
        target = None if r["any_element"] else (r["target_schema"], r["target_name"])
        media = decode_media_type(r["media_type"])
        handlers[(target, media)] = MediaHandler(
            function=(r["handler_schema"], r["handler_name"]), target=target, media=media,
            produces=decode_media_type(r["resolved_media_type"]))
    return handlers


def _table(r: Mapping[str, Any]) -> Table:
    columns = tuple(
        Column(
            name=c["name"],
            type=c["type"],
            nullable=c["nullable"],
            default=c["default"],
            description=c["description"],
            enum_values=tuple(c["enum"] or ()),
            max_length=c["max_length"],
            base_type=c["base_type"],
            generated=c["generated"],
            identity=c["identity"],
        )
        for c in r["columns"]
    )
    description, policy = _described(
        r["description"], f"COMMENT ON {_COMMENT_ON.get(r['kind'], 'TABLE')} {r['schema']}.{r['name']}")
    return Table(
        schema=r["schema"],
        name=r["name"],
        kind=r["kind"],
        description=description,
        columns=columns,
        primary_key=tuple(r["primary_key"]),
        insertable=r["insertable"],
        updatable=r["updatable"],
        deletable=r["deletable"],
        column_index={c.name: c for c in columns},
        unique_keys=tuple(tuple(k) for k in r["unique_keys"]),
        cache_policy=policy,
    )


def _foreign_key(r: Mapping[str, Any]) -> ForeignKey:
    return ForeignKey(
        name=r["name"],
        table=(r["schema"], r["table"]),
        columns=tuple(r["columns"]),
        foreign_table=(r["foreign_schema"], r["foreign_table"]),
        foreign_columns=tuple(r["foreign_columns"]),
        one_to_one=r["one_to_one"],
    )


def _key_dependency(r: Mapping[str, Any]) -> KeyDependency:
    return KeyDependency(
        table=(r["table_schema"], r["table_name"]),
        view=(r["view_schema"], r["view_name"]),
        constraint=r["constraint_name"],
        kind=r["constraint_type"],
        columns=tuple((col, tuple(view_cols)) for col, view_cols in r["column_dependencies"]),
    )


# PostgREST's order of FuncVolatility (Volatile < Stable < Immutable) and of
# hasql's IsolationLevel (ReadCommitted < RepeatableRead < Serializable).
_VOLATILITY_ORDER = {"v": 0, "s": 1, "i": 2}
_ISOLATION_ORDER = {"read committed": 0, "repeatable read": 1, "serializable": 2}


def overload_order(fn: Function) -> tuple[Any, ...]:
    """The sort key of the overloads of one function: PostgREST's ``Ord Routine``.

    Its schema cache sorts each function's overloads (decodeFuncs), and lists
    PGRST203's candidates in that order: the fewest parameters first, then
    by the routine's fields in declaration order: the description (none
    first), the parameters (name, type, type widened to any length,
    required, variadic), the return type (single before a set, a scalar
    before a composite, then its schema and name), the volatility, the
    variadic flag, the isolation level and the settings.
    """
    params = tuple((a.name, a.type, a.type_max_length or a.type, not a.has_default, a.variadic)
                   for a in fn.input_args)
    description = (0, "") if fn.description is None else (1, fn.description)
    returns = (fn.returns_set, fn.return_composite, fn.return_type_schema, fn.return_type_name,
               fn.return_composite and fn.return_composite_alias)
    isolation = (-1 if fn.isolation_level is None
                 else _ISOLATION_ORDER.get(fn.isolation_level.lower(), len(_ISOLATION_ORDER)))
    return (len(params), description, params, returns, _VOLATILITY_ORDER.get(fn.volatility, 0),
            fn.has_variadic, isolation, fn.settings)


def _function(r: Mapping[str, Any]) -> Function:
    relation = r["return_relation_name"]
    description, policy = _described(r["description"], f"COMMENT ON FUNCTION {r['schema']}.{r['name']}")
    return Function(
        schema=r["schema"],
        name=r["name"],
        args=tuple(
            FunctionArg(
                name=a["name"],
                type=a["type"],
                mode=a["mode"],
                has_default=a["has_default"],
                variadic=a["variadic"],
                type_max_length=a["type_max_length"],
            )
            for a in r["args"]
        ),
        return_type=r["return_type"],
        return_type_schema=r["return_type_schema"],
        returns_set=r["returns_set"],
        return_kind=r["return_kind"],
        volatility=r["volatility"],
        description=description,
        return_type_name=r["return_type_name"],
        return_composite=r["return_composite"],
        return_composite_alias=r["return_composite_alias"],
        return_relation=(r["return_relation_schema"], relation) if relation is not None else None,
        has_variadic=r["has_variadic"],
        isolation_level=r["isolation_level"],
        settings=tuple((k, v) for k, v in r["settings"]),
        cache_policy=policy,
    )


def _role_settings(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Per role: the settings its transactions apply, and its isolation level (PostgREST's queryRoleSettings)."""
    settings: dict[str, list[tuple[str, str]]] = {}
    isolation: dict[str, str] = {}
    for r in rows:
        if r["key"] == "default_transaction_isolation":
            if r["value"] in ("repeatable read", "serializable"):
                isolation[r["role"]] = r["value"]
        else:
            settings.setdefault(r["role"], []).append((r["key"], r["value"]))
    return {"role_settings": {role: tuple(kv) for role, kv in settings.items()}, "role_isolation": isolation}


def timed_load(conninfo: str, schemas: tuple[str, ...], *, extra_search_path: tuple[str, ...] = (),
               infer_max_age: int | None = None) -> tuple[Catalog, float]:
    """Load and report how long it took, for the reload log line."""
    start = time.perf_counter()
    catalog = load_catalog(conninfo, schemas, extra_search_path=extra_search_path, infer_max_age=infer_max_age)
    return catalog, time.perf_counter() - start
