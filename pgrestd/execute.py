"""One request, one transaction on the worker's pool; PostgreSQL errors become API errors."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

import orjson
import psycopg
import psycopg_pool
from psycopg import pq
from psycopg.adapt import Dumper, Loader
from psycopg.types.json import JsonbDumper, JsonDumper

from . import errors, metrics, protocol
from .protocol import Statement
from .sql.builder import READ_ROW, WRITE_ROW, JsonBody
from .state import STATE
from .transaction import Outcome, TxSpec

__all__ = ["Executor", "Outcome", "TxSpec", "map_database_error"]

log = logging.getLogger("pgrestd.execute")

_BEGIN_READ = "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"
_BEGIN_WRITE = "BEGIN ISOLATION LEVEL READ COMMITTED"


class _TextAsBytes(Loader):
    """Bodies stay bytes from the socket to the response: no decode/encode in Python."""

    format = pq.Format.BINARY

    def load(self, data: Any) -> bytes:
        return bytes(data)


# Statement columns -> Outcome fields, by the number of columns a statement
# answers: a read's or a call's row, a write's, and the OpenAPI query's.
_FIELDS = {
    "total_result_set": "total",
    "page_total": "page_total",
    "body": "body",
    "response_headers": "response_headers",
    "response_status": "response_status",
    "response_inserted": "inserted",
    "location": "location",
}
_LAYOUTS = {len(row): tuple(_FIELDS[c] for c in row) for row in (READ_ROW, WRITE_ROW, ("page_total", "body"))}
_COMMIT = [Statement("COMMIT")]
_ROLLBACK = [Statement("ROLLBACK")]
# PostgREST's optionalRollback: deferred constraints are checked before a
# rollback, so a request that would fail on commit fails the same way.
_IMMEDIATE = [Statement("SET CONSTRAINTS ALL IMMEDIATE")]


class _JsonBodyDumper(JsonDumper):
    """A :class:`JsonBody` goes out as the bytes it came in, typed json (or jsonb)."""

    def get_key(self, obj: Any, _format: Any) -> Any:
        return (self.cls, obj.binary)

    def upgrade(self, obj: Any, _format: Any) -> Dumper:
        return _JsonbBodyDumper(self.cls) if obj.binary else self

    def dump(self, obj: Any) -> bytes:
        return obj.raw


class _JsonbBodyDumper(JsonbDumper):
    def dump(self, obj: Any) -> bytes:
        return obj.raw


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.adapters.register_dumper(JsonBody, _JsonBodyDumper)
    conn.adapters.register_loader("text", _TextAsBytes)
    # A custom media type handler's body is a domain over any type, which
    # PostgreSQL describes as its base type: sent as its binary value, as
    # PostgREST sends it (jsonb's starts with its version byte).
    conn.adapters.register_loader("json", _TextAsBytes)
    conn.adapters.register_loader("jsonb", _TextAsBytes)


def _pool(conninfo: str, size: int, name: str, *, max_lifetime: float, max_idle: float) -> psycopg_pool.ConnectionPool:
    pool = psycopg_pool.ConnectionPool(
        conninfo,
        min_size=1,
        max_size=max(1, size),
        kwargs={
            "autocommit": True,
            "prepare_threshold": None,  # protocol.Link prepares
            "application_name": "pgrestd",
        },
        configure=_configure,
        max_lifetime=max_lifetime,
        max_idle=max_idle,
        reconnect_timeout=0,  # the pool stops after a failed retry; a waiting request makes it connect again
        open=False,
        name=name,
    )
    pool.open(wait=False)
    return pool


# How far a replica's replay lags: zero when it has replayed all it received.
_LAG = ("SELECT CASE WHEN NOT pg_catalog.pg_is_in_recovery() "
        "OR pg_catalog.pg_last_wal_receive_lsn() = pg_catalog.pg_last_wal_replay_lsn() THEN 0 "
        "ELSE coalesce(extract(epoch FROM now() - pg_catalog.pg_last_xact_replay_timestamp()), 0) END")
# SQLSTATE classes that say the replica, not the request, failed: connection
# exceptions, operator intervention (shutdown), and a query cancelled by a
# conflict with recovery (40001 on a standby).
_REPLICA_FAULTS = ("08", "57")
_REPLICA_WAIT = 1.0  # seconds a read waits for a replica connection before using the primary
_REPLICA_PAUSE = 3.0  # seconds a failed or lagging replica is left alone
_LAG_EVERY = 1.0  # seconds between two lag checks of one replica


class _Replica:
    __slots__ = ("checked", "lagging", "name", "pool", "resting_until")

    def __init__(self, pool: psycopg_pool.ConnectionPool, name: str) -> None:
        self.pool = pool
        self.name = name
        self.resting_until = 0.0
        self.checked = 0.0
        # Lag is only believed when two checks in a row see it: the first
        # WAL after an idle spell briefly makes an up-to-date replica look
        # as far behind as its last replayed commit is old.
        self.lagging = False

    def rest(self, why: str) -> None:
        if time.monotonic() >= self.resting_until:
            log.warning("read replica %s skipped for %.0fs: %s", self.name, _REPLICA_PAUSE, why)
        self.resting_until = time.monotonic() + _REPLICA_PAUSE


class Executor:
    """Owns the worker's connection pools (the primary's, each replica's); opened after fork, never shared."""

    def __init__(self, conninfo: str, size: int, *, acquisition_timeout: float,
                 max_lifetime: float, max_idle: float, prepared: bool,
                 replicas: tuple[str, ...] = (), max_lag: float = 5.0) -> None:
        self.acquisition_timeout = acquisition_timeout
        self.prepared = prepared
        self.max_lag = max_lag
        self.pool = _pool(conninfo, size, "pgrestd", max_lifetime=max_lifetime, max_idle=max_idle)
        self.replicas = [
            _Replica(_pool(uri, size, f"pgrestd-replica-{i + 1}", max_lifetime=max_lifetime, max_idle=max_idle),
                     f"#{i + 1}")
            for i, uri in enumerate(replicas)
        ]
        self._turn = 0
        self._epoch = STATE.database_epoch

    def close(self) -> None:
        for replica in self.replicas:
            replica.pool.close(timeout=5)
        self.pool.close(timeout=5)

    def run(self, tx: TxSpec) -> Outcome:
        if tx.replica and self.replicas:
            outcome = self._run_on_replica(tx)
            if outcome is not None:
                return outcome
        if not STATE.database_up:
            raise errors.ConnectionError_()
        if STATE.database_epoch != self._epoch:
            # The database went away and came back: drop the connections it closed before a request meets one.
            self._epoch = STATE.database_epoch
            self.pool.check()
        try:
            with self.pool.connection(timeout=self.acquisition_timeout) as conn:
                outcome = None
                try:
                    outcome = self._run_on(conn, tx)
                    return outcome
                finally:
                    if _oversized(tx, outcome):
                        _retire(conn)
        except psycopg_pool.PoolTimeout as exc:
            metrics.pool_timeout()
            if not STATE.database_up:
                raise errors.ConnectionError_() from exc
            raise errors.PoolTimeout() from exc
        except psycopg.Error as exc:
            if tx.precondition is not None and exc.sqlstate == "40001":
                # REPEATABLE READ met a row another transaction changed after the check's snapshot.
                raise errors.PreconditionFailed(details="The representation changed while the write was checked",
                                                hint="GET the resource again for its current ETag") from exc
            raise map_database_error(exc, tx.authenticated) from exc
        finally:
            metrics.pool_stats(self.pool.get_stats)

    def _run_on_replica(self, tx: TxSpec) -> Outcome | None:
        """The read on the next healthy replica, in turn; None when none could serve it (the primary will).

        A replica that cannot give a connection within a second, fails for
        its own reasons (connection lost, shut down, recovery conflict) or
        lags more than db-read-replicas-max-lag rests a few seconds; the
        read is not lost, it goes to the primary.
        """
        now = time.monotonic()
        count = len(self.replicas)
        for step in range(count):
            replica = self.replicas[(self._turn + step) % count]
            if now < replica.resting_until:
                continue
            self._turn = (self._turn + step + 1) % count
            try:
                with replica.pool.connection(timeout=_REPLICA_WAIT) as conn:
                    if now - replica.checked >= _LAG_EVERY:
                        lag = conn.execute(_LAG).fetchone()[0]
                        replica.checked = now
                        was_lagging, replica.lagging = replica.lagging, lag > self.max_lag
                        if was_lagging and replica.lagging:
                            replica.rest(f"{float(lag):.1f}s behind")
                            continue
                    return self._run_on(conn, tx)
            except psycopg_pool.PoolTimeout:
                replica.rest("no connection")
            except psycopg.Error as exc:
                code = exc.sqlstate
                if code is not None and not code.startswith(_REPLICA_FAULTS) and code != "40001":
                    raise map_database_error(exc, tx.authenticated) from exc
                replica.rest(" ".join(str(exc).split()) or type(exc).__name__)
        return None

    def _run_on(self, conn: psycopg.Connection[Any], tx: TxSpec) -> Outcome:
        """BEGIN, settings, statement and the transaction's end go out as one message: one round trip.

        With a ``check`` the end waits for the result: the check runs, then
        COMMIT (or the requested rollback) or, when it raises, ROLLBACK.

        A transaction that commits unless it fails needs no BEGIN and COMMIT:
        the statements before one Sync are one (implicit) transaction, which
        the Sync commits, or rolls back on an error (a deferred constraint
        fails there, as it would on COMMIT). The settings statement of a read
        made it read-only. It runs READ COMMITTED as long as that is the
        session's default; otherwise BEGIN names the isolation level, as it
        does for a function's own.
        """
        wire = protocol.link(conn, self.prepared)
        pre = tx.precondition
        implicit = (tx.commit and tx.check is None and tx.isolation_level is None and pre is None
                    and wire.read_committed)
        batch = [] if implicit else [Statement(_begin(tx))]
        batch.append(Statement(tx.settings_sql, tx.settings_params))
        if tx.pre_request_sql:
            batch.append(Statement(tx.pre_request_sql))
        try:
            if pre is not None:
                # A conditional write: the representation first, and the write only if it passes.
                batch.append(Statement(pre.sql, pre.params, binary=True))
                _checked(wire, pre.check, _outcome(wire.load_row(wire.run(batch)[-1]), None))
                batch = []
            if tx.explain_sql is not None:
                batch.append(Statement(tx.explain_sql, tx.explain_params))
            main = len(batch)
            # EXPLAIN's rows are text as PostgreSQL prints them; a body is raw bytes.
            batch.append(Statement(tx.main_sql, tx.main_params, binary=not tx.explain))
            if tx.check is None and not implicit:
                batch += _end(tx.commit)
            results = wire.run(batch)
            result = results[main]
            if tx.explain:
                return Outcome(None, 0, b"\n".join(result.get_value(i, 0) for i in range(result.ntuples)), None, None)
            planned = _plan_rows(results[main - 1]) if tx.explain_sql is not None else None
            outcome = _outcome(wire.load_row(result), planned)
            if tx.check is not None:
                _checked(wire, tx.check, outcome)
                wire.run(_end(tx.commit))
        except psycopg.Error:
            # A failed statement leaves the transaction aborted; end it here
            # rather than letting the pool warn about a dirty connection.
            if not conn.broken and conn.info.transaction_status != pq.TransactionStatus.IDLE:
                wire.run(_ROLLBACK)
            raise
        return outcome


