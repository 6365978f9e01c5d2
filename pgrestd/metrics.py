"""Prometheus metrics of one pgrestd instance, summed over all its processes.

The Gunicorn master (schema cache loads) and every worker (requests, pool,
JWT cache) write their values to files in one directory, prometheus_client's
multiprocess mode; ``/metrics`` on the admin port reads them all, so the
counts of a worker replaced on reload or killed stay counted. The master
makes that directory before it forks (:func:`prepare_directory`) and empties
it at start. Under plain ``gunicorn pgrestd.wsgi``, set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory for the same effect;
without it, ``/metrics`` shows the worker that answers.

PostgREST's metric names and meanings (``pgrst_*``), plus request counts and
latency by method and status class (``pgrestd_*``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from typing import Any

__all__ = ["cache_loaded", "jwt_cache_evicted", "jwt_cache_lookup", "pool_stats", "pool_timeout",
           "prepare_directory", "process_exited", "render", "request_done"]

DIRECTORY_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds; pgrestd answers most requests in a few milliseconds.
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_POOL_EVERY = 1.0  # seconds between two samples of a worker's pool

_m: Any = None  # the metric objects, made on first use (after the directory exists)
_children: dict[tuple[str, int], tuple[Any, Any]] = {}
_pool_sampled = 0.0


def prepare_directory() -> str:
    """The directory every process of this instance writes to: made empty now, removed at exit.

    Called by the master before anything records a value; the workers
    inherit the environment variable.
    """
    path = os.environ.get(DIRECTORY_ENV)
    if path:
        os.makedirs(path, exist_ok=True)
        for name in os.listdir(path):
            if name.endswith(".db"):
                os.unlink(os.path.join(path, name))
        return path
    path = tempfile.mkdtemp(prefix="pgrestd-metrics-")
    os.environ[DIRECTORY_ENV] = path
    owner = os.getpid()
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(path, ignore_errors=True))
    return path


def _metrics() -> Any:
    global _m
    if _m is None:
        import prometheus_client as pc

        class M:
            schema_time = pc.Gauge("pgrst_schema_cache_query_time_seconds",
                                   "The query time in seconds of the last schema cache load",
                                   multiprocess_mode="mostrecent")
            schema_loads = pc.Counter("pgrst_schema_cache_loads", "The total number of times the schema cache was loaded",
                                      ["status"])
            pool_timeouts = pc.Counter("pgrst_db_pool_timeouts", "The total number of pool connection timeouts")
            pool_available = pc.Gauge("pgrst_db_pool_available", "Available connections in the pool",
                                      multiprocess_mode="livesum")
            pool_waiting = pc.Gauge("pgrst_db_pool_waiting", "Requests waiting to acquire a pool connection",
                                    multiprocess_mode="livesum")
            pool_max = pc.Gauge("pgrst_db_pool_max", "Max pool connections", multiprocess_mode="livesum")
            jwt_requests = pc.Counter("pgrst_jwt_cache_requests", "The total number of JWT cache lookups")
            jwt_hits = pc.Counter("pgrst_jwt_cache_hits", "The total number of JWT cache hits")
            jwt_evictions = pc.Counter("pgrst_jwt_cache_evictions", "The total number of JWT cache evictions")
            requests = pc.Counter("pgrestd_http_requests", "HTTP requests answered, by method and status class",
                                  ["method", "status"])
            duration = pc.Histogram("pgrestd_http_request_duration_seconds",
                                    "Time from the request's arrival in pgrestd to its response, by method",
                                    ["method"], buckets=_BUCKETS)

        _m = M
    return _m


def cache_loaded(seconds: float | None) -> None:
    """A schema cache load: its query time, or None when it failed."""
    m = _metrics()
    if seconds is None:
        m.schema_loads.labels("FAIL").inc()
    else:
        m.schema_loads.labels("SUCCESS").inc()
        m.schema_time.set(seconds)


def request_done(method: str, status: int, seconds: float) -> None:
    """One answered request: counted by method and status class (2xx, 4xx, ...), timed by method."""
    key = (method, status // 100)
    children = _children.get(key)
    if children is None:
        m = _metrics()
        if len(_children) > 64:  # methods come from clients: keep the label sets bounded
            key = ("OTHER", status // 100)
            method = "OTHER"
        children = _children[key] = (m.requests.labels(method, f"{status // 100}xx"), m.duration.labels(method))
    children[0].inc()
    children[1].observe(seconds)


def pool_stats(get_stats: Callable[[], dict[str, int]]) -> None:
    """A worker's pool (psycopg_pool's get_stats()), sampled at most once a second while it serves."""
    global _pool_sampled
    now = time.monotonic()
    if now - _pool_sampled < _POOL_EVERY:
        return
    _pool_sampled = now
    stats = get_stats()
    m = _metrics()
    m.pool_available.set(stats.get("pool_available", 0))
    m.pool_waiting.set(stats.get("requests_waiting", 0))
    m.pool_max.set(stats.get("pool_max", 0))


def pool_timeout() -> None:
    _metrics().pool_timeouts.inc()


def jwt_cache_lookup(hit: bool) -> None:
    m = _metrics()
    m.jwt_requests.inc()
    if hit:
        m.jwt_hits.inc()


def jwt_cache_evicted() -> None:
    _metrics().jwt_evictions.inc()


def process_exited(pid: int) -> None:
    """A worker is gone: its live gauges (the pool's) stop counting; its counters stay."""
    if os.environ.get(DIRECTORY_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def render() -> bytes:
    """Every process's values, summed, in Prometheus' text format."""
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    _metrics()
    if os.environ.get(DIRECTORY_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY)
