"""The request pipeline of DESIGN.md §1, composed in one place: request → auth → plan → sql → execute → response.

:class:`Pipeline` takes a request as the HTTP adapter received it and
answers a :class:`~pgrestd.response.Response`.  Everything but the database
work is cached per request shape (:mod:`pgrestd.plan.templates`): a hit only
binds the request's values into a planned statement.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

import orjson

from . import describe, errors, metrics, openapi
from . import media as mt
from .admin import admin_response
from .auth.jwt import Authenticator, AuthResult
from .caching import call_cache_control, read_cache_control, with_cache_control
from .catalog import Catalog
from .conditional import Conditions, entity_tag, read_conditionally
from .config import Config
from .cors import cors_headers, preflight_headers
from .execute import Executor
from .links import page_links, related_links
from .lru import LruCache
from .plan.call import plan_call
from .plan.mutate import plan_mutation
from .plan.read import ReadPlan, find_relation, plan_read
from .plan.settings import PlanSettings
from .plan.shape import QueryShape, call_key, query_shape, read_key, write_key
from .plan.templates import CallTemplate, ReadTemplate, WriteTemplate
from .request.api import ApiRequest, build_api_request
from .request.grammar import parse_query
from .request.model import QueryParams
from .request.preferences import Count, Preferences, Transaction
from .request.ranges import ALL
from .response import (
    DEFAULT_VARY,
    Response,
    add_default_vary,
    call_response,
    error_response,
    plan_response,
    read_response,
    server_timing,
    total_for,
    write_response,
)
from .sql.builder import JsonBody
from .sql.call import BODY_SLOT, binds_body, bound_body, call_statement
from .sql.fragments import quote_ident
from .sql.mutate import mutate_statement
from .sql.prequery import settings_statement
from .sql.read import count_explain_statement, explain_statement, read_statement
from .state import ProcessState
from .transaction import Outcome, Precondition, TxSpec, call_check, write_check

__all__ = ["Pipeline"]

log = logging.getLogger("pgrestd.pipeline")

_WRITE_METHODS = frozenset(("POST", "PATCH", "PUT", "DELETE"))
_CONDITIONAL_WRITES = frozenset(("PATCH", "PUT", "DELETE"))
# Query parameters only writes have: a GET of the same URL is read without them.
_WRITE_ONLY_PARAMS = frozenset(("columns", "on_conflict"))
_NO_PARAMS = QueryParams()


@dataclass(frozen=True, slots=True)
class Action:
    """A prepared request: the transaction to run (if any), its renderer, and the Cache-Control of a read."""

    tx: TxSpec | None
    render: Callable[[Outcome | None], Response]
    cache_control: str | None = None


class Pipeline:
    """One per worker and configuration: the caches, the authenticator and the connection pool."""

    def __init__(self, config: Config, state: ProcessState, workers: int = 1) -> None:
        self.config = config
        self.state = state
        self.workers = workers
        self.plan_settings = PlanSettings.from_config(config)
        self.verbose = config.client_error_verbosity != "minimal"
        self.tx_override = config.db_tx_end.endswith("allow-override")
        self.cors_origins = tuple(config.server_cors_allowed_origins)
        self.admin_port = str(config.admin_server_port) if config.admin_server_port else None
        self.timing = config.server_timing_enabled
        self.trace_header = config.server_trace_header
        self.profiles = len(config.db_schemas) > 1  # Content-Profile on responses
        self.etag = config.server_etag_enabled
        # With ETags, shared caches must not hand one role's representation to another; with
        # jwt-cookie-name the token may come in the Cookie header.
        # A Cache-Control policy (pgrestd.caching) needs the same, or a shared cache could give an
        # anonymous answer to a request with a token.
        credentials = ", Authorization, Cookie" if config.jwt_cookie_name else ", Authorization"
        self.cache_vary = DEFAULT_VARY + ", Accept-Profile" + credentials
        self.vary = self.cache_vary if self.etag else DEFAULT_VARY
        self.links = config.server_link_headers_enabled
        self.link_base = (config.openapi_server_proxy_uri or "").rstrip("/")
        self._related: LruCache[tuple[int, str, str], str | None] = LruCache(1024)
        self.auth = Authenticator.from_config(config)
        self.settings = settings_statement(dict(config.app_settings), config.db_pre_request)
        self._executor: Executor | None = None
        self._executor_lock = threading.Lock()
        self._read_cache: LruCache[tuple[object, ...], ReadTemplate | None] = LruCache(1024)
        self._write_cache: LruCache[tuple[object, ...], WriteTemplate] = LruCache(256)
        self._call_cache: LruCache[tuple[object, ...], CallTemplate] = LruCache(1024)
        self._search_paths: dict[str, str] = {}  # per exposed schema: the search_path setting
        # Set by pgrestd.wsgi: without a Gunicorn master of ours, a worker that
        # started while the database was down loads the cache itself.
        self.retry_catalog: Callable[[], bool] | None = None
        self._next_retry = 0.0

    @property
    def executor(self) -> Executor:
        """Opened on first use, so the pool is created in the worker, after fork.

        Under a lock: the first requests of a gthread worker arrive together,
        and each would otherwise open a pool of its own.
        """
        if self._executor is not None:
            return self._executor
        with self._executor_lock:
            if self._executor is not None:
                return self._executor
            cfg = self.config
            self._executor = Executor(
                cfg.db_uri,
                # db-pool is the total: never more connections than that over all workers.
                max(1, cfg.db_pool // max(1, self.workers)),
                acquisition_timeout=cfg.db_pool_acquisition_timeout,
                max_lifetime=cfg.db_pool_max_lifetime,
                max_idle=cfg.db_pool_max_idletime,
                prepared=cfg.db_prepared_statements,
                replicas=cfg.db_uri_read_replicas,
                max_lag=cfg.db_read_replicas_max_lag,
            )
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.close()

    # -- the whole exchange ----------------------------------------------------

    def respond(self, method: str, path: str, query_string: str, headers: Mapping[str, str],
                read_body: Callable[[], bytes], port: str | None = None) -> Response:
        """Answer one request; ``headers`` have lower-case names, ``port`` is the port it came in on.

        ``read_body`` reads the body (or raises PGRST413's error) when the pipeline needs it.
        """
        started = time.perf_counter()
        origin = headers.get("origin")
        admin = self.admin_port is not None and port == self.admin_port
        if admin:
            # The same workers serve the admin port; the listener tells them apart.
            response = admin_response(method, path, self.config, self.state)
        elif origin is not None and method == "OPTIONS" and "access-control-request-method" in headers:
            # A CORS preflight is answered before the pipeline, as wai-cors does.
            response = Response(200, preflight_headers(
                origin, headers.get("access-control-request-headers"), self.cors_origins))
        else:
            try:
                response = self.handle(method, path, query_string, headers, read_body)
            except errors.ApiError as exc:
                response = self.refuse(exc)
            except Exception:
                # A bug, not a client or database error: say so in PostgREST's shape and log it.
                log.exception("internal error on %s %s%s", method, path, "?" + query_string if query_string else "")
                response = self.refuse(errors.ApiError())
            if origin is not None:
                # wai-cors wraps the whole application: errors carry the CORS headers too.
                response.headers.update(cors_headers(origin, self.cors_origins))
        if self.trace_header is not None:
            # server-trace-header: the request's trace id goes back on the response (PostgREST's traceHeaderMiddleware).
            trace = headers.get(self.trace_header.lower())
            if trace is not None:
                response.headers[self.trace_header] = trace
        if not admin:
            metrics.request_done(method, response.status, time.perf_counter() - started)
        return response

    def refuse(self, error: errors.ApiError) -> Response:
        """The error response, in the configured verbosity."""
        return error_response(error, self.verbose)

    def handle(self, method: str, path: str, query_string: str, headers: Mapping[str, str],
               read_body: Callable[[], bytes]) -> Response:
        catalog = self.state.catalog
        if catalog is None:
            catalog = self._retry_catalog()
        clock = time.perf_counter
        started = clock()
        body = read_body()
        cfg = self.config
        if method == "HEAD" and self.etag:
            method = "GET"  # the ETag hashes the body a GET would send; the adapter sends none for HEAD
        request = build_api_request(method, path, query_string, headers, body, cfg.db_schemas,
                                    allow_tx_override=self.tx_override, root_spec=cfg.db_root_spec)
        parsed = clock()
        auth = self.auth.authenticate(headers.get("authorization"), request.cookies)
        authenticated = clock()
        try:
            action = self.prepare(request, auth, catalog)
            planned = clock()
            outcome = None if action.tx is None else self.executor.run(action.tx)
            ran = clock()
            if action.cache_control is None:
                response = add_default_vary(action.render(outcome), self.vary)
            else:
                response = with_cache_control(add_default_vary(action.render(outcome), self.cache_vary),
                                              action.cache_control)
            if self.etag and request.method == "GET" and response.status in (200, 206):
                response = read_conditionally(response, headers)
        except errors.ApiError as exc:
            response = self.refuse(exc)
            response.role = auth.role  # the access log names the role of a refused request too
            return response
        response.role = auth.role
        if self.timing:
            timings = [("jwt", authenticated - parsed), ("parse", parsed - started)]
            if action.tx is not None:
                timings += [("plan", planned - authenticated), ("transaction", ran - planned)]
            timings.append(("response", clock() - ran))
            response.headers["Server-Timing"] = server_timing(timings)
        return response

    def prepare(self, request: ApiRequest, auth: AuthResult, catalog: Catalog) -> Action:
        """Everything but the database: the transaction to run and how to render its outcome."""
        kind, method = request.target.kind, request.method
        if method == "OPTIONS":
            allow = self._allowed_methods(request, catalog)
            # With an Accept naming one of pgrestd's descriptions, OPTIONS sends it too (pgrestd.describe).
            wanted = None if self.config.openapi_mode == "disabled" else describe.for_options(request.accept)
            if wanted is not None:
                return self._describe(request, auth, catalog, wanted,
                                      {"Access-Control-Allow-Origin": "*", "Allow": allow})
            return Action(None, lambda _: Response(200, {"Access-Control-Allow-Origin": "*", "Allow": allow}))
        if kind == "root":
            return self._prepare_root(request, auth, catalog)
        if kind == "relation" and method in ("GET", "HEAD"):
            return self._prepare_read(request, auth, catalog)
        if kind == "relation" and method in _WRITE_METHODS:
            return self._prepare_write(request, auth, catalog)
        if kind == "rpc":
            if method not in ("GET", "HEAD", "POST"):
                raise errors.InvalidRpcMethod(method)
            return self._prepare_call(request, auth, catalog)
        if method in ("GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"):
            raise errors.NotImplementedFeature(details=f"{method} on /{request.target.name}")
        raise errors.UnsupportedMethod(method)

    def plan_stream(self, path: str, query_string: str,
                    headers: Mapping[str, str]) -> tuple[ApiRequest, AuthResult, ReadPlan, TxSpec]:
        """A live stream's GET (pgrestd.live): parsed, authenticated and planned as the read it streams.

        Raises the read's ApiError; ``headers`` should ask for the JSON the events carry.
        """
        catalog = self.state.catalog or self._retry_catalog()
        cfg = self.config
        request = build_api_request("GET", path, query_string, headers, b"", cfg.db_schemas,
                                    allow_tx_override=self.tx_override, root_spec=cfg.db_root_spec)
        auth = self.auth.authenticate(headers.get("authorization"), request.cookies)
        if request.target.kind != "relation":
            raise errors.NotImplementedFeature(details="Live streams are read from tables, not " + path)
        template = self._read_template(request, catalog, None)
        assert template is not None
        tx = self._tx(request, auth, catalog, template.sql, template.params, read_only=True,
                      settings=template.settings)
        return request, auth, template.plan, tx

    # -- reads -------------------------------------------------------------------

    def _prepare_read(self, request: ApiRequest, auth: AuthResult, catalog: Catalog) -> Action:
        shape = query_shape(request.query_string)
        template = self._read_cache.get_or_build(
            read_key(request, shape, id(catalog)), lambda: self._read_template(request, catalog, shape))
        if template is None or shape is None:
            # Not cacheable by shape (or no values to swap): plan with the real values.
            template = self._read_template(request, catalog, None)
            assert template is not None
            params, explain_params, location = template.params, template.explain_params, template.location
        else:
            params, explain_params, location = template.bind(shape)
        tx = self._tx(request, auth, catalog, template.sql, params, read_only=True, settings=template.settings,
                      explain_sql=template.explain_sql, explain_params=explain_params)
        plan = template.plan
        if plan.explain is not None:
            return _explain(tx, plan.explain)
        profile, applied = template.profile, template.applied
        cache = read_cache_control(catalog, request, auth, plan.root)
        if not self.links:
            return Action(tx, lambda outcome: read_response(plan, outcome, location=location, profile=profile,
                                                            preference_applied=applied), cache)
        related = self._related.get_or_build(
            (id(catalog), request.schema, request.target.name),
            lambda: related_links(self.link_base, catalog, request.schema, request.target.name))

        def render(outcome: Outcome | None) -> Response:
            assert outcome is not None
            response = read_response(plan, outcome, location=location, profile=profile, preference_applied=applied)
            return self._with_links(response, request, plan, outcome, related)

        return Action(tx, render, cache)

    def _read_template(self, request: ApiRequest, catalog: Catalog, shape: QueryShape | None) -> ReadTemplate | None:
        """Parse and plan a read; with a shape, plan its sentinel form and map the slots."""
        query_string = request.query_string if shape is None else shape.key
        try:
            params = parse_query(query_string)
            plan = plan_read(request, params, catalog, self.plan_settings)
            request.preferences.validate()
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
        prefs = request.preferences
        template = ReadTemplate(
            plan=plan, sql=sql, params=sql_params, explain_sql=explain_sql, explain_params=explain_params,
            location="/" + request.target.name + ("?" + params.canonical if params.canonical else ""),
            profile=self._profile(request), applied=prefs.applied_for("read"), settings=_timezone(prefs),
        )
        return template if shape is None else template.with_slots(len(shape.values))

    # -- writes --------------------------------------------------------------------

    def _prepare_write(self, request: ApiRequest, auth: AuthResult, catalog: Catalog) -> Action:
        """POST, PATCH, PUT, DELETE on a table or view: one statement, committed as db-tx-end and Prefer say.

        Plans are cached by request shape: the same URL and headers with a
        body of the same keys only bind the new body.
        """
        if request.payload_error is not None:
            template = self._write_template(request, catalog)  # raises, in PostgREST's order of errors
        else:
            template = self._write_cache.get_or_build(
                write_key(request, id(catalog)), lambda: self._write_template(request, catalog))
        conditions = Conditions.of(request.headers) if self.etag and request.method in _CONDITIONAL_WRITES else None
        precondition = None if conditions is None else self._precondition(request, catalog, conditions)
        tx = self._tx(request, auth, catalog, template.sql, template.bind(request.payload), read_only=False,
                      settings=template.settings, commit=template.commit, check=template.check,
                      precondition=precondition,
                      isolation_level=None if precondition is None else _at_least_repeatable_read(
                          catalog.role_isolation.get(auth.role)))
        plan, profile = template.plan, template.profile
        if plan.explain is not None:
            return _explain(tx, plan.explain)
        return Action(tx, lambda outcome: write_response(plan, outcome, profile=profile))

    def _precondition(self, request: ApiRequest, catalog: Catalog, conditions: Conditions) -> Precondition:
        """The read of what a GET of the write's URL returns, and the check of the conditions against it.

        A write whose ``If-Match`` or ``If-None-Match`` is ``*`` asks whether that GET returns any row.
        """
        query = "&".join(part for part in request.query_string.split("&")
                         if part.partition("=")[0] not in _WRITE_ONLY_PARAMS)
        read = replace(request, method="GET", query_string=query, preferences=Preferences(), range=ALL,
                       payload=None, payload_error=None)
        plan = plan_read(read, parse_query(query) if query else _NO_PARAMS, catalog, self.plan_settings)
        sql, params = read_statement(plan)
        content_type = plan.media.content_type_header

        def check(outcome: Outcome) -> None:
            conditions.check_write(entity_tag(content_type, outcome.body), exists=outcome.page_total > 0)

        return Precondition(sql, params, check)

    def _with_links(self, response: Response, request: ApiRequest, plan: ReadPlan, outcome: Outcome,
                    related: str | None) -> Response:
        """The Link header of a successful read: its pages and its related relations (unless SQL set one)."""
        if response.status not in (200, 206) or response.header("link") is not None:
            return response
        pages = page_links(self.link_base, request.path, request.query_string, plan.range, outcome.page_total,
                           total_for(plan, outcome))
        value = ", ".join(v for v in (pages, related) if v)
        if value:
            response.headers["Link"] = value
        return response

    def _write_template(self, request: ApiRequest, catalog: Catalog) -> WriteTemplate:
        params = parse_query(request.query_string) if request.query_string else _NO_PARAMS
        plan = plan_mutation(request, params, catalog, self.plan_settings)
        sql, sql_params = mutate_statement(plan)
        if plan.explain is not None:
            sql = explain_statement(plan.explain, sql)
        prefs = request.preferences
        body_index = next((i for i, p in enumerate(sql_params) if isinstance(p, JsonBody)), None)
        # The cache keeps the template, not this request's body: bind() puts each request's in.
        if body_index is not None:
            sql_params = _with_param(sql_params, body_index, sql_params[body_index].with_raw(b""))
        if plan.payload is not None:
            plan = replace(plan, payload=replace(plan.payload, raw=b""))
        return WriteTemplate(
            plan=plan, sql=sql, params=sql_params, body_index=body_index,
            commit=self._commits(prefs), check=None if plan.explain else write_check(plan),
            profile=self._profile(request), settings=_timezone(prefs),
        )

    # -- calls ------------------------------------------------------------------------

    def _prepare_call(self, request: ApiRequest, auth: AuthResult, catalog: Catalog) -> Action:
        """GET, HEAD or POST on /rpc/{function}: the call and the read over its result, one statement.

        The transaction is read-only for GET and HEAD and for STABLE or
        IMMUTABLE functions, uses the function's isolation level and its
        hoisted SET clauses, and ends as db-tx-end and Prefer say.  Plans
        are cached by request shape: a POST with another JSON body of the
        same keys only binds its body.
        """
        key = call_key(request, id(catalog))
        body = request.payload.raw if request.payload is not None else b""
        if key is None:
            template = self._call_template(request, catalog, None)
        else:
            template = self._call_cache.get_or_build(key, lambda: self._call_template(request, catalog, body))
            if not template.reusable:
                template = self._call_template(request, catalog, None)
        plan = template.plan
        params = template.params if template.body_slot is None else template.bind(bound_body(plan, body))
        tx = self._tx(request, auth, catalog, template.sql, params, read_only=plan.read_only,
                      settings=template.settings,
                      commit=template.commit, check=template.check, isolation_level=plan.isolation_level)
        if plan.read.explain is not None:
            return _explain(tx, plan.read.explain)
        profile = template.profile
        cache = call_cache_control(catalog, request, auth, plan)
        if self.links and request.method == "GET":
            return Action(tx, lambda outcome: self._with_links(
                call_response(plan, outcome, profile=profile), request, plan.read, outcome, None), cache)
        return Action(tx, lambda outcome: call_response(plan, outcome, profile=profile), cache)

    def _call_template(self, request: ApiRequest, catalog: Catalog, body: bytes | None) -> CallTemplate:
        """Parse and plan a call; ``body`` is the body that gets bound, when the template may be reused."""
        params = parse_query(request.query_string, rpc_read=request.method != "POST")
        plan = plan_call(request, params, catalog, self.plan_settings)
        sql, sql_params = call_statement(plan)
        if plan.read.explain is not None:
            sql = explain_statement(plan.read.explain, sql)
        prefs = request.preferences
        reusable = True
        body_slot = None
        if binds_body(plan):
            if body is not None and plan.body == body:
                # Cached without this request's body: bind() puts each request's in.
                body_slot = BODY_SLOT
                sql_params = _with_param(sql_params, body_slot, None)
                plan = replace(plan, body=None)
            else:
                reusable = False
        return CallTemplate(
            plan=plan, sql=sql, params=sql_params, body_slot=body_slot, commit=self._commits(prefs),
            check=None if plan.read.explain else call_check(plan), profile=self._profile(request),
            settings=_timezone(prefs) + plan.settings, reusable=reusable,
        )

    # -- the root and OPTIONS -----------------------------------------------------------

    def _prepare_root(self, request: ApiRequest, auth: AuthResult, catalog: Catalog) -> Action:
        """The root path: the OpenAPI document, or by Accept another description (PostgREST's ActionInspect).

        The document's per-request part (schema description and, with
        openapi-mode follow-privileges, what the role may use) is read in
        the request's transaction, as the request's role (Query.openApiQuery).
        With db-root-spec the root is a function call instead (see
        :func:`pgrestd.request.api.parse_target`).
        """
        cfg = self.config
        if cfg.openapi_mode == "disabled":
            raise errors.OpenAPIDisabled()
        if request.method not in ("GET", "HEAD"):
            raise errors.UnsupportedMethod(request.method)
        return self._describe(request, auth, catalog, describe.for_root(request.accept), {})

    def _describe(self, request: ApiRequest, auth: AuthResult, catalog: Catalog, fmt: describe.Format,
                  headers: dict[str, str]) -> Action:
        """The request's schema described as ``fmt``: the 2.0 document, or one of pgrestd.describe's."""
        cfg = self.config
        follow = cfg.openapi_mode == "follow-privileges"
        schema = request.schema
        tx = self._tx(request, auth, catalog, openapi.ACCESS_SQL, (schema, follow), read_only=True)
        headers["Content-Type"] = fmt.content_type
        if self.profiles:
            headers["Content-Profile"] = schema
        if request.method == "HEAD":
            return Action(tx, lambda _: Response(200, headers, b""))

        def render(outcome: Outcome | None) -> Response:
            assert outcome is not None
            access = openapi.parse_access(outcome.body, catalog, schema)
            server = openapi.server_for(cfg.openapi_server_proxy_uri, cfg.server_host, cfg.server_port)
            return Response(200, headers, fmt.render(describe.Subject(
                catalog, schema, request.target, access, follow, server, cfg.openapi_security_active)))

        return Action(tx, render)

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

    # -- shared pieces ----------------------------------------------------------------

    def _tx(self, request: ApiRequest, auth: AuthResult, catalog: Catalog, sql: str,
            params: tuple[object, ...], *, read_only: bool, settings: tuple[tuple[str, str], ...] = (), isolation_level: str | None = None,
            **more: Any) -> TxSpec:
        """The transaction: PostgREST's settings for this request and role, then the statement.

        The role's own settings (ALTER ROLE ... SET) come before the request's
        and the function's, which win; its isolation level applies unless
        the function has one (PostgREST's setPgLocals and roleIsoLvl).
        """
        role_settings = catalog.role_settings.get(auth.role)
        if role_settings:
            settings = role_settings + settings
        if isolation_level is None:
            isolation_level = catalog.role_isolation.get(auth.role)
        search_path = self._search_paths.get(request.schema)
        if search_path is None:
            search_path = ", ".join(quote_ident(s) for s in (request.schema, *self.config.db_extra_search_path))
            self._search_paths[request.schema] = search_path
        settings_sql = self.settings.read_only_sql if read_only else self.settings.sql
        settings_params = self.settings.params(
            search_path, auth.role, auth.claims_json, request.method, request.path,
            orjson.dumps(request.headers).decode(), orjson.dumps(request.cookies).decode(),
        )
        if settings:
            settings_sql = self.settings.with_settings(len(settings), read_only=read_only)
            settings_params += tuple(part for pair in settings for part in pair)
        return TxSpec(settings_sql, settings_params, self.settings.pre_request_sql, sql, params,
                      read_only=read_only, authenticated=auth.authenticated, isolation_level=isolation_level,
                      replica=read_only and request.method in ("GET", "HEAD"), **more)

    def _commits(self, prefs: Preferences) -> bool:
        """MainTx.optionalRollback: ``tx=`` (only parsed with *-allow-override) wins over db-tx-end."""
        if prefs.tx is not None:
            return prefs.tx is Transaction.COMMIT
        return not self.config.db_tx_end.startswith("rollback")

    def _profile(self, request: ApiRequest) -> str | None:
        return request.schema if self.profiles else None

    def _retry_catalog(self) -> Catalog:
        now = time.monotonic()
        if self.retry_catalog is not None and now >= self._next_retry:
            self._next_retry = now + 1.0
            self.retry_catalog()
        if self.state.catalog is None:
            raise errors.NoSchemaCache()
        return self.state.catalog


def _at_least_repeatable_read(level: str | None) -> str:
    """A conditional write's isolation: REPEATABLE READ, or SERIALIZABLE when the role asks for it.

    From the check's snapshot on, a row that another transaction changes makes the write fail (40001).
    """
    return "serializable" if level == "serializable" else "repeatable read"


def _with_param(params: tuple[object, ...], index: int, value: object) -> tuple[object, ...]:
    return params[:index] + (value,) + params[index + 1:]


def _timezone(prefs: Preferences) -> tuple[tuple[str, str], ...]:
    """``Prefer: timezone=`` sets the time zone for the transaction (PostgREST's preferences)."""
    return () if prefs.timezone is None else (("timezone", prefs.timezone),)


def _explain(tx: TxSpec, media: mt.MediaType) -> Action:
    """application/vnd.pgrst.plan: the EXPLAIN output is the body, and nothing is checked."""
    return Action(replace(tx, explain=True, check=None), lambda outcome: plan_response(media, outcome))
