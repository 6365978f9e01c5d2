"""The one statement of a function call: the call in a CTE, the read over it, body and counts.

The shape follows PostgREST's Query/Statements.hs (mainCall) and
QueryBuilder.hs (callPlanToQuery): ``WITH pgrst_source AS (<call>)``, an
optional count CTE, then the read tree's query over ``pgrst_source`` as
``_postgrest_t``.  Argument values are bind parameters cast to the
parameter's type; a JSON body is bound once and spread into the arguments
by ``json_to_record`` in SQL.
"""

from __future__ import annotations

import orjson

from ..errors import DatabaseError
from ..plan.call import SOURCE, CallPlan
from .. import media as mt
from ..request.preferences import Count
from ..request.ranges import ALL
from .fragments import ident, qualified, sql_text
from .builder import response_row
from .read import ReadBuilder, body_expression, handler_expression

__all__ = ["BODY_SLOT", "binds_body", "bound_body", "call_statement"]

# The call comes first in the statement and the body first in the call: a
# bound body is always parameter 0, so a cached statement takes a new body there.
BODY_SLOT = 0

_SCALAR = "pgrst_scalar"
_CALL = "pgrst_call"


def call_statement(plan: CallPlan) -> tuple[str, tuple[object, ...]]:
    """mainCall: bind parameters are collected in the order they appear in the text."""
    b = ReadBuilder(plan.read.representations)
    call = _call_query(b, plan)
    read = plan.read
    page = "1" if plan.returns_single else "pg_catalog.count(_postgrest_t)"
    count_cte = ""
    total = "NULL::bigint"
    if read.count in (Count.EXACT, Count.ESTIMATED):
        if read.max_rows is not None or read.range != ALL:
            count_cte = f", pgrst_source_count AS ({b.count_query(read.root)})"
            total = "(SELECT pg_catalog.count(*) FROM pgrst_source_count)"
        else:
            total = page
    select = b.node_query(read.root)
    sql = f"WITH {SOURCE} AS ({call}){count_cte} " + response_row(
        total=total, page=page, body=_body(plan), source=select)
    return sql, tuple(b.params)


def _call_query(b: ReadBuilder, plan: CallPlan) -> str:
    """callPlanToQuery: ``SELECT <columns> FROM <the call>``."""
    fn = plan.function
    scalar = fn.returns_scalar
    if scalar:
        columns = f"{_CALL}.{_SCALAR}"
    elif not plan.returning:
        columns = "*"
    elif plan.returning == ("*",):
        columns = f"{_CALL}.*"
    else:
        columns = ", ".join(f"{_CALL}.{ident(name)}" for name in plan.returning)
    target = qualified(fn.schema, fn.name)

    def call_it(arguments: str) -> str:
        if scalar:
            return f"(SELECT {target}({arguments}) {_SCALAR}) {_CALL}"
        return f"{target}({arguments}) {_CALL}"

    if plan.positional is not None:
        arg = plan.positional
        if plan.direct is not None:
            value: object = orjson.dumps(plan.direct).decode()
        else:
            value = bound_body(plan, plan.body)
        source = "FROM " + call_it(f"{b.param(value)}::{_type(arg.type)}")
    elif not plan.params:
        source = "FROM " + call_it("")
    elif plan.direct is not None:
        pieces = []
        for arg in plan.params:
            given = plan.direct.get(arg.name)
            if given is None:
                value_sql = "NULL"
            elif isinstance(given, tuple):
                value_sql = b.param(list(given))
            else:
                value_sql = b.param(given)
            pieces.append(f"{'VARIADIC ' if arg.variadic else ''}{ident(arg.name)} := {value_sql}::"
                          f"{_type(arg.type_max_length or arg.type)}")
        source = "FROM " + call_it(", ".join(pieces))
    else:
        # fromJsonBodyF: one object (json_to_record) or the first row of an
        # array (json_to_recordset ... LIMIT 1) gives the arguments.
        names = ", ".join(ident(arg.name) for arg in plan.params)
        typed = ", ".join(f"{ident(arg.name)} {_type(arg.type_max_length or arg.type)}" for arg in plan.params)
        to_record = "json_to_record" if plan.body_is_object else "json_to_recordset"
        args = ", ".join(f"{'VARIADIC ' if arg.variadic else ''}{ident(arg.name)} := pgrst_body.{ident(arg.name)}"
                         for arg in plan.params)
        source = (f"FROM (SELECT {b.param(bound_body(plan, plan.body))}::json AS json_data) pgrst_payload, "
                  f"LATERAL (SELECT {names} FROM {to_record}(pgrst_payload.json_data) AS _({typed}) LIMIT 1) "
                  f"pgrst_body, LATERAL {call_it(args)}")
    return f"SELECT {columns} {source}"


