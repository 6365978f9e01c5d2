"""PostgREST's query-string grammar, public face: each parse tries the fast parser, then the reference one."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from ..model import (
    EmbedPath,
    Field,
    Filter,
    LimitOffset,
    LogicNode,
    Operation,
    OrderTerm,
    QueryParams,
    SelectItem,
)
from . import fast, reference
from .reference import MAX_DEPTH
from .url import canonical, decode_utf8, split_query, url_decode, url_encode

__all__ = [
    "MAX_DEPTH",
    "url_decode",
    "url_encode",
    "parse_columns",
    "parse_filter",
    "parse_logic",
    "parse_order",
    "parse_query",
    "parse_select",
]

# Select, filters, logic trees, order, limit/offset, columns and on_conflict, as
# PostgREST's ApiRequest/QueryParams.hs reads them.  Two parsers read the same
# grammar:
#
# * fast.py, a hand-written recursive-descent parser, fast and strict, that
#   handles the input people actually send and gives up (``fast.Fail``) on
#   anything unusual;
# * reference.py, a faithful transcription of the Parsec grammar onto a small
#   emulation of Parsec's semantics (consumed/empty replies, ``try``, merged
#   error hints), run only when the fast parser gives up.  It decides the
#   unusual cases exactly as PostgREST does and produces PostgREST's error
#   messages byte for byte.
#
# The fast parser may only ever succeed where the reference parser succeeds,
# with the same result; ``tests/unit/request/test_grammar_properties.py``
# checks that.  url.py splits and decodes the query string before either
# parser sees it, and encodes the canonical query string.

# Parameters PostgREST reads whole (QueryParams.parse: `reserved`).
_RESERVED = frozenset(("select", "columns", "on_conflict"))


def _parse(fast_parser: Callable[[str], Any], rule: Any, text: str, what: str) -> Any:
    """The fast parser's answer, or, where it gives up, the reference parser's (with PostgREST's error)."""
    try:
        return fast_parser(text)
    except fast.Fail:
        return reference.parse(rule, text, what)


@lru_cache(maxsize=1024)
def parse_select(text: str) -> tuple[SelectItem, ...]:
    """``select=`` into a tree of fields and embeds (PostgREST's pFieldForest)."""
    return _parse(fast.select, reference.select, text, "select parameter")


@lru_cache(maxsize=1024)
def _tree_path(key: str) -> tuple[EmbedPath, Field]:
    return _parse(fast.tree_path, reference.tree_path, key, "tree path")


def _filter_value(value: str, rpc_read: bool) -> tuple[bool, Operation] | None:
    """``not.op.value``; None is an RPC argument (NoOpExpr) when ``rpc_read``."""
    try:
        return fast.filter_value(value)
    except fast.Fail:
        pass
    # On GET /rpc a value that is not an operator expression is an argument, unless
    # Parsec consumed input before failing (it starts with a COMMITTING_PREFIXES).
    if rpc_read and not value.startswith(reference.COMMITTING_PREFIXES):
        return None
    parser = reference.filter_value_rpc if rpc_read else reference.filter_value
    return reference.parse(parser, value, "filter")


def parse_filter(key: str, value: str) -> tuple[EmbedPath, Filter]:
    """``actors.name=not.eq.x`` into the embed path and the filter (PostgREST's pRequestFilter)."""
    path, field = _tree_path(key)
    negated, operation = _filter_value(value, False)  # type: ignore[misc]
    return path, Filter(field, operation, negated)


@lru_cache(maxsize=1024)
def parse_order(text: str) -> tuple[OrderTerm, ...]:
    """``order=`` into its terms (PostgREST's pOrder)."""
    return _parse(fast.order, reference.order, text, "order")


@lru_cache(maxsize=256)
def _logic_path(key: str) -> tuple[EmbedPath, str]:
    return _parse(fast.logic_path, reference.logic_path, key, "logic path")


def parse_logic(key: str, value: str) -> tuple[EmbedPath, LogicNode]:
    """``actors.not.or=(a.eq.1,b.gt.2)`` into the embed path and the tree (PostgREST's pRequestLogicTree).

    As in PostgREST, the operator from the key is glued to the value
    ("not.or" + "(...)") and error positions count in that glued text.
    """
    path, op = _logic_path(key)
    text = op + value
    try:
        return path, fast.logic_tree(text)
    except fast.Fail:
        return path, reference.parse(reference.logic_tree, text, "logic tree", value)


@lru_cache(maxsize=256)
def _columns(text: str, what: str) -> tuple[str, ...]:
    try:
        return tuple(fast.columns(text))
    except fast.Fail:
        return tuple(reference.parse(reference.columns, text, what))


def parse_columns(text: str) -> tuple[str, ...]:
    """``columns=`` or ``on_conflict=``: names separated by commas, in the order given."""
    return _columns(text, "columns parameter")


def parse_query(query_string: str | bytes, *, rpc_read: bool = False) -> QueryParams:
    """Every parameter of a raw (still percent-encoded) query string, as PostgREST's QueryParams.parse.

    ``rpc_read`` is set for GET and HEAD on ``/rpc/fn``, where a value that is
    not an operator expression is a function argument.  The first malformed
    parameter raises :class:`QueryParamError` (PGRST100), checked in
    PostgREST's order: order, logic trees, columns, select, filters,
    on_conflict, then limit/offset keys.
    """
    raw_pairs = split_query(query_string)
    pairs = [
        (decode_utf8(key, index, "key"), None if value is None else decode_utf8(value, index, "value"))
        for index, (key, value) in enumerate(raw_pairs)
    ]

    whole: dict[str, str | None] = {}
    orders: list[tuple[str, str]] = []
    logics: list[tuple[str, str]] = []
    filters: list[tuple[str, str]] = []
    limits: dict[str, str] = {}
    offsets: dict[str, str] = {}
    for key, value in pairs:
        if key in _RESERVED:
            whole.setdefault(key, value)  # L.lookup: the first occurrence, even without '='
            continue
        if value is None:
            continue
        head, dot, last = key.rpartition(".")
        if last == "order":
            orders.append((key, value))
        elif last == "limit":
            limits[key] = value
        elif last == "offset":
            offsets[head + dot + "limit"] = value  # PostgREST renames a.offset to a.limit to pair them
        elif last == "and" or last == "or":
            logics.append((key, value))
        else:
            filters.append((key, value))

    order: dict[EmbedPath, tuple[OrderTerm, ...]] = {}
    for key, value in orders:
        path, _ = _tree_path(key)
        terms = parse_order(value)
        order.setdefault(path, terms)

    logic = tuple(parse_logic(key, value) for key, value in logics)

    columns_text = whole.get("columns")
    columns = None if columns_text is None else tuple(sorted(set(parse_columns(columns_text))))

    select_text = whole.get("select")
    select = parse_select("*" if select_text is None else select_text)

    parsed_filters: list[tuple[EmbedPath, Filter]] = []
    params: list[tuple[str, str]] = []
    for key, value in filters:
        path, field = _tree_path(key)
        expression = _filter_value(value, rpc_read)
        if expression is None:
            params.append((field.name, value))
        else:
            parsed_filters.append((path, Filter(field, expression[1], expression[0])))

    on_conflict_text = whole.get("on_conflict")
    on_conflict = None if on_conflict_text is None else _columns(on_conflict_text, "on_conflict parameter")

    ranges: dict[EmbedPath, LimitOffset] = {}
    for key in (*limits, *(k for k in offsets if k not in limits)):
        path, _ = _tree_path(key)
        ranges[path] = LimitOffset(limits.get(key), offsets.get(key))

    return QueryParams(
        canonical=canonical(raw_pairs),
        select=select,
        filters_root=tuple(flt for path, flt in parsed_filters if not path),
        filters_not_root=tuple((path, flt) for path, flt in parsed_filters if path),
        filter_fields=frozenset(key for key, _ in filters),
        logic=logic,
        order=tuple(order.items()),
        ranges=tuple(ranges.items()),
        params=tuple(params),
        columns=columns,
        on_conflict=on_conflict,
    )
