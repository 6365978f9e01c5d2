"""The Gunicorn application: pre-fork schema cache, reload on SIGHUP, one pool per worker."""

from __future__ import annotations

import gc
import logging
import os
import sys
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from . import metrics
from .auth.jwks import fetch_remote_keys
from .catalog import timed_load
from .config import Config, ConfigError, load_config
from .config.database import apply_database_config
from .listener import DatabaseWatcher, detach_in_child
from .live.supervisor import Supervisor
from .log import ACCESS_FORMAT, GUNICORN_LEVELS, lowest_logged_status, setup_logging
from .state import STATE

__all__ = ["PgrestdServer", "bind_addresses", "worker_count", "load_snapshot", "stop_listener"]

log = logging.getLogger("pgrestd.server")

_watcher: DatabaseWatcher | None = None
_streams: Supervisor | None = None  # live-enabled: the stream process's supervisor


class AccessLogger(Logger):
    """Gunicorn's logger with PostgREST's per-level request filter and role field."""

    # Set from log-level by the server before Gunicorn builds its logger.
    min_status = 0

    @classmethod
    def use_level(cls, level: str) -> None:
        cls.min_status = lowest_logged_status(level)

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        status = resp.status_code if hasattr(resp, "status_code") else int(str(resp.status).split()[0])
        if status is None or int(status) < self.min_status:
            return
        super().access(resp, req, environ, request_time)

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["u"] = environ.get("pgrestd.role") or "-"
        return atoms


_MAX_HEADER_FIELD = 256 * 1024


def worker_count(config: Config) -> int:
    return config.worker_count()


def bind_addresses(config: Config) -> list[str]:
    """PostgREST's server-host, including its special values, as Gunicorn binds."""
    if config.server_unix_socket:
        binds = ["unix:" + config.server_unix_socket]
    else:
        binds = _tcp_binds(config.server_host, config.server_port)
    if config.admin_server_port:
        binds += _tcp_binds(config.admin_server_host or config.server_host, config.admin_server_port)
    return binds


def _tcp_binds(host: str, port: int) -> list[str]:
    special = {"*": ["[::]"], "*4": ["0.0.0.0"], "!4": ["0.0.0.0"], "*6": ["[::]"], "!6": ["[::]"]}
    hosts = special.get(host) or ["[" + host + "]" if ":" in host and not host.startswith("[") else host]
    return [f"{h}:{port}" for h in hosts]


def load_snapshot(config: Config) -> bool:
    """Load the catalog into the process state; on failure keep the old one and say why."""
    try:
        catalog, seconds = timed_load(config.db_uri, config.db_schemas,
                                      extra_search_path=config.db_extra_search_path,
                                      infer_max_age=config.cache_infer_max_age)
    except Exception as exc:  # any failure keeps the previous snapshot serving
        metrics.cache_loaded(None)
        STATE.catalog_error = " ".join(str(exc).split())
        if STATE.catalog is None:
            log.error("could not load the schema cache (will retry): %s", STATE.catalog_error)
        else:
            log.error("schema cache reload failed, still serving the previous one: %s", STATE.catalog_error)
        return False
    STATE.catalog = catalog
    STATE.catalog_error = None
    metrics.cache_loaded(seconds)
    log.info("schema cache loaded in %.0f ms: %d relations, %d foreign keys, %d functions",
             seconds * 1000, len(catalog.tables), len(catalog.foreign_keys), len(catalog.functions))
    # Move everything alive now to the permanent generation so that the
    # workers' garbage collector never writes to the shared pages.
    gc.freeze()
    return True


# -- Gunicorn server hooks (run in the master unless noted) ---------------------


def _on_starting(_arbiter: Any) -> None:
    # Before the schema cache, whose load freezes the GC: the workers share the keys too.
    fetch_remote_keys(STATE.config)
    load_snapshot(STATE.config)


def _when_ready(_arbiter: Any) -> None:
    config = STATE.config
    if config.server_unix_socket:
        os.chmod(config.server_unix_socket, int(str(config.server_unix_socket_mode), 8))
    _start_watcher(config)
    _live(config)


def _live(config: Config) -> None:
    """Start, reconfigure or stop the live streams' process (pgrestd.live) as live-enabled says.

    Started before the workers fork, so they inherit the path of its socket.
    """
    global _streams
    if config.live_enabled and _streams is None:
        _streams = Supervisor(config)
        _streams.start()
    elif config.live_enabled and _streams is not None:
        _streams.reconfigure(config)
    elif _streams is not None:
        _streams.stop()
        _streams = None


def _on_exit(_arbiter: Any) -> None:
    if _streams is not None:
        _streams.stop()


def stop_listener() -> None:
    """Stop the master's NOTIFY listener, e.g. before its database goes away on purpose (``pgrestd mock``)."""
    if _watcher is not None:
        _watcher.stop()


