"""The transaction's statements travel as one message over one connection: prepared once, never poisoned.

One worker with one connection, so every request lands on the same database
session and a function can look at that session's prepared statements.
"""

from __future__ import annotations

import jwt
import requests

from tests.support import api_roles, server_fixture

SECRET = "reallyreallyreallyreallyverysafe-protocol"

SQL = api_roles("w_anon", "w_auth") + """
CREATE TABLE api.items (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO api.items SELECT i, 'item ' || i FROM generate_series(1, 300) i;
GRANT SELECT, INSERT ON api.items TO w_anon;

-- The session's prepared statements, seen from inside a request.
CREATE FUNCTION api.prepared() RETURNS bigint STABLE LANGUAGE sql AS
  $$ SELECT count(*) FROM pg_prepared_statements $$;
GRANT EXECUTE ON FUNCTION api.prepared() TO w_anon;

-- Forgets every prepared statement of the session, as a pooler's reset would.
CREATE FUNCTION api.forget() RETURNS void VOLATILE LANGUAGE plpgsql AS
  $$ BEGIN EXECUTE 'DEALLOCATE ALL'; END $$;
GRANT EXECUTE ON FUNCTION api.forget() TO w_anon;

-- Role settings (ALTER ROLE ... SET) hold in each transaction of the role.
ALTER ROLE w_anon SET statement_timeout = '7s';
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'w_serial') THEN CREATE ROLE w_serial NOLOGIN; END IF;
END $$;
GRANT w_serial TO w_auth;
ALTER ROLE w_serial SET default_transaction_isolation = 'serializable';
GRANT USAGE ON SCHEMA api TO w_serial;
CREATE FUNCTION api.timeouts() RETURNS text STABLE LANGUAGE sql AS $$ SELECT current_setting('statement_timeout') $$;
CREATE FUNCTION api.hoisted_timeouts() RETURNS text STABLE LANGUAGE sql SET statement_timeout = '9s' AS
  $$ SELECT current_setting('statement_timeout') $$;
GRANT EXECUTE ON FUNCTION api.timeouts(), api.hoisted_timeouts() TO w_anon;

DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'w_hasty') THEN CREATE ROLE w_hasty NOLOGIN; END IF;
END $$;
GRANT w_hasty TO w_auth;
ALTER ROLE w_hasty SET statement_timeout = '300ms';
GRANT USAGE ON SCHEMA api TO w_hasty;
CREATE FUNCTION api.slow() RETURNS int STABLE LANGUAGE sql AS $$ SELECT 1 FROM pg_sleep(1.5) $$;
GRANT EXECUTE ON FUNCTION api.slow() TO w_anon, w_hasty;

-- Checked when the transaction commits.
CREATE TABLE api.tickets (seat int UNIQUE DEFERRABLE INITIALLY DEFERRED, holder text);
GRANT SELECT, INSERT ON api.tickets TO w_anon;

-- What the transaction of a request is, seen from inside it.
CREATE FUNCTION api.tx_state() RETURNS json STABLE LANGUAGE sql AS $$
  SELECT json_build_object('isolation', current_setting('transaction_isolation'),
                           'read_only', current_setting('transaction_read_only'))
$$;
GRANT EXECUTE ON FUNCTION api.tx_state() TO w_anon, w_serial;
CREATE FUNCTION api.write_state() RETURNS json VOLATILE LANGUAGE sql AS $$ SELECT api.tx_state() $$;
GRANT EXECUTE ON FUNCTION api.write_state() TO w_anon;
CREATE FUNCTION api.serial_state() RETURNS json STABLE LANGUAGE sql
  SET default_transaction_isolation = 'serializable' AS $$ SELECT api.tx_state() $$;
GRANT EXECUTE ON FUNCTION api.serial_state() TO w_anon;
CREATE FUNCTION api.sneaky_write() RETURNS int VOLATILE LANGUAGE sql AS
  $$ INSERT INTO api.items VALUES (5000, 'sneaky') RETURNING id $$;
GRANT EXECUTE ON FUNCTION api.sneaky_write() TO w_anon;

CREATE FUNCTION api.guard() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('request.headers', true)::json ->> 'x-refuse' = 'yes' THEN
    RAISE EXCEPTION 'refused by the pre-request';
  END IF;
END $$;
GRANT EXECUTE ON FUNCTION api.guard() TO w_anon;
"""

