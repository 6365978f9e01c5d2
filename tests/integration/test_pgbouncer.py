"""Behind PgBouncer in transaction pooling mode: db-prepared-statements = false, and the listener around the pooler.

PgBouncer hands each transaction to whichever server connection is free, so
nothing may outlive a transaction: no prepared statement, no LISTEN. The
listener connects straight to PostgreSQL with db-channel-uri.
"""

from __future__ import annotations

import os
import time

import pytest
import requests

from tests.support import Cluster, PgBouncer, api_roles

SQL = api_roles("b_anon", "b_auth") + """
CREATE TABLE api.notes (id int PRIMARY KEY, body text);
GRANT SELECT, INSERT, UPDATE ON api.notes TO b_anon;
CREATE FUNCTION api.backend() RETURNS int STABLE LANGUAGE sql AS $$ SELECT pg_backend_pid() $$;
GRANT EXECUTE ON FUNCTION api.backend() TO b_anon;
"""


@pytest.fixture(scope="module")
def bouncer():
    if not os.access(PgBouncer.BINARY, os.X_OK):
        pytest.skip("pgbouncer is not installed (make test installs it from Debian)")
    db = Cluster().init()
    db.create_database("bounced", SQL)
    pool = PgBouncer(db, "bounced", ["b_auth"])
    yield db, pool.port
    pool.stop()
    db.destroy()


def test_pgrestd_behind_pgbouncer_in_transaction_mode(bouncer, pgrestd_server_factory):
    db, port = bouncer
    server = pgrestd_server_factory(None, {
        "db-uri": f"postgresql://b_auth@127.0.0.1:{port}/bounced",
        "db-channel-uri": db.uri("b_auth", "bounced"),
        "db-prepared-statements": False,
        "db-schemas": "api", "db-anon-role": "b_anon", "server-workers": 2, "db-pool": 6,
    })
    try:
        failed = 0
        backends = set()
        for i in range(60):
            r = requests.post(server.url + "/notes", json={"id": i, "body": f"n{i}"},
                              headers={"Prefer": "return=representation"}, timeout=10)
            failed += r.status_code != 201
            r = requests.get(server.url + f"/notes?id=eq.{i}&select=body", timeout=10)
            failed += r.json() != [{"body": f"n{i}"}]
            r = requests.patch(server.url + f"/notes?id=eq.{i}", json={"body": "done"}, timeout=10)
            failed += r.status_code != 204
            r = requests.get(server.url + "/rpc/backend", timeout=10)
            failed += r.status_code != 200
            backends.add(r.json())
        assert failed == 0
        # Six pgrestd connections shared two server connections.
        assert 1 <= len(backends) <= 2
        assert requests.get(server.url + "/notes?body=eq.done&select=id", timeout=10).json() == [
            {"id": i} for i in range(60)]
        # A migration, announced on the channel: the listener, connected around the pooler, hears it.
        db.execute("CREATE TABLE api.later (id int); GRANT SELECT ON api.later TO b_anon; "
                   "NOTIFY pgrst, 'reload schema'", dbname="bounced")
        deadline = time.monotonic() + 15
        while requests.get(server.url + "/later", timeout=10).status_code != 200:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.2)
    finally:
        server.stop()
