"""The horizontal-filter operator table: URL key, SQL, meaning — one row per operator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "BY_KEY",
    "IS_KEYWORDS",
    "OPERATORS",
    "QUANTIFIABLE",
    "QUANTIFIER_SQL",
    "VERBATIM_VALUE_KEYS",
    "Operator",
    "OperatorKind",
]


class OperatorKind(StrEnum):
    """How the SQL stage renders an operator (SqlFragment.pgFmtFilter)."""

    COMPARE = "compare"  # field <sql> $value, or field <sql> ANY/ALL($array) when quantified
    IN = "in"  # field = ANY($array): one parameter whatever the list length
    IS = "is"  # field IS <keyword from IS_KEYWORDS>: IS cannot take a parameter
    IS_DISTINCT = "isdistinct"  # field IS DISTINCT FROM $value
    FTS = "fts"  # field @@ fn([$language,] $value)


@dataclass(frozen=True, slots=True)
class Operator:
    key: str
    sql: str
    description: str
    kind: OperatorKind
    quantifiable: bool = False  # accepts the (any)/(all) modifier: eq(any).{1,2}
    star_is_percent: bool = False  # `*` in the value stands for `%`, as `%` is awkward in URLs


_C, _Q = OperatorKind.COMPARE, True

# Rows follow PostgREST's docs ("Operators" in the API reference) and
# SqlFragment's simpleOperator/quantOperator/ftsOperator.  Within a kind, the
# row order is the order QueryParams.hs tries the keys, which matters where one
# key is a prefix of another (gte before gt, lte before lt).
OPERATORS: tuple[Operator, ...] = (
    Operator("eq", "=", "equals", _C, _Q),
    Operator("gte", ">=", "greater than or equal", _C, _Q),
    Operator("gt", ">", "greater than", _C, _Q),
    Operator("lte", "<=", "less than or equal", _C, _Q),
    Operator("lt", "<", "less than", _C, _Q),
    Operator("like", "LIKE", "LIKE pattern, `*` for `%`", _C, _Q, star_is_percent=True),
    Operator("ilike", "ILIKE", "case-insensitive LIKE, `*` for `%`", _C, _Q, star_is_percent=True),
    Operator("match", "~", "matches a POSIX regular expression", _C, _Q),
    Operator("imatch", "~*", "matches a POSIX regular expression, case-insensitively", _C, _Q),
    Operator("neq", "<>", "not equal", _C),
    Operator("cs", "@>", "contains: cs.{a,b}, cs.[1,2], cs.[1,5)", _C),
    Operator("cd", "<@", "contained in", _C),
    Operator("ov", "&&", "overlaps (has elements or points in common)", _C),
    Operator("sl", "<<", "strictly left of", _C),
    Operator("sr", ">>", "strictly right of", _C),
    Operator("nxr", "&<", "does not extend to the right of", _C),
    Operator("nxl", "&>", "does not extend to the left of", _C),
    Operator("adj", "-|-", "is adjacent to", _C),
    Operator("in", "= ANY", 'one of a list: in.(1,2,"a,b")', OperatorKind.IN),
    Operator("is", "IS", "is null, not_null, true, false or unknown", OperatorKind.IS),
    Operator(
        "isdistinct",
        "IS DISTINCT FROM",
        "not equal, treating NULL as a comparable value",
        OperatorKind.IS_DISTINCT,
    ),
    Operator("fts", "@@ to_tsquery", "full-text search with to_tsquery", OperatorKind.FTS),
    Operator("plfts", "@@ plainto_tsquery", "full-text search with plainto_tsquery", OperatorKind.FTS),
    Operator("phfts", "@@ phraseto_tsquery", "full-text search with phraseto_tsquery", OperatorKind.FTS),
    Operator(
        "wfts", "@@ websearch_to_tsquery", "full-text search with websearch_to_tsquery", OperatorKind.FTS
    ),
)

BY_KEY: Mapping[str, Operator] = MappingProxyType({op.key: op for op in OPERATORS})

QUANTIFIABLE: frozenset[str] = frozenset(op.key for op in OPERATORS if op.quantifiable)

# The operators whose value PostgREST's grammar takes verbatim: all the text
# after `key.` (pOpExpr's pSingleVal after a simple or quantifiable operator, or
# after isdistinct).  Such a value can be swapped for another without changing
# the parse, so the plan cache plans one request and reuses the plan for the
# requests that differ from it only in those values.
VERBATIM_VALUE_KEYS: tuple[str, ...] = tuple(
    op.key for op in OPERATORS if op.kind in (OperatorKind.COMPARE, OperatorKind.IS_DISTINCT)
)

# `is.<value>` renders a keyword, never a parameter; these are the only ones accepted.
IS_KEYWORDS: Mapping[str, str] = MappingProxyType(
    {"null": "NULL", "not_null": "NOT NULL", "true": "TRUE", "false": "FALSE", "unknown": "UNKNOWN"}
)

QUANTIFIER_SQL: Mapping[str, str] = MappingProxyType({"any": "ANY", "all": "ALL"})
