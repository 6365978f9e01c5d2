"""Per-worker cache of planned requests, keyed by request *shape*.

Two requests that differ only in the values of simple filters
(``id=eq.1`` and ``id=eq.2``) have the same shape: the same plan, the same
SQL text and the same parameters but for those values.  The first one of a
shape is parsed and planned with sentinel values standing in for the
filter values; the template remembers which bind parameter each sentinel
became, and later requests of the shape only substitute their values.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Generic, Hashable, TypeVar

from ..request.grammar import url_decode, url_encode

__all__ = ["QueryShape", "query_shape", "LruCache", "sentinel", "encode_canonical_value"]

# Filters whose value is taken verbatim by PostgREST's grammar (pOpExpr's
# simple and quantifiable operators without a modifier): the value can be
# swapped without changing the parse.
_SIMPLE = re.compile(
    r"^((?:not\.)?(eq|neq|gt|gte|lt|lte|like|ilike|match|imatch|isdistinct|cs|cd|ov|sl|sr|nxr|nxl|adj)\.)(.*)$",
    re.DOTALL,
)
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
        like.append(m.group(2) in ("like", "ilike"))
        out.append(key + "=" + m.group(1) + sentinel(slot))
    if not values:
        return None
    return QueryShape("&".join(out), tuple(values), tuple(raw_values), tuple(like))


def encode_canonical_value(raw: bytes) -> str:
    """How the canonical query string (Content-Location) encodes a value: as the grammar does."""
    return url_encode(raw)


_MISSING = object()
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A small bounded mapping, safe for gthread workers."""

    __slots__ = ("_data", "_size", "_lock")

    def __init__(self, size: int) -> None:
        self._data: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get_or_build(self, key: K, build: Callable[[], V]) -> V:
        with self._lock:
            value = self._data.get(key, _MISSING)
            if value is not _MISSING:
                self._data.move_to_end(key)
                return value  # type: ignore[return-value]
        value = build()
        with self._lock:
            self._data[key] = value
            if len(self._data) > self._size:
                self._data.popitem(last=False)
        return value

    def discard(self, key: K) -> None:
        with self._lock:
            self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)
