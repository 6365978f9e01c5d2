"""/metrics on the admin port: PostgREST's metrics and pgrestd's request counts, summed over the workers.

A worker replaced on SIGHUP takes nothing with it: its counts stay in the sum.
"""

from __future__ import annotations

import signal
import time

import jwt
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support import api_roles, free_port

SECRET = "reallyreallyreallyreallyverysafe-metrics"

SQL = api_roles("m_anon", "m_auth") + """
CREATE TABLE api.things (id int PRIMARY KEY);
INSERT INTO api.things VALUES (1), (2);
GRANT SELECT, INSERT ON api.things TO m_anon;
"""


def _samples(admin: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = requests.get(admin + "/metrics", timeout=5)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain"), r.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_cache_loads_pool_and_jwt_across_a_reload(pgrestd_server_factory):
    port = free_port()
    admin = f"http://127.0.0.1:{port}"
    server = pgrestd_server_factory(SQL, {
        "db-schemas": "api", "db-anon-role": "m_anon", "jwt-secret": SECRET, "admin-server-port": port,
        "server-workers": 2, "db-pool": 4,
    }, database="metrics", user="m_auth")
    try:
        before = _samples(admin)
        assert _value(before, "pgrst_schema_cache_loads_total", status="SUCCESS") == 1
        assert _value(before, "pgrst_schema_cache_query_time_seconds") > 0
        # The fixture's readiness probe (GET /) may already be counted.
        ok0 = _value(before, "pgrestd_http_requests_total", method="GET", status="2xx")
        timed0 = _value(before, "pgrestd_http_request_duration_seconds_count", method="GET")

        for _ in range(10):
            assert server.get("/things").status_code == 200
        for _ in range(3):
            assert server.get("/nothing").status_code == 404
        r = requests.post(server.url + "/things", json={"id": 3}, timeout=5)
        assert r.status_code == 201, r.text
        token = "Bearer " + jwt.encode({"role": "m_anon"}, SECRET, algorithm="HS256")
        for _ in range(4):
            assert server.get("/things", headers={"Authorization": token}).status_code == 200

        after = _samples(admin)
        assert _value(after, "pgrestd_http_requests_total", method="GET", status="2xx") == ok0 + 14
        assert _value(after, "pgrestd_http_requests_total", method="GET", status="4xx") == 3
        assert _value(after, "pgrestd_http_requests_total", method="POST", status="2xx") == 1
        assert _value(after, "pgrestd_http_request_duration_seconds_count", method="GET") == timed0 + 17
        assert 0 < _value(after, "pgrestd_http_request_duration_seconds_sum", method="GET") < 17
        assert _value(after, "pgrst_jwt_cache_requests_total") == 4
        # Each worker has its own cache: at least the second lookup of one of them hits.
        assert 2 <= _value(after, "pgrst_jwt_cache_hits_total") <= 3
        assert _value(after, "pgrst_db_pool_timeouts_total") == 0
        # Sampled by the workers that served: each holds half of db-pool.
        assert _value(after, "pgrst_db_pool_max") in (2, 4)
        assert 0 <= _value(after, "pgrst_db_pool_available") <= 4

        server.signal(signal.SIGHUP)  # new workers, a second schema cache load
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            reloaded = _samples(admin)
            if _value(reloaded, "pgrst_schema_cache_loads_total", status="SUCCESS") == 2:
                break
            time.sleep(0.2)
        assert _value(reloaded, "pgrst_schema_cache_loads_total", status="SUCCESS") == 2
        time.sleep(1.5)  # the old workers finish and exit
        for _ in range(5):
            assert server.get("/things").status_code == 200
        final = _samples(admin)
        # The replaced workers' counts are still there.
        assert _value(final, "pgrestd_http_requests_total", method="GET", status="2xx") == ok0 + 19
        assert _value(final, "pgrst_jwt_cache_requests_total") == 4
        # Only live workers count towards the pool gauges.
        assert _value(final, "pgrst_db_pool_max") in (2, 4)
        # The admin port's own requests are not counted.
        assert _value(final, "pgrestd_http_requests_total", method="GET", status="5xx") == 0
    finally:
        server.stop()
