"""The wire format of a live stream: the HTTP response the stream process writes, and SSE frames.

Server-Sent Events (WHATWG HTML, §9.2 "Server-sent events"): UTF-8 text, one ``field: value`` per
line, a blank line ends an event; a line starting with ``:`` is a comment (the heartbeat). The
response has no Content-Length: the event stream ends when the connection does (RFC 9112 §6.3).
"""

from __future__ import annotations

from collections.abc import Iterable
from email.utils import formatdate
from http import HTTPStatus

import orjson

__all__ = ["HEARTBEAT", "RETRY_MS", "frame", "http_response", "stream_head"]

# How long EventSource waits before it reconnects (the ``retry`` field), in milliseconds.
RETRY_MS = 2000
HEARTBEAT = b":\n\n"


def stream_head(extra: Iterable[tuple[str, str]]) -> bytes:
    """The 200 response's head, up to the blank line; the first frame tells EventSource when to retry.

    ``X-Accel-Buffering: no`` keeps nginx from buffering the stream; ``Cache-Control: no-cache``
    keeps caches from storing it (the SSE specification's advice).
    """
    headers = [
        ("Content-Type", "text/event-stream; charset=utf-8"),
        ("Cache-Control", "no-cache"),
        ("Connection", "keep-alive"),
        ("X-Accel-Buffering", "no"),
        ("Vary", "Accept, Authorization"),
        *extra,
    ]
    return _head(200, headers) + f"retry: {RETRY_MS}\n\n".encode()


def http_response(status: int, headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """A whole response that closes the connection: an error the stream process answers itself."""
    return _head(status, [*headers, ("Content-Length", str(len(body))), ("Connection", "close")]) + body


def _head(status: int, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", "Date: " + formatdate(usegmt=True)]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


def frame(event: str, data: object, event_id: str | None = None) -> bytes:
    """One event; ``data`` is JSON-encoded on one line (JSON escapes every newline it carries).

    ``event_id`` "" clears the client's last event id (``reset``: reconnect from scratch).
    """
    head = b"" if event_id is None else b"id: " + event_id.encode() + b"\n"
    body = data if isinstance(data, bytes) else orjson.dumps(data)
    return head + b"event: " + event.encode() + b"\ndata: " + body + b"\n\n"