def binds_body(plan: CallPlan) -> bool:
    """Whether the request body is bound, as the statement's first parameter (:data:`BODY_SLOT`)."""
    if plan.positional is not None:
        return plan.direct is None
    return bool(plan.params) and plan.direct is None


def bound_body(plan: CallPlan, body: bytes | None) -> object:
    """The body as its parameter: bytes for a bytea parameter, else text."""
    if plan.positional is not None and plan.positional.type == "bytea":
        return body or b""
    return _text(body)


def _body(plan: CallPlan) -> str:
    """handlerF with the routine: scalar results are unwrapped from their ``pgrst_scalar`` column."""
    read = plan.read
    if read.head:
        return "''::text"
    if read.handler is not None:
        return handler_expression(read.handler, scalar=plan.function.returns_scalar)
    if plan.custom is not None:
        # A media-type domain: the scalar as it is, no JSON (customFuncF).
        if _one_row(plan):
            # The call's one row is the page: its value, in the domain's binary form, is the body.
            return f"_postgrest_t.{_SCALAR}"
        empty = "''::bytea" if plan.custom == "bytea" else "''"
        return f"coalesce((array_agg(_postgrest_t.{_SCALAR}))[1]::{plan.custom}, {empty})"
    media = read.media
    kind = media.kind
    fn = plan.function
    single_scalar = fn.returns_scalar and not fn.returns_set
    set_of_scalar = fn.returns_scalar and fn.returns_set
    strip = media.nulls_stripped
    if kind is mt.MediaKind.OBJECT:
        agg = f"json_agg(_postgrest_t.{_SCALAR})->0" if single_scalar else "json_agg(_postgrest_t)->0"
        return f"coalesce({_strip(agg, strip)}, 'null')::text"
    if kind is mt.MediaKind.JSON or kind is mt.MediaKind.ARRAY:
        if fn.return_composite and not fn.returns_set:
            return f"coalesce({_strip('json_agg(_postgrest_t)->0', strip)}, 'null')::text"
        if single_scalar:
            return f"coalesce({_strip(f'json_agg(_postgrest_t.{_SCALAR})->0', strip)}, 'null')::text"
        if set_of_scalar:
            return f"coalesce({_strip(f'json_agg(_postgrest_t.{_SCALAR})', strip)}, '[]')::text"
        return f"coalesce({_strip('json_agg(_postgrest_t)', strip)}, '[]')::text"
    return body_expression(media)


def _one_row(plan: CallPlan) -> bool:
    """Whether the read over a single-row call surely keeps its row (no filter, no offset, no limit=0).

    Otherwise the statement aggregates, so that it still answers one row.
    """
    read = plan.read
    if read.root.where or not plan.returns_single:
        return False
    rng = read.range
    return rng.offset == 0 and (rng.upper is None or rng.upper >= 0)


def _strip(agg: str, strip: bool) -> str:
    return f"json_strip_nulls({agg})" if strip else agg


def _type(name: str) -> str:
    """A type name from the catalog (format_type output), safe in psycopg's query text."""
    return sql_text(name)


def _text(body: bytes | None) -> str:
    """The body as text for a json/text/xml parameter; PostgreSQL would refuse invalid UTF-8 the same way."""
    if body is None:
        return ""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise DatabaseError("22021", 400, 'invalid byte sequence for encoding "UTF8"') from None