def _start_watcher(config: Config) -> None:
    global _watcher
    _watcher = DatabaseWatcher(config.db_channel_uri or config.db_uri,
                               config.db_channel if config.db_channel_enabled else None,
                               schema_changed=_schema_changed)
    _watcher.start()


def _schema_changed() -> bool:
    """Whether the catalog differs from the one the workers serve (asked when the database is back)."""
    config = STATE.config
    try:
        catalog, _ = timed_load(config.db_uri, config.db_schemas, extra_search_path=config.db_extra_search_path,
                                infer_max_age=config.cache_infer_max_age)
    except Exception:  # the reload that follows reports why
        return True
    # Catalogs compare without their statistics (inferred Cache-Control policies): counters that
    # moved during the outage are no schema change.
    return catalog != STATE.catalog


def _on_reload(_arbiter: Any) -> None:
    config = STATE.config
    channel = config.db_channel if config.db_channel_enabled else None
    if _watcher is not None and (_watcher.conninfo, _watcher.channel) != (config.db_channel_uri or config.db_uri,
                                                                          channel):
        # A reloaded configuration may name another database or channel.
        log.info("database or channel changed; restarting the listener")
        _watcher.stop()
        _start_watcher(config)
    fetch_remote_keys(config)  # jwt-jwks-url again: the new workers start with the provider's keys of now
    load_snapshot(config)
    _live(config)


def _post_fork(_arbiter: Any, _worker: Any) -> None:
    detach_in_child(_watcher)


def _child_exit(_arbiter: Any, worker: Any) -> None:
    metrics.process_exited(worker.pid)


def _worker_exit(_arbiter: Any, worker: Any) -> None:
    api = getattr(getattr(worker, "wsgi", None), "pgrestd_api", None)
    if api is not None:
        api.close()


class PgrestdServer(BaseApplication):
    """``pgrestd CONFIG_FILE``: Gunicorn run programmatically from a postgrest.conf."""

    def __init__(self, config_path: str | None, overrides: dict[str, Any] | None = None) -> None:
        self.config_path = config_path
        self.overrides = overrides or {}
        super().__init__()

    def read_config(self) -> Config:
        config = load_config(self.config_path, os.environ)
        if self.overrides:
            config = config.replace(**self.overrides)
        # Reading the in-database configuration may log (the database is
        # down): in pgrestd's format, at the file's level until then.
        setup_logging(config.log_level)
        return apply_database_config(config)

    def load_config(self) -> None:
        try:
            config = self.read_config()
        except ConfigError as exc:
            if STATE.config is None:
                raise
            # A bad edit during a reload keeps the running configuration.
            log.error("configuration reload failed, keeping the current one: %s", exc)
            config = STATE.config
        STATE.config = config
        setup_logging(config.log_level)
        for key, origin, reason in config.ignored:
            log.warning("%s: %s is ignored: %s", origin, key, reason)
        if config.admin_server_unix_socket:
            log.warning("admin-server-unix-socket is not supported; set admin-server-port for /live and /ready")
        AccessLogger.use_level(config.log_level)
        settings = {
            "bind": bind_addresses(config),
            "workers": worker_count(config),
            "worker_class": config.server_worker_class,
            "threads": config.server_threads,
            "timeout": config.server_timeout,
            "graceful_timeout": config.server_graceful_timeout,
            "keepalive": 5,
            "limit_request_line": config.server_max_request_line,
            # Large enough for a JWT with many claims (a 100 kB token gets its 401, not Gunicorn's HTML 431).
            "limit_request_field_size": max(_MAX_HEADER_FIELD, config.server_max_request_line),
            # gthread workers keep connections alive; without SO_REUSEPORT they
            # can all land on one worker (DESIGN.md §3).
            "reuse_port": config.server_reuseport or config.server_worker_class == "gthread",
            "accesslog": "-",
            "errorlog": "-",
            "loglevel": GUNICORN_LEVELS[config.log_level],
            "logger_class": AccessLogger,
            "access_log_format": ACCESS_FORMAT,
            "proc_name": "pgrestd",
            "control_socket_disable": True,
            "preload_app": False,
            "on_starting": _on_starting,
            "when_ready": _when_ready,
            "on_reload": _on_reload,
            "post_fork": _post_fork,
            "worker_exit": _worker_exit,
            "child_exit": _child_exit,
            "on_exit": _on_exit,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from .app import create_app

        return create_app(STATE.config, STATE, worker_count(STATE.config))


def run(config_path: str | None, overrides: dict[str, Any] | None = None) -> None:
    metrics.prepare_directory()
    try:
        PgrestdServer(config_path, overrides).run()
    except ConfigError as exc:
        print(f"pgrestd: {exc}", file=sys.stderr)
        sys.exit(1)
