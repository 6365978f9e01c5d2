"""Writes end to end: POST, PATCH, PUT, DELETE against a real PostgreSQL and a real pgrestd.

The fixture database is tests/fixtures/writes.sql.  The main server ends
transactions with a commit that ``Prefer: tx=rollback`` may override, so
what a test writes stays written unless it asks otherwise; two more servers
cover ``db-tx-end = rollback`` and ``commit`` (no override).
"""

from __future__ import annotations

import threading

import orjson
import psycopg
import pytest
import requests

from tests.support import FIXTURES, Server, server_fixture

DB = "writes_api"
MAX_BODY = 200_000
SQL = FIXTURES / "writes.sql"
SETTINGS = {"db-schemas": "api", "db-anon-role": "w_anon", "server-workers": 2, "log-level": "info",
            "server-max-body-size": MAX_BODY}

server = server_fixture(SQL, {**SETTINGS, "db-tx-end": "commit-allow-override"}, database=DB, user="w_auth")
rollback_server = server_fixture(SQL, {**SETTINGS, "db-tx-end": "rollback", "server-workers": 1},
                                 database=DB, user="w_auth")
commit_server = server_fixture(SQL, {**SETTINGS, "db-tx-end": "commit", "server-workers": 1},
                               database=DB, user="w_auth")


@pytest.fixture(scope="module")
def writes_db(cluster, pgrestd_server_factory):
    pgrestd_server_factory.database(DB, SQL)
    return cluster


def call(server: Server, method: str, path: str, body: object = None, *, prefer: str | None = None,
         headers: dict[str, str] | None = None, raw: bytes | None = None) -> requests.Response:
    h = {"Content-Type": "application/json"}
    if prefer:
        h["Prefer"] = prefer
    h.update(headers or {})
    data = raw if raw is not None else (orjson.dumps(body) if body is not None else None)
    return requests.request(method, server.url + path, data=data, headers=h, timeout=30)


