"""Shared fixtures: one real PostgreSQL cluster per test session, loaded with the demo schema."""

from __future__ import annotations

import pytest

from tests.support import ROOT, Cluster, Server


@pytest.fixture(scope="session")
def cluster():
    c = Cluster().init()
    c.create_database("demo", ROOT / "conf" / "demo.sql")
    yield c
    c.destroy()


@pytest.fixture(scope="session")
def demo_settings(cluster):
    """The demo configuration pointed at the test cluster."""
    return {
        "db-uri": cluster.uri("authenticator", "demo", "authenticator"),
        "db-schemas": "api",
        "db-anon-role": "anon",
        "jwt-secret": "reallyreallyreallyreallyverysafe-demo",
        "log-level": "info",
        "server-workers": 2,
    }


@pytest.fixture(scope="session")
def demo_server(cluster, demo_settings, tmp_path_factory):
    server = Server(dict(demo_settings), tmp_path_factory.mktemp("server")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def query_server(cluster, tmp_path_factory):
    """pgrestd over tests/fixtures/query.sql, with two exposed schemas."""
    cluster.create_database("query", ROOT / "tests" / "fixtures" / "query.sql")
    settings = {
        "db-uri": cluster.uri("q_auth", "query", "q_auth"),
        "db-schemas": "api,other",
        "db-anon-role": "q_anon",
        "db-extra-search-path": "public,extensions",
        "server-workers": 2,
        "log-level": "info",
    }
    server = Server(settings, tmp_path_factory.mktemp("query-server")).start()
    yield server
    server.stop()
