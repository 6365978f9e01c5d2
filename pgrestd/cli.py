"""Entry point: ``pgrestd CONFIG_FILE`` and its informational options."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from . import __version__

__all__ = ["main", "build_parser"]

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
                                   extra_search_path=config.db_extra_search_path)
        except Exception as exc:
            print(f"pgrestd: cannot load the schema cache: {' '.join(str(exc).split())}", file=sys.stderr)
            sys.exit(1)
        sys.stdout.buffer.write(dump_catalog(catalog) + b"\n")
        return
    from .server import run

    run(config_path, overrides)
