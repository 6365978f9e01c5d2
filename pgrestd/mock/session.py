"""``pgrestd mock``'s life cycle: make and fill the scratch database, hand it over, drop it at the end.

The scratch database is dropped when the body of ``mock_database`` ends by
any way out of it: a normal return, an exception, SIGTERM or SIGINT (while
filling, too: both are turned into SystemExit until Gunicorn installs its
own handlers, which end in SystemExit as well).  Only SIGKILL leaves it
behind; ``pgrestd_mock_*`` databases can then be dropped by hand.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from .fill import FillReport, fill
from .model import MockSchema, QualifiedName
from .schema import read_schema
from .scratch import MockError, ScratchDatabase

__all__ = ["RowCounts", "mock_database"]

log = logging.getLogger("pgrestd.mock")

DEFAULT_ROWS = 20


@dataclass(frozen=True)
class RowCounts:
    """``--rows``: a number for every table, and numbers for named tables (``films=50``,
    ``api.films=50``; an unqualified name is looked up in the exposed schemas first)."""

    default: int = DEFAULT_ROWS
    tables: dict[str, int] = field(default_factory=dict)

    @classmethod
    def parse(cls, specs: Sequence[str]) -> RowCounts:
        default, tables = DEFAULT_ROWS, {}
        for spec in specs:
            name, sep, number = spec.rpartition("=")
            try:
                rows = int(number)
            except ValueError:
                raise MockError(f"--rows {spec}: expected N or TABLE=N") from None
            if rows < 0 or (sep and not name):
                raise MockError(f"--rows {spec}: expected N or TABLE=N with N >= 0")
            if sep:
                tables[name] = rows
            else:
                default = rows
        return cls(default, tables)

    def resolve(self, schema: MockSchema, schemas: Sequence[str]) -> dict[QualifiedName, int]:
        """Rows by table; MockError for a name that is no table being filled."""
        counts = dict.fromkeys(schema.tables, self.default)
        for name, rows in self.tables.items():
            found = [t for t in schema.tables if ".".join(t) == name]
            if not found:
                found = sorted((t for t in schema.tables if t[1] == name),
                               key=lambda t: schemas.index(t[0]) if t[0] in schemas else len(schemas))[:1]
            if not found:
                known = ", ".join(sorted(".".join(t) for t in schema.exposed)) or "none"
                raise MockError(f"--rows {name}={rows}: no table {name!r} to fill (exposed tables: {known})")
            counts[found[0]] = rows
        return counts


def _source_database(db_uri: str) -> str:
    """The database db-uri names (libpq's default, the user name, when it names none)."""
    params = conninfo_to_dict(db_uri)
    if params.get("dbname"):
        return str(params["dbname"])
    try:
        with psycopg.connect(db_uri, connect_timeout=10) as conn:
            return str(conn.execute("SELECT current_database()").fetchone()[0])  # type: ignore[index]
    except psycopg.Error as exc:
        raise MockError(f"cannot connect with db-uri: {' '.join(str(exc).split())}") from None


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    sys.exit(128 + signum)


@contextmanager
def mock_database(db_uri: str, schemas: Sequence[str], *, rows: RowCounts, seed: int,
                  admin_uri: str | None = None,
                  extra_search_path: Sequence[str] = ()) -> Iterator[tuple[str, FillReport]]:
    """A filled scratch copy of db-uri's database: yields db-uri pointed at it, and what was filled.

    The rows go in with the search_path of a request (the exposed schemas, then
    ``extra_search_path``) and empty JWT claims, so that triggers see what they
    would see under the API."""
    scratch = ScratchDatabase(admin_uri or db_uri, _source_database(db_uri))
    previous = {s: signal.signal(s, _exit_on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        try:
            report = _make(scratch, schemas, rows, seed, extra_search_path)
        except psycopg.Error as exc:
            raise MockError(f"filling {scratch.name} failed: {' '.join(str(exc).split())}") from None
        _log_report(report)
        yield scratch.conninfo(db_uri), report
    finally:
        scratch.drop()
        if scratch.owner_pid == os.getpid():
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _make(scratch: ScratchDatabase, schemas: Sequence[str], rows: RowCounts, seed: int,
          extra_search_path: Sequence[str]) -> FillReport:
    scratch.create()
    log.info("created the scratch database %s from the schema of %s", scratch.name, scratch.source)
    for error in scratch.load_schema():
        log.warning("left out of the scratch database (as in a restore): %s", error)
    for failed in scratch.copy_settings():
        log.warning("database setting not copied: %s", failed)
    with scratch.connect() as conn:
        path = sql.SQL(", ").join(sql.Identifier(s) for s in (*schemas, *extra_search_path)).as_string(conn)
        conn.execute("SELECT pg_catalog.set_config('search_path', %s, false), "
                     "pg_catalog.set_config('request.jwt.claims', '{}', false)", (path,))
        schema = read_schema(conn, schemas)
        return fill(conn, schema, rows.resolve(schema, schemas).__getitem__, seed)


def _log_report(report: FillReport) -> None:
    log.info("filled %d rows in %d tables in %.1f s (seed %d)", sum(report.rows.values()), len(report.rows),
             report.seconds, report.seed)
    for table, rows in report.rows.items():
        log.debug("%s: %d rows", ".".join(table), rows)
    for table, rows in report.short.items():
        reason = report.refusals.get(table, "its keys ran out")
        log.warning("%s got %d of %d rows: %s", ".".join(table), rows, report.wanted[table], reason)
    for note in report.notes:
        log.info("%s", note)

