"""The stream process's database side: the LISTEN connection, the change log, and the reads as each role.

Ordering and exactness come from snapshots, not from notifications. Two connections take turns
holding a REPEATABLE READ transaction whose snapshot they export. Each poll opens the next one;
the log entries to deliver are those whose transaction is visible in the new snapshot and was
not in the previous one (``pg_visible_in_snapshot``): an entry is delivered once, and only after
its transaction committed, however transactions interleave. A subscriber's rows are then read
twice, importing each snapshot (``SET TRANSACTION SNAPSHOT``) and running as the subscriber's
role with its claims: before and after the changes. Which events a stream gets follows from the
two answers, so grants and row-level security decide both what appears and what disappears.

Notifications carry the transaction's id. They only wake the poll up (a poll also runs every
second), and order a batch: NOTIFY delivers in commit order, and a batch is ordered by the
arrival of its transactions' notifications, then by transaction id and log order.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import psycopg
from psycopg import pq

from .. import protocol
from ..protocol import Statement
from .subscription import KEY_PREFIX, Subscription

__all__ = ["CHANNEL", "ChangeFeed", "Rows", "connection_lost", "log_key"]

CHANNEL = "pgrestd_live"
# A row's key as the log and the reads both spell it: each key column's JSON value, in key order.
Key = tuple[bytes, ...]
Rows = dict[Key, tuple[dict[str, Any], dict[str, Any]]]  # key -> (key object, row)

_HOLD = "SELECT pg_catalog.pg_export_snapshot(), pg_catalog.pg_current_snapshot()::text"
_LOG = (
    "SELECT schema_name, table_name, op, key::text FROM pgrestd_live.changes "
    "WHERE xid >= pg_catalog.pg_snapshot_xmin(%s::pg_snapshot) "
    "AND NOT pg_catalog.pg_visible_in_snapshot(xid, %s::pg_snapshot) "
    "ORDER BY pg_catalog.array_position(%s::text[]::xid8[], xid) NULLS LAST, xid, id"
)
_WATCHED = "SELECT EXISTS (SELECT FROM pgrestd_live.watched() WHERE schema_name = %s AND table_name = %s)"
_PRUNE = "SELECT pgrestd_live.prune(pg_catalog.make_interval(secs => %s))"
_BEGIN = Statement("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
_COMMIT = Statement("COMMIT")
_ROLLBACK = Statement("ROLLBACK")
_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f-]+")


def connection_lost(exc: psycopg.Error) -> bool:
    """The connection failed (or the server is going away), not the statement."""
    code = exc.sqlstate
    return code is None or code.startswith(("08", "57"))


class _Holder:
    """A connection holding a snapshot open for the reads of one poll, and exporting it."""

    __slots__ = ("conn", "cursor", "export")

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.export: str | None = None
        self.cursor: str | None = None  # the snapshot, as pg_snapshot text

    def hold(self) -> None:
        self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        export, self.cursor = self.conn.execute(_HOLD).fetchone()  # type: ignore[misc]
        assert _SNAPSHOT_ID.fullmatch(export), export
        self.export = export

    def release(self) -> None:
        self.export = None
        if self.conn.info.transaction_status != pq.TransactionStatus.IDLE:
            self.conn.execute("COMMIT")


class ChangeFeed:
    """LISTEN, the snapshots and the log; every method may raise psycopg's errors."""

    def __init__(self, conninfo: str) -> None:
        self._closing: list[psycopg.Connection[Any]] = []
        try:
            self.listener = self._connect(conninfo, "listener")
            self.listener.execute("LISTEN " + CHANNEL)
            self.holders = [_Holder(self._connect(conninfo, "snapshot")) for _ in range(2)]
            self.reader = self._connect(conninfo, "reader")
            self.link = protocol.link(self.reader, False)
            self.holders[0].hold()
        except BaseException:
            self.close()
            raise
        self.notified: list[str] = []
        self._turn = 0

    def _connect(self, conninfo: str, purpose: str) -> psycopg.Connection[Any]:
        conn = psycopg.connect(conninfo, autocommit=True, application_name="pgrestd live " + purpose)
        self._closing.append(conn)
        return conn

    def close(self) -> None:
        for conn in self._closing:
            conn.close()

    def fileno(self) -> int:
        return self.listener.fileno()

    @property
    def snapshot(self) -> str:
        """The export of the snapshot every stream is at: initial rows are read in it."""
        export = self.holders[self._turn].export
        assert export is not None
        return export

    def drain(self) -> bool:
        """Read the notifications that arrived; whether there were any."""
        pgconn = self.listener.pgconn
        pgconn.consume_input()  # raises when the connection is gone
        before = len(self.notified)
        while (note := pgconn.notifies()) is not None:
            self.notified.append(note.extra.decode())
        return len(self.notified) > before

    def advance(self, read_log: bool) -> tuple[list[tuple[str, str, str, str]], str, str]:
        """Hold the next snapshot: (the log entries committed in between, the old export, the new).

        The old snapshot stays held until :meth:`release`, for the reads of what was before.
        """
        old, new = self.holders[self._turn], self.holders[1 - self._turn]
        new.hold()
        changes: list[Any] = []
        notified, self.notified = self.notified, []
        if read_log:
            try:
                changes = new.conn.execute(_LOG, (old.cursor, old.cursor, notified)).fetchall()
            except psycopg.Error:
                new.release()
                raise
        self._turn = 1 - self._turn
        assert old.export is not None and new.export is not None
        return changes, old.export, new.export

    def release(self) -> None:
        """Let the previous snapshot go (the next poll holds a new one in its place)."""
        self.holders[1 - self._turn].release()

    def read(self, subscription: Subscription, export: str, keys: str | None) -> Rows:
        """The subscription's rows in the exported snapshot, as its role: the changed ``keys`` (a JSON
        array of key objects), or with None the initial rows."""
        return self._run([(subscription, export, keys)])[0]

    def read_many(self, reads: list[tuple[Subscription, str, str]]) -> list[Rows | psycopg.Error]:
        """Several reads (subscription, export, keys), one transaction each, all in one round trip.

        A read that fails fails them all on the wire; they are then read one by one, so each
        gets its own answer: its rows, or its error.
        """
        if len(reads) > 1:
            try:
                return list(self._run(reads))
            except psycopg.Error as exc:
                if connection_lost(exc):
                    raise
        answers: list[Rows | psycopg.Error] = []
        for read in reads:
            try:
                answers += self._run([read])
            except psycopg.Error as exc:
                if connection_lost(exc):
                    raise
                answers.append(exc)
        return answers

    def _run(self, reads: list[tuple[Subscription, str, str | None]]) -> list[Rows]:
        batch: list[Statement] = []
        positions = []
        for subscription, export, keys in reads:
            if keys is None:
                sql, params = subscription.initial_sql, subscription.initial_params
                assert sql is not None
            else:
                sql, params = subscription.event_sql, subscription.event_params + (keys,)
            batch += [_BEGIN, Statement(f"SET TRANSACTION SNAPSHOT '{export}'"),
                      Statement(subscription.settings_sql, subscription.settings_params)]
            if subscription.pre_request_sql:
                batch.append(Statement(subscription.pre_request_sql))
            positions.append(len(batch))
            batch += [Statement(sql, params), _COMMIT]
        try:
            results = self.link.run(batch)
        except psycopg.Error:
            if not self.reader.broken and self.reader.info.transaction_status != pq.TransactionStatus.IDLE:
                self.link.run([_ROLLBACK])
            raise
        return [_rows(results[at].get_value(0, 0), read[0].key_columns) for at, read in zip(positions, reads)]

    def watched(self, schema: str, table: str) -> bool:
        return bool(self.reader.execute(_WATCHED, (schema, table)).fetchone()[0])  # type: ignore[index]

    def prune(self, seconds: int) -> int:
        return int(self.reader.execute(_PRUNE, (seconds,)).fetchone()[0])  # type: ignore[index]


def _rows(body: bytes, key_columns: tuple[str, ...]) -> Rows:
    """The JSON array a read answers, by key; the private key columns leave the rows here."""
    rows: Rows = {}
    for row in orjson.loads(body):
        values = [row.pop(f"{KEY_PREFIX}{i}") for i in range(len(key_columns))]
        rows[tuple(orjson.dumps(v) for v in values)] = (dict(zip(key_columns, values)), row)
    return rows


def log_key(text: str, key_columns: tuple[str, ...]) -> tuple[Key, dict[str, Any]]:
    """A log entry's key (jsonb text) as :data:`Rows` spells it, and as the object a delete sends."""
    found = orjson.loads(text)
    values = [found.get(column) for column in key_columns]
    return tuple(orjson.dumps(v) for v in values), dict(zip(key_columns, values))
