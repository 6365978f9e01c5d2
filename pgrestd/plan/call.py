"""Resolves a call of ``/rpc/{function}`` against the catalog: a CallPlan.

Follows PostgREST's Plan.hs (callReadPlan, findProc, callPlan,
inferColsEmbedNeeds), Plan/CallPlan.hs (toRpcParams), ApiRequest/Payload.hs
(the body of a POST to a function) and Error.hs (PGRST202/PGRST203 and their
hints).  The function's result is read through the same ReadPlan tree as a
table: its root selects from the ``pgrst_source`` CTE that holds the call,
named after the relation the function returns (or after the function), so
``select=``, filters, order, ranges and embedding all work on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from .. import fuzzy
from .. import media as mt
from ..catalog import Catalog, Column, Function, Table
from ..catalog.model import FunctionArg, MediaHandler
from ..errors import (
    AmbiguousRpc,
    MaxAffectedRpcViolation,
    NoRpc,
)
from ..request.api import ApiRequest
from ..request.model import Filter, LogicNode, LogicTree, QueryParams
from ..request.payload import RAW_BODY_KINDS as _RAW_BODY
from ..request.preferences import Handling
from ..request.ranges import effective_range
from .read import NullEmbedFilter, ReadNode, ReadPlan, has_default_select, read_tree, split_plan_media
from .settings import PlanSettings

__all__ = [
    "SOURCE",
    "CallPlan",
    "find_function",
    "no_function_error",
    "plan_call",
]

# The CTE holding the call's rows (PostgREST's sourceCTEName).
SOURCE = "pgrst_source"

# findProc's fallback: a POST whose body is passed whole to the one unnamed
# parameter, chosen by Content-Type and that parameter's type.
_SINGLE_UNNAMED = frozenset((
    (mt.MediaKind.JSON, "json"),
    (mt.MediaKind.JSON, "jsonb"),
    (mt.MediaKind.TEXT_PLAIN, "text"),
    (mt.MediaKind.TEXT_XML, "xml"),
    (mt.MediaKind.OCTET_STREAM, "bytea"),
))

# SchemaCache.mediaHandlers: a domain named like a media type.
_MEDIA_TYPE_NAME = re.compile(r"[A-Za-z0-9.-]+/[A-Za-z0-9.+-]+")

# Function settings that a SET clause can only express for the whole
# transaction; PostgREST applies the ones in db-hoisted-tx-settings before
# the call (PreQuery.txVarQuery), except the isolation level, which BEGIN sets.
_ISOLATION = "default_transaction_isolation"
_ISOLATION_LEVELS = frozenset(("serializable", "repeatable read", "read committed", "read uncommitted"))


class _UnknownColumns(Mapping[str, Column]):
    """Any name is a column of unknown type (PostgREST's unknownField).

    A result that is not a relation's rows (a scalar, TABLE, OUT parameters,
    a composite type) has no columns in the catalog; PostgREST then walks a
    JSON path with ``to_jsonb`` whatever the column's type, as it does for any
    type it does not know, and full-text searches the column as it is (its
    unknownField carries no ``to_tsvector``).
    """

    def __getitem__(self, name: str) -> Column:
        return Column(name=name, type="", nullable=True, default=None, description=None)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


_UNKNOWN_COLUMNS = _UnknownColumns()


@dataclass(frozen=True, slots=True)
class CallPlan:
    """A planned function call and the read over its result.

    The arguments take one of PostgREST's three shapes: ``positional`` is the
    function's one unnamed parameter, given the whole body (OnePosParam);
    otherwise ``params`` are the parameters named by the request
    (KeyParams), with their values either in ``direct`` (query string or form
    fields; a tuple for a variadic parameter) or read from the JSON ``body``
    in SQL (JsonArgs).  ``returning`` lists the columns the call must return
    for the read (``("*",)`` for all of them; empty for a scalar result,
    returned as ``pgrst_scalar``).  ``custom`` is the SQL type a scalar
    result is sent as when the function returns a media-type domain
    ("text/plain" ...).  ``alias`` names the call's rows in the read.
    """

    function: Function
    read: ReadPlan
    alias: str
    positional: FunctionArg | None
    params: tuple[FunctionArg, ...]
    direct: Mapping[str, str | tuple[str, ...]] | None
    body: bytes | None
    body_is_object: bool
    returning: tuple[str, ...]
    custom: str | None
    read_only: bool
    isolation_level: str | None
    settings: tuple[tuple[str, str], ...]
    max_affected: int | None
    preference_applied: str | None

    @property
    def returns_single(self) -> bool:
        """PostgREST's funcReturnsSingle: not SETOF, so the page is one row whatever it holds."""
        return not self.function.returns_set

    @property
    def returns_void(self) -> bool:
        return self.function.returns_void


