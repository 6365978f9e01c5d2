"""Slow clients behind nginx: a sync worker never waits on a client that trickles its request.

Straight to Gunicorn, three connections that send a header byte by byte hold
the three sync workers. Behind ``deploy/nginx.conf`` nginx reads (buffers) the
whole request before it picks a worker, so ordinary requests keep their pace.
"""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest
import requests

from tests.support import Nginx

pytestmark = pytest.mark.skipif(not os.access(Nginx.BINARY, os.X_OK),
                                reason="needs nginx (make test installs it from Debian)")


def _slowloris(port: int, stop: threading.Event) -> None:
    """A request whose header arrives one byte every 0.2 s, never finished while the test runs."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"GET /films HTTP/1.1\r\nHost: x\r\n")
        while not stop.is_set():
            s.sendall(b"X")
            stop.wait(0.2)


def test_slow_clients_do_not_hold_the_workers_behind_nginx(pgrestd_server_factory, demo_settings):
    server = pgrestd_server_factory(None, {**demo_settings, "server-workers": 3, "log-level": "warn"})
    nginx = Nginx([server.port])
    stop = threading.Event()
    slow = [threading.Thread(target=_slowloris, args=(nginx.port, stop), daemon=True) for _ in range(12)]
    try:
        for t in slow:
            t.start()
        time.sleep(1)
        started = time.monotonic()
        answers = [requests.get(nginx.url + "/films?select=id&limit=1", timeout=5).status_code for _ in range(30)]
        elapsed = time.monotonic() - started
        assert answers == [200] * 30
        assert elapsed < 5, f"30 requests took {elapsed:.1f}s beside 12 slow clients"
    finally:
        stop.set()
        for t in slow:
            t.join(timeout=5)
        nginx.stop()
        server.stop()
