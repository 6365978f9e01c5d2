"""Reads which tables to fill, and everything their values must respect, from the scratch database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

import psycopg
from psycopg.rows import dict_row

from .checks import check_hints, partition_hints
from .model import Column, ForeignKey, Hints, MockSchema, PgType, QualifiedName, Table, UniqueKey

__all__ = ["read_schema", "tables_to_fill"]

_QUERIES = {name: resources.files(__package__).joinpath("queries", f"{name}.sql").read_text()
            for name in ("tables", "columns", "constraints", "partitions", "types", "views")}


def read_schema(conn: psycopg.Connection[Any], schemas: Iterable[str]) -> MockSchema:
    """The tables behind the exposed ``schemas``: theirs, the ones their views read and the ones
    their foreign keys reach, transitively."""
    cur = conn.cursor(row_factory=dict_row)
    tables = cur.execute(_QUERIES["tables"]).fetchall()
    views = cur.execute(_QUERIES["views"]).fetchall()
    relids = [t["oid"] for t in tables]
    columns = cur.execute(_QUERIES["columns"], {"relids": relids}).fetchall()
    constraints = cur.execute(_QUERIES["constraints"], {"relids": relids}).fetchall()
    partitions = cur.execute(_QUERIES["partitions"], {"relids": relids}).fetchall()
    types = {row["oid"]: _pg_type(row) for row in cur.execute(_QUERIES["types"]).fetchall()}
    by_oid = {t["oid"]: t for t in tables}
    names = {t["oid"]: (t["schema"], t["name"]) for t in tables}
    built = {names[oid]: table
             for oid, table in _tables(by_oid, columns, constraints, partitions, names).items()}
    wanted = tables_to_fill(tables, views, constraints, tuple(schemas))
    exposed = tuple(sorted(names[t["oid"]] for t in tables
                           if t["schema"] in schemas and t["partition_root"] is None))
    matviews = tuple(sorted({(v["schema"], v["name"]) for v in views if v["materialized"]}))
    return MockSchema({names[oid]: built[names[oid]] for oid in sorted(wanted, key=names.__getitem__)},
                      types, exposed, matviews)


def tables_to_fill(tables: list[Mapping[str, Any]], views: list[Mapping[str, Any]],
                   constraints: list[Mapping[str, Any]], schemas: tuple[str, ...]) -> set[int]:
    """The oids of the tables of ``schemas``, of the tables their views read and of the tables their
    foreign keys reach, transitively; a partition stands for its partitioned root."""
    root = {t["oid"]: t["partition_root"] or t["oid"] for t in tables}
    reads: dict[int, set[int]] = {}
    for v in views:
        reads.setdefault(v["relid"], set())
        if v["reads"] is not None:
            reads[v["relid"]].add(v["reads"])
    refs: dict[int, set[int]] = {}
    for c in constraints:
        if c["kind"] == "f":
            refs.setdefault(c["relid"], set()).add(c["ref_relid"])
    start = [t["oid"] for t in tables if t["schema"] in schemas]
    start += [v["relid"] for v in views if v["schema"] in schemas]
    seen: set[int] = set()
    while start:
        oid = start.pop()
        oid = root.get(oid, oid)
        if oid in seen:
            continue
        seen.add(oid)
        start += reads.get(oid, set()) | refs.get(oid, set())
    return {oid for oid in seen if oid in root}


def _tables(by_oid: Mapping[int, Mapping[str, Any]], columns: list[Mapping[str, Any]],
            constraints: list[Mapping[str, Any]], partitions: list[Mapping[str, Any]],
            names: Mapping[int, QualifiedName]) -> dict[int, Table]:
    hints: dict[tuple[int, str], Hints] = {}

    def add(key: tuple[int, str], found: Hints) -> None:
        hints[key] = hints[key].merge(found) if key in hints else found

    for c in constraints:
        if c["kind"] == "c":
            for name, found in check_hints(c["definition"]).items():
                add((c["relid"], name), found)
    bounds: dict[tuple[int, str], list[str]] = {}
    for p in partitions:
        bounds.setdefault((p["relid"], p["column"]), []).append(p["bound"])
    for key, found_bounds in bounds.items():
        add(key, partition_hints(found_bounds))
    cols: dict[int, list[Column]] = {oid: [] for oid in by_oid}
    for c in columns:
        default = c["default_sql"]
        defaulted = c["identity"] or c["generated"] or (default is not None and "nextval(" in default)
        cols[c["relid"]].append(Column(c["name"], c["type_oid"], c["typmod"], c["type_sql"], c["not_null"],
                                       default, bool(defaulted), hints.get((c["relid"], c["name"]), Hints())))
    uniques: dict[int, list[UniqueKey]] = {oid: [] for oid in by_oid}
    fks: dict[int, list[ForeignKey]] = {oid: [] for oid in by_oid}
    checks: dict[int, list[str]] = {oid: [] for oid in by_oid}
    for c in constraints:
        relid = c["relid"]
        if c["kind"] in ("p", "u"):
            uniques[relid].append(UniqueKey(c["name"], tuple(c["columns"]), c["kind"] == "p",
                                            c["nulls_not_distinct"]))
        elif c["kind"] == "f" and c["ref_relid"] in names:
            fks[relid].append(ForeignKey(c["name"], names[relid], tuple(c["columns"]), names[c["ref_relid"]],
                                         tuple(c["ref_columns"]), c["deferrable"]))
        elif c["kind"] == "c":
            checks[relid].append(c["definition"])
    return {oid: Table(t["schema"], t["name"], tuple(cols[oid]), tuple(uniques[oid]), tuple(fks[oid]),
                       tuple(checks[oid]))
            for oid, t in by_oid.items()}


def _pg_type(row: Mapping[str, Any]) -> PgType:
    hints = Hints()
    for definition in row["checks"]:
        hints = hints.merge(check_hints(definition).get("VALUE", Hints()))
    return PgType(row["oid"], row["schema"], row["name"], row["kind"], row["category"], row["type_sql"],
                  row["base_oid"], row["base_typmod"], row["not_null"], row["element_oid"],
                  row["range_subtype_oid"], row["multirange"], tuple(row["labels"]), hints,
                  tuple(tuple(a) for a in row["attributes"] or ()))