def plan_call(request: ApiRequest, params: QueryParams, catalog: Catalog, settings: PlanSettings) -> CallPlan:
    """callReadPlan, with ApiRequest's checks before it in PostgREST's order.

    Ranges (PGRST103), the body (PGRST102), the function (PGRST202/203), the
    read tree (embedding errors), content negotiation (PGRST107), then
    ``handling=strict`` (PGRST122, PGRST128).
    """
    is_post = request.method == "POST"
    prefs = request.preferences
    limits = params.range_at(())
    top = effective_range(
        request.range,
        limits.limit if limits else None,
        limits.offset if limits else None,
        settings.max_rows,
        method=request.method,
    )
    content = request.content_type
    payload = request.payload
    if is_post:
        if request.payload_error is not None:
            raise request.payload_error
        assert payload is not None
        keys = frozenset(payload.keys or ())
    else:
        keys = frozenset(name for name, _ in params.params)
    fn = find_function(catalog, request.schema, request.target.name, keys, content.kind, is_post)

    # The read's root is named after the relation a composite result belongs
    # to, in the function's schema, so embedding finds its relationships.
    alias = fn.table_name or fn.name
    table = catalog.table(fn.schema, alias) or Table(
        schema=fn.schema, name=alias, kind="", description=None, columns=(), primary_key=(),
        insertable=False, updatable=False, deletable=False, column_index=_UNKNOWN_COLUMNS)
    root = read_tree(catalog, request.schema, params, table, top, settings, source=(SOURCE, alias))

    media, custom, handler = _negotiate(request, catalog, fn, root, settings.plan_enabled)
    if prefs.handling is Handling.STRICT:
        prefs.validate()
        if prefs.max_affected is not None and not fn.returns_set:
            raise MaxAffectedRpcViolation()
    explain, media = split_plan_media(media)
    read = ReadPlan(root, media, prefs.count, top, settings.max_rows, request.method == "HEAD",
                    catalog.representations, explain, handler)

    # callPlan: the parameters the request names, in the function's order.
    inputs = fn.input_args
    positional = inputs[0] if len(inputs) == 1 and not inputs[0].name else None
    named = () if positional is not None else tuple(a for a in inputs if a.name in keys)
    direct: Mapping[str, str | tuple[str, ...]] | None = None
    raw: bytes | None = None
    is_object = False
    if not is_post:
        direct = _rpc_params(fn, params.params)
    elif payload is not None and payload.fields is not None:
        direct = _rpc_params(fn, payload.fields)
    else:
        assert payload is not None
        raw, is_object = payload.raw, payload.is_object

    fn_settings, isolation = _function_settings(fn, settings.hoisted_settings)
    return CallPlan(
        function=fn,
        read=read,
        alias=alias,
        positional=positional,
        params=named,
        direct=direct,
        body=raw,
        body_is_object=is_object,
        returning=() if fn.returns_scalar else _returning(root),
        custom=custom,
        # MainTx's txMode: a GET never writes; a POST writes unless the
        # function is declared STABLE or IMMUTABLE.
        read_only=not is_post or fn.volatility != "v",
        isolation_level=isolation,
        settings=fn_settings,
        max_affected=prefs.max_affected if prefs.handling is Handling.STRICT else None,
        preference_applied=prefs.applied_for("call"),
    )


# -- the arguments ----------------------------------------------------------------


def _rpc_params(fn: Function, pairs: Iterable[tuple[str, str]]) -> Mapping[str, str | tuple[str, ...]]:
    """toRpcParams: the last of repeated names wins, except that a variadic parameter collects them all."""
    variadic = {a.name for a in fn.input_args if a.variadic}
    out: dict[str, str | tuple[str, ...]] = {}
    for name, value in pairs:
        if name in variadic:
            previous = out.get(name, ())
            out[name] = (*previous, value) if isinstance(previous, tuple) else (value,)
        else:
            out[name] = value
    return out


