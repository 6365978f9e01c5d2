"""What mock data is generated for: the tables to fill, their columns, keys and checks, and the types."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["Column", "ForeignKey", "Hints", "MockSchema", "PgType", "Table", "UniqueKey"]

QualifiedName = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Hints:
    """What the CHECK constraints on one column (or a domain) say about its values, where they say it
    simply enough to follow: numeric bounds ``(value, strict)``, allowed values, text length bounds,
    ``IS NOT NULL``."""

    low: tuple[Decimal, bool] | None = None
    high: tuple[Decimal, bool] | None = None
    choices: tuple[str, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    not_null: bool = False

    def merge(self, other: Hints) -> Hints:
        """Both hints at once: the tighter bound of each (a strict bound is the tighter of two equal ones)."""
        lows = [b for b in (self.low, other.low) if b is not None]
        highs = [b for b in (self.high, other.high) if b is not None]
        choices = self.choices or other.choices
        if self.choices and other.choices:
            choices = tuple(c for c in self.choices if c in other.choices) or self.choices
        min_lengths = [n for n in (self.min_length, other.min_length) if n is not None]
        max_lengths = [n for n in (self.max_length, other.max_length) if n is not None]
        return Hints(max(lows, default=None), min(highs, key=lambda b: (b[0], not b[1]), default=None),
                     choices, max(min_lengths, default=None), min(max_lengths, default=None),
                     self.not_null or other.not_null)


@dataclass(frozen=True, slots=True)
class PgType:
    """One row of pg_type, with what it is built from."""

    oid: int
    schema: str
    name: str
    kind: str  # typtype: b(ase), c(omposite), d(omain), e(num), r(ange), m(ultirange)
    category: str  # typcategory: S(tring), N(umeric), D(ate/time), B(oolean), A(rray), U(ser), ...
    sql: str  # format_type without a modifier, quoted as needed
    base_oid: int = 0  # a domain's base type
    base_typmod: int = -1
    not_null: bool = False  # a domain's NOT NULL
    element_oid: int | None = None  # an array's element type
    range_subtype_oid: int | None = None  # a range's (or multirange's) subtype
    multirange: bool = False
    labels: tuple[str, ...] = ()  # an enum's labels, in order
    hints: Hints = field(default_factory=Hints)  # a domain's CHECK constraints, as far as they are simple
    attributes: tuple[tuple[str, int, int], ...] = ()  # a composite's (name, type oid, typmod)


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a table to fill.  ``defaulted``: left to its default (identity, generated, serial)."""

    name: str
    type_oid: int
    typmod: int
    sql_type: str  # format_type with the modifier: the cast each generated value gets
    not_null: bool
    default: str | None
    defaulted: bool
    hints: Hints = field(default_factory=Hints)


@dataclass(frozen=True, slots=True)
class UniqueKey:
    """A primary key, a unique constraint or a plain unique index."""

    name: str
    columns: tuple[str, ...]
    primary: bool = False
    nulls_not_distinct: bool = False


@dataclass(frozen=True, slots=True)
class ForeignKey:
    name: str
    table: QualifiedName
    columns: tuple[str, ...]
    target: QualifiedName
    target_columns: tuple[str, ...]
    deferrable: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]
    unique_keys: tuple[UniqueKey, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[str, ...] = ()  # CHECK definitions, for the report; PostgreSQL enforces them

    @property
    def qualified(self) -> QualifiedName:
        return (self.schema, self.name)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True, slots=True)
class MockSchema:
    """The tables to fill, in no particular order, the types their columns use, and the materialized
    views to refresh once they are filled."""

    tables: dict[QualifiedName, Table]
    types: dict[int, PgType]
    exposed: tuple[QualifiedName, ...]  # the tables of the exposed schemas
    materialized_views: tuple[QualifiedName, ...] = ()
