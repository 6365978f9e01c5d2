"""Falcon wiring: one sink receives every request and runs it through the pipeline."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace
from http.cookies import SimpleCookie
from typing import Any, Callable

import falcon
import orjson
from psycopg.types.json import Json, Jsonb

from . import errors, openapi
from .auth.jwt import Authenticator, AuthResult
from .catalog import Catalog
from .config import Config
from .admin import admin_response
from .cors import cors_headers, preflight_headers
from .execute import Executor, Outcome, TxSpec
from .plan.cache import LruCache, QueryShape, encode_canonical_value, query_shape, sentinel
from .plan.call import CallTemplate, call_body_shape, plan_call
from .plan.mutate import MutatePlan, plan_mutation
from .plan.read import ReadTemplate, find_relation, plan_read
from .request import media as mt
from .request.api import ApiRequest, Target, build_api_request
from .request.grammar import parse_query
from .request.media import MediaType
from .request.model import QueryParams
from .request.payload import Payload, parse_payload
from .request.preferences import Count, Preferences, Transaction, parse_prefer
from .response import (
    Response,
    call_check,
    call_response,
    error_response,
    plan_response,
    read_response,
    write_check,
    write_response,
)
from .sql.call import BODY_SLOT, binds_body, bound_body, call_statement
from .sql.fragments import quote_ident
from .sql.mutate import mutate_statement
from .sql.prequery import settings_statement
from .sql.read import count_explain_statement, explain_statement, read_statement
from .state import STATE, ProcessState

__all__ = ["Api", "create_app", "server_timing"]

log = logging.getLogger("pgrestd.app")

_WRITE_METHODS = frozenset(("POST", "PATCH", "PUT", "DELETE"))
_SET_TIMEZONE = ", pg_catalog.set_config('timezone', %s, true)"


@dataclass(frozen=True, slots=True)
class Action:
    """A prepared request: the transaction to run (if any) and its renderer."""

    tx: TxSpec | None
    render: Callable[[Outcome | None], Response]


@dataclass(frozen=True, slots=True)
class WriteTemplate:
    """A planned write; requests of the same shape substitute their body at ``body_index``."""

    plan: MutatePlan
    sql: str
    params: tuple[object, ...]
    body_index: int | None
    body_type: type
    commit: bool
    check: Callable[[Outcome], None] | None
    timezone: str | None
    profile: str | None


_NO_PARAMS = QueryParams()


def _raw_json(body: bytes) -> bytes:
    """psycopg's Json ``dumps`` for a body that already is JSON text: sent as it came."""
    return body


