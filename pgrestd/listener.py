"""The master's database watcher: LISTEN for reload requests and track reachability.

PostgREST reloads its schema cache on ``NOTIFY pgrst, 'reload schema'`` and
its configuration on ``'reload config'``; both become a SIGHUP to the master,
which reloads configuration and catalog and rolls the workers.  While the
database is unreachable the watcher clears the shared ``database_up`` flag,
so workers answer 503 at once instead of waiting on their pools, and tries
again twice a second, so service resumes within a second of the database's
return (PostgREST backs off up to 32 s; one connection attempt per half
second from one process costs the database nothing).  Back again, it
reloads the schema cache only when the schema changed meanwhile: a restart
of the database leaves the workers serving.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import Callable

import psycopg
from psycopg import sql

from .state import STATE

__all__ = ["DatabaseWatcher"]

log = logging.getLogger("pgrestd.listener")

_RETRY_EVERY = 0.5


class DatabaseWatcher(threading.Thread):
    def __init__(self, conninfo: str, channel: str | None,
                 request_reload: Callable[[str], None] | None = None,
                 schema_changed: Callable[[], bool] = lambda: True) -> None:
        super().__init__(name="pgrestd-db-watcher", daemon=True)
        self.conninfo = conninfo
        self.channel = channel
        self.request_reload = request_reload or _sighup_self
        self.schema_changed = schema_changed
        self._stop_event = threading.Event()
        # The watcher's socket, as (fd, inode): a forked worker replaces it by
        # /dev/null so that its exit cannot close the master's session.
        self.socket_identity: tuple[int, int] | None = None

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        first = True
        down_since: float | None = None
        while not self._stop_event.is_set():
            try:
                # The connection is a local on purpose: no object that a forked
                # child could finalise holds it.
                conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5,
                                       application_name="pgrestd listener")
            except psycopg.Error as exc:
                if down_since is None:
                    log.error("database unreachable, retrying every %.1fs: %s", _RETRY_EVERY, _one_line(exc))
                    down_since = time.monotonic()
                STATE.database_up = False
                self._stop_event.wait(_RETRY_EVERY)
                continue
            STATE.database_up = True
            fd = conn.fileno()
            self.socket_identity = (fd, os.fstat(fd).st_ino)
            try:
                if first and STATE.catalog is None:
                    self.request_reload("connected")
                elif down_since is not None:
                    STATE.database_returned()
                    away = f" after {time.monotonic() - down_since:.1f}s" if down_since is not None else ""
                    if self.schema_changed():
                        log.warning("database reachable again%s; the schema changed, reloading", away)
                        self.request_reload("reconnected")
                    else:
                        log.warning("database reachable again%s; schema unchanged", away)
                first = False
                down_since = None
                self._watch(conn)
            except psycopg.Error as exc:
                if not self._stop_event.is_set():
                    log.error("lost the database connection: %s", _one_line(exc))
                    STATE.database_up = False
                    down_since = time.monotonic()
            finally:
                self.socket_identity = None
                conn.close()

    def _watch(self, conn: psycopg.Connection) -> None:
        if self.channel:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            log.info("listening for notifications on channel %r", self.channel)
        while not self._stop_event.is_set():
            if not self.channel:
                # No channel: a cheap probe every second keeps reachability current.
                self._stop_event.wait(1.0)
                conn.execute("SELECT 1")
                continue
            for notify in conn.notifies(timeout=1.0):
                payload = notify.payload.strip()
                if payload in ("", "reload schema", "reload config"):
                    log.info("received %r on channel %r", payload or "reload schema", self.channel)
                    self.request_reload(payload or "reload schema")
                else:
                    log.warning("ignored notification %r on channel %r", payload, self.channel)


def detach_in_child(watcher: DatabaseWatcher | None) -> None:
    """In a freshly forked worker, point the inherited watcher socket at /dev/null."""
    if watcher is None or watcher.socket_identity is None:
        return
    fd, inode = watcher.socket_identity
    try:
        if os.fstat(fd).st_ino != inode:
            return
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass


def _sighup_self(_reason: str) -> None:
    os.kill(os.getpid(), signal.SIGHUP)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