def query(cluster, sql: str, *params: object) -> list[tuple]:
    with psycopg.connect(cluster.uri(dbname=DB), autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


def assert_error(r: requests.Response, status: int, code: str, message: str | None = None) -> dict:
    assert r.status_code == status, r.text
    doc = r.json()
    assert doc["code"] == code, doc
    if message is not None:
        assert doc["message"] == message
    return doc


# -- insert ----------------------------------------------------------------------------


def test_post_object_is_201_without_body(server, writes_db):
    r = call(server, "POST", "/tasks", {"title": "post one", "priority": 7})
    assert r.status_code == 201
    assert r.content == b""
    assert "Content-Type" not in r.headers
    assert r.headers["Content-Length"] == "0"
    assert r.headers["Content-Range"] == "*/*"
    assert "Location" not in r.headers
    assert query(writes_db, "SELECT priority, done FROM api.tasks WHERE title = 'post one'") == [(7, False)]


def test_post_return_representation_shapes_rows(server):
    r = call(server, "POST", "/tasks?select=tid:id::text,title,meta->a->>b,due",
             {"title": "shaped", "meta": {"a": {"b": "deep"}}, "due": "2024-05-01T10:00:00Z"},
             prefer="return=representation")
    assert r.status_code == 201
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert r.headers["Preference-Applied"] == "return=representation"
    [row] = r.json()
    assert isinstance(row["tid"], str) and row["title"] == "shaped" and row["b"] == "deep"
    assert row["due"].startswith("2024-05-01")


def test_post_return_representation_of_an_empty_array(server):
    r = call(server, "POST", "/tasks", [], prefer="return=representation")
    assert r.status_code == 201
    assert r.json() == []


def test_bulk_insert_is_one_statement(server, writes_db):
    rows = [{"id": i, "label": f"row {i}"} for i in range(1000)]
    before = query(writes_db, "SELECT n FROM private.statements")[0][0]
    r = call(server, "POST", "/bulk", rows, prefer="count=exact")
    assert r.status_code == 201
    assert r.headers["Content-Range"] == "*/1000"
    assert r.headers["Preference-Applied"] == "count=exact"
    assert query(writes_db, "SELECT count(*), min(id), max(id) FROM api.bulk") == [(1000, 0, 999)]
    # one INSERT statement for the whole array
    assert query(writes_db, "SELECT n FROM private.statements")[0][0] == before + 1


def test_headers_only_gives_a_location(server):
    r = call(server, "POST", "/people", {"first_name": "Ada B", "last_name": "Kö&nig", "age": 1},
             prefer="return=headers-only")
    assert r.status_code == 201
    assert r.content == b""
    assert r.headers["Location"] == "/people?first_name=eq.Ada+B&last_name=eq.K%C3%B6%26nig"
    assert r.headers["Preference-Applied"] == "return=headers-only"
    follow = requests.get(server.url + r.headers["Location"], timeout=10)
    assert follow.json() == [{"first_name": "Ada B", "last_name": "Kö&nig", "age": 1}]


def test_location_only_for_one_row_with_a_key(server):
    r = call(server, "POST", "/people", [{"first_name": "L1", "last_name": "x"}, {"first_name": "L2", "last_name": "x"}],
             prefer="return=headers-only")
    assert r.status_code == 201 and "Location" not in r.headers
    r = call(server, "POST", "/notes", {"body": "no key"}, prefer="return=headers-only")
    assert r.status_code == 201 and "Location" not in r.headers
    r = call(server, "POST", "/people", {"first_name": "L3", "last_name": "x"})
    assert r.status_code == 201 and "Location" not in r.headers


def test_csv_body(server):
    r = call(server, "POST", "/languages", raw=b"name,rank\nCobol,NULL\n\"Lisp, the\",40\n",
             headers={"Content-Type": "text/csv", "Accept": "text/csv"}, prefer="return=representation")
    assert r.status_code == 201
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.text == 'name,rank\nCobol,\n"Lisp, the",40'


def test_form_body(server, writes_db):
    r = call(server, "POST", "/tasks", raw=b"title=from+a+form&priority=4&done=true",
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 201
    assert query(writes_db, "SELECT priority, done FROM api.tasks WHERE title = 'from a form'") == [(4, True)]


def test_columns_choose_what_is_written(server):
    r = call(server, "POST", "/tasks?columns=title&select=title,priority,done",
             {"title": "cols only", "priority": "not even an int", "done": "ignored"},
             prefer="return=representation")
    assert r.status_code == 201
    assert r.json() == [{"title": "cols only", "priority": 3, "done": False}]


def test_columns_must_exist(server):
    r = call(server, "POST", "/tasks?columns=title,helicopters", {"title": "x"})
    assert_error(r, 400, "PGRST204", "Could not find the 'helicopters' column of 'tasks' in the schema cache")


def test_unknown_payload_key_is_pgrst204(server, writes_db):
    r = call(server, "POST", "/tasks", [{"title": "nope", "colour": "red"}])
    assert_error(r, 400, "PGRST204", "Could not find the 'colour' column of 'tasks' in the schema cache")
    assert query(writes_db, "SELECT count(*) FROM api.tasks WHERE title = 'nope'") == [(0,)]


def test_missing_default_uses_column_defaults(server):
    r = call(server, "POST", "/tasks?columns=title,done,priority&select=title,done,priority",
             [{"title": "md1"}, {"title": "md2", "priority": None}, {"title": "md3", "done": True, "priority": 1}],
             prefer="return=representation, missing=default")
    assert r.status_code == 201, r.text
    assert r.headers["Preference-Applied"] == "missing=default, return=representation"
    assert r.json() == [
        {"title": "md1", "done": False, "priority": 3},
        {"title": "md2", "done": False, "priority": None},
        {"title": "md3", "done": True, "priority": 1},
    ]


def test_missing_default_on_a_view_column_default(server):
    r = call(server, "POST", "/open_tasks?columns=title,priority&select=title,priority", {"priority": 2},
             prefer="return=representation, missing=default")
    assert r.status_code == 201, r.text
    assert r.json() == [{"title": "untitled", "priority": 2}]


def test_empty_objects_insert_defaults(server, writes_db):
    before = query(writes_db, "SELECT count(*) FROM api.notes")[0][0]
    assert call(server, "POST", "/notes", {}).status_code == 201
    assert call(server, "POST", "/notes", [{}, {}]).status_code == 201
    assert query(writes_db, "SELECT count(*) FROM api.notes")[0][0] == before + 3


def test_insert_only_table(server):
    assert call(server, "POST", "/inbox", {"msg": "hi"}, prefer="return=minimal").status_code == 201
    r = call(server, "POST", "/inbox", {"msg": "hi"}, prefer="return=representation")
    assert_error(r, 401, "42501", "permission denied for table inbox")


def test_returned_rows_can_embed(server):
    r = call(server, "POST", "/pets?select=name,owner:owners(name)", {"id": 20, "owner_id": 2, "name": "tom"},
             prefer="return=representation")
    assert r.status_code == 201, r.text
    assert r.json() == [{"name": "tom", "owner": {"name": "bob"}}]


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("raw,message", [
    (b"", "Empty or invalid json"),
    (b"}{ x = 2", "Empty or invalid json"),
    (b'[{"title": "a"}, {"title": "b", "done": true}]', "All object keys must match"),
    (b'[{"title": "a"}, 1]', "All object keys must match"),
])
def test_bad_json_is_pgrst102(server, writes_db, raw, message):
    r = call(server, "POST", "/tasks", raw=raw)
    assert_error(r, 400, "PGRST102", message)
    assert query(writes_db, "SELECT count(*) FROM api.tasks WHERE title IN ('a', 'b')") == [(0,)]


def test_csv_with_a_short_line(server):
    r = call(server, "POST", "/languages", raw=b"name,rank\nx,1\ny", headers={"Content-Type": "text/csv"})
    assert_error(r, 400, "PGRST102", "All lines must have same number of fields")


def test_wrong_content_type(server):
    r = call(server, "POST", "/tasks", raw=b"title", headers={"Content-Type": "text/plain"})
    assert_error(r, 400, "PGRST102", "Content-Type not acceptable: text/plain")


def test_body_over_the_limit_is_413(server, writes_db):
    rows = [{"batch": 413, "n": i} for i in range(MAX_BODY // 10)]
    r = call(server, "POST", "/events", rows)
    doc = assert_error(r, 413, "PGRST413", "Payload too large")
    assert str(MAX_BODY) in doc["details"]
    # chunked, so without a Content-Length to refuse early
    chunks = (orjson.dumps(rows)[i:i + 65536] for i in range(0, len(orjson.dumps(rows)), 65536))
    r = requests.post(server.url + "/events", data=chunks, headers={"Content-Type": "application/json"}, timeout=30)
    assert_error(r, 413, "PGRST413")
    assert query(writes_db, "SELECT count(*) FROM api.events WHERE batch = 413") == [(0,)]


def test_chunked_body_is_read(server, writes_db):
    body = orjson.dumps([{"batch": 414, "n": i} for i in range(100)])
    r = requests.post(server.url + "/events", data=iter([body[:50], body[50:]]),
                      headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 201, r.text
    assert query(writes_db, "SELECT count(*) FROM api.events WHERE batch = 414") == [(100,)]


def test_unknown_table(server):
    r = call(server, "PATCH", "/nowhere?columns=helicopter", [{"x": 1}])
    assert_error(r, 404, "PGRST205", "Could not find the table 'api.nowhere' in the schema cache")


def test_bad_value_is_postgresql_error(server):
    r = call(server, "POST", "/tasks", {"title": "x", "priority": "high"})
    assert_error(r, 400, "22P02", 'invalid input syntax for type integer: "high"')


def test_unacceptable_accept_is_406(server):
    r = call(server, "POST", "/tasks", {"title": "x"}, headers={"Accept": "application/xml"})
    assert_error(r, 406, "PGRST107")


# -- constraint violations: PostgreSQL's words, nothing written ---------------------------


@pytest.mark.parametrize("path,body,status,code", [
    ("/pets", {"id": 30, "owner_id": 99, "name": "ghost"}, 409, "23503"),
    ("/pets", {"id": 31, "name": "stray"}, 400, "23502"),
    ("/owners", [{"id": 32, "name": "carol"}, {"id": 1, "name": "dup"}], 409, "23505"),
    ("/tasks", {"title": ""}, 400, "23514"),
])
def test_constraint_violations(server, writes_db, path, body, status, code):
    r = call(server, "POST", path, body)
    doc = assert_error(r, status, code)
    assert doc["message"] and "hint" in doc and "details" in doc
    assert query(writes_db, "SELECT count(*) FROM api.pets WHERE id IN (30, 31)") == [(0,)]
    assert query(writes_db, "SELECT count(*) FROM api.owners WHERE id = 32") == [(0,)]


def test_deferred_constraint_fails_at_commit(server, writes_db):
    r = call(server, "POST", "/deferred", {"id": 50, "v": 1})
    doc = assert_error(r, 409, "23505")
    assert doc["details"] == "Key (v)=(1) already exists."
    assert query(writes_db, "SELECT count(*) FROM api.deferred WHERE id = 50") == [(0,)]


def test_deferred_constraint_is_checked_before_a_rollback(server):
    r = call(server, "POST", "/deferred", {"id": 51, "v": 1}, prefer="tx=rollback")
    assert_error(r, 409, "23505")


# -- upsert ------------------------------------------------------------------------------


def test_merge_duplicates_tells_inserts_from_updates(server, writes_db):
    r = call(server, "POST", "/languages", [{"name": "Python", "rank": 10}, {"name": "Java", "rank": 11}],
             prefer="return=representation, resolution=merge-duplicates")
    assert r.status_code == 200  # nothing new
    assert r.headers["Preference-Applied"] == "resolution=merge-duplicates, return=representation"
    r = call(server, "POST", "/languages", [{"name": "Python", "rank": 12}, {"name": "Zig", "rank": 13}],
             prefer="return=representation, resolution=merge-duplicates")
    assert r.status_code == 201
    assert r.json() == [{"name": "Python", "rank": 12}, {"name": "Zig", "rank": 13}]
    assert query(writes_db, "SELECT rank FROM api.languages WHERE name = 'Python'") == [(12,)]


def test_ignore_duplicates(server, writes_db):
    r = call(server, "POST", "/languages", [{"name": "C", "rank": 99}, {"name": "Ada", "rank": 14}],
             prefer="return=representation, resolution=ignore-duplicates")
    assert r.status_code == 201
    assert r.json() == [{"name": "Ada", "rank": 14}]
    assert query(writes_db, "SELECT rank FROM api.languages WHERE name = 'C'") == [(2,)]


def test_on_conflict_names_a_unique_key(server, writes_db):
    r = call(server, "POST", "/pairs?on_conflict=a,b", [{"a": 1, "b": 1, "v": "updated"}, {"a": 1, "b": 2, "v": "new"}],
             prefer="return=representation, resolution=merge-duplicates")
    assert r.status_code == 201
    assert query(writes_db, "SELECT a, b, v FROM api.pairs ORDER BY a, b")[:2] == [(1, 1, "updated"), (1, 2, "new")]


def test_resolution_without_a_conflict_target_is_not_applied(server):
    r = call(server, "POST", "/notes", [{"body": "n"}], prefer="return=representation, resolution=merge-duplicates")
    assert r.status_code == 201
    assert r.headers["Preference-Applied"] == "return=representation"


# -- PUT ---------------------------------------------------------------------------------


def test_put_inserts_then_replaces(server, writes_db):
    path = "/people?first_name=eq.Grace&last_name=eq.Hopper"
    r = call(server, "PUT", path, {"first_name": "Grace", "last_name": "Hopper", "age": 85},
             prefer="return=representation")
    assert r.status_code == 201
    assert r.json() == [{"first_name": "Grace", "last_name": "Hopper", "age": 85}]
    r = call(server, "PUT", path, {"first_name": "Grace", "last_name": "Hopper", "age": 86},
             prefer="return=representation")
    assert r.status_code == 200
    r = call(server, "PUT", path, {"first_name": "Grace", "last_name": "Hopper", "age": 87})
    assert r.status_code == 204 and r.content == b""
    assert "Content-Range" not in r.headers
    assert query(writes_db, "SELECT age FROM api.people WHERE first_name = 'Grace'") == [(87,)]


@pytest.mark.parametrize("path", [
    "/people?first_name=eq.Grace",
    "/people?first_name=eq.Grace&last_name=neq.Hopper",
    "/people?first_name=eq.Grace&last_name=eq.Hopper&age=eq.1",
    "/people?first_name=eq.Grace&last_name=not.eq.Hopper",
    "/people?first_name=eq.Grace&last_name=in.(Hopper)",
    "/people?first_name=eq.Grace&last_name=eq.Hopper&or=(age.eq.1)",
    "/notes?body=eq.x",
])
def test_put_needs_eq_filters_on_the_whole_key(server, path):
    r = call(server, "PUT", path, {"first_name": "Grace", "last_name": "Hopper", "age": 1})
    assert_error(r, 405, "PGRST105", "Filters must include all and only primary key columns with 'eq' operators")


def test_put_body_must_match_the_url(server, writes_db):
    r = call(server, "PUT", "/languages?name=eq.Perl", {"name": "Raku", "rank": 1})
    assert_error(r, 400, "PGRST115", "Payload values do not match URL in primary key column(s)")
    assert query(writes_db, "SELECT count(*) FROM api.languages WHERE name IN ('Perl', 'Raku')") == [(0,)]


@pytest.mark.parametrize("query_string", ["limit=1", "offset=1", "limit=1&offset=0"])
def test_put_takes_no_limit(server, query_string):
    r = call(server, "PUT", "/languages?name=eq.Perl&" + query_string, {"name": "Perl", "rank": 1})
    assert_error(r, 400, "PGRST114", "limit/offset querystring parameters are not allowed for PUT")


# -- PATCH and DELETE ----------------------------------------------------------------------


def test_patch_with_filters(server, writes_db):
    call(server, "POST", "/tasks", [{"title": "patch me", "priority": 1}, {"title": "patch me", "priority": 2}])
    r = call(server, "PATCH", "/tasks?title=eq.patch me", {"done": True})
    assert r.status_code == 204 and r.content == b""
    assert r.headers["Content-Range"] == "0-1/*"
    assert "Content-Type" not in r.headers and "Content-Length" not in r.headers
    assert query(writes_db, "SELECT bool_and(done) FROM api.tasks WHERE title = 'patch me'") == [(True,)]
    r = call(server, "PATCH", "/tasks?title=eq.patch me&select=priority&order=priority.desc",
             {"priority": 5}, prefer="return=representation, count=exact")
    assert r.status_code == 200
    assert r.headers["Content-Range"] == "0-1/2"
    assert r.json() == [{"priority": 5}, {"priority": 5}]


def test_patch_nothing_matched(server):
    r = call(server, "PATCH", "/tasks?id=eq.-1", {"done": True}, prefer="count=exact")
    assert r.status_code == 204 and r.headers["Content-Range"] == "*/0"
    r = call(server, "PATCH", "/tasks?id=eq.-1", {"done": True}, prefer="return=representation")
    assert r.status_code == 200 and r.text == "[]"


def test_patch_with_an_empty_body_changes_nothing(server):
    r = call(server, "PATCH", "/tasks?select=id", {}, prefer="return=representation")
    assert r.status_code == 200 and r.text == "[]"
    assert r.headers["Content-Range"] == "*/*"


def test_patch_with_missing_default(server, writes_db):
    call(server, "POST", "/tasks", {"title": "reset me", "priority": 9, "done": True})
    r = call(server, "PATCH", "/tasks?title=eq.reset me&columns=priority,done&select=priority,done",
             {"done": True}, prefer="return=representation, missing=default")
    assert r.status_code == 200
    assert r.json() == [{"priority": 3, "done": True}]


def test_patch_without_filters_updates_every_row(server, writes_db):
    # As PostgREST: no filter is no WHERE (pg-safeupdate, when loaded, refuses it).
    call(server, "POST", "/notes", [{"body": "a"}, {"body": "b"}])
    total = query(writes_db, "SELECT count(*) FROM api.notes")[0][0]
    r = call(server, "PATCH", "/notes", {"author": "everyone"}, prefer="count=exact")
    assert r.status_code == 204 and r.headers["Content-Range"] == f"0-{total - 1}/{total}"
    assert query(writes_db, "SELECT DISTINCT author FROM api.notes") == [("everyone",)]


def test_delete_with_filters(server, writes_db):
    call(server, "POST", "/events", [{"batch": 600, "n": i} for i in range(5)])
    r = call(server, "DELETE", "/events?batch=eq.600&n=lt.2", prefer="count=exact")
    assert r.status_code == 204 and r.headers["Content-Range"] == "*/2"
    r = call(server, "DELETE", "/events?batch=eq.600&select=n&order=n.desc", prefer="return=representation")
    assert r.status_code == 200
    assert r.json() == [{"n": 4}, {"n": 3}, {"n": 2}]
    assert r.headers["Content-Range"] == "*/*"
    assert query(writes_db, "SELECT count(*) FROM api.events WHERE batch = 600") == [(0,)]


def test_limited_update_and_delete(server, writes_db):
    call(server, "POST", "/events", [{"batch": 700, "n": i} for i in range(10)])
    r = call(server, "PATCH", "/events?batch=eq.700&order=n.desc&limit=3&select=n", {"n": -1},
             prefer="return=representation")
    assert r.status_code == 200, r.text
    assert len(r.json()) == 3
    assert query(writes_db, "SELECT array_agg(n ORDER BY n) FROM api.events WHERE batch = 700") == [
        ([-1, -1, -1, 0, 1, 2, 3, 4, 5, 6],)]
    r = call(server, "DELETE", "/events?batch=eq.700&order=n&limit=2&offset=3", prefer="count=exact")
    assert r.status_code == 204 and r.headers["Content-Range"] == "*/2"
    assert query(writes_db, "SELECT array_agg(n ORDER BY n) FROM api.events WHERE batch = 700") == [
        ([-1, -1, -1, 2, 3, 4, 5, 6],)]


def test_limited_delete_on_a_view_uses_the_order_columns(server, writes_db):
    call(server, "POST", "/tasks", [{"title": "lv", "priority": p} for p in (21, 22, 23)])
    r = call(server, "DELETE", "/open_tasks?title=eq.lv&order=id&limit=2&select=priority",
             prefer="return=representation")
    assert r.status_code == 200, r.text
    assert r.json() == [{"priority": 21}, {"priority": 22}]
    assert query(writes_db, "SELECT priority FROM api.tasks WHERE title = 'lv'") == [(23,)]


def test_limit_needs_an_order(server):
    r = call(server, "DELETE", "/events?limit=1")
    assert_error(r, 400, "PGRST109", "A 'limit' was applied without an explicit 'order'")


# -- singular, max-affected, handling ------------------------------------------------------


def test_singular_write_with_more_rows_is_406_and_rolled_back(server, writes_db):
    r = call(server, "POST", "/events", [{"batch": 800, "n": 1}, {"batch": 800, "n": 2}],
             headers={"Accept": "application/vnd.pgrst.object+json"})
    assert_error(r, 406, "PGRST116", "Cannot coerce the result to a single JSON object")
    assert r.json()["details"] == "The result contains 2 rows"
    assert query(writes_db, "SELECT count(*) FROM api.events WHERE batch = 800") == [(0,)]
    r = call(server, "DELETE", "/events?batch=eq.800", headers={"Accept": "application/vnd.pgrst.object+json"})
    assert_error(r, 406, "PGRST116")
    assert r.json()["details"] == "The result contains 0 rows"


def test_singular_write_with_one_row(server):
    r = call(server, "POST", "/events", [{"batch": 801, "n": 1}], prefer="return=representation",
             headers={"Accept": "application/vnd.pgrst.object+json"})
    assert r.status_code == 201
    assert r.headers["Content-Type"] == "application/vnd.pgrst.object+json; charset=utf-8"
    assert r.json()["n"] == 1


def test_max_affected(server, writes_db):
    call(server, "POST", "/events", [{"batch": 900, "n": i} for i in range(5)])
    r = call(server, "DELETE", "/events?batch=eq.900", prefer="handling=strict, max-affected=3")
    assert_error(r, 400, "PGRST124", "Query result exceeds max-affected preference constraint")
    assert r.json()["details"] == "The query affects 5 rows"
    assert query(writes_db, "SELECT count(*) FROM api.events WHERE batch = 900") == [(5,)]
    r = call(server, "PATCH", "/events?batch=eq.900", {"n": 0}, prefer="handling=lenient, max-affected=3")
    assert r.status_code == 204
    assert r.headers["Preference-Applied"] == "handling=lenient"
    r = call(server, "DELETE", "/events?batch=eq.900", prefer="handling=strict, max-affected=5")
    assert r.status_code == 204
    assert r.headers["Preference-Applied"] == "handling=strict, max-affected=5"


def test_strict_handling_refuses_unknown_preferences(server):
    r = call(server, "POST", "/tasks", {"title": "strict"}, prefer="return=representation, handling=strict, anything")
    doc = assert_error(r, 400, "PGRST122", "Invalid preferences given with handling=strict")
    assert doc["details"] == "Invalid preferences: anything"
    r = call(server, "POST", "/tasks", {"title": "lenient"}, prefer="handling=lenient, anything")
    assert r.status_code == 201


def test_timezone_preference(server):
    r = call(server, "POST", "/stamps?select=at", {"id": 1, "at": "2024-01-01T12:00:00Z"},
             prefer="return=representation, timezone=America/Los_Angeles")
    assert r.status_code == 201
    assert r.json() == [{"at": "2024-01-01T04:00:00-08:00"}]
    assert r.headers["Preference-Applied"] == "return=representation, timezone=America/Los_Angeles"
    r = call(server, "POST", "/stamps", {"id": 2, "at": "2024-01-01T12:00:00Z"}, prefer="timezone=Nowhere/Land")
    assert_error(r, 400, "22023", 'invalid value for parameter "TimeZone": "Nowhere/Land"')


# -- transaction end ----------------------------------------------------------------------


def test_tx_rollback_override(server, writes_db):
    r = call(server, "POST", "/events", [{"batch": 1000, "n": 1}], prefer="return=representation, tx=rollback")
    assert r.status_code == 201 and r.json()[0]["n"] == 1
    assert r.headers["Preference-Applied"] == "return=representation, tx=rollback"
    assert query(writes_db, "SELECT count(*) FROM api.events WHERE batch = 1000") == [(0,)]
    r = call(server, "POST", "/events", [{"batch": 1000, "n": 1}], prefer="tx=commit")
    assert r.headers["Preference-Applied"] == "tx=commit"
    assert query(writes_db, "SELECT count(*) FROM api.events WHERE batch = 1000") == [(1,)]


def test_db_tx_end_rollback_ignores_tx_commit(rollback_server, writes_db):
    r = call(rollback_server, "POST", "/events", [{"batch": 1001, "n": 1}], prefer="tx=commit")
    assert r.status_code == 201
    assert "Preference-Applied" not in r.headers
    r = call(rollback_server, "DELETE", "/events", prefer="count=exact")
    assert r.status_code == 204
    assert query(writes_db, "SELECT count(*) FROM api.events WHERE batch = 1001") == [(0,)]
    assert query(writes_db, "SELECT count(*) > 0 FROM api.events") == [(True,)]


def test_db_tx_end_commit_ignores_tx_rollback(commit_server, writes_db):
    r = call(commit_server, "POST", "/events", [{"batch": 1002, "n": 1}], prefer="tx=rollback")
    assert r.status_code == 201
    assert "Preference-Applied" not in r.headers
    assert query(writes_db, "SELECT count(*) FROM api.events WHERE batch = 1002") == [(1,)]


# -- no partial bulk insert is ever visible ------------------------------------------------


def test_concurrent_counts_only_see_whole_batches(server, writes_db):
    batch = [{"batch": 5000, "n": i} for i in range(1000)]
    body = orjson.dumps(batch)
    stop = threading.Event()
    seen: list[int] = []
    failures: list[str] = []

    def writer() -> None:
        try:
            for _ in range(15):
                r = call(server, "POST", "/events", raw=body)
                if r.status_code != 201:
                    failures.append(r.text)
        finally:
            stop.set()

    def counter() -> None:
        with psycopg.connect(writes_db.uri(dbname=DB), autocommit=True) as conn:
            while not stop.is_set():
                seen.append(conn.execute("SELECT count(*) FROM api.events WHERE batch = 5000").fetchone()[0])

    threads = [threading.Thread(target=writer), threading.Thread(target=counter)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures
    assert len(seen) > 15
    assert all(n % 1000 == 0 for n in seen), sorted(set(seen))
    assert seen == sorted(seen)
    r = requests.get(server.url + "/events?batch=eq.5000&select=id&limit=1", headers={"Prefer": "count=exact"},
                     timeout=10)
    assert r.headers["Content-Range"].endswith("/15000")