# -- findProc ---------------------------------------------------------------------


def find_function(catalog: Catalog, schema: str, name: str, keys: frozenset[str],
                  content: mt.MediaKind, is_post: bool) -> Function:
    """The overload the arguments' names select, else the one with a single unnamed parameter.

    PGRST202 when none fits, PGRST203 when several do (Plan.findProc).
    """
    overloads = catalog.functions.get((schema, name), ())
    matched: list[Function] = []
    fallback: list[Function] = []
    for fn in overloads:
        if _matches(fn, keys, content, is_post):
            matched.append(fn)
        elif _single_unnamed(fn, content, is_post):
            fallback.append(fn)
    if len(matched) == 1:
        return matched[0]
    if matched:
        raise _ambiguous(matched)
    if len(fallback) == 1:
        return fallback[0]
    if fallback:
        raise _ambiguous(fallback)
    raise no_function_error(catalog, schema, name, keys, content, is_post, overloads)


def _matches(fn: Function, keys: frozenset[str], content: mt.MediaKind, is_post: bool) -> bool:
    inputs = fn.input_args
    if not inputs:
        return not keys and not (is_post and content in _RAW_BODY)
    required = {a.name for a in inputs if not a.has_default}
    optional = {a.name for a in inputs if a.has_default}
    if not optional:
        return keys == required
    if not required:
        return keys <= optional
    return keys - optional == required


def _single_unnamed(fn: Function, content: mt.MediaKind, is_post: bool) -> bool:
    inputs = fn.input_args
    return (is_post and len(inputs) == 1 and not inputs[0].name
            and (content, inputs[0].type) in _SINGLE_UNNAMED)


def _ambiguous(functions: list[Function]) -> AmbiguousRpc:
    candidates = ", ".join(
        f"{fn.schema}.{fn.name}(" + ", ".join(f"{a.name} => {a.type}" for a in fn.input_args) + ")"
        for fn in functions)
    return AmbiguousRpc(
        "Could not choose the best candidate function between: " + candidates,
        hint="Try renaming the parameters or the function itself in the database so function overloading "
             "can be resolved",
    )


def no_function_error(catalog: Catalog, schema: str, name: str, keys: Iterable[str], content: mt.MediaKind,
                      is_post: bool, overloads: tuple[Function, ...] = ()) -> NoRpc:
    """PGRST202 with Error.hs's message, details and hint, word for word."""
    names = sorted(keys)  # a Haskell Set lists its keys in order
    func = f"{schema}.{name}"
    only_body = is_post and content in _RAW_BODY
    listed = ", ".join(names)
    without = " without parameters"
    message = (f"Could not find the function {func}"
               + ("" if only_body else (f"({listed})" if names else without)) + " in the schema cache")
    with_params = (" with parameter" + ("s " if len(names) > 1 else " ") + listed) if names else without
    if is_post and content is mt.MediaKind.TEXT_PLAIN:
        searched = " with a single unnamed text parameter"
    elif is_post and content is mt.MediaKind.TEXT_XML:
        searched = " with a single unnamed xml parameter"
    elif is_post and content is mt.MediaKind.OCTET_STREAM:
        searched = " with a single unnamed bytea parameter"
    elif is_post and content is mt.MediaKind.JSON:
        searched = with_params + " or with a single unnamed json/jsonb parameter"
    else:
        searched = with_params
    details = f"Searched for the function {func}{searched}, but no matches were found in the schema cache."
    hint = None if only_body else _no_function_hint(catalog, schema, name, names, overloads)
    return NoRpc(message, details=details, hint=hint)


def _no_function_hint(catalog: Catalog, schema: str, name: str, names: list[str],
                      overloads: tuple[Function, ...]) -> str | None:
    """Error.noRpcHint: the closest function name, or the closest parameter list of an overload.

    Without overloads, the functions of ``schema`` (getFuzzyHint HintProcedure,
    score 0.75); else the overloads' sorted parameter lists written
    ``(a, b, c)`` (HintParams: Fuzzy.getOne, score 0.33).
    """
    if not overloads:
        found = fuzzy.closest((n for (s, n) in catalog.functions if s == schema), name, fuzzy.NAME_HINT_MIN_SCORE)
    else:
        lists = ("(" + ", ".join(sorted(a.name for a in fn.input_args)) + ")" for fn in overloads)
        found = fuzzy.closest(lists, "(" + ", ".join(names) + ")", fuzzy.DEFAULT_MIN_SCORE)
        found = None if found is None else name + found
    return None if found is None else f"Perhaps you meant to call the function {schema}.{found}"


