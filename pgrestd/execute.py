"""One request, one transaction on the worker's pool; PostgreSQL errors become API errors."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

import orjson
import psycopg
import psycopg_pool
from psycopg import pq
from psycopg.adapt import Loader

from . import errors
from .state import STATE

__all__ = ["Executor", "Outcome", "TxSpec", "map_database_error"]

log = logging.getLogger("pgrestd.execute")

_BEGIN_READ = "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"
_BEGIN_WRITE = "BEGIN ISOLATION LEVEL READ COMMITTED"


class _RawText(Loader):
    """EXPLAIN output as PostgreSQL prints it (FORMAT JSON too), not parsed."""

    def load(self, data: Any) -> bytes:
        return bytes(data)


class _TextAsBytes(Loader):
    """Bodies stay bytes from the socket to the response: no decode/encode in Python."""

    format = pq.Format.BINARY

    def load(self, data: Any) -> bytes:
        return bytes(data)


@dataclass(frozen=True, slots=True)
class TxSpec:
    """What to send: the settings batch, an optional pre-request call, the main statement."""

    settings_sql: str
    settings_params: tuple[object, ...]
    pre_request_sql: str | None
    main_sql: str
    main_params: tuple[object, ...]
    read_only: bool
    commit: bool = True
    authenticated: bool = False
    # EXPLAIN of the count query, for count=planned|estimated.
    explain_sql: str | None = None
    explain_params: tuple[object, ...] = ()
    # A write that must see its result before it may commit (singular media,
    # max-affected, PUT's one row): raising here rolls the transaction back.
    # It costs a second round trip for COMMIT/ROLLBACK; without it, the end
    # of the transaction goes out in the same pipeline as the statement.
    check: Callable[[Outcome], None] | None = None
    # A function's own isolation level (SET default_transaction_isolation),
    # which PostgREST uses for the call's transaction; None: READ COMMITTED.
    isolation_level: str | None = None
    # application/vnd.pgrst.plan: the main statement is an EXPLAIN whose rows are the body.
    explain: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    total: int | None
    page_total: int
    body: bytes
    response_headers: bytes | None
    response_status: bytes | None
    planned_total: int | None = None
    # Writes only: rows inserted by an upsert (PostgREST's pgrst.inserted),
    # and the Location filters ("id=eq.1") of a single inserted row.
    inserted: int | None = None
    location: tuple[bytes, ...] | None = None


# Statement columns -> Outcome fields.  Rows are mapped by column name, so a
# statement may leave out the columns it has no use for.
_COLUMNS = {
    "total_result_set": "total",
    "page_total": "page_total",
    "body": "body",
    "response_headers": "response_headers",
    "response_status": "response_status",
    "response_inserted": "inserted",
    "location": "location",
}
_ROLLBACK = "ROLLBACK"
# PostgREST's optionalRollback: deferred constraints are checked before a
# rollback, so a request that would fail on commit fails the same way.
_IMMEDIATE = "SET CONSTRAINTS ALL IMMEDIATE"


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.adapters.register_loader("text", _TextAsBytes)
    # A custom media type handler's body is a domain over any type, which
    # PostgreSQL describes as its base type: sent as its binary value, as
    # PostgREST sends it (jsonb's starts with its version byte).
    conn.adapters.register_loader("json", _TextAsBytes)
    conn.adapters.register_loader("jsonb", _TextAsBytes)


class Executor:
    """Owns the worker's connection pool; opened after fork, never shared across processes."""

    def __init__(self, conninfo: str, size: int, *, acquisition_timeout: float,
                 max_lifetime: float, max_idle: float, prepared: bool) -> None:
        self.acquisition_timeout = acquisition_timeout
        self.pool = psycopg_pool.ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max(1, size),
            kwargs={
                "autocommit": True,
                "prepare_threshold": 5 if prepared else None,
                "application_name": "pgrestd",
            },
            configure=_configure,
            max_lifetime=max_lifetime,
            max_idle=max_idle,
            reconnect_timeout=0,  # keep trying for ever: the database may come back
            open=False,
            name="pgrestd",
        )
        self.pool.open(wait=False)

    def close(self) -> None:
        self.pool.close(timeout=5)

    def run(self, tx: TxSpec) -> Outcome:
        if not STATE.database_up:
            raise errors.ConnectionError_()
        try:
            with self.pool.connection(timeout=self.acquisition_timeout) as conn:
                return self._run_on(conn, tx)
        except psycopg_pool.PoolTimeout as exc:
            if not STATE.database_up:
                raise errors.ConnectionError_() from exc
            raise errors.PoolTimeout() from exc
        except psycopg.Error as exc:
            raise map_database_error(exc, tx.authenticated) from exc

    @staticmethod
    def _run_on(conn: psycopg.Connection[Any], tx: TxSpec) -> Outcome:
        """BEGIN, settings, statement and the transaction's end go out pipelined: one round trip.

        With a ``check`` the end waits for the result: the check runs, then
        COMMIT (or the requested rollback) or, when it raises, ROLLBACK.
        """
        try:
            with conn.pipeline():
                conn.execute(_begin(tx), prepare=False)
                conn.execute(tx.settings_sql, tx.settings_params)
                if tx.pre_request_sql:
                    conn.execute(tx.pre_request_sql, ())
                explain = None
                if tx.explain_sql is not None:
                    explain = conn.execute(tx.explain_sql, tx.explain_params)
                if tx.explain:
                    cur = conn.cursor()
                    cur.adapters.register_loader("json", _RawText)
                    cur.adapters.register_loader("text", _RawText)
                    cur.execute(tx.main_sql, tx.main_params)
                    _end(conn, tx.commit)
                    rows = cur.fetchall()
                    if explain is not None:
                        explain.fetchone()
                    return Outcome(None, 0, b"\n".join(r[0] for r in rows), None, None)
                cur = conn.cursor(binary=True)
                cur.execute(tx.main_sql, tx.main_params, binary=True)
                if tx.check is None:
                    _end(conn, tx.commit)
                row = cur.fetchone()
                planned = _plan_rows(explain.fetchone()) if explain is not None else None
            outcome = _outcome(cur, row, planned)
            if tx.check is not None:
                try:
                    tx.check(outcome)
                except BaseException:
                    conn.execute(_ROLLBACK, prepare=False)
                    raise
                with conn.pipeline():
                    _end(conn, tx.commit)
        except psycopg.Error:
            # A failed statement leaves the transaction aborted; end it here
            # rather than letting the pool warn about a dirty connection.
            if not conn.broken and conn.info.transaction_status != pq.TransactionStatus.IDLE:
                conn.execute(_ROLLBACK, prepare=False)
            raise
        return outcome


