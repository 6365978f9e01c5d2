"""Entry point: ``pgrestd CONFIG_FILE`` and its informational options."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from typing import Any

from . import __version__

__all__ = ["build_mock_parser", "build_parser", "main"]

_EPILOG = """\
configuration:
  CONFIG_FILE uses PostgREST's postgrest.conf syntax (key = value); every
  PostgREST key is accepted, see `pgrestd --example`. PGRST_* environment
  variables override the file (PGRST_DB_URI, PGRST_DB_SCHEMAS, ...,
  PGRST_APP_SETTINGS_<NAME>). A value starting with @ is read from that file.

legacy form:
  pgrestd postgres://user:pass@host/db --port 3000 --schema public \\
          --anonymous anon --pool 10

signals:
  SIGHUP   reload the configuration and the schema cache, roll the workers
  SIGTERM  finish in-flight requests, then exit 0
  NOTIFY pgrst, 'reload schema' (or 'reload config') does what SIGHUP does.

under Gunicorn directly:
  PGRESTD_CONFIG=/etc/pgrestd/pgrestd.conf gunicorn pgrestd.wsgi

mock data:
  pgrestd mock CONFIG_FILE --rows 50 --seed 7   the same API over generated rows
                                                (see pgrestd mock --help)
"""

_MOCK_EPILOG = """\
The real database is only read: its schema (pg_dump --schema-only: extensions,
types, tables, views, functions, grants, policies, comments) and its database
settings are copied into a new database pgrestd_mock_<random> on the same
server, every table of db-schemas (and every table their views read or their
foreign keys reach) is filled, and pgrestd serves it with CONFIG_FILE's
settings, on its port. The scratch database is dropped when pgrestd exits
(SIGTERM, SIGINT, or a failed start); SIGHUP reloads as usual.

Rows respect column types, lengths, enums, domains, NOT NULL, unique keys and
foreign keys; CHECK constraints and triggers are enforced by PostgreSQL, so a
table whose rows they refuse too often gets fewer rows (logged as a warning).
Values are realistic where a column's name says what it holds (email, name,
title, price, born, created_at, ...). The same seed gives the same rows.

The admin role creates, loads, fills and drops the scratch database. It needs
CREATEDB and the right to create the dump's objects for their owners: in
practice a superuser. Without --admin-uri, db-uri's role is used.

examples:
  pgrestd mock conf/demo.conf --admin-uri postgresql://postgres@127.0.0.1:54329/demo
  PGRST_SERVER_PORT=3001 pgrestd mock app.conf --rows 100 --rows films=500 --seed 42
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pgrestd",
        description="Serve a PostgREST-compatible REST API for a PostgreSQL database.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", nargs="?", metavar="CONFIG_FILE",
                   help="path of a postgrest.conf file (or, in the legacy form, a database URI)")
    p.add_argument("-v", "--version", action="store_true", help="print the version and exit")
    p.add_argument("-e", "--example", action="store_true", help="print an annotated example configuration and exit")
    p.add_argument("--dump-config", action="store_true", help="print the effective configuration and exit")
    p.add_argument("--dump-schema", action="store_true", help="load the schema cache, print it as JSON and exit")
    legacy = p.add_argument_group("legacy options (with a database URI instead of CONFIG_FILE)")
    legacy.add_argument("-p", "--port", type=int, help="server-port")
    legacy.add_argument("--host", help="server-host")
    legacy.add_argument("-s", "--schema", help="db-schemas")
    legacy.add_argument("-a", "--anonymous", help="db-anon-role")
    legacy.add_argument("-o", "--pool", type=int, help="db-pool")
    legacy.add_argument("-j", "--jwt-secret", help="jwt-secret")
    legacy.add_argument("-m", "--max-rows", type=int, help="db-max-rows")
    return p


