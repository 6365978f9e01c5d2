"""The admin port: /live, /ready (follows the database), /config and /schema_cache."""

from __future__ import annotations

import time

import requests

from tests.support import free_port


def test_admin_endpoints_follow_the_database(own_cluster, pgrestd_server_factory):
    cluster = own_cluster
    admin = free_port()
    server = pgrestd_server_factory(None, {
        "db-schemas": "api",
        "db-anon-role": "anon",
        "admin-server-port": admin,
        "server-workers": 1,
    }, database="demo", user="authenticator", cluster=cluster)
    base = f"http://127.0.0.1:{admin}"
    try:
        assert requests.get(base + "/live", timeout=5).status_code == 200
        assert requests.get(base + "/ready", timeout=5).status_code == 200
        assert "db-schemas = \"api\"" in requests.get(base + "/config", timeout=5).text
        names = {t["name"] for t in requests.get(base + "/schema_cache", timeout=5).json()["tables"]}
        assert "films" in names
        assert requests.get(base + "/films", timeout=5).status_code == 404  # the API is not on this port
        assert server.get("/live").status_code == 404  # and the admin routes are not on the API's
        cluster.stop()
        deadline = time.monotonic() + 20
        while requests.get(base + "/ready", timeout=5).status_code != 503 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert requests.get(base + "/ready", timeout=5).status_code == 503
        assert requests.get(base + "/live", timeout=5).status_code == 200
        cluster.start()
        deadline = time.monotonic() + 40
        while requests.get(base + "/ready", timeout=5).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert requests.get(base + "/ready", timeout=5).status_code == 200
    finally:
        server.stop()
