"""The Gunicorn runtime: SIGHUP and NOTIFY reloads, database outages, graceful exit."""

from __future__ import annotations

import re
import signal
import threading
import time

import psycopg
import pytest
import requests

from tests.support import until

SETTINGS = {"db-schemas": "api", "db-anon-role": "anon", "log-level": "info", "server-workers": 2}


@pytest.fixture()
def start(own_cluster, pgrestd_server_factory):
    """``start(**settings)``: a pgrestd over the demo database of own_cluster (see conftest.py)."""

    def start(wait_ok: bool = True, **settings: object):
        return pgrestd_server_factory(None, {**SETTINGS, **settings}, database="demo", user="authenticator",
                                      cluster=own_cluster, wait_ok=wait_ok)

    return start





class Hammer(threading.Thread):
    """Sends requests back to back until stopped; records every failure."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stop_event = threading.Event()
        self.count = 0
        self.failures: list[str] = []

    def run(self) -> None:
        session = requests.Session()
        deadline = time.monotonic() + 120  # bounded even if the test forgets to stop it
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            try:
                r = session.get(self.url, timeout=10)
                if r.status_code != 200:
                    self.failures.append(f"{r.status_code} {r.text[:200]}")
            except requests.RequestException as exc:
                self.failures.append(repr(exc))
            self.count += 1


def test_sighup_reloads_schema_without_failed_requests(own_cluster, start):
    server = start()
    try:
        assert server.get("/festivals").status_code == 404
        hammers = [Hammer(server.url + "/films") for _ in range(3)]
        for h in hammers:
            h.start()
        time.sleep(1.0)
        own_cluster.execute(
            "CREATE TABLE api.festivals (id int PRIMARY KEY, name text);"
            "INSERT INTO api.festivals VALUES (1, 'Cannes');"
            "GRANT SELECT ON api.festivals TO anon;", dbname="demo")
        server.signal(signal.SIGHUP)
        assert until(lambda: server.get("/festivals").status_code == 200)
        time.sleep(1.0)
        for h in hammers:
            h.stop_event.set()
        for h in hammers:
            h.join()
        assert server.get("/festivals").json() == [{"id": 1, "name": "Cannes"}]
        total = sum(h.count for h in hammers)
        failures = [f for h in hammers for f in h.failures]
        assert total > 50
        assert failures == []
    finally:
        assert server.stop() == 0


def test_notify_reload_schema(own_cluster, start):
    server = start()
    try:
        own_cluster.execute(
            "CREATE TABLE api.awards (id int PRIMARY KEY); GRANT SELECT ON api.awards TO anon;"
            "NOTIFY pgrst, 'reload schema';", dbname="demo")
        assert until(lambda: server.get("/awards").status_code == 200)
    finally:
        server.stop()


def test_notify_reload_config(own_cluster, start):
    server = start()
    try:
        assert len(server.get("/films").json()) == 12
        server.settings["db-max-rows"] = 2
        server.write_conf()
        own_cluster.execute("NOTIFY pgrst, 'reload config'", dbname="demo")
        assert until(lambda: len(server.get("/films").json()) == 2)
    finally:
        server.stop()


def test_notify_channel_can_be_disabled(own_cluster, start):
    server = start(**{"db-channel-enabled": False})
    try:
        own_cluster.execute(
            "CREATE TABLE api.quiet (id int); GRANT SELECT ON api.quiet TO anon;"
            "NOTIFY pgrst, 'reload schema';", dbname="demo")
        time.sleep(2.0)
        assert server.get("/quiet").status_code == 404
    finally:
        server.stop()


def test_database_down_at_start_then_recovers(own_cluster, start):
    own_cluster.stop()
    server = start(wait_ok=False)
    try:
        r = server.get("/films")
        assert r.status_code == 503
        assert r.json()["code"] in ("PGRST000", "PGRST002")
        own_cluster.start()
        # The watcher retries with backoff (1, 2, 4 s ...): recovery within a few seconds.
        assert until(lambda: server.get("/films").status_code == 200, timeout=40)
    finally:
        server.stop()


def test_database_outage_while_serving(own_cluster, start):
    server = start()
    try:
        assert server.get("/films").status_code == 200
        own_cluster.stop()
        assert until(lambda: server.get("/films").status_code == 503)
        r = server.get("/films")
        assert r.json()["code"] in ("PGRST000", "PGRST001")
        own_cluster.start()
        assert until(lambda: server.get("/films").status_code == 200, timeout=40)
    finally:
        server.stop()


def test_failed_reload_keeps_serving_old_cache(own_cluster, start):
    server = start()
    try:
        own_cluster.stop()
        server.signal(signal.SIGHUP)
        time.sleep(2.0)
        assert "still serving the previous one" in server.log()
        own_cluster.start()
        assert until(lambda: server.get("/films").status_code == 200, timeout=40)
    finally:
        server.stop()


def test_sigterm_drains_and_exits_zero(own_cluster, start):
    own_cluster.execute("CREATE VIEW api.slow AS SELECT 1 AS x FROM pg_sleep(2);"
                        "GRANT SELECT ON api.slow TO anon;", dbname="demo")
    server = start()
    results: list[object] = []

    def slow_request() -> None:
        try:
            r = server.get("/slow")
            results.append((r.status_code, r.json()))
        except requests.RequestException as exc:
            results.append(exc)

    t = threading.Thread(target=slow_request)
    t.start()
    time.sleep(0.5)  # the request is in flight, inside pg_sleep
    started = time.monotonic()
    assert server.stop() == 0
    t.join()
    assert results == [(200, [{"x": 1}])]
    assert time.monotonic() - started >= 1.0  # it waited for the request


def test_log_level_filters_access_log(own_cluster, start):
    server = start(**{"log-level": "warn"})
    try:
        server.get("/films?select=id&id=eq.1", headers={"User-Agent": "ok-request"})
        server.get("/nope", headers={"User-Agent": "missing-request"})
        assert until(lambda: "missing-request" in server.log(), timeout=5)
        assert "ok-request" not in server.log()
    finally:
        server.stop()


def test_reloaded_config_moves_the_listener_to_the_new_channel(own_cluster, start):
    server = start()
    try:
        server.settings["db-channel"] = "pgrestd_other"
        server.write_conf()
        server.signal(signal.SIGHUP)
        assert until(lambda: "restarting the listener" in server.log(), timeout=10)
        time.sleep(1.5)  # the new listener connects and LISTENs
        own_cluster.execute(
            "CREATE TABLE api.moved (id int); GRANT SELECT ON api.moved TO anon;"
            "NOTIFY pgrestd_other, 'reload schema';", dbname="demo")
        assert until(lambda: server.get("/moved").status_code == 200)
    finally:
        server.stop()


def test_in_database_configuration(own_cluster, start):
    own_cluster.execute("ALTER ROLE authenticator IN DATABASE demo SET pgrst.db_max_rows = '2'", dbname="demo")
    own_cluster.execute("ALTER ROLE authenticator SET pgrst.db_max_rows = '9'")  # the database-specific one wins
    server = start()
    try:
        assert len(server.get("/films").json()) == 2
        own_cluster.execute("ALTER ROLE authenticator IN DATABASE demo SET pgrst.db_max_rows = '3';"
                            "NOTIFY pgrst, 'reload config'", dbname="demo")
        assert until(lambda: len(server.get("/films").json()) == 3)
    finally:
        server.stop()
    # db-config = false ignores the database; db-pre-config's settings win over the role's.
    server = start(**{"db-config": False})
    try:
        assert len(server.get("/films").json()) == 12
    finally:
        server.stop()
    own_cluster.execute("CREATE FUNCTION public.pre_config() RETURNS void LANGUAGE sql AS "
                        "$$ SELECT set_config('pgrst.db_max_rows', '1', true) $$", dbname="demo")
    server = start(**{"db-pre-config": "public.pre_config"})
    try:
        assert len(server.get("/films").json()) == 1
    finally:
        server.stop()


def test_a_schema_that_does_not_exist_is_named_in_the_log(own_cluster, start):
    server = start(**{"db-schemas": "api, nowhere"})
    try:
        assert server.get("/films?select=id&limit=1").status_code == 200
        assert until(lambda: "'nowhere', which does not exist" in server.log(), timeout=5), server.log()
        assert "'api'" not in server.log()
    finally:
        server.stop()


# Every line the server writes: pgrestd's records (psycopg's among them), Gunicorn's own, the access log.
_STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}"
_PID_LEVEL = r"\[\d+\] \[(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\]"
LINE_SHAPES = (
    re.compile(rf"{_STAMP} {_PID_LEVEL} [\w.]+: \S"),
    re.compile(rf"\[{_STAMP}\] {_PID_LEVEL} \S"),
    re.compile(r'\S+ - \S+ \[[^\]]+\] "[^"]*" \d{3} '),
)


def unshaped_lines(log: str) -> list[str]:
    """Lines that bypassed the log format (Python's last-resort handler writes bare messages)."""
    return [line for line in log.splitlines() if not any(shape.match(line) for shape in LINE_SHAPES)]


def test_database_down_at_start_is_logged_in_format(own_cluster, start):
    """What the first reads of the database (in-database configuration, schema cache) log is formatted too."""
    own_cluster.stop()
    server = start(wait_ok=False)
    try:
        assert server.get("/films").status_code == 503
        assert until(lambda: "could not read the in-database configuration" in server.log(), timeout=10)
    finally:
        server.stop()
    log = server.log()
    assert unshaped_lines(log) == [], log
    (line,) = [ln for ln in log.splitlines() if "could not read the in-database configuration" in ln]
    assert "[WARNING] pgrestd.config: " in line and "Connection refused" in line


def test_pool_connection_failure_is_one_warning_line(own_cluster, start):
    """A worker's pool failing to connect says so in pgrestd's format: level, to where, why, on one line.

    The login role's password changes under a running server (the listener keeps its session, so
    the database still counts as up) and the pool's sessions end: each reconnection is refused.
    """
    server = start(**{"db-pool-acquisition-timeout": 1})
    try:
        for _ in range(8):  # both workers open their pools
            assert server.get("/films?select=id&limit=1").status_code == 200
        own_cluster.execute("ALTER ROLE authenticator PASSWORD 'rotated';"
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE usename = 'authenticator' AND application_name = 'pgrestd'")

        def refused() -> bool:
            assert server.get("/films?select=id&limit=1").status_code >= 500
            return "error connecting in 'pgrestd'" in server.log()

        assert until(refused, timeout=30), server.log()
    finally:
        own_cluster.execute("ALTER ROLE authenticator PASSWORD 'authenticator'")
        server.stop()
    log = server.log()
    assert unshaped_lines(log) == [], log
    assert "Traceback" not in log
    failures = [line for line in log.splitlines() if "error connecting in 'pgrestd'" in line]
    assert failures
    for line in failures:
        assert "[WARNING] psycopg.pool: " in line, line
        assert f'connection to server at "127.0.0.1", port {own_cluster.port} failed: ' in line, line
        assert 'password authentication failed for user "authenticator"' in line, line


def test_failed_statements_leave_no_psycopg_noise(own_cluster, start):
    """A failure inside psycopg's pipeline is reported once, by pgrestd: psycopg's afterthought
    ("error ignored terminating <psycopg.Pipeline ...>: ...") is not an operator's concern.

    Requests no longer use psycopg's pipeline (protocol.py drives libpq's); the schema cache
    still does, so its session is ended while it waits on a lock in the middle of its queries.
    """
    server = start()
    try:
        r = server.get("/films?id=eq.not-a-number")
        assert r.status_code == 400 and r.json()["code"] == "22P02"
        r = server.get("/films", headers={"Prefer": "timezone=Bogus/Zone"})  # the settings statement fails
        assert r.status_code == 400 and r.json()["code"] == "22023"
        with psycopg.connect(own_cluster.uri(dbname="demo")) as locker, \
                psycopg.connect(own_cluster.uri(dbname="demo"), autocommit=True) as admin:
            locker.execute("LOCK TABLE api.films IN ACCESS EXCLUSIVE MODE")
            server.signal(signal.SIGHUP)

            def ended() -> bool:
                return admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'pgrestd schema cache' AND wait_event_type = 'Lock'").fetchone()[0] > 0

            assert until(ended, timeout=20)
            assert until(lambda: "still serving the previous one" in server.log(), timeout=20), server.log()
            locker.rollback()
        assert server.get("/films?select=id&limit=1").status_code == 200
    finally:
        server.stop()
    log = server.log()
    assert unshaped_lines(log) == [], log
    (failed,) = [line for line in log.splitlines() if "still serving the previous one" in line]
    assert "[ERROR] pgrestd.server: " in failed and "terminating connection due to administrator command" in failed
    assert "error ignored" not in log and "pipeline aborted" not in log, log