_ISOLATION_LEVELS = frozenset(("serializable", "repeatable read", "read committed", "read uncommitted"))


def _begin(tx: TxSpec) -> str:
    level = tx.isolation_level
    if level is None or level not in _ISOLATION_LEVELS:
        return _BEGIN_READ if tx.read_only else _BEGIN_WRITE
    return f"BEGIN ISOLATION LEVEL {level.upper()}" + (" READ ONLY" if tx.read_only else "")


def _end(conn: psycopg.Connection[Any], commit: bool) -> None:
    if commit:
        conn.execute("COMMIT", prepare=False)
    else:
        conn.execute(_IMMEDIATE, prepare=False)
        conn.execute(_ROLLBACK, prepare=False)


def _outcome(cur: psycopg.Cursor[Any], row: Any, planned: int | None) -> Outcome:
    assert row is not None and cur.description is not None
    values: dict[str, Any] = {"planned_total": planned}
    for column, value in zip(cur.description, row):
        field = _COLUMNS.get(column.name)
        if field is not None:
            values[field] = value
    location = values.get("location")
    if location is not None:
        values["location"] = tuple(location)
    return Outcome(
        total=values.get("total"),
        page_total=values["page_total"],
        body=values["body"],
        response_headers=values.get("response_headers"),
        response_status=values.get("response_status"),
        planned_total=planned,
        inserted=values.get("inserted"),
        location=values.get("location"),
    )


