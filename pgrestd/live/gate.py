"""The worker's side of a live stream: check and plan it like a GET, then give the connection away.

Everything a GET would refuse (a bad query string, a bad token, an unknown column) is refused here,
as JSON, by the worker. A stream it accepts leaves the worker at once: the client's socket goes to
the stream process (:mod:`.handoff`), and the worker's own file descriptor number is pointed at a
closed socket pair, so what Gunicorn writes and closes afterwards reaches nothing (a write fails
with EPIPE, which Gunicorn logs at debug level) while the stream process holds the connection.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import time
from collections.abc import Mapping
from typing import Any

import orjson

from .. import errors, metrics
from ..cors import cors_headers
from ..media import parse_accept
from ..pipeline import Pipeline
from ..response import Response
from . import handoff
from .sse import stream_head
from .subscription import subscribe

__all__ = ["LiveGate", "live_gate", "wants_stream"]

log = logging.getLogger("pgrestd.live")

_EVENT_STREAM = "text/event-stream"


def wants_stream(method: str, headers: Mapping[str, str]) -> bool:
    """A GET whose Accept prefers text/event-stream (with a q above 0), in PostgREST's order of
    preference (media.parse_accept): ``application/json, text/event-stream`` asks for JSON."""
    accept = headers.get("accept", "")
    if method != "GET" or _EVENT_STREAM not in accept.lower():
        return False
    preferred = parse_accept(accept)
    if not preferred or preferred[0].mime.lower() != _EVENT_STREAM:
        return False
    for part in accept.split(","):
        media, _, params = part.partition(";")
        if media.strip().lower() == _EVENT_STREAM:
            return _quality(params) > 0
    return False


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def live_gate(pipeline: Pipeline) -> LiveGate | None:
    """The gate, when live-enabled and a stream process was started for this server (the ``pgrestd`` command)."""
    path = handoff.endpoint()
    if not pipeline.config.live_enabled:
        return None
    if path is None:
        log.warning("live-enabled needs the pgrestd command, which starts the stream process; "
                    "Accept: text/event-stream gets 503")
    return LiveGate(pipeline, path)


class LiveGate:
    __slots__ = ("path", "pipeline")

    def __init__(self, pipeline: Pipeline, path: str | None) -> None:
        self.pipeline = pipeline
        self.path = path

    def respond(self, env: dict[str, Any], path: str, query_string: str, headers: Mapping[str, str]) -> Response:
        """The response the adapter writes: an error, or an empty 200 that goes nowhere once handed off."""
        started = time.perf_counter()
        pipeline = self.pipeline
        cors = cors_headers(headers.get("origin"), pipeline.cors_origins)
        try:
            response = self._hand_off(env, path, query_string, headers, cors)
        except errors.ApiError as exc:
            response = pipeline.refuse(exc)
            response.headers.update(cors)
        except Exception:
            # A bug, not a client or database error: PostgREST's shape and a log line, as Pipeline.respond.
            log.exception("internal error on a live stream's GET %s%s", path, "?" + query_string if query_string else "")
            response = pipeline.refuse(errors.ApiError())
            response.headers.update(cors)
        metrics.request_done("GET", response.status, time.perf_counter() - started)
        return response

    def _hand_off(self, env: dict[str, Any], path: str, query_string: str, headers: Mapping[str, str],
                  cors: dict[str, str]) -> Response:
        pipeline = self.pipeline
        # Planned as the JSON read whose rows the events carry.
        as_json = {**headers, "accept": "application/json"}
        request, auth, plan, tx = pipeline.plan_stream(path, query_string, as_json)
        client = env.get("gunicorn.socket")
        if self.path is None or client is None or isinstance(client, ssl.SSLSocket):
            # A TLS session cannot change process; nor can a socket we were not given.
            raise errors.LiveUnavailable(details="Live streams need the pgrestd command, without TLS")
        subscription = subscribe(
            request, auth, plan, tx, orjson.loads(auth.claims_json or "{}"),
            head=stream_head(cors.items()), error_headers=tuple(cors.items()), verbose=pipeline.verbose)
        try:
            answer = handoff.send(self.path, client.fileno(), subscription)
        except handoff.HandoffError as exc:
            log.error("could not hand a live stream over: %s", exc)
            raise errors.LiveUnavailable(details="The stream process is not running; try again") from exc
        if answer == handoff.FULL:
            raise errors.LiveUnavailable(details="The server holds live-max-streams streams already")
        _let_go(client)
        response = Response(200, {"Content-Type": _EVENT_STREAM}, b"")
        response.role = auth.role
        return response


def _let_go(client: socket.socket) -> None:
    """Point the worker's descriptor of the client at a closed socket pair: the stream process owns the client now."""
    here, there = socket.socketpair()
    try:
        os.dup2(here.fileno(), client.fileno())
    finally:
        here.close()
        there.close()
