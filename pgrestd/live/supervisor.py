"""The master's side of live streams: start the stream process, restart it when it dies, stop it last.

The stream process is a fresh interpreter (``python -m pgrestd.live``), not a fork of the master:
it inherits neither Gunicorn's signal handlers nor its listening sockets, and it needs no schema
cache (the workers plan every stream). Its socket lives in a private directory made once per
master, whose path the workers inherit when they are forked (:func:`.handoff.set_endpoint`).

A reload (SIGHUP) leaves it running, so streams stay open; it is restarted only when a setting
it uses changed (the database, live-retention, live-max-streams, log-level). Gunicorn's master
reaps every child, ours included: the supervising thread learns of the exit from ``Popen.wait``
either way, and starts a new one after a second.
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from ..config import Config
from . import handoff

__all__ = ["Supervisor"]

log = logging.getLogger("pgrestd.live")

_RESTART_AFTER = 1.0
_STOP_WAIT = 5.0
_READY_WAIT = 10.0


def _uses(config: Config) -> tuple[object, ...]:
    """The settings the stream process reads: a reload that changes one restarts it."""
    return (config.db_channel_uri or config.db_uri, config.live_retention, config.live_max_streams,
            config.log_level)


class Supervisor(threading.Thread):
    def __init__(self, config: Config) -> None:
        super().__init__(name="pgrestd-live-supervisor", daemon=True)
        self.config = config
        self.directory = tempfile.mkdtemp(prefix="pgrestd-live-")
        self.path = os.path.join(self.directory, "streams.sock")
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        handoff.set_endpoint(self.path)

    def start(self) -> None:
        """Start supervising, and wait (up to 10 s) for the stream process's socket: the workers forked next use it."""
        super().start()
        deadline = time.monotonic() + _READY_WAIT
        while not os.path.exists(self.path) and time.monotonic() < deadline:
            time.sleep(0.02)

    def run(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                if self._stopping.is_set():
                    break
                self._process = process = self._spawn()
            code = process.wait()
            if not self._stopping.is_set():
                log.error("the stream process exited with %s; starting another", code)
                self._stopping.wait(_RESTART_AFTER)

    def _spawn(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen([sys.executable, "-m", "pgrestd.live", self.path], stdin=subprocess.PIPE,
                                   close_fds=True)
        assert process.stdin is not None
        process.stdin.write(pickle.dumps(self.config))
        process.stdin.close()
        return process

    def reconfigure(self, config: Config) -> None:
        """After a reload: restart the stream process if a setting it uses changed (its streams end cleanly)."""
        changed = _uses(config) != _uses(self.config)
        self.config = config
        if changed:
            log.info("live settings changed; restarting the stream process")
            self._terminate()

    def stop(self) -> None:
        """Stop for good: the streams get their last event, and the directory goes."""
        self._stopping.set()
        self._terminate()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _terminate(self) -> None:
        with self._lock:
            process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(_STOP_WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
