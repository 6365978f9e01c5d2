"""Logging: PostgREST's log levels, and the access log in Apache combined format."""

from __future__ import annotations

import logging
import sys

__all__ = ["setup_logging", "lowest_logged_status", "GUNICORN_LEVELS", "ACCESS_FORMAT"]

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


def lowest_logged_status(level: str) -> int:
    """The lowest status the access log records at a PostgREST log level."""
    return _MIN_STATUS.get(level, 500)