# -- content negotiation ------------------------------------------------------------


def _negotiate(request: ApiRequest, catalog: Catalog, fn: Function, root: ReadNode,
               plan_enabled: bool) -> tuple[mt.MediaType, str | None, MediaHandler | None]:
    """Plan.negotiateContent for a function, over the relation its result is named after.

    That is the relation a composite result belongs to (its handlers
    apply), else the function itself, whose media-type domain ("text/plain",
    "application/octet-stream", or "*/*" for any) produces that type from
    its scalar result.  Both need the default select; ``anyelement``
    handlers and the built-in ones do not (SchemaCache.mediaHandlers,
    lookupHandler).  Returns (media type, SQL type of a domain body,
    aggregate handler).
    """
    domain = _media_domain(fn)
    own = None if domain is None else {domain[0]: (domain[2], domain[1])}
    found = mt.negotiate(request.accept, catalog.media_handlers, (fn.schema, fn.table_name or fn.name),
                         default_select=has_default_select(root), plan_enabled=plan_enabled, own=own)
    custom = found.own if isinstance(found.own, str) else None
    return found.media, custom, found.handler


def _media_domain(fn: Function) -> tuple[mt.MediaType, mt.MediaType, str] | None:
    """(media type it answers to, media type sent, SQL type of the body) for a media-type domain."""
    if fn.returns_set or fn.return_kind != "d" or fn.return_composite:
        return None
    name = _last_identifier(fn.return_type)
    if name == "*/*":
        key, sent = mt.ANY, mt.OCTET_STREAM
    elif _MEDIA_TYPE_NAME.fullmatch(name):
        key = sent = mt.decode_media_type(name.lower())
    else:
        return None
    return key, sent, "bytea" if fn.return_type_name == "bytea" else "text"


def _last_identifier(type_name: str) -> str:
    """The type's own name in format_type's output: ``test."text/plain"`` -> ``text/plain``."""
    if type_name.endswith('"'):
        start = len(type_name) - 2
        while start >= 0:
            if type_name[start] == '"':
                if start > 0 and type_name[start - 1] == '"':
                    start -= 2
                    continue
                break
            start -= 1
        return type_name[start + 1:-1].replace('""', '"')
    return type_name.rpartition(".")[2]


# -- what the call returns -------------------------------------------------------------


def _returning(root: ReadNode) -> tuple[str, ...]:
    """inferColsEmbedNeeds and funCFilterFields: the columns the read over the call needs.

    ``*`` in the select (or a computed relationship, whose needs are
    unknown) returns every column; otherwise the selected columns, the
    foreign key columns embeds join on, and the columns filtered and
    ordered on at the top level.
    """
    names: list[str] = []
    for item in root.select:
        names.append(item.field.name)
    if not root.select and not root.children:
        names.append("*")
    for child in root.children:
        rel = child.rel
        if rel is None:
            continue
        if rel.is_computed:
            names.append("*")
        elif rel.junction is not None:
            names.extend(col for col, _ in rel.junction.source_columns)
        else:
            names.extend(col for col, _ in rel.columns)
    if "*" in names:
        return ("*",)
    for node in root.where:
        names.extend(_filter_fields(node))
    for term in root.order:
        if term.relation is None:
            names.append(term.field.name)
    return tuple(dict.fromkeys(names))


def _filter_fields(node: LogicNode | NullEmbedFilter) -> list[str]:
    if isinstance(node, Filter):
        return [node.field.name]
    if isinstance(node, LogicTree):
        return [name for child in node.children for name in _filter_fields(child)]
    return []


def _function_settings(fn: Function, hoisted: Iterable[str]) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """The function's SET clauses to apply to the transaction, and its isolation level."""
    wanted = frozenset(hoisted)
    isolation = fn.isolation_level.strip().strip("'\"").lower() if fn.isolation_level else None
    if isolation not in _ISOLATION_LEVELS:
        isolation = None
    settings = tuple((k, v) for k, v in fn.settings if k in wanted and k != _ISOLATION)
    return settings, isolation
