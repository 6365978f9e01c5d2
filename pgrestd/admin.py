"""The admin server's endpoints, as PostgREST serves them on admin-server-port.

``/live`` answers 200 while pgrestd runs; ``/ready`` answers 200 only while
the database is reachable and the schema cache is loaded (503 otherwise),
which is what a load balancer or an orchestrator's readiness probe wants;
``/config`` and ``/schema_cache`` show the effective configuration and the
schema cache (with each relation's and function's Cache-Control policy and
why it was chosen); ``/metrics`` the instance's Prometheus metrics (metrics.py).
"""

from __future__ import annotations

from . import metrics
from .catalog import dump_catalog
from .config import Config, dump_config
from .response import Response
from .state import ProcessState

__all__ = ["admin_response"]


def admin_response(method: str, path: str, config: Config, state: ProcessState) -> Response:
    if method not in ("GET", "HEAD"):
        return Response(405, {"Allow": "GET, HEAD"})
    if path == "/live":
        return Response(200)
    if path == "/ready":
        ready = state.database_up and state.catalog is not None
        return Response(200 if ready else 503)
    if path == "/config":
        return Response(200, {"Content-Type": "text/plain; charset=utf-8"}, dump_config(config).encode())
    if path == "/metrics":
        return Response(200, {"Content-Type": metrics.CONTENT_TYPE}, metrics.render())
    if path == "/schema_cache":
        if state.catalog is None:
            return Response(503)
        return Response(200, {"Content-Type": "application/json; charset=utf-8"}, dump_catalog(state.catalog))
    return Response(404)
