"""Logging: PostgREST's log levels, and the access log in Apache combined format."""

from __future__ import annotations

import logging
import sys

__all__ = ["setup_logging", "lowest_logged_status", "GUNICORN_LEVELS", "ACCESS_FORMAT", "LOG_FORMAT"]

# PostgREST log-level -> Python/Gunicorn level name.
GUNICORN_LEVELS = {"crit": "critical", "error": "error", "warn": "warning", "info": "info", "debug": "debug"}

# Apache combined format; the user field is the database role of the request,
# as PostgREST logs it.
ACCESS_FORMAT = '%(h)s - %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'

LOG_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"

# Which responses PostgREST logs at each level: crit none, error 5xx,
# warn 4xx and 5xx, info and debug every request.
_MIN_STATUS = {"crit": 1000, "error": 500, "warn": 400, "info": 0, "debug": 0}

# psycopg and psycopg_pool messages whose own level misleads an operator,
# by the start of their format string (psycopg 3.3, psycopg_pool 3.3).
_PSYCOPG_LEVELS = (
    # Logged only while another exception is on its way up, and pgrestd
    # reports that one: "error ignored terminating <psycopg.Pipeline ...>:
    # pipeline aborted" (or the lost connection) when the schema cache load,
    # which reads through psycopg's pipeline, fails half-way.
    ("error ignored ", logging.DEBUG),
    # A connection the server closed (an outage, an idle timeout) is replaced;
    # the outage itself is reported by the listener and "error connecting".
    ("discarding broken connection", logging.INFO),
    ("discarding closed connection", logging.INFO),
    # The pool stops its background attempts; the next request connects again.
    ("reconnection attempt in pool ", logging.INFO),
)


class _PsycopgRecords(logging.Filter):
    """psycopg's records at pgrestd's levels, each on one line.

    Its per-checkout INFO chatter becomes DEBUG; the messages in
    ``_PSYCOPG_LEVELS`` take their level there; a record then below the
    configured level is dropped.  libpq's messages span lines ("...
    failed: Connection refused\\n\\tIs the server running ..."): one event,
    one line.
    """

    def __init__(self, threshold: int) -> None:
        super().__init__()
        self.threshold = threshold

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != "psycopg" and not record.name.startswith("psycopg."):
            return True
        level = record.levelno if record.levelno >= logging.WARNING else logging.DEBUG
        if isinstance(record.msg, str):
            for prefix, demoted in _PSYCOPG_LEVELS:
                if record.msg.startswith(prefix):
                    level = demoted
                    break
        if level < self.threshold:
            return False
        record.levelno, record.levelname = level, logging.getLevelName(level)
        try:
            record.msg, record.args = " ".join(record.getMessage().split()), ()
        except (TypeError, ValueError):  # a malformed record: the handler reports it, not psycopg's caller
            pass
        return True


def setup_logging(level: str) -> None:
    """pgrestd's loggers and psycopg's (the pool's connection failures) on stderr, in one format.

    Without a handler of their own, psycopg's warnings would reach Python's
    last-resort handler: bare lines, with neither time nor level.
    """
    threshold = logging.getLevelName(GUNICORN_LEVELS.get(level, "error").upper())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, "%Y-%m-%d %H:%M:%S %z"))
    handler.addFilter(_PsycopgRecords(threshold))
    root = logging.getLogger("pgrestd")
    root.handlers[:] = [handler]
    root.setLevel(threshold)
    root.propagate = False
    psycopg_log = logging.getLogger("psycopg")  # psycopg.pool's records come here too
    psycopg_log.handlers[:] = [handler]
    # psycopg's INFO records are only worth making when they are shown (at debug, as DEBUG).
    psycopg_log.setLevel(logging.DEBUG if threshold <= logging.DEBUG else max(threshold, logging.WARNING))
    psycopg_log.propagate = False


def lowest_logged_status(level: str) -> int:
    """The lowest status the access log records at a PostgREST log level."""
    return _MIN_STATUS.get(level, 500)
