"""The LRU cache shared by the JWT cache and the plan cache."""

from __future__ import annotations

from pgrestd.lru import LruCache


def test_lru_cache_evicts_the_oldest():
    cache: LruCache[str, int] = LruCache(2)
    calls = []

    def build(v):
        calls.append(v)
        return v

    cache.get_or_build("a", lambda: build(1))
    cache.get_or_build("b", lambda: build(2))
    assert cache.get_or_build("a", lambda: build(9)) == 1  # hit, now most recent
    cache.get_or_build("c", lambda: build(3))  # evicts b
    assert cache.get_or_build("b", lambda: build(4)) == 4
    assert calls == [1, 2, 3, 4]
