"""The catalog snapshot: immutable description of the exposed schemas."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

from .cache_policy import CachePolicy

if TYPE_CHECKING:
    from ..media import MediaType

__all__ = [
    "Cardinality", "Catalog", "Column", "ForeignKey", "Function", "FunctionArg", "Junction",
    "MediaHandler", "QualifiedName", "Relationship", "Table",
]

QualifiedName = tuple[str, str]
ColumnPairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Column:
    """One column as PostgREST's schema cache describes it (SchemaCache/Table.hs, ``Column``)."""

    name: str
    type: str  # format_type with the type modifier: PostgREST's colNominalType
    nullable: bool
    default: str | None
    description: str | None
    enum_values: tuple[str, ...] = ()
    max_length: int | None = None
    # PostgREST's colType: a domain over a pg_catalog type is reported as that
    # type, and pg_catalog types lose their modifier ("character varying").
    base_type: str = ""
    generated: bool = False  # GENERATED ALWAYS AS (...) STORED: never written by the API
    identity: str | None = None  # pg_attribute.attidentity: "a" (always) or "d" (by default)


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
    # PRIMARY KEY and UNIQUE constraints, columns in key order; empty for views.
    unique_keys: tuple[tuple[str, ...], ...] = ()
    # The Cache-Control policy its comment declares (the line is not in ``description``).
    cache_policy: CachePolicy | None = None

    @property
    def is_view(self) -> bool:
        return self.kind in ("v", "m")

    @property
    def qualified_name(self) -> QualifiedName:
        return (self.schema, self.name)


@dataclass(frozen=True, slots=True)
class ForeignKey:
    name: str
    table: QualifiedName
    columns: tuple[str, ...]
    foreign_table: QualifiedName
    foreign_columns: tuple[str, ...]
    # The FK columns are exactly a PRIMARY KEY or UNIQUE constraint of the
    # referencing table, which makes the relationship one-to-one.
    one_to_one: bool = False


class Cardinality(StrEnum):
    """PostgREST's ``Cardinality`` (SchemaCache/Relationship.hs), seen from the origin table."""

    M2O = "M2O"  # the origin holds the foreign key
    O2M = "O2M"  # the target holds the foreign key
    O2O = "O2O"  # the foreign key columns are also a primary or unique key
    M2M = "M2M"  # through a junction table holding keys to both


@dataclass(frozen=True, slots=True)
class Junction:
    """The junction table of a many-to-many relationship (PostgREST's ``Junction``)."""

    table: QualifiedName
    constraint1: str  # the junction's foreign key to the origin
    constraint2: str  # the junction's foreign key to the target
    source_columns: ColumnPairs  # (origin column, junction column)
    target_columns: ColumnPairs  # (target column, junction column)


@dataclass(frozen=True, slots=True)
class Relationship:
    """A way to embed ``foreign_table`` under ``table``: PostgREST's ``Relationship``.

    Computed relationships (functions from a row type to a row type) have
    ``function`` set, no cardinality and no columns; ``to_one`` tells whether
    they embed an object or an array.
    """

    table: QualifiedName
    foreign_table: QualifiedName
    cardinality: Cardinality | None
    # The foreign key's name; the function's name for a computed relationship;
    # None for M2M, whose two constraints are in ``junction``.
    constraint: str | None
    columns: ColumnPairs  # (table column, foreign table column), key order
    is_self: bool
    table_is_view: bool = False
    foreign_table_is_view: bool = False
    # O2O only: True when ``table`` is the referenced side (the key holder is the target).
    is_parent: bool = False
    junction: Junction | None = None
    function: QualifiedName | None = None
    # Embeds an object rather than an array (PostgREST's relIsToOne): M2O,
    # O2O, and computed relationships returning one row.
    to_one: bool = False

    @property
    def is_computed(self) -> bool:
        return self.function is not None


@dataclass(frozen=True, slots=True)
class FunctionArg:
    name: str
    type: str
    mode: str  # i, o, b, v, t as in pg_proc.proargmodes
    has_default: bool
    variadic: bool = False
    # PostgREST's ppTypeMaxLength: the type an RPC argument is cast to, with
    # bit and character widened to their varying forms so any length passes.
    type_max_length: str = ""

    @property
    def is_input(self) -> bool:
        return self.mode in ("i", "b", "v")


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
    # PostgREST's RetType: the name of the returned type (a domain resolved to
    # its base type; a row type named after its relation) ...
    return_type_name: str = ""
    # ... composite when the type is one or OUT/INOUT/TABLE arguments make it one,
    return_composite: bool = False
    # ... and whether the declared return type is a domain over that type.
    return_composite_alias: bool = False
    # The relation whose row type this function returns, if any.
    return_relation: QualifiedName | None = None
    has_variadic: bool = False
    isolation_level: str | None = None  # from SET default_transaction_isolation
    settings: tuple[tuple[str, str], ...] = ()  # the function's SET clauses
    # The Cache-Control policy its comment declares (the line is not in ``description``).
    cache_policy: CachePolicy | None = None

    @property
    def input_args(self) -> tuple[FunctionArg, ...]:
        return tuple(a for a in self.args if a.is_input)

    @property
    def returns_scalar(self) -> bool:
        return not self.return_composite

    @property
    def returns_void(self) -> bool:
        return self.return_type == "void" and not self.returns_set

    @property
    def table_name(self) -> str | None:
        """PostgREST's funcTableName: the relation a composite result is named after."""
        return self.return_type_name if self.return_composite else None


