"""pgrestd's log setup: psycopg's records come out in pgrestd's format, at levels an operator can act on."""

from __future__ import annotations

import io
import logging
import re
import sys

import pytest

from pgrestd.log import setup_logging

LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \[\d+\] \[(?P<level>[A-Z]+)\] (?P<name>[\w.]+): "
                  r"(?P<message>.*)")
NAMES = ("pgrestd", "psycopg")

# psycopg_pool's message when a connection attempt fails: libpq's error spans lines.
REFUSED = ('connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused\n'
           "\tIs the server running on that host and accepting TCP/IP connections?")


@pytest.fixture()
def output(monkeypatch):
    """``output(level)``: set up logging at a PostgREST level; returns the stream it writes to."""
    saved = {name: (lg.handlers[:], lg.level, lg.propagate) for name in NAMES for lg in [logging.getLogger(name)]}

    def setup(level: str) -> io.StringIO:
        stream = io.StringIO()
        monkeypatch.setattr(sys, "stderr", stream)
        setup_logging(level)
        return stream

    yield setup
    for name, (handlers, level, propagate) in saved.items():
        lg = logging.getLogger(name)
        lg.handlers[:], lg.propagate = handlers, propagate
        lg.setLevel(level)


def lines(stream: io.StringIO) -> list[re.Match[str]]:
    text = stream.getvalue().splitlines()
    matches = [LINE.fullmatch(line) for line in text]
    assert all(matches), text
    return matches  # type: ignore[return-value]


def _pipeline_afterthought() -> None:
    logging.getLogger("psycopg").warning("error ignored terminating %r: %s", "<psycopg.Pipeline [INERROR]>",
                                         "pipeline aborted")


def test_connection_failure_is_one_warning_line(output):
    stream = output("warn")
    logging.getLogger("psycopg.pool").warning("error connecting in %r: %s", "pgrestd", REFUSED)
    (line,) = lines(stream)
    assert line["level"] == "WARNING" and line["name"] == "psycopg.pool"
    assert line["message"] == ("error connecting in 'pgrestd': connection failed: connection to server at "
                               '"127.0.0.1", port 5432 failed: Connection refused '
                               "Is the server running on that host and accepting TCP/IP connections?")


def test_warnings_follow_the_configured_level(output):
    stream = output("error")
    logging.getLogger("psycopg.pool").warning("error connecting in %r: %s", "pgrestd", REFUSED)
    logging.getLogger("pgrestd.listener").warning("database reachable again")
    assert stream.getvalue() == ""


@pytest.mark.parametrize("level", ["crit", "error", "warn", "info"])
def test_error_ignored_is_not_logged(output, level):
    """psycopg logs it while the statement's own error goes up; pgrestd reports that one."""
    stream = output(level)
    _pipeline_afterthought()
    logging.getLogger("psycopg").warning("error ignored in rollback of %s: %s", "<Transaction>", "connection lost")
    assert stream.getvalue() == ""


def test_debug_shows_psycopg_details_as_debug(output):
    stream = output("debug")
    _pipeline_afterthought()
    logging.getLogger("psycopg.pool").info("connection requested from %r", "pgrestd")
    assert [(m["level"], m["name"]) for m in lines(stream)] == [("DEBUG", "psycopg"), ("DEBUG", "psycopg.pool")]
    assert lines(stream)[0]["message"] == "error ignored terminating '<psycopg.Pipeline [INERROR]>': pipeline aborted"


def test_pool_chatter_stays_out_at_info(output):
    """The pool's per-checkout INFO records are not even made below debug."""
    stream = output("info")
    pool = logging.getLogger("psycopg.pool")
    assert not pool.isEnabledFor(logging.INFO)
    pool.info("connection given by %r", "pgrestd")
    pool.warning("discarding closed connection: %s", "<psycopg.Connection [BAD]>")
    pool.warning("reconnection attempt in pool %r failed after %s sec", "pgrestd", 0)
    assert [(m["level"], m["message"]) for m in lines(stream)] == [
        ("INFO", "discarding closed connection: <psycopg.Connection [BAD]>"),
        ("INFO", "reconnection attempt in pool 'pgrestd' failed after 0 sec"),
    ]


def test_pgrestd_records_unchanged(output):
    stream = output("info")
    logging.getLogger("pgrestd.server").info("schema cache loaded in %d ms", 5)
    logging.getLogger("pgrestd.server").debug("not shown")
    ((level, name, message),) = [(m["level"], m["name"], m["message"]) for m in lines(stream)]
    assert (level, name, message) == ("INFO", "pgrestd.server", "schema cache loaded in 5 ms")


def test_psycopg_shares_pgrestd_handler(output):
    """Without a handler of its own, psycopg's records would reach Python's last-resort handler: bare lines."""
    output("info")
    psycopg_log, pgrestd_log = logging.getLogger("psycopg"), logging.getLogger("pgrestd")
    assert psycopg_log.handlers == pgrestd_log.handlers and len(pgrestd_log.handlers) == 1
    assert not psycopg_log.propagate
