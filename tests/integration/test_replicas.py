"""db-uri-read-replicas: reads on a streaming standby, writes on the primary, and no read lost when the standby
lags, stops or comes back.
"""

from __future__ import annotations

import pytest
import requests

from tests.support import Cluster, api_roles, until

SQL = api_roles("r_anon", "r_auth") + """
CREATE TABLE api.items (id int PRIMARY KEY, name text);
GRANT SELECT, INSERT ON api.items TO r_anon;
CREATE FUNCTION api.served_by() RETURNS text STABLE LANGUAGE sql AS
  $$ SELECT CASE WHEN pg_is_in_recovery() THEN 'standby' ELSE 'primary' END $$;
GRANT EXECUTE ON FUNCTION api.served_by() TO r_anon;
"""


@pytest.fixture(scope="module")
def clusters():
    primary = Cluster().init()
    primary.create_database("replicas", SQL)
    standby = primary.standby()
    yield primary, standby
    standby.destroy()
    primary.destroy()




def test_reads_use_the_replica_and_survive_its_lag_and_its_outage(clusters, pgrestd_server_factory):
    primary, standby = clusters
    server = pgrestd_server_factory(None, {
        "db-uri": primary.uri("r_auth", "replicas"), "db-uri-read-replicas": standby.uri("r_auth", "replicas"),
        "db-read-replicas-max-lag": 1, "db-schemas": "api", "db-anon-role": "r_anon",
        "server-workers": 1, "db-pool": 2,
    })
    sent = failed = 0
    failures: list[str] = []

    def served_by(method: str = "GET") -> str:
        nonlocal sent, failed
        sent += 1
        r = requests.request(method, server.url + "/rpc/served_by", json={} if method == "POST" else None, timeout=10)
        if r.status_code != 200:
            failed += 1
            failures.append(f"{method} {r.status_code} {r.text}")
            return f"{r.status_code} {r.text}"
        return r.json()

    try:
        # Reads (GET of a table, GET of a stable function) on the standby; POST and writes on the primary.
        assert served_by() == "standby"
        assert served_by("POST") == "primary"
        r = requests.post(server.url + "/items", json={"id": 1, "name": "first"}, timeout=10)
        assert r.status_code == 201, r.text
        assert until(lambda: requests.get(server.url + "/items?id=eq.1", timeout=10).json() == [{"id": 1, "name": "first"}])

        # Replay paused while the primary writes: the standby falls behind and reads move to the primary.
        with_standby = primary.uri(dbname="replicas").replace(str(primary.port), str(standby.port))
        _sql(with_standby, "SELECT pg_wal_replay_pause()")
        requests.post(server.url + "/items", json={"id": 2, "name": "second"}, timeout=10)
        assert until(lambda: served_by() == "primary", timeout=10)
        assert requests.get(server.url + "/items?id=eq.2", timeout=10).json() == [{"id": 2, "name": "second"}]
        _sql(with_standby, "SELECT pg_wal_replay_resume()")
        assert until(lambda: served_by() == "standby", timeout=15)

        # The standby stops: every read is answered, by the primary.
        standby.stop()
        answers = [served_by() for _ in range(30)]
        assert set(answers) == {"primary"}, answers
        # It comes back: reads return to it.
        standby.start()
        assert until(lambda: served_by() == "standby", timeout=20)
        assert failed == 0, f"{failed} of {sent} reads failed: {failures}\n{server.log()[-3000:]}"
    finally:
        server.stop()
        if not standby.running():
            standby.start()


def _sql(uri: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute(sql)
