"""A small bounded least-recently-used mapping, shared by the JWT cache and the plan cache."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

__all__ = ["LruCache"]

_MISSING = object()
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A small bounded mapping, safe for gthread workers."""

    __slots__ = ("_data", "_lock", "_on_evict", "_size")

    def __init__(self, size: int, on_evict: Callable[[], None] | None = None) -> None:
        self._data: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self._on_evict = on_evict

    def get_or_build(self, key: K, build: Callable[[], V]) -> V:
        with self._lock:
            value = self._data.get(key, _MISSING)
            if value is not _MISSING:
                self._data.move_to_end(key)
                return value  # type: ignore[return-value]
        value = build()
        with self._lock:
            self._data[key] = value
            evicted = len(self._data) > self._size
            if evicted:
                self._data.popitem(last=False)
        if evicted and self._on_evict is not None:
            self._on_evict()
        return value

    def discard(self, key: K) -> None:
        with self._lock:
            self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)
