"""One request's statements in one pipelined message, sent through libpq directly.

A psycopg cursor costs some 50 µs of Python per statement, and PostgREST's
transaction is four or five statements (BEGIN, the settings, the optional
pre-request, the statement, COMMIT). Here they go out through libpq's
pipeline mode with one Sync: each SQL text is prepared once per connection
(a bounded LRU of named statements), its values bound with psycopg's own
dumpers, its results read with psycopg's non-blocking generators and
converted by psycopg's loaders. Values are bind parameters as before;
nothing is quoted here.

A statement is recorded as prepared only once the server said so: when an
earlier statement of the same message fails, the server skips the rest,
its Parse included.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg import generators, pq
from psycopg.adapt import PyFormat, Transformer

__all__ = ["Link", "Statement", "link"]

_PREPARED_MAX = 100
_PLACEHOLDER = re.compile(rb"%(s|%)")
_COMMAND_OK = pq.ExecStatus.COMMAND_OK
_FATAL_ERROR = pq.ExecStatus.FATAL_ERROR
_PIPELINE_SYNC = pq.ExecStatus.PIPELINE_SYNC
_TEXT, _BINARY = pq.Format.TEXT, pq.Format.BINARY
# A prepared statement the server no longer has (26000), or whose result
# type changed under it (0A000, "cached plan must not change result type").
_STALE_PLANS = frozenset(("26000", "0A000"))
_RESULT, _IGNORED = object(), object()


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    params: tuple[object, ...] = ()
    # The result's format: binary hands text and json over as raw bytes.
    binary: bool = False


@lru_cache(maxsize=1024)
def _postgres_query(sql: str, encoding: str) -> bytes:
    """psycopg's ``%s`` placeholders as PostgreSQL's ``$n`` (``%%`` is a literal ``%``)."""
    counter = iter(range(1, 1 << 16))

    def number(match: re.Match[bytes]) -> bytes:
        return b"%" if match.group(1) == b"%" else b"$%d" % next(counter)

    return _PLACEHOLDER.sub(number, sql.encode(encoding))


def _exchange(pgconn: Any, commands: int) -> Any:
    """Flush the message, then read each command's result and the Sync's: one wait for the whole round trip.

    The Sync may answer with an error before its own result: the commit of
    an implicit transaction failed (a deferred constraint). It is returned
    as one more answer.
    """
    yield from generators.send(pgconn)
    answers = []
    for _ in range(commands):
        answers.append((yield from generators.fetch_many(pgconn)))
    while True:
        results = yield from generators.fetch_many(pgconn)
        if results[0].status == _PIPELINE_SYNC:
            return answers
        answers.append(results)


class Link:
    """One connection's prepared statements and its transformer; used by one thread at a time."""

    __slots__ = ("__weakref__", "conn", "counter", "encoding", "evicted", "names", "prepare", "read_committed",
                 "transformer")

    def __init__(self, conn: psycopg.Connection[Any], prepare: bool) -> None:
        self.conn = conn
        self.prepare = prepare
        self.encoding = conn.info.encoding
        self.transformer = Transformer(conn)
        self.names: OrderedDict[tuple[bytes, tuple[int, ...]], bytes] = OrderedDict()
        self.evicted: list[bytes] = []
        self.counter = 0
        # Whether a transaction without BEGIN runs READ COMMITTED, as PostgREST's do.
        self.read_committed = conn.execute("SHOW default_transaction_isolation").fetchone() == ("read committed",)

    def run(self, statements: Sequence[Statement]) -> list[pq.abc.PGresult]:
        """Send every statement and one Sync, then read every result: one round trip.

        Returns each statement's result in order; raises psycopg's error for
        the first statement that failed (the server skipped the rest).
        """
        pgconn = self.conn.pgconn
        # Every value is dumped before anything is sent: one that psycopg
        # refuses (a NUL in text) fails the request with nothing half-sent.
        commands = [self._encode(st) for st in statements]
        # What each command sent answers with: a statement's result, nothing
        # of interest, or a Prepare's, which records the name once it succeeded.
        replies: list[Any] = []
        preparing: dict[tuple[bytes, tuple[int, ...]], bytes] = {}
        pgconn.enter_pipeline_mode()
        try:
            # Evicted statements go before the transaction begins: DEALLOCATE
            # would fail inside an aborted one (the ROLLBACK after an error).
            if self.evicted and pgconn.transaction_status == pq.TransactionStatus.IDLE:
                for name in self.evicted:
                    if name == b"ALL":
                        self.names.clear()
                    pgconn.send_query_params(b"DEALLOCATE " + name, None)
                    replies.append(_IGNORED)
                self.evicted = []
            for query, values, types, formats, result_format in commands:
                if not self.prepare:
                    pgconn.send_query_params(query, values, types, formats, result_format)
                else:
                    key = (query, types)
                    name = self.names.get(key) or preparing.get(key)
                    if name is None:
                        self.counter += 1
                        name = preparing[key] = b"pgrestd_%d" % self.counter
                        pgconn.send_prepare(name, query, types)
                        replies.append((key, name))
                    else:
                        self.names.move_to_end(key)
                    pgconn.send_query_prepared(name, values, formats, result_format)
                replies.append(_RESULT)
            pgconn.pipeline_sync()
            return self._read(pgconn, replies)
        finally:
            self._leave_pipeline(pgconn)

    def _encode(self, st: Statement) -> tuple[Any, ...]:
        query = _postgres_query(st.sql, self.encoding)
        result_format = _BINARY if st.binary else _TEXT
        if not st.params:
            return query, None, (), None, result_format
        tf = self.transformer
        values = tf.dump_sequence(st.params, [PyFormat.AUTO] * len(st.params))
        return query, values, tuple(tf.types), tf.formats, result_format

    def _leave_pipeline(self, pgconn: Any) -> None:
        """Back to normal mode; a connection left mid-message (interrupted, broken) is closed for the pool to replace."""
        if pgconn.pipeline_status == pq.PipelineStatus.OFF:
            return
        try:
            pgconn.exit_pipeline_mode()
        except psycopg.Error:
            self.conn.close()

    def _read(self, pgconn: Any, replies: list[Any]) -> list[Any]:
        results = []
        error = None
        answers = self.conn.wait(_exchange(pgconn, len(replies)))
        for reply, (result,) in itertools.zip_longest(replies, answers, fillvalue=_IGNORED):
            status = result.status
            if status == _FATAL_ERROR and error is None:
                error = result
            if reply is _RESULT:
                results.append(result)
            elif reply is not _IGNORED and status == _COMMAND_OK:
                self._remember(*reply)
        if error is not None:
            exc = pg_errors.error_from_result(error, encoding=self.encoding)
            if exc.sqlstate in _STALE_PLANS:
                self.forget()
            raise exc
        return results

    def _remember(self, key: tuple[bytes, tuple[int, ...]], name: bytes) -> None:
        self.names[key] = name
        if len(self.names) > _PREPARED_MAX:
            self.evicted.append(self.names.popitem(last=False)[1])

    def forget(self) -> None:
        """Every prepared statement is suspect: the next message that begins a transaction drops them all."""
        self.evicted = [b"ALL"]

    def load_row(self, result: Any) -> tuple[Any, ...]:
        """The result's one row, through psycopg's loaders (bodies stay bytes)."""
        self.transformer.set_pgresult(result)
        return self.transformer.load_row(0, tuple)  # type: ignore[arg-type]


_LINKS: weakref.WeakKeyDictionary[psycopg.Connection[Any], Link] = weakref.WeakKeyDictionary()


def link(conn: psycopg.Connection[Any], prepare: bool) -> Link:
    """The connection's :class:`Link`, made on its first use."""
    found = _LINKS.get(conn)
    if found is None:
        found = _LINKS[conn] = Link(conn, prepare)
    return found