@dataclass(frozen=True, slots=True)
class MediaHandler:
    """A custom media type handler (PostgREST's ``CustomFunc``, SchemaCache/Routine.hs).

    An aggregate returning a domain named like a media type: it turns the
    rows of ``target`` (None: any relation, the aggregate takes
    ``anyelement``) into the body sent as ``produces``.  ``media`` and
    ``produces`` are the domain's name and what is sent for it (``*/*`` is
    sent as application/octet-stream), as :class:`pgrestd.media.MediaType`.
    """

    function: QualifiedName
    target: QualifiedName | None
    media: MediaType
    produces: MediaType


_NO_RELATIONSHIPS: tuple[Relationship, ...] = ()


@dataclass(frozen=True, slots=True)
class Catalog:
    """Everything the pipeline needs to resolve a request, keyed for O(1) lookups."""

    schemas: tuple[str, ...]
    tables: Mapping[QualifiedName, Table]
    foreign_keys: tuple[ForeignKey, ...]
    functions: Mapping[QualifiedName, tuple[Function, ...]]
    server_version: int
    # origin (schema, name) -> its relationships in PostgREST's order
    relationship_index: Mapping[QualifiedName, tuple[Relationship, ...]] = field(
        default_factory=dict, repr=False)
    # (origin schema, origin name, target schema) -> the same, narrowed to one target schema
    relationship_schema_index: Mapping[tuple[str, str, str], tuple[Relationship, ...]] = field(
        default_factory=dict, repr=False)
    # table (schema, name) -> computed field name -> function
    computed_field_index: Mapping[QualifiedName, Mapping[str, Function]] = field(
        default_factory=dict, repr=False)
    # Data representations: (source type, target type) -> the cast function,
    # e.g. ("api.color", "json") formats and ("text", "api.color") parses.
    representations: Mapping[tuple[str, str], QualifiedName] = field(default_factory=dict, repr=False)
    # Custom media type handlers: (target relation or None for anyelement,
    # media type) -> the aggregate (SchemaCache.dbMediaHandlers, aggregates only).
    media_handlers: Mapping[tuple[QualifiedName | None, MediaType], MediaHandler] = field(
        default_factory=dict, repr=False)
    # ALTER ROLE ... SET of the roles the authenticator may become: applied in
    # each transaction of that role; its default_transaction_isolation apart.
    role_settings: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict, repr=False)
    role_isolation: Mapping[str, str] = field(default_factory=dict, repr=False)
    # The Cache-Control policy of each relation that has one: declared in its comment (as in
    # Table.cache_policy) or, with db-cache-infer, inferred from statistics.  Statistics are not
    # the schema: two loads of one schema compare equal whatever the counters said.
    cache_policies: Mapping[QualifiedName, CachePolicy] = field(default_factory=dict, repr=False, compare=False)

    def table(self, schema: str, name: str) -> Table | None:
        return self.tables.get((schema, name))

    def table_names(self, schema: str) -> list[str]:
        return [name for (s, name) in self.tables if s == schema]

    def relationships(self, schema: str, name: str,
                      foreign_schema: str | None = None) -> tuple[Relationship, ...]:
        """Every relationship whose origin is ``schema.name``.

        PostgREST's findRel only considers targets in the request's schema
        (it looks up ``(origin, schema)`` in its RelationshipsMap, where a
        computed relationship is filed under its function's schema); pass
        ``foreign_schema`` to get exactly that candidate list.
        """
        if foreign_schema is None:
            return self.relationship_index.get((schema, name), _NO_RELATIONSHIPS)
        return self.relationship_schema_index.get((schema, name, foreign_schema), _NO_RELATIONSHIPS)

    def computed_fields(self, schema: str, name: str) -> Mapping[str, Function]:
        """Functions usable as virtual columns of ``schema.name``, by field name."""
        return self.computed_field_index.get((schema, name), _NO_FIELDS)


_NO_FIELDS: Mapping[str, Function] = MappingProxyType({})