HOISTED = "default_transaction_isolation,statement_timeout"
BASE = {"db-hoisted-tx-settings": HOISTED, "db-schemas": "api", "db-anon-role": "w_anon", "jwt-secret": SECRET, "server-workers": 1, "db-pool": 1,
        "db-pre-request": "api.guard"}

server = server_fixture(SQL, BASE, database="protocol", user="w_auth")
unprepared = server_fixture(SQL, {**BASE, "db-prepared-statements": False}, database="protocol", user="w_auth")


def _get(srv, path: str, **headers: str) -> requests.Response:
    return requests.get(srv.url + path, headers=headers, timeout=10)


def _prepared(srv) -> int:
    r = _get(srv, "/rpc/prepared")
    assert r.status_code == 200, r.text
    return r.json()


def test_a_failed_settings_statement_does_not_poison_the_shape(server):
    """A statement the server skipped (the settings failed first) is prepared again, not assumed prepared.

    Whichever execution of a shape prepares its statement, a failure there must not leave it half-known.
    """
    for uses in range(1, 9):
        path = f"/items?id=eq.7&select=name&name=neq.{'x' * uses}"  # a shape of its own for each count
        for _ in range(uses):
            assert _get(server, path).json() == [{"name": "item 7"}]
        r = _get(server, path, Prefer="timezone=Bogus/Zone")
        assert r.status_code == 400 and r.json()["code"] == "22023", r.text
        for _ in range(3):
            r = _get(server, path)
            assert r.status_code == 200, (uses, r.text)
    # A failed statement leaves nothing half-finished for a finaliser to complain about.
    assert "error ignored" not in server.log() and "Traceback" not in server.log()


def test_a_refusing_pre_request_or_an_unknown_role_does_not_poison_the_shape(server):
    path = "/items?id=gt.290&select=id&order=id&limit=2"
    refused = _get(server, path, **{"X-Refuse": "yes"})
    assert refused.status_code == 400 and refused.json()["message"] == "refused by the pre-request", refused.text
    ghost = "Bearer " + jwt.encode({"role": "no_such_role"}, SECRET, algorithm="HS256")
    r = _get(server, path, Authorization=ghost)
    assert r.status_code == 401 and r.json()["code"] == "22023", r.text  # PostgREST: role does not exist
    for _ in range(3):
        assert _get(server, path).json() == [{"id": 291}, {"id": 292}]


def test_prepared_statements_are_reused_and_bounded(server):
    before = _prepared(server)
    for _ in range(3):
        assert _get(server, "/items?id=eq.1&select=id").status_code == 200
    assert _prepared(server) - before <= 1  # one shape, prepared once (its settings and BEGIN are already there)
    # 150 shapes: the session keeps at most 100 statements, and an evicted shape still works.
    for n in range(150):
        r = _get(server, f"/items?select=id&id=eq.1&name=neq.x&limit={n + 1}&offset=0&order=id.desc,name")
        assert r.status_code == 200, r.text
        r = _get(server, "/items?select=id&id=eq.1&" + "&".join(["name=neq.x"] * (n % 40 + 1)))
        assert r.status_code == 200, r.text
    assert _prepared(server) <= 101  # the one counting has just been prepared and may be the 101st
    # A full cache evicts on every new shape; a request that fails meanwhile still reports its own error.
    for n in range(3):
        r = _get(server, f"/items?select=id&id=eq.{n}&name=neq.{n}", Prefer="timezone=Bogus/Zone")
        assert r.status_code == 400 and r.json()["code"] == "22023", r.text
        r = _get(server, f"/items?select=id,name&id=eq.{n + 1}&limit={n + 1}")
        assert r.status_code == 200, r.text
    assert _get(server, "/items?id=eq.1&select=id").json() == [{"id": 1}]


