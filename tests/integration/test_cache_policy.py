"""Per-relation Cache-Control: declared in COMMENTs, inferred from statistics (db-cache-infer).

Over HTTP against real pgrestd servers: a policy declared on a table, a view and a function; anonymous
and authenticated reads; embeds with mixed policies; response.headers from a function winning; a bad
line ignored with a log line; a reload picking up a changed comment; and with db-cache-infer, one table
written often and one never, whose policies differ in /schema_cache and in the responses.
"""

from __future__ import annotations

import re
import time

import jwt
import psycopg
import pytest
import requests

from pgrestd.catalog import load_catalog
from tests.support import api_roles, free_port, until

SECRET = "reallyreallyreallyreallyverysafe-cache"

SCHEMA = api_roles("cp_anon", "cp_auth") + """
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cp_user') THEN CREATE ROLE cp_user NOLOGIN; END IF;
END $$;
GRANT cp_user TO cp_auth;
GRANT USAGE ON SCHEMA api TO cp_user;

CREATE TABLE api.authors (id int PRIMARY KEY, name text);
COMMENT ON TABLE api.authors IS 'Who writes.
Cache-Control: public, max-age=600';
CREATE TABLE api.articles (id int PRIMARY KEY, author_id int REFERENCES api.authors, title text);
COMMENT ON TABLE api.articles IS 'Articles.
Cache-Control: max-age=60';
CREATE TABLE api.tags (id int PRIMARY KEY, name text);
CREATE TABLE api.article_tags (article_id int REFERENCES api.articles, tag_id int REFERENCES api.tags,
                               PRIMARY KEY (article_id, tag_id));
COMMENT ON TABLE api.article_tags IS 'Cache-Control: max-age=30';
CREATE TABLE api.secrets (id int PRIMARY KEY);
COMMENT ON TABLE api.secrets IS 'Cache-Control: no-store';
CREATE TABLE api.broken (id int);
COMMENT ON TABLE api.broken IS 'Broken.
Cache-Control: max_age=60';
CREATE TABLE api.notes (id int);
CREATE VIEW api.recent AS SELECT id, title FROM api.articles;
COMMENT ON VIEW api.recent IS 'Cache-Control: public, max-age=30, stale-while-revalidate=10';

CREATE FUNCTION api.headline() RETURNS text STABLE LANGUAGE sql AS $$ SELECT 'news' $$;
COMMENT ON FUNCTION api.headline() IS 'Today''s headline.
Cache-Control: max-age=120';
CREATE FUNCTION api.fresh_headline() RETURNS text STABLE LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('response.headers', '[{"Cache-Control": "no-store, max-age=0"}]', true);
  RETURN 'fresh';
END $$;
COMMENT ON FUNCTION api.fresh_headline() IS 'Cache-Control: max-age=120';

INSERT INTO api.authors VALUES (1, 'Ann'), (2, 'Bob');
INSERT INTO api.articles VALUES (1, 1, 'First'), (2, 2, 'Second');
INSERT INTO api.tags VALUES (1, 'news');
INSERT INTO api.article_tags VALUES (1, 1);
GRANT SELECT ON ALL TABLES IN SCHEMA api TO cp_anon, cp_user;
GRANT INSERT ON api.articles TO cp_user;
"""

# The same schema, without a single Cache-Control line.
SCHEMA_WITHOUT = re.sub(r"\nCache-Control: [^']*", "", re.sub(r"COMMENT ON [^;]*'Cache-Control: [^']*';", "", SCHEMA))

SETTINGS = {"db-schemas": "api", "db-anon-role": "cp_anon", "jwt-secret": SECRET, "log-level": "info",
            "server-workers": 2}


def _token(role: str = "cp_user", **claims: object) -> dict[str, str]:
    token = jwt.encode({"role": role, "exp": int(time.time()) + 3600, **claims}, SECRET, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


def _cache_control(response: requests.Response) -> str | None:
    return response.headers.get("Cache-Control")


@pytest.fixture(scope="module")
def api(pgrestd_server_factory):
    return pgrestd_server_factory(SCHEMA, {**SETTINGS, "admin-server-port": free_port()},
                                  database="cache_policy", user="cp_auth")


@pytest.fixture(scope="module")
def plain(pgrestd_server_factory):
    """The same tables and data, no policy anywhere."""
    return pgrestd_server_factory(SCHEMA_WITHOUT, SETTINGS, database="cache_policy_none", user="cp_auth")


# -- declared ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "expected"), [
    ("/articles?select=id,title", "max-age=60"),
    ("/authors", "public, max-age=600"),
    ("/recent", "public, max-age=30, stale-while-revalidate=10"),
    ("/secrets", "no-store"),
    ("/rpc/headline", "max-age=120"),
])
def test_a_declared_policy_is_sent_on_anonymous_reads(api, path, expected):
    get = api.get(path)
    assert get.status_code == 200, get.text
    assert _cache_control(get) == expected
    head = requests.head(api.url + path, timeout=10)
    assert _cache_control(head) == expected