def build_mock_parser() -> argparse.ArgumentParser:
    from .mock import DEFAULT_ROWS

    p = argparse.ArgumentParser(
        prog="pgrestd mock",
        description="Serve the API of CONFIG_FILE over generated data, in a scratch copy of its database.",
        epilog=_MOCK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("config", metavar="CONFIG_FILE", help="path of a postgrest.conf file")
    p.add_argument("--rows", action="append", default=[], metavar="N|TABLE=N",
                   help=f"rows per table (default {DEFAULT_ROWS}); TABLE=N for one table (films=50, "
                        "api.films=50); repeat as needed")
    p.add_argument("--seed", type=int, default=1, help="the seed of the generated values (default 1)")
    p.add_argument("--admin-uri", metavar="URI",
                   help="connection that creates, fills and drops the scratch database (default: db-uri); "
                        "its database name is not used")
    return p


def _mock(argv: list[str]) -> None:
    """``pgrestd mock CONFIG_FILE``: the server over a filled scratch database, dropped at exit."""
    args = build_mock_parser().parse_args(argv)
    from .config import ConfigError, load_config
    from .log import setup_logging
    from .mock import MockError, RowCounts, mock_database

    if importlib.util.find_spec("faker") is None:  # an extra
        print("pgrestd mock: needs Faker: pip install 'pgrestd[mock]'", file=sys.stderr)
        sys.exit(1)
    try:
        config = load_config(args.config, os.environ)
        rows = RowCounts.parse(args.rows)
    except (ConfigError, MockError) as exc:
        print(f"pgrestd mock: {exc}", file=sys.stderr)
        sys.exit(1)
    setup_logging(config.log_level)
    from .server import run, stop_listener

    try:
        with mock_database(config.db_uri, config.db_schemas, rows=rows, seed=args.seed, admin_uri=args.admin_uri,
                           extra_search_path=config.db_extra_search_path) as (uri, _):
            # Everything goes to the scratch database: replicas and a separate listener would not.
            try:
                run(args.config, {"db_uri": uri, "db_uri_read_replicas": (), "db_channel_uri": None})
            finally:
                stop_listener()  # before the scratch database is dropped: no outage reported
    except MockError as exc:
        print(f"pgrestd mock: {exc}", file=sys.stderr)
        sys.exit(1)


def _is_uri(source: str) -> bool:
    return source.startswith(("postgres://", "postgresql://")) or ("=" in source and not os.path.exists(source))


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    pairs = {
        "server_port": args.port, "server_host": args.host, "db_anon_role": args.anonymous,
        "db_pool": args.pool, "jwt_secret": args.jwt_secret, "db_max_rows": args.max_rows,
        "db_schemas": tuple(s.strip() for s in args.schema.split(",")) if args.schema else None,
    }
    return {k: v for k, v in pairs.items() if v is not None}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["mock"]:  # a configuration file named "mock": pgrestd ./mock
        _mock(argv[1:])
        return
    args = build_parser().parse_args(argv)
    if args.version:
        print(f"pgrestd {__version__}")
        return
    from .config import ConfigError, dump_config, example_config, load_config

    if args.example:
        sys.stdout.write(example_config())
        return
    overrides = _overrides(args)
    config_path = args.source
    try:
        if args.source and _is_uri(args.source):
            # The seed's form: a URI and flags.  Environment variables still apply.
            base = load_config(None, os.environ).replace(db_uri=args.source)
            config_path = None
            overrides = dict(overrides)
            config = base.replace(**overrides)
            overrides["db_uri"] = args.source
        else:
            config = load_config(config_path, os.environ)
            if overrides:
                config = config.replace(**overrides)
    except ConfigError as exc:
        print(f"pgrestd: {exc}", file=sys.stderr)
        sys.exit(1)
    if args.dump_config:
        sys.stdout.write(dump_config(config))
        return
    if args.dump_schema:
        from .catalog import dump_catalog, load_catalog

        try:
            catalog = load_catalog(config.db_uri, config.db_schemas,
                                   extra_search_path=config.db_extra_search_path,
                                   infer_max_age=config.cache_infer_max_age)
        except Exception as exc:
            print(f"pgrestd: cannot load the schema cache: {' '.join(str(exc).split())}", file=sys.stderr)
            sys.exit(1)
        sys.stdout.buffer.write(dump_catalog(catalog) + b"\n")
        return
    from .server import run

    run(config_path, overrides)