def test_a_session_that_lost_its_statements_recovers(server):
    assert _get(server, "/items?id=eq.3&select=id").status_code == 200
    requests.post(server.url + "/rpc/forget", json={}, timeout=10)
    answers = [_get(server, "/items?id=eq.3&select=id").status_code for _ in range(3)]
    # At most the first request after the loss fails (with PostgreSQL's 26000); then the session prepares again.
    assert answers[1:] == [200, 200], answers


def test_without_prepared_statements_nothing_is_prepared(unprepared):
    for _ in range(6):
        assert _get(unprepared, "/items?id=eq.5&select=name").json() == [{"name": "item 5"}]
    r = requests.post(unprepared.url + "/items", json={"id": 1001, "name": "new"},
                      headers={"Prefer": "return=representation"}, timeout=10)
    assert r.status_code == 201 and r.json() == [{"id": 1001, "name": "new"}], r.text
    assert _prepared(unprepared) == 0


def test_reads_run_read_only_and_read_committed(server):
    r = _get(server, "/rpc/tx_state")
    assert r.status_code == 200, r.text
    assert r.json()["isolation"] == "read committed" and r.json()["read_only"] == "on"
    r = requests.post(server.url + "/rpc/write_state", json={}, timeout=10)
    assert r.json()["isolation"] == "read committed" and r.json()["read_only"] == "off"
    # A function's own isolation level still holds for a read.
    assert _get(server, "/rpc/serial_state").json()["isolation"] == "serializable"
    # A GET cannot write, whatever it calls (PostgREST's read-only transaction).
    r = _get(server, "/rpc/sneaky_write")
    assert r.status_code == 405 and r.json()["code"] == "25006", r.text
    assert _get(server, "/items?id=eq.5000").json() == []


def test_reads_stay_read_committed_when_the_database_defaults_to_another_level(pgrestd_server_factory, cluster):
    database = pgrestd_server_factory.database("protocol_serial", SQL)
    cluster.execute(f"ALTER DATABASE {database} SET default_transaction_isolation = 'repeatable read'")
    srv = pgrestd_server_factory(None, BASE, database=database, user="w_auth")
    try:
        r = _get(srv, "/rpc/tx_state")
        assert r.status_code == 200, r.text
        assert r.json()["isolation"] == "read committed" and r.json()["read_only"] == "on"
    finally:
        srv.stop()


def test_a_deferred_constraint_fails_the_write_at_commit_and_nothing_is_written(server):
    r = requests.post(server.url + "/tickets", json=[{"seat": 1, "holder": "a"}, {"seat": 1, "holder": "b"}],
                      headers={"Prefer": "return=representation"}, timeout=10)
    assert r.status_code == 409 and r.json()["code"] == "23505", r.text
    assert _get(server, "/tickets").json() == []
    r = requests.post(server.url + "/tickets", json={"seat": 2, "holder": "c"}, timeout=10)
    assert r.status_code == 201, r.text
    assert _get(server, "/tickets?select=seat").json() == [{"seat": 2}]


def test_the_roles_own_settings_hold_in_its_transactions(server):
    """ALTER ROLE ... SET applies to the role's requests; a function's hoisted setting wins over it."""
    assert _get(server, "/rpc/timeouts").json() == "7s"
    assert _get(server, "/rpc/hoisted_timeouts").json() == "9s"
    serial = "Bearer " + jwt.encode({"role": "w_serial"}, SECRET, algorithm="HS256")
    r = _get(server, "/rpc/tx_state", Authorization=serial)
    assert r.status_code == 200, r.text
    assert r.json() == {"isolation": "serializable", "read_only": "on"}
    assert _get(server, "/rpc/tx_state").json()["isolation"] == "read committed"


def test_a_long_statement_finishes_and_a_role_timeout_ends_it_with_an_error(server):
    """No request timeout of its own (server-timeout defaults to 0): statement_timeout is the limit."""
    assert _get(server, "/rpc/slow").json() == 1
    hasty = "Bearer " + jwt.encode({"role": "w_hasty"}, SECRET, algorithm="HS256")
    r = _get(server, "/rpc/slow", Authorization=hasty)
    assert r.status_code == 500 and r.json()["code"] == "57014", r.text
    assert _get(server, "/rpc/slow").json() == 1  # the worker and its connection serve on