def _checked(wire: protocol.Link, check: Callable[[Outcome], None], outcome: Outcome) -> None:
    """Run ``check`` on the result so far; when it raises, the transaction is rolled back first."""
    try:
        check(outcome)
    except BaseException:
        wire.run(_ROLLBACK)
        raise


# libpq keeps a connection's buffers as large as the largest message it
# carried: a connection that sent or received more than this is replaced.
_LARGE_MESSAGE = 1 << 20


def _oversized(tx: TxSpec, outcome: Outcome | None) -> bool:
    if outcome is not None and outcome.body is not None and len(outcome.body) > _LARGE_MESSAGE:
        return True
    return not tx.read_only and sum(len(p.raw) for p in tx.main_params if isinstance(p, JsonBody)) > _LARGE_MESSAGE


def _retire(conn: psycopg.Connection[Any]) -> None:
    """Have the pool close ``conn`` on its return and open a fresh one (its expiry path: no warning)."""
    conn._expire_at = 0.0  # type: ignore[attr-defined]


_ISOLATION_LEVELS = frozenset(("serializable", "repeatable read", "read committed", "read uncommitted"))


def _begin(tx: TxSpec) -> str:
    level = tx.isolation_level
    if level is None or level not in _ISOLATION_LEVELS:
        return _BEGIN_READ if tx.read_only else _BEGIN_WRITE
    return f"BEGIN ISOLATION LEVEL {level.upper()}" + (" READ ONLY" if tx.read_only else "")


