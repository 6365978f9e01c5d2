"""The catalog snapshot: immutable description of the exposed schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

__all__ = ["Column", "Table", "ForeignKey", "Function", "FunctionArg", "Catalog", "QualifiedName"]

QualifiedName = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    nullable: bool
    default: str | None
    description: str | None
    enum_values: tuple[str, ...] = ()
    max_length: int | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """A table, view, materialized view, foreign or partitioned table."""

    schema: str
    name: str
    kind: str  # PostgreSQL relkind: r, v, m, f, p
    description: str | None
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    insertable: bool
    updatable: bool
    deletable: bool
    column_index: Mapping[str, Column] = field(compare=False, repr=False, default_factory=dict)

    @property
    def is_view(self) -> bool:
        return self.kind in ("v", "m")


@dataclass(frozen=True, slots=True)
class ForeignKey:
    name: str
    table: QualifiedName
    columns: tuple[str, ...]
    foreign_table: QualifiedName
    foreign_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FunctionArg:
    name: str
    type: str
    mode: str  # i, o, b, v, t as in pg_proc.proargmodes
    has_default: bool


@dataclass(frozen=True, slots=True)
class Function:
    schema: str
    name: str
    args: tuple[FunctionArg, ...]
    return_type: str
    return_type_schema: str
    returns_set: bool
    return_kind: str  # pg_type.typtype of the return type: b, c, d, e, p, r
    volatility: str  # i, s, v
    description: str | None


@dataclass(frozen=True, slots=True)
class Catalog:
    """Everything the pipeline needs to resolve a request, keyed for O(1) lookups."""

    schemas: tuple[str, ...]
    tables: Mapping[QualifiedName, Table]
    foreign_keys: tuple[ForeignKey, ...]
    functions: Mapping[QualifiedName, tuple[Function, ...]]
    server_version: int

    def table(self, schema: str, name: str) -> Table | None:
        return self.tables.get((schema, name))

    def table_names(self, schema: str) -> list[str]:
        return [name for (s, name) in self.tables if s == schema]
