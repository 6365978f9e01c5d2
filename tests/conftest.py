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
