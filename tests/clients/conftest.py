"""Fixtures for the client-library tests: a pgrestd over a fresh copy of the demo database.

Each client library gets a database of its own, loaded from conf/demo.sql, so that its writes
touch neither the session's shared "demo" database nor the other library's data. The server runs
with ``db-plan-enabled`` (for ``explain()``) and otherwise the demo settings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
import psycopg
import pytest

from tests.support import DEMO_SQL, Cluster, Server, ServerFactory


@dataclass
class DemoApi:
    """A running pgrestd over its own copy of the demo database."""

    server: Server
    cluster: Cluster
    database: str
    secret: str

    @property
    def url(self) -> str:
        return self.server.url

    def token(self, sub: str = "alice", role: str = "web_user", expires_in: int = 3600) -> str:
        """A JWT for ``role`` (web_user may write actors, roles and its own reviews), valid for
        ``expires_in`` seconds (expired already when that is negative)."""
        claims = {"role": role, "sub": sub, "exp": int(time.time()) + expires_in}
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def sql(self, query: str, params: tuple | None = None) -> list[tuple]:
        """Run ``query`` as the superuser (bypassing row-level security) and return its rows, if any."""
        with psycopg.connect(self.cluster.uri(dbname=self.database), autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []


def start_demo_api(factory: ServerFactory, cluster: Cluster, demo_settings: dict, database: str) -> DemoApi:
    settings = {k: v for k, v in demo_settings.items() if k != "db-uri"}
    settings["db-plan-enabled"] = True
    server = factory(DEMO_SQL, settings, database=database, user="authenticator", password="authenticator")
    return DemoApi(server, cluster, database, str(demo_settings["jwt-secret"]))


@pytest.fixture(scope="session")
def demo_api_factory(pgrestd_server_factory, cluster, demo_settings):
    """``demo_api_factory("name")``: a DemoApi over a new database "name" (made once a session)."""
    made: dict[str, DemoApi] = {}

    def make(database: str) -> DemoApi:
        if database not in made:
            made[database] = start_demo_api(pgrestd_server_factory, cluster, demo_settings, database)
        return made[database]

    return make
