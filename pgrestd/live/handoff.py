"""A worker hands a client's socket and its subscription to the stream process over a Unix socket.

The file descriptor travels as SCM_RIGHTS ancillary data (``socket.send_fds``); the subscription
as a length-prefixed pickle. Both ends are pgrestd's own processes, under a directory only
pgrestd's user may enter. The stream process answers ``ok``, or ``full`` at live-max-streams.
"""

from __future__ import annotations

import pickle
import socket
import struct
import time

from .subscription import Subscription

__all__ = ["FULL", "OK", "HandoffError", "endpoint", "receive", "send", "set_endpoint"]

OK, FULL = b"ok", b"full"
# The stream process's socket: set in the master before it forks, so every worker knows it.
_endpoint: str | None = None
_LENGTH = struct.Struct("!I")
_TIMEOUT = 5.0
_RESTARTING = 1.0


class HandoffError(Exception):
    """The stream process could not be reached or did not answer."""


def endpoint() -> str | None:
    return _endpoint


def set_endpoint(path: str | None) -> None:
    global _endpoint
    _endpoint = path


def send(path: str, fd: int, subscription: Subscription) -> bytes:
    """Pass ``fd`` and ``subscription``; the stream process's answer (OK or FULL)."""
    payload = pickle.dumps(subscription, protocol=pickle.HIGHEST_PROTOCOL)
    message = _LENGTH.pack(len(payload)) + payload
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as channel:
            channel.settimeout(_TIMEOUT)
            _connect(channel, path)
            sent = socket.send_fds(channel, [message], [fd])
            if sent < len(message):  # (sendall sends even nothing, and the peer may have closed by then)
                channel.sendall(message[sent:])
            answer = channel.recv(16)
    except OSError as exc:
        raise HandoffError(str(exc)) from exc
    if answer not in (OK, FULL):
        raise HandoffError(f"unexpected answer {answer!r}")
    return answer


def _connect(channel: socket.socket, path: str) -> None:
    """Connect, waiting up to a second for a stream process that is (re)starting."""
    deadline = time.monotonic() + _RESTARTING
    while True:
        try:
            channel.connect(path)
            return
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def receive(channel: socket.socket) -> tuple[int, Subscription]:
    """Read one hand-off from an accepted ``channel`` (blocking, with a timeout); the caller answers."""
    channel.settimeout(_TIMEOUT)
    data, fds, _flags, _addr = socket.recv_fds(channel, 1 << 16, 1)
    if len(fds) != 1:
        for fd in fds:
            socket.close(fd)
        raise HandoffError("a hand-off without exactly one socket")
    try:
        while len(data) < _LENGTH.size:
            data += _recv(channel)
        (length,) = _LENGTH.unpack_from(data)
        while len(data) < _LENGTH.size + length:
            data += _recv(channel)
        subscription = pickle.loads(data[_LENGTH.size:_LENGTH.size + length])
    except BaseException:
        socket.close(fds[0])
        raise
    return fds[0], subscription


def _recv(channel: socket.socket) -> bytes:
    chunk = channel.recv(1 << 16)
    if not chunk:
        raise HandoffError("the worker closed the hand-off early")
    return chunk