@pytest.mark.parametrize(("path", "expected"), [
    ("/articles", "private, max-age=60"),
    ("/authors", "public, max-age=600"),  # public says shared caches may keep it
    ("/secrets", "no-store"),
    ("/rpc/headline", "private, max-age=120"),
])
def test_authenticated_reads_are_private_unless_the_policy_says_otherwise(api, path, expected):
    r = api.get(path, headers=_token())
    assert r.status_code == 200, r.text
    assert _cache_control(r) == expected
    # A token without a role runs as the anonymous role, but its claims reach SQL: private too.
    assert _cache_control(api.get("/articles", headers=_token(role=None, sub="ann"))) == "private, max-age=60"


def test_embeds_take_the_most_restrictive_policy(api):
    assert _cache_control(api.get("/articles?select=id,authors(name)")) == "max-age=60"
    assert _cache_control(api.get("/authors?select=name,articles(title)")) == "max-age=60"
    assert _cache_control(api.get("/articles?select=id,tags(name)")) is None  # tags declares none
    assert _cache_control(api.get("/articles?select=id,article_tags(tag_id)")) == "max-age=30"
    assert _cache_control(api.get("/articles?select=id,authors(name)", headers=_token())) == "private, max-age=60"


def test_response_headers_set_by_sql_win(api):
    r = api.get("/rpc/fresh_headline")
    assert r.status_code == 200 and r.json() == "fresh"
    assert r.raw.headers.getlist("Cache-Control") == ["no-store, max-age=0"]


def test_writes_errors_and_posts_get_no_policy(api):
    write = requests.post(api.url + "/articles", json={"id": 3, "author_id": 1, "title": "Third"},
                          headers=_token(), timeout=10)
    assert write.status_code == 201, write.text
    assert _cache_control(write) is None
    assert _cache_control(requests.post(api.url + "/rpc/headline", timeout=10)) is None
    error = api.get("/articles?id=eq.nope")
    assert error.status_code == 400 and _cache_control(error) is None


def test_without_a_policy_the_response_is_unchanged(api, plain):
    for path in ("/tags?select=id,name", "/articles?select=id,tags(name)&id=lte.2", "/notes"):
        with_policies, without = api.get(path), plain.get(path)
        assert with_policies.content == without.content
        assert _headers(with_policies) == _headers(without)
    # And where the policies are declared, a server without them sends none.
    for path in ("/articles", "/authors", "/recent", "/rpc/headline"):
        assert _cache_control(plain.get(path)) is None


def _headers(response: requests.Response) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.raw.headers.items() if k.lower() != "date"]


def test_a_bad_line_is_ignored_with_a_log_line(api):
    assert _cache_control(api.get("/broken")) is None
    assert ("COMMENT ON TABLE api.broken: the Cache-Control line is ignored: unknown directive 'max_age=60', "
            "perhaps 'max-age'") in api.log()
    # It stays in the comment, where the OpenAPI document shows it; valid lines do not.
    definitions = api.get("/").json()["definitions"]
    assert definitions["broken"]["description"] == "Broken.\nCache-Control: max_age=60"
    assert definitions["articles"]["description"] == "Articles."
    # Functions' descriptions come from the request's own query (follow-privileges): cleaned the same way.
    headline = api.get("/").json()["paths"]["/rpc/headline"]["get"]
    assert "Cache-Control" not in headline.get("summary", "") + headline.get("description", "")
    assert headline["summary"] == "Today's headline."


def test_schema_cache_shows_each_policy_and_why(api):
    doc = requests.get(f"http://127.0.0.1:{api.settings['admin-server-port']}/schema_cache", timeout=10).json()
    tables = {t["name"]: t for t in doc["tables"]}
    assert tables["articles"]["cache_policy"] == {
        "cache_control": "max-age=60", "authenticated": "private, max-age=60", "source": "comment",
        "reason": "declared in COMMENT ON TABLE api.articles"}
    assert tables["recent"]["cache_policy"]["reason"] == "declared in COMMENT ON VIEW api.recent"
    assert "cache_policy" not in tables["tags"] and "cache_policy" not in tables["broken"]
    functions = {f["name"]: f for f in doc["functions"]}
    assert functions["headline"]["cache_policy"]["cache_control"] == "max-age=120"
    assert functions["headline"]["description"] == "Today's headline."