def _end(commit: bool) -> list[Statement]:
    return _COMMIT if commit else _IMMEDIATE + _ROLLBACK


def _outcome(row: Any, planned: int | None) -> Outcome:
    assert row is not None
    values = dict(zip(_LAYOUTS[len(row)], row))
    location = values.get("location")
    return Outcome(
        total=values.get("total"),
        page_total=values["page_total"],
        body=values["body"],
        response_headers=values.get("response_headers"),
        response_status=values.get("response_status"),
        planned_total=planned,
        inserted=values.get("inserted"),
        location=tuple(location) if location is not None else None,
    )


def _plan_rows(result: Any) -> int | None:
    """The top node's "Plan Rows" of an EXPLAIN (FORMAT JSON)."""
    if result.ntuples == 0:
        return None
    try:
        doc = orjson.loads(result.get_value(0, 0))
        return int(doc[0]["Plan"]["Plan Rows"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def map_database_error(exc: psycopg.Error, authenticated: bool = False) -> errors.ApiError:
    """Reads psycopg's exception; :func:`errors.database_error` maps its fields."""
    code = exc.sqlstate
    if code is None and isinstance(exc, psycopg.DataError):
        # Raised by psycopg before sending, e.g. a NUL in a text value; the
        # server would have refused it with 22021 (PostgREST passes it on).
        return errors.DatabaseError("22021", 400, str(exc))
    if code is None:
        # No SQLSTATE: the connection broke or could not be made.
        log.warning("database connection error: %s", " ".join(str(exc).split()))
        return errors.ClientError(details=str(exc).strip() or None)
    diag = exc.diag
    return errors.database_error(code, diag.message_primary or str(exc), diag.message_detail,
                                 diag.message_hint, authenticated)
