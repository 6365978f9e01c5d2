"""Loads the catalog snapshot from PostgreSQL in one round of catalog queries."""

from __future__ import annotations

import time
from importlib import resources
from typing import Any

import psycopg
from psycopg.rows import dict_row

from .model import Catalog, Column, ForeignKey, Function, FunctionArg, Table

__all__ = ["load_catalog", "fetch_catalog"]

_QUERIES = {
    name: resources.files(__package__).joinpath("queries", f"{name}.sql").read_text()
    for name in ("tables", "foreign_keys", "functions")
}


def load_catalog(conninfo: str, schemas: tuple[str, ...], *, connect_timeout: int = 5) -> Catalog:
    """Connect, read the catalog, disconnect: the master does this before forking."""
    with psycopg.connect(conninfo, connect_timeout=connect_timeout, autocommit=True,
                         application_name="pgrestd schema cache") as conn:
        return fetch_catalog(conn, schemas)


def fetch_catalog(conn: psycopg.Connection[Any], schemas: tuple[str, ...]) -> Catalog:
    """All catalog queries go out pipelined in one read-only transaction: one round trip."""
    params = {"schemas": list(schemas)}
    conn.read_only = True
    with conn.transaction(), conn.pipeline():
        cursors = {name: conn.cursor(row_factory=dict_row) for name in _QUERIES}
        for name, cur in cursors.items():
            cur.execute(_QUERIES[name], params, prepare=False)
        results = {name: cur.fetchall() for name, cur in cursors.items()}
    return build_catalog(schemas, results, conn.info.server_version)


def build_catalog(schemas: tuple[str, ...], rows: dict[str, list[dict[str, Any]]], version: int) -> Catalog:
    tables: dict[tuple[str, str], Table] = {}
    for r in rows["tables"]:
        columns = tuple(
            Column(
                name=c["name"],
                type=c["type"],
                nullable=c["nullable"],
                default=c["default"],
                description=c["description"],
                enum_values=tuple(c["enum"] or ()),
                max_length=c["max_length"],
            )
            for c in r["columns"]
        )
        tables[(r["schema"], r["name"])] = Table(
            schema=r["schema"],
            name=r["name"],
            kind=r["kind"],
            description=r["description"],
            columns=columns,
            primary_key=tuple(r["primary_key"]),
            insertable=r["insertable"],
            updatable=r["updatable"],
            deletable=r["deletable"],
            column_index={c.name: c for c in columns},
        )
    foreign_keys = tuple(
        ForeignKey(
            name=r["name"],
            table=(r["schema"], r["table"]),
            columns=tuple(r["columns"]),
            foreign_table=(r["foreign_schema"], r["foreign_table"]),
            foreign_columns=tuple(r["foreign_columns"]),
        )
        for r in rows["foreign_keys"]
    )
    functions: dict[tuple[str, str], list[Function]] = {}
    for r in rows["functions"]:
        fn = Function(
            schema=r["schema"],
            name=r["name"],
            args=tuple(FunctionArg(a["name"], a["type"], a["mode"], a["has_default"]) for a in r["args"]),
            return_type=r["return_type"],
            return_type_schema=r["return_type_schema"],
            returns_set=r["returns_set"],
            return_kind=r["return_kind"],
            volatility=r["volatility"],
            description=r["description"],
        )
        functions.setdefault((fn.schema, fn.name), []).append(fn)
    return Catalog(
        schemas=schemas,
        tables=tables,
        foreign_keys=foreign_keys,
        functions={k: tuple(v) for k, v in functions.items()},
        server_version=version,
    )


def timed_load(conninfo: str, schemas: tuple[str, ...]) -> tuple[Catalog, float]:
    """Load and report how long it took, for the reload log line."""
    start = time.perf_counter()
    catalog = load_catalog(conninfo, schemas)
    return catalog, time.perf_counter() - start
