"""The Falcon adapter: receive a request, read its body, hand it to the pipeline, write the response."""

from __future__ import annotations

from typing import Any

import falcon

from . import errors
from .config import Config
from .live.gate import live_gate, wants_stream
from .pipeline import Pipeline
from .response import Response
from .state import STATE, ProcessState

__all__ = ["PgrestdApp", "create_app"]


class Sink:
    """Falcon's sink for every path: the pipeline decides what the path means."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.body_limit = pipeline.config.server_max_body_size
        self.live = live_gate(pipeline)  # GET with Accept: text/event-stream, when live-enabled

    def __call__(self, req: falcon.Request, resp: falcon.Response, **_: Any) -> None:
        headers = _headers(req.env)
        if self.live is not None and wants_stream(req.method, headers):
            response = self.live.respond(req.env, req.path, req.query_string, headers)
        else:
            response = self.pipeline.respond(req.method, req.path, req.query_string, headers,
                                             lambda: self._read_body(req, headers), port=req.env.get("SERVER_PORT"))
        if response.role is not None:
            req.env["pgrestd.role"] = response.role  # the access log's user field
        _write(req, resp, response)

    def _read_body(self, req: falcon.Request, headers: dict[str, str]) -> bytes:
        """The request body, refused with 413 beyond ``server-max-body-size`` (0: no limit)."""
        length = req.content_length
        if not length and "transfer-encoding" not in headers:
            return b""
        limit = self.body_limit
        if limit and length is not None and length > limit:
            raise errors.PayloadTooLarge(limit)
        # Falcon's bounded stream needs a Content-Length; a chunked body is
        # read from the server's stream, which ends where the chunks do.
        stream = req.bounded_stream if length is not None else req.stream
        data = stream.read(limit + 1) if limit else stream.read()
        if limit and len(data) > limit:
            raise errors.PayloadTooLarge(limit)
        return data


def _headers(env: dict[str, Any]) -> dict[str, str]:
    """The request headers with lower-case names, read from the WSGI environ in one pass.

    What Falcon's ``req.headers`` holds, without building it and lower-casing a copy.
    """
    headers = {name[5:].replace("_", "-").lower(): value for name, value in env.items() if name.startswith("HTTP_")}
    for name, key in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
        if name in env:
            headers[key] = env[name]
    return headers


# The environ key of a response's further header lines (Response.more_headers), for PgrestdApp.
_MORE_HEADERS = "pgrestd.more_headers"


def _wsgi_value(value: str) -> str:
    if value.isascii():
        return value
    # WSGI carries header bytes as latin-1 text; PostgREST sends UTF-8 bytes.
    return value.encode("utf-8", "surrogateescape").decode("latin-1")


def _write(req: falcon.Request, resp: falcon.Response, response: Response) -> None:
    resp.status = f"{response.status} {response.reason}" if response.reason else response.status
    for name, value in response.headers.items():
        if name.lower() == "set-cookie":
            # Falcon refuses set_header for it; appended, each value is a line of its own.
            resp.append_header(name, _wsgi_value(value))
        else:
            resp.set_header(name, _wsgi_value(value))
    if response.more_headers:
        req.env[_MORE_HEADERS] = [(name, _wsgi_value(value)) for name, value in response.more_headers]
    if req.method != "HEAD":
        resp.data = response.body
    elif response.status >= 400 or response.body:
        resp.content_length = len(response.body)
    else:
        # PostgREST sends no Content-Length on HEAD (Response.hs: cLHeader is
        # empty for headersOnly); an empty iterable keeps Falcon from adding one.
        resp.stream = ()


class PgrestdApp(falcon.App):
    """Falcon's App with a handle on the pipeline, for the worker-exit hook."""

    pgrestd_api: Pipeline

    def __call__(self, env: dict[str, Any], start_response: Any) -> Any:  # type: ignore[override]
        """Falcon's, with the response's further lines of a header name added to what it sends.

        Falcon keeps one line per header name (joining appended values with commas, Set-Cookie
        aside); PostgREST sends each ``response.headers`` entry as a line of its own.
        """

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            more = env.get(_MORE_HEADERS)
            return start_response(status, headers + more if more else headers, exc_info)

        return super().__call__(env, start)


def create_app(config: Config, state: ProcessState = STATE, workers: int = 1) -> PgrestdApp:
    pipeline = Pipeline(config, state, workers)
    # No default Content-Type: a response without a body (a write's 201/204) sends none, as PostgREST.
    app = PgrestdApp(media_type=None)
    app.req_options.auto_parse_qs_csv = False
    app.req_options.strip_url_path_trailing_slash = False
    app.add_sink(Sink(pipeline), prefix="/")
    app.pgrestd_api = pipeline
    return app