class Api:
    """The pipeline of DESIGN.md §1: request → auth → plan → sql → execute → response."""

    def __init__(self, config: Config, state: ProcessState, workers: int = 1) -> None:
        self.config = config
        self.state = state
        self.workers = workers
        self.verbose = config.client_error_verbosity != "minimal"
        self.tx_override = config.db_tx_end.endswith("allow-override")
        self.cors_origins = tuple(config.server_cors_allowed_origins)
        self.admin_port = str(config.admin_server_port) if config.admin_server_port else None
        self.timing = config.server_timing_enabled
        self.trace_header = config.server_trace_header
        self.auth = Authenticator(
            secret=config.jwt_secret,
            secret_is_base64=config.jwt_secret_is_base64,
            audience=config.jwt_aud,
            role_claim_key=config.jwt_role_claim_key,
            anon_role=config.db_anon_role,
            cache_entries=config.jwt_cache_max_entries,
            cache_max_lifetime=config.jwt_cache_max_lifetime,
        )
        self.settings = settings_statement(dict(config.app_settings), config.db_pre_request)
        self._executor: Executor | None = None
        self._read_cache: LruCache[tuple[object, ...], ReadTemplate | None] = LruCache(1024)
        self._write_cache: LruCache[tuple[object, ...], WriteTemplate] = LruCache(256)
        self._search_paths: dict[str, str] = {}  # per exposed schema: the search_path setting
        self._call_cache: LruCache[tuple[object, ...], CallTemplate] = LruCache(1024)
        # Set by pgrestd.wsgi: without a Gunicorn master of ours, a worker that
        # started while the database was down loads the cache itself.
        self.retry_catalog: Callable[[], bool] | None = None
        self._next_retry = 0.0

    @property
    def executor(self) -> Executor:
        """Opened on first use, so the pool is created in the worker, after fork."""
        if self._executor is None:
            cfg = self.config
            self._executor = Executor(
                cfg.db_uri,
                math.ceil(cfg.db_pool / max(1, self.workers)),
                acquisition_timeout=cfg.db_pool_acquisition_timeout,
                max_lifetime=cfg.db_pool_max_lifetime,
                max_idle=cfg.db_pool_max_idletime,
                prepared=cfg.db_prepared_statements,
            )
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.close()

    # -- Falcon sink ---------------------------------------------------------

    def __call__(self, req: falcon.Request, resp: falcon.Response, **_: Any) -> None:
        origin = req.get_header("Origin")
        try:
            if self.admin_port is not None and req.env.get("SERVER_PORT") == self.admin_port:
                # The same workers serve the admin port; the listener tells them apart.
                response = admin_response(req.method, req.path, self.config, self.state)
            elif origin is not None and req.method == "OPTIONS" and req.get_header("Access-Control-Request-Method"):
                # A CORS preflight is answered before the pipeline, as wai-cors does.
                response = Response(200, preflight_headers(
                    origin, req.get_header("Access-Control-Request-Headers"), self.cors_origins))
            else:
                response = self.handle(req)
                if origin is not None:
                    response.headers.update(cors_headers(origin, self.cors_origins))
        except errors.ApiError as exc:
            response = error_response(exc, self.verbose)
        except Exception:
            # A bug, not a client or database error: say so in PostgREST's shape and log it.
            log.exception("internal error on %s %s", req.method, req.relative_uri)
            response = error_response(errors.ApiError(), self.verbose)
        if self.trace_header is not None:
            # server-trace-header: the request's trace id goes back on the response (PostgREST's traceHeaderMiddleware).
            trace = req.get_header(self.trace_header)
            if trace is not None:
                response.headers[self.trace_header] = trace
        resp.status = f"{response.status} {response.reason}" if response.reason else response.status
        for name, value in response.headers.items():
            if not value.isascii():
                # WSGI carries header bytes as latin-1 text; PostgREST sends UTF-8 bytes.
                value = value.encode("utf-8", "surrogateescape").decode("latin-1")
            resp.set_header(name, value)
        if req.method != "HEAD":
            resp.data = response.body
        elif response.status >= 400 or response.body:
            resp.content_length = len(response.body)
        else:
            # PostgREST sends no Content-Length on HEAD (Response.hs: cLHeader is
            # empty for headersOnly); an empty iterable keeps Falcon from adding one.
            resp.stream = ()

    def handle(self, req: falcon.Request) -> Response:
        catalog = self.state.catalog
        if catalog is None:
            catalog = self._retry_catalog()
        clock = time.perf_counter
        started = clock()
        headers = {k.lower(): v for k, v in req.headers.items()}
        body = self._read_body(req, headers)
        request = build_api_request(
            req.method, req.path, req.query_string, headers, body, self.config.db_schemas
        )
        parsed = clock()
        auth = self.auth.authenticate(headers.get("authorization"))
        req.env["pgrestd.role"] = auth.role
        authenticated = clock()
        action = self.prepare(request, auth, catalog)
        planned = clock()
        outcome = None if action.tx is None else self.executor.run(action.tx)
        ran = clock()
        response = action.render(outcome)
        if self.timing:
            timings = [("jwt", authenticated - parsed), ("parse", parsed - started)]
            if action.tx is not None:
                timings += [("plan", planned - authenticated), ("transaction", ran - planned)]
            timings.append(("response", clock() - ran))
            response.headers["Server-Timing"] = server_timing(timings)
        return response

    def prepare(self, request: ApiRequest, auth: AuthResult, catalog: Catalog) -> Action:
        """Everything but the database: the transaction to run and how to render its outcome."""
        kind = request.target.kind
        if request.method == "OPTIONS":
            allow = self._allowed_methods(request, catalog)
            return Action(None, lambda _: Response(200, {"Access-Control-Allow-Origin": "*", "Allow": allow}))
        if kind == "root":
            return self._root(request, auth, catalog)
        if kind == "relation" and request.method in ("GET", "HEAD"):
            return self._prepare_read(request, auth, catalog)
        if kind == "relation" and request.method in _WRITE_METHODS:
            return self._prepare_write(request, auth, catalog)
        if kind == "rpc":
            if request.method not in ("GET", "HEAD", "POST"):
                raise errors.InvalidRpcMethod(request.method)
            return self._prepare_call(request, auth, catalog)
        if request.method in ("GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"):
            raise errors.NotImplementedFeature(details=f"{request.method} on /{request.target.name}")
        raise errors.UnsupportedMethod(request.method)

    def _prepare_read(self, request: ApiRequest, auth: AuthResult, catalog: Catalog) -> Action:
        shape = query_shape(request.query_string)
        h = request.headers
        key = (request.method, request.schema, request.target.name,
               shape.key if shape is not None else request.query_string,
               h.get("accept"), h.get("range"), h.get("prefer"), id(catalog))
        template = self._read_cache.get_or_build(key, lambda: self._read_template(request, catalog, shape))
        if template is None or shape is None:
            # Not cacheable by shape (or no values to swap): plan with the real values.
            template = self._read_template(request, catalog, None)
            assert template is not None
            main_params, explain_params, location = template.params, template.explain_params, template.location
        else:
            main_params = template.fill(template.params, template.slots, shape)
            explain_params = template.fill(template.explain_params, template.explain_slots, shape)
            location = template.location
            for slot, raw in enumerate(shape.raw_values):
                location = location.replace(sentinel(slot), encode_canonical_value(raw))
        tx = self._tx(request, auth, template.sql, main_params, read_only=True)
        if template.timezone is not None:
            # As for writes: the preferred time zone for the transaction (an invalid one is 22023).
            tx = replace(tx, settings_sql=tx.settings_sql + _SET_TIMEZONE,
                         settings_params=tx.settings_params + (template.timezone,))
        if template.explain_sql is not None:
            tx = replace(tx, explain_sql=template.explain_sql, explain_params=explain_params)
        plan = template.plan
        if plan.explain is not None:
            return Action(replace(tx, explain=True), _plan_renderer(plan.explain))

        def render(outcome: Outcome | None) -> Response:
            assert outcome is not None
            return read_response(plan, outcome, location=location, profile=template.profile,
                                 preference_applied=template.applied, verbose=self.verbose)

        return Action(tx, render)

    def _read_template(self, request: ApiRequest, catalog: Catalog, shape: QueryShape | None) -> ReadTemplate | None:
        """Parse and plan a read; with a shape, plan its sentinel form and map the slots."""
        cfg = self.config
        if shape is not None:
            request = replace(request, query_string=shape.key)
        try:
            params = parse_query(request.query_string)
            prefs = self._preferences(request)
            plan = plan_read(request, params, prefs, catalog, max_rows=cfg.db_max_rows,
                             aggregates_enabled=cfg.db_aggregates_enabled, plan_enabled=cfg.db_plan_enabled,
                             legacy_target_names=cfg.url_use_legacy_target_names)
            prefs.validate()
        except errors.ApiError:
            if shape is not None:
                return None  # the real values decide the error
            raise
        sql, sql_params = read_statement(plan)
        explain_sql, explain_params = None, ()
        if plan.explain is not None:
            sql = explain_statement(plan.explain, sql)
        elif plan.count in (Count.PLANNED, Count.ESTIMATED):
            explain_sql, explain_params = count_explain_statement(plan)
        template = ReadTemplate(
            plan=plan, sql=sql, params=sql_params, explain_sql=explain_sql, explain_params=explain_params,
            location="/" + request.target.name + ("?" + params.canonical if params.canonical else ""),
            profile=request.schema if len(cfg.db_schemas) > 1 else None,
            applied=prefs.applied_for("read"), timezone=prefs.timezone,
        )
        if shape is not None:
            template = template.with_slots(len(shape.values))
        return template

    def _prepare_write(self, request: ApiRequest, auth: AuthResult, catalog: Catalog) -> Action:
        """POST, PATCH, PUT, DELETE on a table or view: one statement, committed as db-tx-end and Prefer say.

        Plans are cached by request shape: the same URL and headers with a
        body of the same keys only bind the new body.
        """
        params = parse_query(request.query_string) if request.query_string else _NO_PARAMS
        payload = None
        if request.method != "DELETE":
            columns = params.columns if request.method in ("POST", "PATCH") else None
            try:
                payload = parse_payload(request.body, request.headers.get("content-type"), columns=columns)
            except errors.ApiError:
                # Planning reports errors in PostgREST's order (a bad range before a bad body).
                self._write_template(request, params, None, catalog)
                raise
        h = request.headers
        key = (request.method, request.schema, request.target.name, request.query_string,
               h.get("content-type"), h.get("prefer"), h.get("accept"),
               payload.keys if payload else None, payload.is_object if payload else None, id(catalog))
        template = self._write_cache.get_or_build(
            key, lambda: self._write_template(request, params, payload, catalog))
        sql_params = template.params
        if template.body_index is not None and payload is not None:
            sql_params = list(sql_params)
            sql_params[template.body_index] = template.body_type(payload.raw, dumps=_raw_json)
            sql_params = tuple(sql_params)
        tx = self._tx(request, auth, template.sql, sql_params, read_only=False,
                      commit=template.commit, check=template.check)
        if template.timezone is not None:
            # PostgREST sets the preferred time zone for the transaction; an
            # invalid one is PostgreSQL's 22023.
            tx = replace(tx, settings_sql=tx.settings_sql + _SET_TIMEZONE,
                         settings_params=tx.settings_params + (template.timezone,))
        plan, profile = template.plan, template.profile
        if plan.explain is not None:
            return Action(replace(tx, explain=True), _plan_renderer(plan.explain))

        def render(outcome: Outcome | None) -> Response:
            assert outcome is not None
            return write_response(plan, outcome, profile=profile)

        return Action(tx, render)

    def _write_template(self, request: ApiRequest, params: QueryParams, payload: Payload | None,
                        catalog: Catalog) -> WriteTemplate:
        cfg = self.config
        prefs = self._preferences(request)
        plan = plan_mutation(request, params, prefs, catalog, plan_enabled=cfg.db_plan_enabled,
                             aggregates_enabled=cfg.db_aggregates_enabled,
                             legacy_target_names=cfg.url_use_legacy_target_names, payload=payload)
        sql, sql_params = mutate_statement(plan)
        if plan.explain is not None:
            sql = explain_statement(plan.explain, sql)
        body_index = next((i for i, p in enumerate(sql_params) if isinstance(p, (Json, Jsonb))), None)
        return WriteTemplate(
            plan=plan, sql=sql, params=sql_params, body_index=body_index,
            body_type=type(sql_params[body_index]) if body_index is not None else Json,
            commit=self._write_commits(prefs), check=None if plan.explain else write_check(plan),
            timezone=prefs.timezone,
            profile=request.schema if len(cfg.db_schemas) > 1 else None,
        )

    def _prepare_call(self, request: ApiRequest, auth: AuthResult, catalog: Catalog) -> Action:
        """GET, HEAD or POST on /rpc/{function}: the call and the read over its result, one statement.

        The transaction is read-only for GET and HEAD and for STABLE or
        IMMUTABLE functions, uses the function's isolation level and its
        hoisted SET clauses, and ends as db-tx-end and Prefer say.  Plans
        are cached by request shape: a POST with another JSON body of the
        same keys only binds its body.
        """
        shape = call_body_shape(request)
        if shape is None:
            template = self._call_template(request, catalog, None)
        else:
            h = request.headers
            key = ("call", request.method, request.schema, request.target.name, request.query_string,
                   h.get("accept"), h.get("range") if request.method == "GET" else None, h.get("prefer"),
                   h.get("content-type"), shape[0], id(catalog))
            template = self._call_cache.get_or_build(key, lambda: self._call_template(request, catalog, shape[1]))
            if not template.reusable:
                template = self._call_template(request, catalog, None)
        plan, prefs, params = template.plan, template.prefs, template.params
        if template.body_slot is not None:
            assert shape is not None
            params = params[:BODY_SLOT] + (bound_body(plan, shape[1]),) + params[BODY_SLOT + 1:]
        tx = self._tx(request, auth, template.sql, params, read_only=plan.read_only)
        tx = replace(tx, commit=self._write_commits(prefs), check=call_check(plan),
                     isolation_level=plan.isolation_level)
        extra_sql, extra_params = "", ()
        if prefs.timezone is not None:
            extra_sql, extra_params = _SET_TIMEZONE, (prefs.timezone,)
        for name, value in plan.settings:
            extra_sql += ", pg_catalog.set_config(%s, %s, true)"
            extra_params += (name, value)
        if extra_sql:
            tx = replace(tx, settings_sql=tx.settings_sql + extra_sql,
                         settings_params=tx.settings_params + extra_params)
        profile = request.schema if len(self.config.db_schemas) > 1 else None
        if plan.read.explain is not None:
            return Action(replace(tx, explain=True, check=None), _plan_renderer(plan.read.explain))

        def render(outcome: Outcome | None) -> Response:
            assert outcome is not None
            return call_response(plan, outcome, profile=profile)

        return Action(tx, render)

    def _call_template(self, request: ApiRequest, catalog: Catalog, body: bytes | None) -> CallTemplate:
        """Parse and plan a call; ``body`` is what :func:`call_body_shape` says gets bound, if known."""
        cfg = self.config
        params = parse_query(request.query_string, rpc_read=request.method != "POST")
        prefs = self._preferences(request)
        plan = plan_call(request, params, prefs, catalog, max_rows=cfg.db_max_rows,
                         aggregates_enabled=cfg.db_aggregates_enabled, plan_enabled=cfg.db_plan_enabled,
                         legacy_target_names=cfg.url_use_legacy_target_names,
                         hoisted_settings=cfg.db_hoisted_tx_settings)
        sql, sql_params = call_statement(plan)
        if plan.read.explain is not None:
            sql = explain_statement(plan.read.explain, sql)
        if not binds_body(plan):
            return CallTemplate(plan, sql, sql_params, prefs, None)
        if body is not None and plan.body == body:
            return CallTemplate(plan, sql, sql_params, prefs, BODY_SLOT)
        return CallTemplate(plan, sql, sql_params, prefs, None, reusable=False)

    def _write_commits(self, prefs: Preferences) -> bool:
        """MainTx.optionalRollback: ``tx=`` (only parsed with *-allow-override) wins over db-tx-end."""
        if prefs.tx is not None:
            return prefs.tx is Transaction.COMMIT
        return not self.config.db_tx_end.startswith("rollback")

    def _read_body(self, req: falcon.Request, headers: dict[str, str]) -> bytes:
        """The request body, refused with 413 beyond ``server-max-body-size`` (0: no limit)."""
        length = req.content_length
        chunked = "transfer-encoding" in headers
        if not length and not chunked:
            return b""
        limit = self.config.server_max_body_size
        if limit and length is not None and length > limit:
            raise errors.PayloadTooLarge(limit)
        # Falcon's bounded stream needs a Content-Length; a chunked body is
        # read from the server's stream, which ends where the chunks do.
        stream = req.bounded_stream if length is not None else req.stream
        data = stream.read(limit + 1) if limit else stream.read()
        if limit and len(data) > limit:
            raise errors.PayloadTooLarge(limit)
        return data

    def _preferences(self, request: ApiRequest) -> Preferences:
        header = request.headers.get("prefer")
        return parse_prefer([header] if header else [], allow_tx_override=self.tx_override)

    # -- helpers -------------------------------------------------------------

    @staticmethod
    def _allowed_methods(request: ApiRequest, catalog: Catalog) -> str:
        """The Allow header of an OPTIONS response (PostgREST's respondInfo)."""
        target = request.target
        if target.kind == "root":
            return "OPTIONS,GET,HEAD"
        if target.kind == "rpc":
            overloads = catalog.functions.get((request.schema, target.name))
            if not overloads:
                raise errors.NoRpc(f"Could not find the function {request.schema}.{target.name} in the schema cache")
            return "OPTIONS,POST" if overloads[0].volatility == "v" else "OPTIONS,GET,HEAD,POST"
        table = find_relation(catalog, request.schema, target.name)
        methods = ["OPTIONS,GET,HEAD"]
        if table.insertable:
            methods.append("POST")
        if table.insertable and table.updatable and table.primary_key:
            methods.append("PUT")
        if table.updatable:
            methods.append("PATCH")
        if table.deletable:
            methods.append("DELETE")
        return ",".join(methods)

    def _retry_catalog(self) -> Catalog:
        now = time.monotonic()
        if self.retry_catalog is not None and now >= self._next_retry:
            self._next_retry = now + 1.0
            self.retry_catalog()
        if self.state.catalog is None:
            raise errors.NoSchemaCache()
        return self.state.catalog

    def _tx(self, request: ApiRequest, auth: AuthResult, sql: str, params: tuple[object, ...],
            *, read_only: bool, **more: Any) -> TxSpec:
        search_path = self._search_paths.get(request.schema)
        if search_path is None:
            search_path = ", ".join(quote_ident(s) for s in (request.schema, *self.config.db_extra_search_path))
            self._search_paths[request.schema] = search_path
        cookies = _cookies(request.headers.get("cookie"))
        settings_params = self.settings.params(
            search_path, auth.role, auth.claims_json, request.method, request.path,
            orjson.dumps(dict(request.headers)).decode(), cookies,
        )
        return TxSpec(self.settings.sql, settings_params, self.settings.pre_request_sql,
                      sql, params, read_only=read_only, authenticated=auth.authenticated, **more)

    def _root(self, request: ApiRequest, auth: AuthResult, catalog: Catalog) -> Action:
        """The root path: the OpenAPI document (PostgREST's ActionInspect), or the db-root-spec function.

        The document's per-request part (schema description and, with
        openapi-mode follow-privileges, what the role may use) is read in
        the request's transaction, as the request's role (Query.openApiQuery).
        """
        cfg = self.config
        if cfg.db_root_spec:
            # ApiRequest.getResource: with db-root-spec, "/" is that function, called as on /rpc.
            name = cfg.db_root_spec.rpartition(".")[2]
            return self._prepare_call(replace(request, target=Target("rpc", name)), auth, catalog)
        if cfg.openapi_mode == "disabled":
            raise errors.OpenAPIDisabled()
        if request.method not in ("GET", "HEAD"):
            raise errors.UnsupportedMethod(request.method)
        mt.negotiate(mt.parse_accept(request.headers.get("accept")), mt.ROOT_HANDLERS)
        follow = cfg.openapi_mode == "follow-privileges"
        tx = self._tx(request, auth, openapi.ACCESS_SQL, (request.schema, follow), read_only=True)
        headers = {"Content-Type": mt.OPENAPI.content_type_header}
        if len(cfg.db_schemas) > 1:
            headers["Content-Profile"] = request.schema
        head = request.method == "HEAD"

        def render(outcome: Outcome | None) -> Response:
            assert outcome is not None
            if head:
                return Response(200, headers, b"")
            return Response(200, headers, self._openapi_body(outcome.body, request.schema, catalog, follow))

        return Action(tx, render)

    def _openapi_body(self, access_json: bytes, schema: str, catalog: Catalog, follow: bool) -> bytes:
        cfg = self.config
        access = openapi.parse_access(access_json, catalog, schema)
        server = openapi.server_for(cfg.openapi_server_proxy_uri, cfg.server_host, cfg.server_port)
        return openapi.encode(catalog, schema, access, follow_privileges=follow, server=server,
                              security=cfg.openapi_security_active)


