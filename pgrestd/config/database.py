"""In-database configuration: ``pgrst.*`` settings of the authenticator role (PostgREST's db-config).

``ALTER ROLE authenticator SET pgrst.db_schemas = 'api, v2'`` (for every
database, or ``IN DATABASE`` for one, which wins) overrides the file and the
environment, as PostgREST documents.  ``db-pre-config`` names a function
called first; the ``pgrst.*`` settings it makes with ``set_config`` win over
the role's.  Settings about connecting and listening are never read from the
database.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from psycopg import sql

from .parse import Config
from .settings import SETTINGS, ConfigError

__all__ = ["database_settings", "apply_database_config"]

log = logging.getLogger("pgrestd.config")

# The role's pgrst.* settings; a database-specific one beats the global one.
_ROLE_SETTINGS = """
WITH role_setting (database, setting) AS (
  SELECT setdatabase, unnest(setconfig) FROM pg_catalog.pg_db_role_setting
  WHERE setrole = CURRENT_USER::regrole::oid
    AND setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = CURRENT_CATALOG))
), kv AS (
  SELECT database, substr(setting, 1, strpos(setting, '=') - 1) AS k, substr(setting, strpos(setting, '=') + 1) AS v
  FROM role_setting WHERE setting LIKE 'pgrst.%'
)
SELECT DISTINCT ON (k) replace(k, 'pgrst.', '') AS key, v AS value FROM kv ORDER BY k, database DESC
"""

_NOT_FROM_DATABASE = ("db-uri", "db-config", "db-pre-config", "db-pool", "server-", "admin-")


def _allowed(name: str) -> bool:
    return not any(name == p or (p.endswith("-") and name.startswith(p)) for p in _NOT_FROM_DATABASE)


_KEYS = {s.name.replace("-", "_"): s for s in SETTINGS if _allowed(s.name)}


def database_settings(conn: psycopg.Connection[Any], pre_config: str | None) -> dict[str, str]:
    """The overrides found in the database, by snake_case attribute name."""
    values: dict[str, str] = {}
    with conn.transaction():
        for key, value in conn.execute(_ROLE_SETTINGS).fetchall():
            values[key] = value
        if pre_config:
            schema, _, fn = pre_config.rpartition(".")
            name = sql.Identifier(schema, fn) if schema else sql.Identifier(fn)
            conn.execute(sql.SQL("SELECT {}()").format(name))
            for key in _KEYS:
                row = conn.execute("SELECT pg_catalog.current_setting(%s, true)", ("pgrst." + key,)).fetchone()
                if row and row[0]:
                    values[key] = row[0]
    return {key: value for key, value in values.items() if key in _KEYS}


def apply_database_config(config: Config) -> Config:
    """The configuration with the database's settings applied; unchanged when the database is away."""
    if not config.db_config:
        return config
    try:
        with psycopg.connect(config.db_uri, connect_timeout=5, autocommit=True,
                             application_name="pgrestd config") as conn:
            overrides = database_settings(conn, config.db_pre_config)
    except psycopg.Error as exc:
        log.warning("could not read the in-database configuration (db-config): %s", " ".join(str(exc).split()))
        return config
    if not overrides:
        return config
    try:
        return config.replace("database", **{_KEYS[k].attr: v for k, v in overrides.items()})
    except ConfigError as exc:
        log.error("in-database configuration ignored: %s", exc)
        return config
