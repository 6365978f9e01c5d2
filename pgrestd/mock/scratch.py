"""The scratch database: created beside the real one, given its schema, dropped at the end.

The real database is only read: ``pg_dump --schema-only`` copies every
object (extensions, types, tables, views, functions, grants, row-level
security policies, comments) into a new database on the same server, where
roles already exist since they are cluster-wide.  The database-level
settings (``ALTER DATABASE ... SET``, ``ALTER ROLE ... IN DATABASE ... SET``,
where pgrestd's in-database configuration lives) are copied after it.

Creating, loading, filling and dropping are done by the *admin* connection:
a role with CREATEDB that can create the dump's objects and their owners
(in practice a superuser, or the owner of everything in the database).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

__all__ = ["MockError", "ScratchDatabase", "pg_bin"]

log = logging.getLogger("pgrestd.mock")

# Settings whose values are lists, written back as they are stored (pg_dumpall does the same).
_LIST_SETTINGS = {"search_path", "temp_tablespaces", "session_preload_libraries", "local_preload_libraries",
                  "shared_preload_libraries"}
_DUMP_ERROR = re.compile(r"^(?:psql:[^:]*:\d+: )?ERROR:\s*(.*)$", re.MULTILINE)


class MockError(Exception):
    """The mock database cannot be made: the message says why and what to do."""


def pg_bin(program: str) -> str:
    """A PostgreSQL client program: from $PG_BIN, the Debian folders (newest first), or PATH."""
    folders = [os.environ.get("PG_BIN", "")] + sorted(
        (str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")), key=_version, reverse=True)
    for folder in filter(None, folders):
        candidate = Path(folder) / program
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(program)
    if found is None:
        raise MockError(f"{program} not found: set PG_BIN to the folder of PostgreSQL's client programs "
                        "(Debian: apt-get install postgresql-client)")
    return found


def _version(folder: str) -> int:
    digits = re.search(r"/(\d+)/bin$", folder)
    return int(digits.group(1)) if digits else 0


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


class ScratchDatabase:
    """``pgrestd_mock_<random>`` on the server of ``admin_uri``, with the schema of ``source``."""

    def __init__(self, admin_uri: str, source: str) -> None:
        self.admin = conninfo_to_dict(admin_uri)
        self.source = source
        self.name = f"pgrestd_mock_{secrets.token_hex(4)}"
        self.created = False
        self.owner_pid = os.getpid()

    def conninfo(self, base: str | None = None, dbname: str | None = None) -> str:
        """``base`` (the admin connection by default) pointed at the scratch database (or ``dbname``)."""
        params = conninfo_to_dict(base) if base is not None else dict(self.admin)
        params["dbname"] = dbname or self.name
        return make_conninfo(**params)

    def connect(self, dbname: str | None = None) -> psycopg.Connection[Any]:
        return psycopg.connect(self.conninfo(dbname=dbname or self.name), autocommit=True,
                               application_name="pgrestd mock", connect_timeout=10)

    def create(self) -> None:
        """CREATE DATABASE with the source's encoding, from template0 (the dump brings everything else)."""
        try:
            with self.connect(self.source) as conn:
                may = conn.execute("SELECT rolsuper OR rolcreatedb, current_user FROM pg_catalog.pg_roles "
                                   "WHERE rolname = current_user").fetchone()
                if not may or not may[0]:
                    user = may[1] if may else "this role"
                    raise MockError(
                        f'role "{user}" may not create databases: run pgrestd mock with --admin-uri set to a '
                        "superuser (or the owner of the database's objects, with CREATEDB), or ALTER ROLE "
                        f'"{user}" CREATEDB')
                encoding = conn.execute(
                    "SELECT pg_catalog.pg_encoding_to_char(encoding) FROM pg_catalog.pg_database "
                    "WHERE datname = current_database()").fetchone()
                conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING {}").format(
                    sql.Identifier(self.name), sql.Literal(encoding[0] if encoding else "UTF8")))
                self.created = True
        except psycopg.Error as exc:
            raise MockError(f"cannot create the scratch database: {_one_line(exc)}") from None

    def load_schema(self) -> list[str]:
        """pg_dump --schema-only of the source into the scratch database, statement by statement in one
        transaction (psql's ON_ERROR_ROLLBACK): what cannot be restored is left out, as pg_restore
        would, and returned as error messages (a view that reads itself, say)."""
        env = dict(os.environ)
        password = self.admin.get("password")
        if password:  # not on a command line, where ps would show it
            env["PGPASSWORD"] = str(password)

        def target(dbname: str) -> str:
            return make_conninfo(**{k: v for k, v in self.admin.items() if k not in ("password", "dbname")},
                                 dbname=dbname)

        dump = subprocess.run(
            [pg_bin("pg_dump"), "--schema-only", "--no-publications", "--no-subscriptions", "-d",
             target(self.source)], capture_output=True, text=True, env=env, check=False)
        if dump.returncode != 0:
            raise MockError(f"pg_dump --schema-only of {self.source} failed: {dump.stderr.strip()}")
        load = subprocess.run(
            [pg_bin("psql"), "-X", "-q", "--single-transaction", "-v", "ON_ERROR_ROLLBACK=on", "-d",
             target(self.name)], input=dump.stdout, capture_output=True, text=True, env=env, check=False)
        errors = list(dict.fromkeys(_DUMP_ERROR.findall(load.stderr)))
        if load.returncode != 0:
            raise MockError(f"loading the schema into {self.name} failed: {load.stderr.strip()[-2000:]}")
        return errors

    def copy_settings(self) -> list[str]:
        """ALTER DATABASE/ROLE ... SET as the source has them; the settings that could not be copied."""
        failed = []
        with self.connect(self.source) as conn:
            rows = conn.execute(
                "SELECT r.rolname, s.setconfig FROM pg_catalog.pg_db_role_setting s "
                "JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase "
                "LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole "
                "WHERE d.datname = current_database() ORDER BY 1 NULLS FIRST").fetchall()
            for role, settings in rows:
                for setting in settings:
                    name, _, value = setting.partition("=")
                    database = sql.Identifier(self.name)
                    target = (sql.SQL("ROLE {} IN DATABASE {}").format(sql.Identifier(role), database)
                              if role else sql.SQL("DATABASE {}").format(database))
                    rendered = sql.SQL(value) if name in _LIST_SETTINGS else sql.Literal(value)
                    try:
                        conn.execute(sql.SQL("ALTER {} SET {} = {}").format(target, sql.Identifier(name),
                                                                            rendered))
                    except psycopg.Error as exc:
                        failed.append(f"{setting} ({role or 'database'}): {_one_line(exc)}")
        return failed

    def drop(self) -> None:
        """DROP DATABASE ... WITH (FORCE), once, from the process that created it (never from a
        forked worker that inherited this object)."""
        if not self.created or os.getpid() != self.owner_pid:
            return
        try:
            with self.connect(self.source) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.name)))
            self.created = False
            log.info("dropped the scratch database %s", self.name)
        except psycopg.Error as exc:
            log.error("could not drop the scratch database %s: %s; drop it by hand", self.name,
                      _one_line(exc))