def server_timing(timings: list[tuple[str, float]]) -> str:
    """The Server-Timing value (PostgREST's serverTimingHeader): each stage's duration in ms, one decimal."""
    return ", ".join(f"{name};dur={seconds * 1000:.1f}" for name, seconds in timings)


def _plan_renderer(media: MediaType) -> Callable[[Outcome | None], Response]:
    def render(outcome: Outcome | None) -> Response:
        assert outcome is not None
        return plan_response(media, outcome)

    return render


def _cookies(header: str | None) -> str:
    if not header:
        return "{}"
    jar = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed Cookie header is ignored, as browsers send junk
        return "{}"
    return orjson.dumps({k: m.value for k, m in jar.items()}).decode()


class PgrestdApp(falcon.App):
    """Falcon's App with a handle on the pipeline, for the worker-exit hook."""

    pgrestd_api: Api


def create_app(config: Config, state: ProcessState = STATE, workers: int = 1) -> PgrestdApp:
    api = Api(config, state, workers)
    # No default Content-Type: a response without a body (a write's 201/204) sends none, as PostgREST.
    app = PgrestdApp(media_type=None)
    app.req_options.auto_parse_qs_csv = False
    app.req_options.strip_url_path_trailing_slash = False
    app.add_sink(api, prefix="/")
    app.pgrestd_api = api
    return app
