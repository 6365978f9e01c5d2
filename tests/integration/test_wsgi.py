"""``gunicorn pgrestd.wsgi`` with PGRESTD_CONFIG or PGRST_* variables alone; unix sockets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support import Server, free_port

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def _wait(url: str, timeout: float = 30.0) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return requests.get(url, timeout=2).status_code
        except requests.ConnectionError:
            time.sleep(0.1)
    return None


@pytest.mark.parametrize("mode", ["config-file", "env-only"])
def test_gunicorn_wsgi_module(mode, demo_settings, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGRST_")}
    if mode == "config-file":
        server = Server(dict(demo_settings), tmp_path)
        server.write_conf()
        env["PGRESTD_CONFIG"] = str(server.conf)
    else:
        for key, value in demo_settings.items():
            env["PGRST_" + key.upper().replace("-", "_")] = str(value)
    proc = subprocess.Popen([GUNICORN, "-w", "2", "-b", f"127.0.0.1:{port}", "pgrestd.wsgi"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        assert _wait(f"http://127.0.0.1:{port}/films") == 200
        assert len(requests.get(f"http://127.0.0.1:{port}/films", timeout=5).json()) == 12
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def test_unix_socket(demo_settings, tmp_path):
    sock = tmp_path / "pgrestd.sock"
    settings = dict(demo_settings, **{"server-unix-socket": str(sock), "server-unix-socket-mode": "600"})
    server = Server(settings, tmp_path)
    server.write_conf()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGRST_")}
    from tests.support import PGRESTD

    proc = subprocess.Popen([PGRESTD, str(server.conf)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        assert oct(sock.stat().st_mode & 0o777) == "0o600"
        import socket

        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(sock))
            s.sendall(b"GET /films HTTP/1.0\r\nHost: localhost\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.0 200") or head.startswith(b"HTTP/1.1 200")
        assert body.startswith(b"[")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
