"""Logging: PostgREST's log levels, and the access log in Apache combined format."""

from __future__ import annotations

import logging
import sys
from typing import Any

from gunicorn.glogging import Logger

__all__ = ["AccessLogger", "setup_logging", "GUNICORN_LEVELS", "ACCESS_FORMAT"]

# PostgREST log-level -> Python/Gunicorn level name.
GUNICORN_LEVELS = {"crit": "critical", "error": "error", "warn": "warning", "info": "info", "debug": "debug"}

# Apache combined format; the user field is the database role of the request,
# as PostgREST logs it.
ACCESS_FORMAT = '%(h)s - %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'

# Which responses PostgREST logs at each level: crit none, error 5xx,
# warn 4xx and 5xx, info and debug every request.
_MIN_STATUS = {"crit": 1000, "error": 500, "warn": 400, "info": 0, "debug": 0}


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s",
                                           "%Y-%m-%d %H:%M:%S %z"))
    root = logging.getLogger("pgrestd")
    root.handlers[:] = [handler]
    root.setLevel(GUNICORN_LEVELS.get(level, "error").upper())
    root.propagate = False


class AccessLogger(Logger):
    """Gunicorn's logger with PostgREST's per-level request filter and role field."""

    # Set from log-level by the server before Gunicorn builds its logger.
    min_status = 0

    @classmethod
    def use_level(cls, level: str) -> None:
        cls.min_status = _MIN_STATUS.get(level, 500)

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        status = resp.status_code if hasattr(resp, "status_code") else int(str(resp.status).split()[0])
        if status is None or int(status) < self.min_status:
            return
        super().access(resp, req, environ, request_time)

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["u"] = environ.get("pgrestd.role") or "-"
        return atoms
