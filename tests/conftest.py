"""Shared fixtures: one real PostgreSQL cluster per test session, loaded with the demo schema, and
the factory every integration module declares its databases and pgrestd servers with."""

from __future__ import annotations

import pytest

from tests.support import DEMO_SQL, FIXTURES, Cluster, DemoApi, ServerFactory, server_fixture, start_demo_api


@pytest.fixture(scope="session")
def cluster():
    """The shared cluster; pgrestd's login roles give their passwords, as in a deployment."""
    c = Cluster(passwords=True).init()
    c.create_database("demo", DEMO_SQL)
    yield c
    c.destroy()


@pytest.fixture(scope="session")
def pgrestd_server_factory(cluster, tmp_path_factory):
    """``pgrestd_server_factory(sql, settings, database=..., user=...)``: see ServerFactory.

    Every server it starts is stopped at the end of the session at the latest."""
    factory = ServerFactory(cluster, tmp_path_factory.mktemp("servers"))
    factory.database("demo")  # made by the cluster fixture
    yield factory
    factory.close()


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
def demo_server(pgrestd_server_factory, demo_settings):
    return pgrestd_server_factory(None, demo_settings)



@pytest.fixture(scope="session")
def demo_api_factory(pgrestd_server_factory, cluster, demo_settings):
    """``demo_api_factory("name")``: a DemoApi, pgrestd over a new copy "name" of the demo database
    (made once a session), so that a client's writes touch neither the shared "demo" database nor
    another client's data. The server runs with ``db-plan-enabled`` and otherwise the demo settings."""
    made: dict[str, DemoApi] = {}

    def make(database: str) -> DemoApi:
        if database not in made:
            made[database] = start_demo_api(pgrestd_server_factory, cluster, demo_settings, database)
        return made[database]

    return make

# pgrestd over tests/fixtures/query.sql, with two exposed schemas.
query_server = server_fixture(FIXTURES / "query.sql", {
    "db-schemas": "api,other", "db-anon-role": "q_anon", "db-extra-search-path": "public,extensions",
    "server-workers": 2, "log-level": "info",
}, database="query", user="q_auth", scope="session")


@pytest.fixture(scope="session")
def _spare_cluster():
    """A second cluster, made when a test first needs one, with a template of the demo database."""
    c = Cluster(passwords=True).init()
    c.create_database("demo_template", DEMO_SQL)
    yield c
    c.destroy()


@pytest.fixture()
def own_cluster(_spare_cluster):
    """A cluster for one test to stop and start, or to change roles on: running, its role settings
    reset, and a fresh copy of the demo database in "demo"."""
    c = _spare_cluster
    if not c.running():
        c.start()
    c.execute("ALTER ROLE authenticator RESET ALL")
    c.execute('DROP DATABASE IF EXISTS "demo" WITH (FORCE)')  # its ALTER ROLE ... IN DATABASE settings too
    c.execute('CREATE DATABASE "demo" TEMPLATE "demo_template"')
    return c