def test_a_reload_picks_up_a_changed_comment(api, cluster):
    assert _cache_control(api.get("/notes")) is None
    try:
        cluster.execute("COMMENT ON TABLE api.notes IS 'Cache-Control: max-age=7'; NOTIFY pgrst, 'reload schema';",
                        dbname="cache_policy")
        assert until(lambda: _cache_control(api.get("/notes")) == "max-age=7")
    finally:
        cluster.execute("COMMENT ON TABLE api.notes IS NULL; NOTIFY pgrst, 'reload schema';", dbname="cache_policy")
    assert until(lambda: _cache_control(api.get("/notes")) is None)


def test_with_etags_a_304_keeps_the_policy(pgrestd_server_factory):
    server = pgrestd_server_factory(None, {**SETTINGS, "server-etag-enabled": True, "server-workers": 1},
                                    database="cache_policy", user="cp_auth")
    try:
        first = server.get("/authors")
        assert _cache_control(first) == "public, max-age=600"
        again = server.get("/authors", headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and _cache_control(again) == "public, max-age=600"
        assert "Authorization" in again.headers["Vary"]
    finally:
        server.stop()


def test_a_policy_varies_on_credentials(api):
    vary = {v.strip() for v in api.get("/authors").headers["Vary"].split(",")}
    assert {"Accept", "Prefer", "Range", "Accept-Profile", "Authorization"} <= vary


def test_none_configured_sends_none(demo_server):
    for path in ("/films", "/films?select=title,directors(name)", "/film_summaries", "/rpc/add?a=1&b=2"):
        r = demo_server.get(path)
        assert r.status_code == 200 and "Cache-Control" not in r.headers


# -- inferred ----------------------------------------------------------------------------------

INFER_SCHEMA = api_roles("ci_anon", "ci_auth") + """
CREATE TABLE api.cold (id int PRIMARY KEY, name text);
CREATE TABLE api.hot (id serial PRIMARY KEY, cold_id int REFERENCES api.cold, n int);
CREATE TABLE api.pinned (id serial PRIMARY KEY);
COMMENT ON TABLE api.pinned IS 'Cache-Control: max-age=5';
CREATE TABLE api.events (at date, what text) PARTITION BY RANGE (at);
CREATE TABLE api.events_2025 PARTITION OF api.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE api.events_2026 PARTITION OF api.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE VIEW api.both AS SELECT hot.id, cold.name FROM api.hot JOIN api.cold USING (id);
CREATE VIEW api.cold_names AS SELECT name FROM api.cold;
CREATE VIEW api.cold_names_again AS SELECT name FROM api.cold_names;
CREATE MATERIALIZED VIEW api.cold_copy AS SELECT * FROM api.cold;
INSERT INTO api.cold VALUES (1, 'a'), (2, 'b');
GRANT SELECT ON ALL TABLES IN SCHEMA api TO ci_anon;
"""
INFER_DB = "cache_infer"
CAP = 120


@pytest.fixture(scope="module")
def infer_api(pgrestd_server_factory):
    return pgrestd_server_factory(INFER_SCHEMA, {
        "db-schemas": "api", "db-anon-role": "ci_anon", "jwt-secret": SECRET, "log-level": "info",
        "server-workers": 2, "admin-server-port": free_port(), "db-cache-infer": True,
        "db-cache-infer-max-age": CAP,
    }, database=INFER_DB, user="ci_auth")


def _workload(cluster, *, hot_writes: int, cold_reads: int) -> None:
    """From zeroed counters: hot written often and seldom read, cold (and pinned) never written; flushed."""
    with psycopg.connect(cluster.uri(dbname=INFER_DB), autocommit=True) as conn:
        for name in ("hot", "cold", "pinned", "events_2025", "events_2026", "cold_copy"):
            conn.execute("SELECT pg_stat_reset_single_table_counters(%s::regclass)", (f"api.{name}",))
        for i in range(hot_writes):
            conn.execute("INSERT INTO api.hot (n) VALUES (%s)", (i,))
            conn.execute("INSERT INTO api.pinned DEFAULT VALUES")
            conn.execute("INSERT INTO api.events VALUES ('2026-05-01', 'x')")
        for _ in range(cold_reads):
            conn.execute("SELECT * FROM api.cold").fetchall()
            conn.execute("SELECT * FROM api.cold_copy").fetchall()
        conn.execute("SELECT * FROM api.hot").fetchall()
        # Counters reach shared memory when the backend flushes them (at most once a second otherwise).
        conn.execute("SELECT pg_stat_force_next_flush()")


def _policies(server) -> dict[str, dict[str, str] | None]:
    port = server.settings["admin-server-port"]
    doc = requests.get(f"http://127.0.0.1:{port}/schema_cache", timeout=10).json()
    return {t["name"]: t.get("cache_policy") for t in doc["tables"]}


def test_inferred_policies_follow_how_often_tables_are_written(infer_api, cluster):
    _workload(cluster, hot_writes=200, cold_reads=50)
    cluster.execute("NOTIFY pgrst, 'reload schema'", dbname=INFER_DB)
    assert until(lambda: (_policies(infer_api)["hot"] or {}).get("cache_control") == "no-cache"), \
        _policies(infer_api)
    policies = _policies(infer_api)
    hot, cold = policies["hot"], policies["cold"]
    assert hot["source"] == cold["source"] == "statistics"
    assert cold["cache_control"] == f"max-age={CAP}"
    assert cold["reason"].startswith("inferred from the statistics: 0 writes and ")
    assert hot["reason"].startswith("inferred from the statistics: 200 writes and ")
    assert hot["reason"].endswith("no-cache from a write share of 10%")
    # A declaration wins over the statistics.
    assert policies["pinned"] == {"cache_control": "max-age=5", "authenticated": "private, max-age=5",
                                  "source": "comment", "reason": "declared in COMMENT ON TABLE api.pinned"}
    # A partitioned table counts its partitions; a view the tables it reads, through views.
    assert policies["events"]["cache_control"] == "no-cache"
    assert policies["both"]["cache_control"] == "no-cache"
    assert policies["both"]["reason"].startswith(
        "inferred from the statistics of api.hot, the most written of the 2 tables the view reads")
    assert policies["cold_names_again"]["cache_control"] == f"max-age={CAP}"
    assert policies["cold_names_again"]["reason"].startswith("inferred from the statistics of api.cold:")
    assert policies["cold_copy"]["cache_control"] == f"max-age={CAP}"

    assert _cache_control(infer_api.get("/hot")) == "no-cache"
    assert _cache_control(infer_api.get("/cold")) == f"max-age={CAP}"
    assert _cache_control(infer_api.get("/cold", headers=_token("ci_anon"))) == f"private, max-age={CAP}"
    assert _cache_control(infer_api.get("/cold?select=name,hot(id)")) == f"no-cache, max-age={CAP}"


def test_statistics_do_not_count_as_a_schema_change(infer_api, cluster):
    # The listener compares loads to decide whether the schema changed while the database was away.
    uri = cluster.uri(dbname=INFER_DB)
    _workload(cluster, hot_writes=0, cold_reads=1)
    quiet = load_catalog(uri, ("api",), infer_max_age=CAP)
    _workload(cluster, hot_writes=50, cold_reads=1)
    busy = load_catalog(uri, ("api",), infer_max_age=CAP)
    assert quiet.cache_policies[("api", "hot")] != busy.cache_policies[("api", "hot")]
    assert quiet == busy


def test_statistics_are_only_read_with_inference(cluster, infer_api):  # infer_api: its database
    catalog = load_catalog(cluster.uri(dbname=INFER_DB), ("api",))
    assert set(catalog.cache_policies) == {("api", "pinned")}


def test_a_database_restart_with_new_statistics_keeps_the_workers(own_cluster, pgrestd_server_factory):
    # Back from an outage, pgrestd reloads only when the schema changed: counters that moved are no change.
    server = pgrestd_server_factory(None, {"db-schemas": "api", "db-anon-role": "anon", "log-level": "info",
                                           "server-workers": 1, "db-cache-infer": True},
                                    database="demo", user="authenticator", cluster=own_cluster)
    try:
        assert _cache_control(server.get("/actors")) == "max-age=60"
        with psycopg.connect(own_cluster.uri(dbname="demo"), autocommit=True) as conn:
            for i in range(100):
                conn.execute("INSERT INTO api.actors (name) VALUES (%s)", (f"actor {i}",))
            conn.execute("SELECT pg_stat_force_next_flush()")
        own_cluster.restart()
        assert until(lambda: "database reachable again" in server.log(), timeout=40), server.log()
        assert "schema unchanged" in server.log()
        assert _cache_control(server.get("/actors")) == "max-age=60"  # the statistics of the last load
    finally:
        server.stop()
