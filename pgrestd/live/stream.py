"""The stream process: every live stream of one pgrestd in one single-threaded selectors loop.

Started by the master (:mod:`.supervisor`), it listens on a Unix socket for the workers'
hand-offs, writes each stream's response itself, and turns the change log into events
(:mod:`.changes`). Streams whose reads are equal (same settings, same statement) share one
query per change. Events go out through a per-stream buffer; a client that falls 16 MiB behind
is dropped.

Event ids are ``TOKEN.N``: a random token per stream and a counter. A stream whose client goes
away is kept ``live-retention`` seconds, still collecting events (its last 1,000); a reconnect
with ``Last-Event-ID`` by the same role with the same claims and the same request gets the
events it missed and goes on. Otherwise it gets ``event: reset`` with an empty id, then the
current rows, as a new stream.

SIGTERM and SIGINT end every stream with ``event: end`` and exit; SIGHUP is ignored (a reload
of the master keeps the streams).
"""

from __future__ import annotations

import collections
import logging
import os
import pickle
import resource
import secrets
import selectors
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson
import psycopg

from .. import errors
from ..config import Config
from ..execute import map_database_error
from ..log import setup_logging
from ..response import error_response
from . import handoff
from .changes import ChangeFeed, Rows, connection_lost, log_key
from .sse import HEARTBEAT, frame, http_response
from .subscription import Subscription

__all__ = ["StreamServer", "main"]

log = logging.getLogger("pgrestd.live")

_POLL_EVERY = 1.0  # seconds between polls without a notification
_HEARTBEAT_EVERY = 15.0
_PRUNE_EVERY = 60.0
_CHECK_EVERY = 0.25  # token expiry, parked streams, the master
_RECONNECT_EVERY = 1.0
_JOURNAL = 1000  # events a stream keeps for a resume
_BEHIND = 16 << 20  # bytes a client may fall behind before it is dropped
_END_WAIT = 2.0  # seconds shutdown spends writing the last frames


class Stream:
    """One client's stream; parked (``sock`` None) while its client is away."""

    __slots__ = ("journal", "out", "parked_until", "seq", "sock", "subscription", "token")

    def __init__(self, subscription: Subscription, sock: socket.socket) -> None:
        self.token = secrets.token_hex(6)
        self.subscription = subscription
        self.sock: socket.socket | None = sock
        self.out = bytearray()
        self.seq = 0
        self.journal: collections.deque[tuple[int, bytes]] = collections.deque(maxlen=_JOURNAL)
        self.parked_until = 0.0

    def next_id(self) -> str:
        self.seq += 1
        return f"{self.token}.{self.seq}"

    def missed(self, seen: int) -> list[bytes] | None:
        """The frames after event ``seen``, or None when the journal no longer has them all."""
        if seen > self.seq:
            return None
        if seen == self.seq:
            return []
        if not self.journal or self.journal[0][0] > seen + 1:
            return None
        return [chunk for seq, chunk in self.journal if seq > seen]


