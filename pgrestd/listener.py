"""The master's database watcher: LISTEN for reload requests and track reachability.

PostgREST reloads its schema cache on ``NOTIFY pgrst, 'reload schema'`` and
its configuration on ``'reload config'``; both become a SIGHUP to the master,
which reloads configuration and catalog and rolls the workers.  While the
database is unreachable the watcher retries with exponential backoff (1 s to
32 s, as PostgREST does) and clears the shared ``database_up`` flag so workers
answer 503 at once instead of waiting on their pools.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Callable

import psycopg
from psycopg import sql

from .state import STATE

__all__ = ["DatabaseWatcher"]

log = logging.getLogger("pgrestd.listener")

_MAX_BACKOFF = 32.0


class DatabaseWatcher(threading.Thread):
    def __init__(self, conninfo: str, channel: str | None,
                 request_reload: Callable[[str], None] | None = None) -> None:
        super().__init__(name="pgrestd-db-watcher", daemon=True)
        self.conninfo = conninfo
        self.channel = channel
        self.request_reload = request_reload or _sighup_self
        self._stop_event = threading.Event()
        # The watcher's socket, as (fd, inode): a forked worker replaces it by
        # /dev/null so that its exit cannot close the master's session.
        self.socket_identity: tuple[int, int] | None = None

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        backoff = 1.0
        first = True
        while not self._stop_event.is_set():
            try:
                # The connection is a local on purpose: no object that a forked
                # child could finalise holds it.
                conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5,
                                       application_name="pgrestd listener")
            except psycopg.Error as exc:
                if STATE.database_up or first:
                    log.error("database unreachable, retrying in %.0fs: %s", backoff, _one_line(exc))
                STATE.database_up = False
                first = False
                self._stop_event.wait(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
                continue
            was_down = not STATE.database_up
            backoff = 1.0
            first = False
            STATE.database_up = True
            fd = conn.fileno()
            self.socket_identity = (fd, os.fstat(fd).st_ino)
            try:
                if was_down or STATE.catalog is None:
                    log.info("database reachable again; reloading the schema cache")
                    self.request_reload("reconnected")
                self._watch(conn)
            except psycopg.Error as exc:
                if not self._stop_event.is_set():
                    log.error("lost the database connection: %s", _one_line(exc))
                    STATE.database_up = False
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
