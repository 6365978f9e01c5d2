"""Request shapes: the keys of the per-worker plan cache.

Two requests that differ only in the values of simple filters
(``id=eq.1`` and ``id=eq.2``) have the same shape: the same plan, the same
SQL text and the same parameters but for those values.  The first one of a
shape is parsed and planned with sentinel values standing in for the
filter values; the template remembers which bind parameter each sentinel
became, and later requests of the shape only substitute their values.
Writes and calls are keyed the same way by their body's keys, not its values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import media as mt
from ..request.api import ApiRequest
from ..request.grammar import url_decode, url_encode
from ..request.payload import RAW_BODY_KINDS
from ..request.operators import BY_KEY, VERBATIM_VALUE_KEYS

__all__ = ["QueryShape", "call_key", "encode_canonical_value", "query_shape", "read_key", "sentinel", "write_key"]

# Filters whose value is taken verbatim by PostgREST's grammar (pOpExpr's
# simple and quantifiable operators without a modifier): the value can be
# swapped without changing the parse.
_SIMPLE = re.compile(r"^((?:not\.)?(" + "|".join(VERBATIM_VALUE_KEYS) + r")\.)(.*)$", re.DOTALL)
# Query keys that are not filters (QueryParams.hs) — their values are syntax.
_RESERVED = frozenset(("select", "order", "limit", "offset", "or", "and", "not.or", "not.and",
                       "columns", "on_conflict"))
_RESERVED_SUFFIXES = (".order", ".limit", ".offset", ".or", ".and")
_SEPARATORS = re.compile(r"[&;]")


def sentinel(slot: int) -> str:
    """A stand-in value that survives percent-decoding and canonical encoding unchanged."""
    return f"pgrestdslot{slot}x"


@dataclass(frozen=True, slots=True)
class QueryShape:
    key: str  # the query string with every swappable value replaced by its sentinel
    values: tuple[str, ...]  # the decoded values, in slot order
    raw_values: tuple[bytes, ...]  # the same, as bytes, for Content-Location
    like: tuple[bool, ...]  # like/ilike: ``*`` becomes ``%``


def query_shape(query_string: str) -> QueryShape | None:
    """The shape of a query string, or None when nothing in it can be swapped."""
    if not query_string:
        return None
    parts = _SEPARATORS.split(query_string)
    values: list[str] = []
    raw_values: list[bytes] = []
    like: list[bool] = []
    out: list[str] = []
    for part in parts:
        key, eq, value = part.partition("=")
        if not eq or key in _RESERVED or key.endswith(_RESERVED_SUFFIXES):
            out.append(part)
            continue
        try:
            decoded = url_decode(value.encode("latin-1"))
            text = decoded.decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return None
        m = _SIMPLE.match(text)
        if m is None:
            out.append(part)
            continue
        raw = m.group(3).encode("utf-8")
        slot = len(values)
        values.append(m.group(3))
        raw_values.append(raw)
        like.append(BY_KEY[m.group(2)].star_is_percent)
        out.append(key + "=" + m.group(1) + sentinel(slot))
    if not values:
        return None
    return QueryShape("&".join(out), tuple(values), tuple(raw_values), tuple(like))


def encode_canonical_value(raw: bytes) -> str:
    """How the canonical query string (Content-Location) encodes a value: as the grammar does."""
    return url_encode(raw)


def read_key(request: ApiRequest, shape: QueryShape | None, catalog_id: int) -> tuple[object, ...]:
    """What a read's plan depends on: the query's shape and the headers that shape the plan."""
    h = request.headers
    return (request.method, request.schema, request.target.name,
            shape.key if shape is not None else request.query_string,
            h.get("accept"), h.get("range"), h.get("prefer"), catalog_id)


def write_key(request: ApiRequest, catalog_id: int) -> tuple[object, ...]:
    """A write's plan depends on the body's keys, not on its values."""
    h = request.headers
    payload = request.payload
    return (request.method, request.schema, request.target.name, request.query_string,
            h.get("content-type"), h.get("prefer"), h.get("accept"),
            payload.keys if payload else None, payload.is_object if payload else None, catalog_id)


def call_key(request: ApiRequest, catalog_id: int) -> tuple[object, ...] | None:
    """A call's plan depends on the body's keys (or only on its kind); None: plan this request alone.

    Form fields and ``columns=`` shape the plan with their values, and a
    refused body is planned every time, which keeps PostgREST's order of errors.
    """
    if request.method == "POST":
        payload = request.payload
        if payload is None or "columns" in request.query_string:
            return None
        kind = request.content_type.kind
        if kind is mt.MediaKind.JSON:
            body: object = (kind, payload.keys, payload.is_object) if payload.raw else ("empty",)
        elif kind is mt.MediaKind.CSV:
            body = (kind, payload.keys, payload.is_object)
        elif kind in RAW_BODY_KINDS:
            body = ("raw", kind)
        else:
            return None
    else:
        body = ()
    h = request.headers
    return (request.method, request.schema, request.target.name, request.query_string,
            h.get("accept"), h.get("range") if request.method == "GET" else None, h.get("prefer"),
            h.get("content-type"), body, catalog_id)
