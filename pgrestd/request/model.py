"""The parsed query string: frozen, hashable values mirroring PostgREST's ApiRequest.Types."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "AggregateFunction",
    "Compare",
    "EmbedPath",
    "Field",
    "Filter",
    "FullTextSearch",
    "In",
    "Is",
    "IsDistinct",
    "IsValue",
    "JoinType",
    "JsonArrow",
    "JsonIndex",
    "JsonKey",
    "JsonOperation",
    "JsonPath",
    "LimitOffset",
    "LogicNode",
    "LogicOperator",
    "LogicTree",
    "Operation",
    "OrderDirection",
    "OrderNulls",
    "OrderTerm",
    "Quantifier",
    "QueryParams",
    "SelectEmbed",
    "SelectField",
    "SelectItem",
]

# Embed names (or aliases) from the root down: ``actors.films.limit`` -> ("actors", "films").
EmbedPath = tuple[str, ...]


# -- fields and JSON paths ------------------------------------------------------


class JsonArrow(StrEnum):
    ARROW = "->"
    DOUBLE_ARROW = "->>"


@dataclass(frozen=True, slots=True)
class JsonKey:
    """``->key``: an object member."""

    value: str


@dataclass(frozen=True, slots=True)
class JsonIndex:
    """``->1``: an array element, kept as signed text ("+1", "-2") as PostgREST binds ``$n::int``."""

    value: str


@dataclass(frozen=True, slots=True)
class JsonOperation:
    arrow: JsonArrow
    operand: JsonKey | JsonIndex


JsonPath = tuple[JsonOperation, ...]


@dataclass(frozen=True, slots=True)
class Field:
    """A column, optionally followed by a JSON path: ``data->a->>0``."""

    name: str
    json_path: JsonPath = ()


# -- select ---------------------------------------------------------------------


class AggregateFunction(StrEnum):
    SUM = "sum"
    AVG = "avg"
    MAX = "max"
    MIN = "min"
    COUNT = "count"


class JoinType(StrEnum):
    INNER = "inner"
    LEFT = "left"


@dataclass(frozen=True, slots=True)
class SelectField:
    """``alias:field->path::cast.aggregate()::aggregate_cast``; a bare ``count()`` is ``*`` with COUNT."""

    field: Field
    alias: str | None = None
    cast: str | None = None
    aggregate: AggregateFunction | None = None
    aggregate_cast: str | None = None
    # Set by the planner: ``count()`` hoisted out of a spread selects the whole row (cfFullRow).
    full_row: bool = False


@dataclass(frozen=True, slots=True)
class SelectEmbed:
    """``alias:name!hint!inner(children)``, or ``...name!hint(children)`` when ``spread``.

    PostgREST's SelectRelation and SpreadRelation; a spread has no alias.
    """

    name: str
    children: tuple[SelectItem, ...] = ()
    alias: str | None = None
    hint: str | None = None
    join_type: JoinType | None = None
    spread: bool = False


SelectItem = SelectField | SelectEmbed


# -- filters --------------------------------------------------------------------


class Quantifier(StrEnum):
    ANY = "any"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class Compare:
    """``eq.5``, ``like(any).{a*,b*}``, ``cs.{1,2}``: one operator of :mod:`.operators` and one value.

    ``quantifier`` is only ever set for the operators the table marks quantifiable.
    """

    operator: str
    value: str
    quantifier: Quantifier | None = None


@dataclass(frozen=True, slots=True)
class In:
    """``in.(a,"b,c")``.

    PostgREST reads ``in.()`` and ``in.("")`` alike as the one-item list ``("",)``
    and renders that item list as the empty array (SqlFragment.pgFmtFilter);
    the list is kept here exactly as parsed so the SQL stage applies that rule.
    """

    values: tuple[str, ...]


class IsValue(StrEnum):
    NULL = "null"
    NOT_NULL = "not_null"
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Is:
    value: IsValue


@dataclass(frozen=True, slots=True)
class IsDistinct:
    value: str


@dataclass(frozen=True, slots=True)
class FullTextSearch:
    """``fts(english).cat``: ``operator`` is fts, plfts, phfts or wfts."""

    operator: str
    value: str
    language: str | None = None


Operation = Compare | In | Is | IsDistinct | FullTextSearch


@dataclass(frozen=True, slots=True)
class Filter:
    """``field=not.op.value`` (PostgREST's Filter with an OpExpr)."""

    field: Field
    operation: Operation
    negated: bool = False


# -- logic trees ----------------------------------------------------------------


class LogicOperator(StrEnum):
    AND = "and"
    OR = "or"


@dataclass(frozen=True, slots=True)
class LogicTree:
    """``not.or(a.eq.1,and(b.gt.2,c.lt.3))``; a leaf is a :class:`Filter`."""

    operator: LogicOperator
    children: tuple[LogicNode, ...]
    negated: bool = False


LogicNode = LogicTree | Filter


# -- order ----------------------------------------------------------------------


class OrderDirection(StrEnum):
    ASC = "asc"
    DESC = "desc"


class OrderNulls(StrEnum):
    FIRST = "nullsfirst"
    LAST = "nullslast"


@dataclass(frozen=True, slots=True)
class OrderTerm:
    """``field.desc.nullslast``; with ``relation``, ``clients(name).desc`` orders by a to-one embed.

    PostgREST's OrderTerm and OrderRelationTerm in one type.
    """

    field: Field
    direction: OrderDirection | None = None
    nulls: OrderNulls | None = None
    relation: str | None = None


# -- limit and offset -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LimitOffset:
    """The raw ``limit`` and ``offset`` values given for one embed path (the last of each wins).

    They stay text: PostgREST reads them with Haskell's ``readMaybe`` and
    ignores what it cannot read, which :func:`pgrestd.request.ranges.query_range`
    reproduces.
    """

    limit: str | None = None
    offset: str | None = None


# -- the whole query string -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryParams:
    """Everything the query string says, as PostgREST's ``QueryParams`` has it.

    Pairs keep the request order.  Every parameter that parsed as a filter
    is in ``filters_root`` (used by UPDATE/DELETE) or ``filters_not_root``;
    on a GET/HEAD of a function a value without an operator is an argument
    instead and lands in ``params`` as ``(field name, value)``.  ``order`` has one entry per embed path, the first
    given (PostgREST folds its list from the right); ``ranges`` one per embed
    path.  ``columns`` is sorted and unique, as PostgREST keeps a set.
    ``canonical`` is the query string sorted by key, for Content-Location.
    """

    canonical: str = ""
    select: tuple[SelectItem, ...] = (SelectField(Field("*")),)
    filters_root: tuple[Filter, ...] = ()
    filters_not_root: tuple[tuple[EmbedPath, Filter], ...] = ()
    filter_fields: frozenset[str] = frozenset()
    logic: tuple[tuple[EmbedPath, LogicNode], ...] = ()
    order: tuple[tuple[EmbedPath, tuple[OrderTerm, ...]], ...] = ()
    ranges: tuple[tuple[EmbedPath, LimitOffset], ...] = ()
    params: tuple[tuple[str, str], ...] = ()
    columns: tuple[str, ...] | None = None
    on_conflict: tuple[str, ...] | None = None

    def filters_at(self, path: EmbedPath = ()) -> tuple[Filter, ...]:
        if not path:
            return self.filters_root
        return tuple(flt for at, flt in self.filters_not_root if at == path)

    def logic_at(self, path: EmbedPath = ()) -> tuple[LogicNode, ...]:
        return tuple(tree for at, tree in self.logic if at == path)

    def order_at(self, path: EmbedPath = ()) -> tuple[OrderTerm, ...]:
        for at, terms in self.order:
            if at == path:
                return terms
        return ()

    def range_at(self, path: EmbedPath = ()) -> LimitOffset | None:
        for at, range_ in self.ranges:
            if at == path:
                return range_
        return None