def _plan_rows(row: Any) -> int | None:
    """The top node's "Plan Rows" of an EXPLAIN (FORMAT JSON)."""
    if row is None:
        return None
    doc = row[0]
    if isinstance(doc, (bytes, str)):
        doc = orjson.loads(doc)
    try:
        return int(doc[0]["Plan"]["Plan Rows"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


# SQLSTATE -> HTTP status, from PostgREST's Error.hs (mapSQLtoHTTP).  Exact
# codes first, then two-character classes; anything else is a client error.
_STATUS_BY_CODE = {
    "23503": 409, "23505": 409, "25006": 405, "53400": 500, "57P01": 503,
    "P0001": 400, "42P01": 404, "42P17": 500, "42883": 404,
}
_STATUS_BY_CLASS = {
    "08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500,
    "38": 500, "39": 500, "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500,
    "57": 500, "58": 500, "F0": 500, "HV": 500, "P0": 500, "XX": 500,
}


def sqlstate_status(code: str, message: str, authenticated: bool = False) -> int:
    if code == "21000":
        # pg-safeupdate's "DELETE requires a WHERE clause" is the client's fault.
        return 400 if message.endswith("requires a WHERE clause") else 500
    if code == "22023":
        return 401 if message.startswith("role") and message.endswith("does not exist") else 400
    if code == "42501":
        return 403 if authenticated else 401
    if code == "42883" and message.startswith("function xmlagg("):
        return 406
    if code.startswith("PT") and code[2:].isdigit():
        return int(code[2:])
    status = _STATUS_BY_CODE.get(code) or _STATUS_BY_CLASS.get(code[:2])
    return status or 400


def _raised_pgrst(message: str, detail: str | None) -> errors.ApiError:
    """``RAISE SQLSTATE 'PGRST'``: the function chooses the whole response (PostgREST's parseRaisePGRST).

    MESSAGE is ``{"code", "message", "details"?, "hint"?}``; DETAIL is
    ``{"status", "status_text"?, "headers"?}``.
    """
    try:
        body = orjson.loads(message)
        if not (isinstance(body, dict) and isinstance(body.get("code"), str)
                and isinstance(body.get("message"), str)):
            raise ValueError
    except ValueError:
        return errors.PgrstParseError(details=f"Invalid JSON value for MESSAGE: '{message}'", message_error=True)
    if detail is None:
        return errors.PgrstParseError(details="DETAIL is missing in the RAISE statement")
    try:
        spec = orjson.loads(detail)
        status = spec["status"]
        headers = spec.get("headers") or {}
        if not isinstance(status, int) or not isinstance(headers, dict) or \
                not all(isinstance(v, str) for v in headers.values()):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return errors.PgrstParseError(details=f"Invalid JSON value for DETAIL: '{detail}'")
    error = errors.DatabaseError(body["code"], status, body["message"], details=body.get("details"),
                                 hint=body.get("hint"), headers=headers)
    text = spec.get("status_text")
    error.reason = text if isinstance(text, str) else None
    return error


def map_database_error(exc: psycopg.Error, authenticated: bool = False) -> errors.ApiError:
    code = exc.sqlstate
    if code is None and isinstance(exc, psycopg.DataError):
        # Raised by psycopg before sending, e.g. a NUL in a text value; the
        # server would have refused it with 22021 (PostgREST passes it on).
        return errors.DatabaseError("22021", 400, str(exc))
    if code is None:
        # No SQLSTATE: the connection broke or could not be made.
        log.warning("database connection error: %s", exc)
        return errors.ClientError(details=str(exc).strip() or None)
    diag = exc.diag
    message = diag.message_primary or str(exc)
    if code == "PGRST":
        return _raised_pgrst(message, diag.message_detail)
    status = sqlstate_status(code, message, authenticated)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return errors.DatabaseError(code, status, message, details=diag.message_detail,
                                hint=diag.message_hint, headers=headers)