class StreamServer:
    def __init__(self, config: Config, path: str) -> None:
        self.conninfo = config.db_channel_uri or config.db_uri
        self.retention = config.live_retention
        self.max_streams = config.live_max_streams
        self.path = path
        self.selector = selectors.DefaultSelector()
        self.feed: ChangeFeed | None = None
        self.streams: dict[str, Stream] = {}  # by token, parked ones too
        self.groups: dict[tuple[object, ...], dict[str, Stream]] = {}  # by Subscription.reads
        self.by_relation: dict[tuple[str, str], set[tuple[object, ...]]] = {}
        self.attached = 0
        self.stopping = False
        self.down = False
        self.parent = os.getppid()
        now = time.monotonic()
        self.next_poll = self.next_connect = now
        self.next_heartbeat = now + _HEARTBEAT_EVERY
        self.next_prune = now + 5.0
        self.next_check = now
        self.listening = self._listen()

    # -- the loop ----------------------------------------------------------------

    def run(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        log.info("stream process %d ready on %s", os.getpid(), self.path)
        while not self.stopping:
            try:
                self._turn()
            except Exception:  # a bug must not end every stream: log it and go on
                log.exception("stream process: unexpected error")
                time.sleep(0.1)
        self._shutdown()

    def _stop(self, _signum: int, _frame: Any) -> None:
        self.stopping = True

    def _turn(self) -> None:
        now = time.monotonic()
        if self.feed is None and now >= self.next_connect:
            self._connect()
        wake = min(self.next_poll if self.feed is not None else self.next_connect, self.next_check)
        for key, mask in self.selector.select(max(0.0, min(wake - time.monotonic(), 1.0))):
            callback: Callable[[int], None] = key.data
            callback(mask)
        now = time.monotonic()
        if self.feed is not None and now >= self.next_poll:
            self._guarded(self._poll)
        if now >= self.next_check:
            self.next_check = now + _CHECK_EVERY
            self._check(now)
        if now >= self.next_heartbeat:
            self.next_heartbeat = now + _HEARTBEAT_EVERY
            for stream in self.streams.values():
                self._write(stream, HEARTBEAT)
        if self.feed is not None and now >= self.next_prune:
            self.next_prune = now + _PRUNE_EVERY
            self._guarded(lambda: self.feed.prune(self.retention))  # type: ignore[union-attr]

    def _listen(self) -> socket.socket:
        if os.path.exists(self.path):
            os.unlink(self.path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(self.path)
        os.chmod(self.path, 0o600)
        sock.listen(128)
        sock.setblocking(False)
        self.selector.register(sock, selectors.EVENT_READ, self._on_handoff)
        return sock

    def _check(self, now: float) -> None:
        if os.getppid() != self.parent:
            log.warning("the master went away; stopping")
            self.stopping = True
        wall = time.time()
        for stream in list(self.streams.values()):
            expires = stream.subscription.expires
            if expires is not None and wall >= expires:
                # Ended when the token expires: a GET with it would be refused from then on.
                self._end(stream, "end", errors.JwtClaimsInvalid("JWT expired"))
            elif stream.sock is None and now >= stream.parked_until:
                self._forget(stream)

    # -- the database --------------------------------------------------------------

    def _connect(self) -> None:
        try:
            self.feed = ChangeFeed(self.conninfo)
        except psycopg.Error as exc:
            if not self.down:
                log.error("stream process: database unreachable, retrying every %.0fs: %s", _RECONNECT_EVERY,
                          _one_line(exc))
            self.down = True
            self.next_connect = time.monotonic() + _RECONNECT_EVERY
            return
        self.down = False
        self.selector.register(self.feed.fileno(), selectors.EVENT_READ, self._on_notify)
        self.next_poll = time.monotonic()
        log.info("stream process: listening on channel %r", "pgrestd_live")

    def _guarded(self, work: Callable[[], object]) -> None:
        """Run database ``work``; a lost connection ends every stream (clients reconnect and start over)."""
        try:
            work()
        except psycopg.Error as exc:
            if self.feed is None or not connection_lost(exc):
                raise
            log.error("stream process: lost the database connection: %s", _one_line(exc))
            self._lose_database(errors.ClientError(details=_one_line(exc)))

    def _lose_database(self, error: errors.ApiError) -> None:
        feed, self.feed = self.feed, None
        if feed is not None:
            try:
                self.selector.unregister(feed.fileno())
            except (KeyError, ValueError, OSError):
                pass
            feed.close()
        for stream in list(self.streams.values()):
            self._end(stream, "reset", error)
        self.next_connect = time.monotonic() + _RECONNECT_EVERY

    def _on_notify(self, _mask: int) -> None:
        assert self.feed is not None
        try:
            if self.feed.drain():
                self.next_poll = 0.0
        except psycopg.Error as exc:
            log.error("stream process: the listener failed: %s", _one_line(exc))
            self._lose_database(errors.ClientError(details=_one_line(exc)))

    def _poll(self) -> None:
        feed = self.feed
        assert feed is not None
        self.next_poll = time.monotonic() + _POLL_EVERY
        try:
            changes, before, after = feed.advance(read_log=bool(self.by_relation))
        except psycopg.Error as exc:
            if connection_lost(exc):
                raise
            # The capture was dropped, or pgrestd may no longer read it: nothing can follow.
            log.error("cannot read pgrestd_live.changes: %s", _one_line(exc))
            for stream in list(self.streams.values()):
                self._end(stream, "reset", errors.LiveUnavailable(details=_one_line(exc)))
            return
        try:
            if changes:
                self._dispatch(feed, changes, before, after)
        finally:
            feed.release()

    def _dispatch(self, feed: ChangeFeed, changes: list[tuple[str, str, str, str]], before: str, after: str) -> None:
        """Events for each group of streams: its rows before and after, compared key by key.

        All the groups of a relation are read in one round trip. A key whose first change in the
        batch is its insert did not exist before: it needs no read of the past.
        """
        touched: dict[tuple[str, str], dict[str, str]] = {}  # relation -> key -> its first op
        truncated: set[tuple[str, str]] = set()
        for schema, table, op, key in changes:
            relation = (schema, table)
            if relation not in self.by_relation:
                continue
            if op == "T":
                truncated.add(relation)
                continue
            keys = touched.setdefault(relation, {})
            # Several changes of a row: one event, where its last change stands.
            keys[key] = keys.pop(key, op)
        for relation in truncated:
            for stream in self._relation_streams(relation):
                self._reset(stream, "The table was truncated")
        for relation, keys in touched.items():
            groups = [self.groups[reads] for reads in self.by_relation.get(relation, ())]
            subscriptions = [next(iter(group.values())).subscription for group in groups]
            existed = [key for key, first in keys.items() if first != "I"]
            reads = [(subscription, after, "[" + ",".join(keys) + "]") for subscription in subscriptions]
            if existed:
                reads += [(subscription, before, "[" + ",".join(existed) + "]") for subscription in subscriptions]
            answers = feed.read_many(reads)
            for i, group in enumerate(groups):
                new, old = answers[i], answers[len(groups) + i] if existed else {}
                failed = new if isinstance(new, psycopg.Error) else old if isinstance(old, psycopg.Error) else None
                if failed is not None:
                    self._fail(list(group.values()), failed)
                    continue
                assert not isinstance(new, psycopg.Error) and not isinstance(old, psycopg.Error)
                events = _events(keys, subscriptions[i].key_columns, old, new)
                for stream in list(group.values()):
                    for event, data in events:
                        self._emit(stream, event, data)

    def _relation_streams(self, relation: tuple[str, str]) -> list[Stream]:
        return [s for reads in self.by_relation.get(relation, ()) for s in self.groups[reads].values()]

    def _fail(self, streams: list[Stream], exc: psycopg.Error) -> None:
        """A read failed (a grant revoked, a column dropped): end those streams with its error."""
        if not streams:
            return
        error = map_database_error(exc, streams[0].subscription.authenticated)
        log.warning("live read failed, ending %d stream(s): %s", len(streams), _one_line(exc))
        for stream in streams:
            self._end(stream, "end", error)

    # -- hand-offs and the first frames ------------------------------------------------

    def _on_handoff(self, _mask: int) -> None:
        try:
            channel, _ = self.listening.accept()
        except BlockingIOError:
            return
        with channel:
            try:
                fd, subscription = handoff.receive(channel)
            except (OSError, handoff.HandoffError, pickle.UnpicklingError) as exc:
                log.error("bad hand-off: %s", exc)
                return
            client = socket.socket(fileno=fd)
            if self.attached >= self.max_streams:
                channel.sendall(handoff.FULL)
                client.close()  # only this copy: the worker answers on its own
                return
            channel.sendall(handoff.OK)
        client.setblocking(False)
        try:
            self._open(client, subscription)
        except psycopg.Error as exc:
            # Every read happens before the stream joins: this client is still to be answered.
            self._refuse(client, subscription, errors.ConnectionError_())
            if not connection_lost(exc):
                raise
            log.error("stream process: lost the database connection: %s", _one_line(exc))
            self._lose_database(errors.ClientError(details=_one_line(exc)))

    def _open(self, client: socket.socket, subscription: Subscription) -> None:
        """A new stream, or a reconnect resuming one: its response, then its first events."""
        feed = self.feed
        if feed is None:
            return self._refuse(client, subscription, errors.ConnectionError_())
        try:
            if not feed.watched(subscription.schema, subscription.table):
                return self._refuse(client, subscription, errors.NotImplementedFeature(
                    details=f"Changes of {subscription.schema}.{subscription.table} are not captured",
                    hint=f"SELECT pgrestd_live.watch('{subscription.schema}.{subscription.table}')"))
        except psycopg.Error as exc:
            if connection_lost(exc):
                raise
            log.error("cannot read pgrestd_live (conf/live.sql, pgrestd_live.allow): %s", _one_line(exc))
            return self._refuse(client, subscription, errors.LiveUnavailable(
                details="The change capture (conf/live.sql) is not installed or not allowed to pgrestd"))
        resumed = self._resume(client, subscription)
        if resumed:
            return None  # its missed events went out
        rows: Rows = {}
        if subscription.initial_sql is not None:
            try:
                rows = feed.read(subscription, feed.snapshot, None)
            except psycopg.Error as exc:
                if connection_lost(exc):
                    raise
                return self._refuse(client, subscription, map_database_error(exc, subscription.authenticated))
        stream = Stream(subscription, client)
        self._join(stream)
        if resumed is False:  # else a reset went out with the head
            self._write(stream, subscription.head)
        if subscription.initial_sql is None:
            self._write(stream, f"id: {stream.token}.0\n\n".encode())
        else:
            data = [{"key": key, "row": row} for key, row in rows.values()]
            self._write(stream, frame("rows", data, f"{stream.token}.0"))
        return None

    def _resume(self, client: socket.socket, subscription: Subscription) -> bool | None:
        """True: resumed. None: a reset was sent (a new stream follows). False: nothing to resume."""
        last = subscription.last_event_id
        if not last:
            return False
        token, _, seen = last.partition(".")
        stream = self.streams.get(token)
        missed = None
        if stream is not None and stream.subscription.identity == subscription.identity and seen.isdigit():
            missed = stream.missed(int(seen))
        if missed is None:
            self._write_raw(client, subscription.head + frame("reset", {
                "message": "The events since Last-Event-ID are no longer available",
                "hint": "Discard what you have; the current rows follow"}, ""))
            return None
        assert stream is not None
        if stream.sock is not None:
            self._detach(stream)  # the same client, come back before its old connection was noticed gone
        self._leave(stream)
        stream.subscription = subscription
        stream.sock = client
        self._join(stream)
        self._write(stream, subscription.head + b"".join(missed))
        return True

    def _refuse(self, client: socket.socket, subscription: Subscription, error: errors.ApiError) -> None:
        response = error_response(error, subscription.verbose)
        headers = [*response.headers.items(), *subscription.error_headers]
        self._write_raw(client, http_response(response.status, headers, response.body))
        client.close()

    @staticmethod
    def _write_raw(client: socket.socket, data: bytes) -> None:
        try:
            client.setblocking(True)
            client.settimeout(1.0)
            client.sendall(data)
            client.setblocking(False)
        except OSError:
            pass

    # -- streams ----------------------------------------------------------------------

    def _join(self, stream: Stream) -> None:
        subscription = stream.subscription
        reads = subscription.reads
        group = self.groups.get(reads)
        if group is None:
            group = self.groups[reads] = {}
            self.by_relation.setdefault(subscription.relation, set()).add(reads)
        elif group:
            # Equal reads mean equal settings (claims, headers): a thousand such streams share one copy.
            stream.subscription = next(iter(group.values())).subscription
        group[stream.token] = stream
        self.streams[stream.token] = stream
        if stream.sock is not None:
            self.attached += 1
            self.selector.register(stream.sock, selectors.EVENT_READ, lambda mask: self._on_client(stream, mask))

    def _leave(self, stream: Stream) -> None:
        reads = stream.subscription.reads
        group = self.groups.get(reads, {})
        group.pop(stream.token, None)
        if not group:
            self.groups.pop(reads, None)
            relation = stream.subscription.relation
            readers = self.by_relation.get(relation, set())
            readers.discard(reads)
            if not readers:
                self.by_relation.pop(relation, None)

    def _on_client(self, stream: Stream, mask: int) -> None:
        sock = stream.sock
        if sock is None:
            return
        if mask & selectors.EVENT_READ:
            try:
                data = sock.recv(4096)
            except BlockingIOError:
                data = b"-"
            except OSError:
                data = b""
            if not data:  # the client went away: keep collecting for a reconnect
                self._detach(stream)
                stream.parked_until = time.monotonic() + self.retention
                return
        if mask & selectors.EVENT_WRITE:
            self._flush(stream)

    def _emit(self, stream: Stream, event: str, data: bytes) -> None:
        chunk = frame(event, data, stream.next_id())
        stream.journal.append((stream.seq, chunk))
        self._write(stream, chunk)

    def _write(self, stream: Stream, data: bytes) -> None:
        if stream.sock is None:
            return
        stream.out += data
        self._flush(stream)

    def _flush(self, stream: Stream) -> None:
        sock = stream.sock
        assert sock is not None
        try:
            while stream.out:
                sent = sock.send(stream.out)
                del stream.out[:sent]
        except BlockingIOError:
            pass
        except OSError:
            self._detach(stream)
            stream.parked_until = time.monotonic() + self.retention
            return
        if len(stream.out) > _BEHIND:
            log.warning("live stream %s dropped: its client is %d bytes behind", stream.token, len(stream.out))
            self._forget(stream)
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if stream.out else 0)
        if self.selector.get_key(sock).events != events:
            self.selector.modify(sock, events, self.selector.get_key(sock).data)

    def _detach(self, stream: Stream) -> None:
        sock, stream.sock = stream.sock, None
        if sock is None:
            return
        self.attached -= 1
        stream.out.clear()
        try:
            self.selector.unregister(sock)
        except (KeyError, ValueError):
            pass
        sock.close()

    def _forget(self, stream: Stream) -> None:
        self._detach(stream)
        self._leave(stream)
        self.streams.pop(stream.token, None)

    def _end(self, stream: Stream, event: str, error: errors.ApiError) -> None:
        """The last frame, then the stream is gone. ``reset`` clears the client's id: it starts over."""
        body = error.body(stream.subscription.verbose)
        self._write(stream, frame(event, body, "" if event == "reset" else None))
        if stream.sock is not None:
            self._write_raw(stream.sock, bytes(stream.out))
        self._forget(stream)

    def _reset(self, stream: Stream, why: str) -> None:
        self._end(stream, "reset", errors.ApiError(why, hint="Discard what you have and reconnect"))

    def _shutdown(self) -> None:
        log.info("stream process: closing %d stream(s)", self.attached)
        deadline = time.monotonic() + _END_WAIT
        ending = errors.ApiError("The server is shutting down", hint="Reconnect")
        for stream in list(self.streams.values()):
            if stream.sock is not None:
                stream.out += frame("end", ending.body(stream.subscription.verbose))
        for stream in list(self.streams.values()):
            if stream.sock is not None and time.monotonic() < deadline:
                self._write_raw(stream.sock, bytes(stream.out))
            self._forget(stream)
        if self.feed is not None:
            self.feed.close()
        self.listening.close()
        if os.path.exists(self.path):
            os.unlink(self.path)


def _events(keys: dict[str, str], key_columns: tuple[str, ...], before: Rows,
            after: Rows) -> list[tuple[str, bytes]]:
    """What a group's streams are told: a row that appears is an insert, one that stays an update,
    one that disappears a delete (its key only); a row the role saw neither before nor after is nothing."""
    events = []
    for text in keys:
        key, key_object = log_key(text, key_columns)
        old, new = before.get(key), after.get(key)
        if new is not None:
            events.append(("update" if old is not None else "insert",
                           orjson.dumps({"key": new[0], "row": new[1]})))
        elif old is not None:
            events.append(("delete", orjson.dumps({"key": key_object})))
    return events


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _raise_file_limit() -> None:
    """Every stream is a socket: take the hard limit of open files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: list[str]) -> int:
    """``python -m pgrestd.live SOCKET``; the configuration arrives pickled on stdin."""
    config: Config = pickle.load(sys.stdin.buffer)
    setup_logging(config.log_level)
    _raise_file_limit()
    StreamServer(config, argv[1]).run()
    return 0
