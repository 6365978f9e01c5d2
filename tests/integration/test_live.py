"""Live endpoints (pgrestd.live): GET with Accept: text/event-stream over the demo database, whose
conf/demo-live.sql watches films and reviews. Streams are read with a plain socket (tests.support.EventStream)."""

from __future__ import annotations

import signal
import time

import jwt
import psycopg
import pytest
import requests

from tests.support import DEMO_SQL, EventStream, until

DATABASE = "live"
FILMS = "/films?year=gte.2000&select=title,director:directors(name)&order=id"


@pytest.fixture(scope="module")
def settings(demo_settings):
    conf = {k: v for k, v in demo_settings.items() if k != "db-uri"}
    conf.update({"live-enabled": True, "server-workers": 1, "live-retention": 60})
    return conf


@pytest.fixture(scope="module")
def server(pgrestd_server_factory, settings):
    srv = pgrestd_server_factory(DEMO_SQL, settings, database=DATABASE, user="authenticator",
                                 password="authenticator")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def db(server, cluster):
    """The superuser's connection: it writes as the database owner would (row-level security aside)."""
    with psycopg.connect(cluster.uri(dbname=DATABASE), autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def secret(demo_settings):
    return str(demo_settings["jwt-secret"])


def token(secret: str, sub: str, expires_in: float = 3600) -> str:
    return jwt.encode({"role": "web_user", "sub": sub, "exp": int(time.time() + expires_in)}, secret, algorithm="HS256")


def stream(server, path: str, **headers: str) -> EventStream:
    s = EventStream(server.port, path, {k.replace("_", "-"): v for k, v in headers.items()})
    assert s.status == 200, s.body
    return s


def film(db, title: str, year: int) -> int:
    return db.execute("INSERT INTO api.films (title, year, director_id) VALUES (%s, %s, 1) RETURNING id",
                      (title, year)).fetchone()[0]


def test_first_the_rows_a_get_returns_then_each_change_within_a_second(server, db):
    s = stream(server, FILMS)
    assert s.headers["content-type"].startswith("text/event-stream")
    assert s.headers["cache-control"] == "no-cache" and "content-length" not in s.headers
    rows = s.next()
    assert rows.event == "rows"
    assert [r["row"] for r in rows.data] == requests.get(server.url + FILMS).json()
    first = time.time()
    new = film(db, "Live One", 2005)
    inserted = s.next()
    assert (inserted.event, inserted.data) == (
        "insert", {"key": {"id": new}, "row": {"title": "Live One", "director": {"name": "Christopher Nolan"}}})
    assert inserted.received - first < 1.0
    film(db, "Too Old", 1990)  # outside the filter: nothing
    db.execute("UPDATE api.films SET title = 'Live Two' WHERE id = %s", (new,))
    updated = s.next()
    assert (updated.event, updated.data["row"]["title"]) == ("update", "Live Two")
    db.execute("UPDATE api.films SET year = 1995 WHERE id = %s", (new,))  # leaves the filter: a delete
    assert (s.next().event, s.next(0.01)) == ("delete", None)
    db.execute("UPDATE api.films SET year = 2001 WHERE id = %s", (new,))  # comes back: an insert
    assert s.next().event == "insert"
    db.execute("DELETE FROM api.films WHERE id = %s", (new,))
    deleted = s.next()
    assert (deleted.event, deleted.data) == ("delete", {"key": {"id": new}})
    assert s.next(1.2) is None  # and nothing else: the 1990 film never showed
    s.close()


def test_each_role_gets_exactly_the_events_row_level_security_lets_it_read_in_commit_order(server, db, secret):
    """Reviews: everyone reads published ones, a web_user also their own drafts (conf/demo.sql)."""
    path = "/reviews?select=id,author,published&film_id=eq.2"
    alice = stream(server, path, authorization="Bearer " + token(secret, "alice"))
    bob = stream(server, path, authorization="Bearer " + token(secret, "bob"))
    anon = stream(server, path)
    for s in (alice, bob, anon):
        assert s.next().event == "rows"

    def review(author: str, published: bool) -> int:
        return db.execute("INSERT INTO api.reviews (film_id, author, stars, body, published) "
                          "VALUES (2, %s, 3, 'live', %s) RETURNING id", (author, published)).fetchone()[0]

    ids: dict[str, int] = {}

    def write(name: str, author: str, published: bool) -> None:
        ids[name] = review(author, published)

    def update(name: str, change: str) -> None:
        db.execute(f"UPDATE api.reviews SET {change} WHERE id = %s", (ids[name],))

    def delete(*names: str) -> None:
        db.execute("DELETE FROM api.reviews WHERE id = ANY(%s)", ([ids[n] for n in names],))

    def together() -> None:  # two rows, one commit: one of them invisible to anon and alice
        with db.transaction():
            write("last", "alice", True)
            write("bob's last", "bob", False)

    # Each step, then the events each stream gets for it (in that order); a stream that gets one
    # it should not would show it at the next step.
    steps = [
        (lambda: write("a draft", "alice", False), {alice: [("insert", "a draft")]}),
        (lambda: write("b public", "bob", True),
         {alice: [("insert", "b public")], bob: [("insert", "b public")], anon: [("insert", "b public")]}),
        (lambda: write("b draft", "bob", False), {bob: [("insert", "b draft")]}),
        (lambda: update("a draft", "published = true"),
         {alice: [("update", "a draft")], bob: [("insert", "a draft")], anon: [("insert", "a draft")]}),
        (lambda: update("b public", "published = false"),
         {alice: [("delete", "b public")], bob: [("update", "b public")], anon: [("delete", "b public")]}),
        (lambda: update("b draft", "stars = 4"), {bob: [("update", "b draft")]}),
        (lambda: delete("a draft", "b draft"),
         {alice: [("delete", "a draft")], bob: [("delete", "a draft"), ("delete", "b draft")],
          anon: [("delete", "a draft")]}),
        (together, {alice: [("insert", "last")], bob: [("insert", "last"), ("insert", "bob's last")],
                    anon: [("insert", "last")]}),
    ]
    for act, expected in steps:
        act()
        for s in (alice, bob, anon):
            wanted = [(event, ids[name]) for event, name in expected.get(s, [])]
            got = [(e.event, e.data["key"]["id"]) for e in s.take(len(wanted), timeout=3)]
            assert got == wanted
    for s in (alice, bob, anon):
        assert s.next(1.2) is None
    alice.close()
    bob.close()
    anon.close()


def test_a_transaction_of_two_thousand_rows_loses_no_event(server, db):
    s = stream(server, "/films?select=id&year=eq.2042", prefer="return=minimal")
    assert s.next(1.5) is None and s.last_id is not None  # no initial rows, but an id to resume from
    ids = [r[0] for r in db.execute("INSERT INTO api.films (title, year, director_id) "
                                    "SELECT 'Bulk ' || i, 2042, 2 FROM generate_series(1, 2000) i RETURNING id")]
    events = s.take(2000, timeout=10)
    assert [(e.event, e.data["row"]["id"]) for e in events] == [("insert", i) for i in ids]
    db.execute("DELETE FROM api.films WHERE year = 2042")
    assert len(s.take(2000, timeout=10)) == 2000
    s.close()


def test_a_reconnect_with_last_event_id_gets_what_it_missed(server, db):
    s = stream(server, "/films?select=title&year=eq.2043")
    assert s.next().event == "rows"
    film(db, "Seen", 2043)
    seen = s.next()
    s.close()
    time.sleep(0.3)  # the stream process notices the client went away
    missed = [film(db, f"Missed {i}", 2043) for i in range(3)]
    again = stream(server, "/films?select=title&year=eq.2043", last_event_id=seen.id)
    events = again.take(3)
    assert [(e.event, e.data["key"]["id"]) for e in events] == [("insert", i) for i in missed]
    assert events[0].id.split(".")[0] == seen.id.split(".")[0]  # the same stream, resumed
    film(db, "Live again", 2043)
    assert again.next().data["row"] == {"title": "Live again"}
    again.close()


def test_an_id_that_cannot_be_resumed_gets_a_reset_then_the_current_rows(server):
    s = stream(server, "/films?select=title&year=eq.2043", last_event_id="0123456789ab.7")
    reset = s.next()
    assert (reset.event, reset.id) == ("reset", "")
    assert s.next().event == "rows"
    s.close()


def test_a_token_that_expires_ends_the_stream(server, secret):
    s = stream(server, "/reviews?select=id", authorization="Bearer " + token(secret, "alice", expires_in=1.5))
    assert s.next().event == "rows"
    end = s.next(timeout=4)
    assert (end.event, end.data["code"], end.data["message"]) == ("end", "PGRST303", "JWT expired")
    assert s.closed()


def test_what_a_get_refuses_the_worker_refuses_as_json(server, secret):
    for path, status, code in [
        ("/films?select=nope", 400, "42703"),
        ("/film_summaries", 400, "PGRST127"),  # a view: no primary key to follow
        ("/directors", 400, "PGRST127"),  # not watched
        ("/films?select=count()", 400, "PGRST123"),  # aggregates are off, as for a GET
        ("/nothing", 404, "PGRST205"),
    ]:
        s = EventStream(server.port, path)
        assert (s.status, s.body["code"]) == (status, code), path
    s = EventStream(server.port, "/films", {"Authorization": "Bearer " + token(secret, "x", expires_in=-60)})
    assert (s.status, s.body["code"]) == (401, "PGRST303")
    hint = EventStream(server.port, "/directors").body["hint"]
    assert hint == "SELECT pgrestd_live.watch('api.directors')"


def test_without_live_enabled_an_event_stream_is_not_acceptable(demo_server):
    r = requests.get(demo_server.url + "/films", headers={"Accept": "text/event-stream"})
    assert (r.status_code, r.json()["code"]) == (406, "PGRST107")


def test_streams_do_not_hold_the_one_worker(server):
    streams = [stream(server, "/films?select=id&year=eq.2044") for _ in range(20)]
    started = time.monotonic()
    assert requests.get(server.url + "/films?id=eq.1", timeout=5).status_code == 200
    assert time.monotonic() - started < 0.5
    for s in streams:
        assert s.next().event == "rows"
        s.close()


def test_sighup_keeps_the_streams_open(server, db):
    s = stream(server, "/films?select=title&year=eq.2045")
    assert s.next().event == "rows"
    server.signal(signal.SIGHUP)
    assert until(lambda: requests.get(server.url + "/films?limit=1").status_code == 200, 10)
    time.sleep(1.0)  # the workers are replaced meanwhile
    film(db, "After reload", 2045)
    assert s.next().data["row"] == {"title": "After reload"}
    s.close()


def test_sigterm_ends_every_stream_with_a_last_event(pgrestd_server_factory, settings, db):
    srv = pgrestd_server_factory(DEMO_SQL, settings, database=DATABASE, user="authenticator",
                                 password="authenticator")
    s = stream(srv, "/films?select=title")
    assert s.next().event == "rows"
    srv.signal(signal.SIGTERM)
    end = s.next(timeout=10)
    assert (end.event, end.data["message"]) == ("end", "The server is shutting down")
    assert s.closed()
    assert srv.stop() == 0
    assert "Traceback" not in srv.log() and "[ERROR]" not in srv.log()


def test_a_burst_of_commits_arrives_in_commit_order(server, db):
    s = stream(server, "/films?select=id&year=eq.2046", prefer="return=minimal")
    ids = [film(db, f"Burst {i}", 2046) for i in range(30)]
    assert [e.data["key"]["id"] for e in s.take(30)] == ids
    s.close()


def test_gthread_workers_hand_streams_over_too(pgrestd_server_factory, settings, db):
    conf = {**settings, "server-worker-class": "gthread", "server-threads": 2}
    srv = pgrestd_server_factory(DEMO_SQL, conf, database=DATABASE, user="authenticator", password="authenticator")
    s = stream(srv, "/films?select=title&year=eq.2047")
    assert s.next().event == "rows"
    with requests.Session() as keep_alive:  # the same worker threads keep serving
        assert [keep_alive.get(srv.url + "/films?id=eq.1").status_code for _ in range(3)] == [200] * 3
    film(db, "Threaded", 2047)
    assert s.next().data["row"] == {"title": "Threaded"}
    s.close()
    assert srv.stop() == 0
    assert "Traceback" not in srv.log() and "[ERROR]" not in srv.log()


def test_a_read_that_fails_after_a_revoke_ends_the_stream_with_its_error(server, db):
    s = stream(server, "/reviews?select=id&film_id=eq.3")
    assert s.next().event == "rows"
    db.execute("REVOKE SELECT ON api.reviews FROM anon")
    try:
        db.execute("INSERT INTO api.reviews (film_id, author, stars, body, published) VALUES (3, 'x', 1, 'y', true)")
        end = s.next()
        assert (end.event, end.data["code"]) == ("end", "42501")
        assert s.closed()
    finally:
        db.execute("GRANT SELECT ON api.reviews TO anon")
