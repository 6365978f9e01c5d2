"""``pgrestd mock``: the same API over generated rows in a scratch database, for the demo schema and
for PostgREST's own test fixtures; the real database is never written, the scratch one is dropped."""

from __future__ import annotations

import re
import subprocess
import time
from urllib.parse import quote

import jwt
import psycopg
import pytest
import requests

from tests.support import (
    DEMO_SQL,
    PGRESTD,
    Cluster,
    Server,
    load_postgrest_fixtures,
    postgrest_fixtures_missing,
)

# The demo's tables, each with its primary key to order by.
DEMO_TABLES = {"actors": "id", "competitions": "id", "directors": "id", "films": "id",
               "nominations": "competition_id,film_id,category", "reviews": "id", "roles": "film_id,actor_id"}
SECRET = "reallyreallyreallyreallyverysafe-demo"


def start_mock(workdir, settings: dict[str, object], admin_uri: str, *options: str) -> Server:
    """``pgrestd mock --admin-uri ADMIN OPTIONS CONFIG`` over ``settings``, answering HTTP."""
    workdir.mkdir(parents=True, exist_ok=True)
    server = Server(dict(settings), workdir, args=("mock", "--admin-uri", admin_uri, *options))
    return server.start(timeout=90)


def scratch_name(server: Server) -> str:
    found = re.search(r"created the scratch database (pgrestd_mock_\w+)", server.log())
    assert found, server.log()
    return found.group(1)


def databases(cluster: Cluster) -> set[str]:
    with psycopg.connect(cluster.uri(), autocommit=True) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


def row_counts(uri: str, tables: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    with psycopg.connect(uri, autocommit=True) as conn:
        return {t: conn.execute(f'SELECT count(*) FROM "{t[0]}"."{t[1]}"').fetchone()[0] for t in tables}


def broken_constraints(uri: str) -> list[str]:
    """Foreign keys pointing nowhere and unique keys with duplicates, over every table of ``uri``:
    PostgreSQL enforced them when the rows went in; this checks that it did, from the outside."""
    problems = []
    with psycopg.connect(uri, autocommit=True) as conn:
        keys = conn.execute("""
            SELECT c.contype, c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text,
                   ARRAY(SELECT quote_ident(attname) FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                         JOIN pg_attribute ON attrelid = c.conrelid AND attnum = k.n ORDER BY k.i),
                   ARRAY(SELECT quote_ident(attname) FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                         JOIN pg_attribute ON attrelid = c.confrelid AND attnum = k.n ORDER BY k.i)
            FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
            WHERE c.contype IN ('f', 'p', 'u') AND c.conparentid = 0
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')""").fetchall()
        for kind, name, table, target, cols, target_cols in keys:
            if kind == "f":
                join = " AND ".join(f"p.{t} = c.{s}" for s, t in zip(cols, target_cols))
                present = " AND ".join(f"c.{s} IS NOT NULL" for s in cols)
                bad = conn.execute(f"SELECT count(*) FROM {table} c WHERE {present} "
                                   f"AND NOT EXISTS (SELECT FROM {target} p WHERE {join})").fetchone()[0]
            else:
                listed = ", ".join(cols)
                bad = conn.execute(f"SELECT count(*) FROM (SELECT {listed} FROM {table} GROUP BY {listed} "
                                   "HAVING count(*) > 1) d").fetchone()[0]
            if bad:
                problems.append(f"{name} on {table}: {bad}")
    return problems


# -- the demo schema ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(pgrestd_server_factory, cluster, tmp_path_factory):
    """The real database (a copy of the demo) with its row counts, and a mock over it: 30 rows a
    table, 40 films, seed 7."""
    pgrestd_server_factory.database("mock_demo", DEMO_SQL)
    real = cluster.uri(dbname="mock_demo")
    tables = [("api", t) for t in DEMO_TABLES]
    before = row_counts(real, tables)
    settings = {"db-uri": cluster.uri("authenticator", "mock_demo", "authenticator"), "db-schemas": "api",
                "db-anon-role": "anon", "jwt-secret": SECRET, "log-level": "info", "server-workers": 2}
    started = time.monotonic()
    server = start_mock(tmp_path_factory.mktemp("mock-demo"), settings, real,
                        "--rows", "30", "--rows", "films=40", "--seed", "7")
    print(f"\npgrestd mock over the demo answered after {time.monotonic() - started:.1f} s")
    scratch = scratch_name(server)
    yield {"server": server, "real": real, "before": before, "tables": tables, "settings": settings,
           "scratch": scratch, "scratch_uri": cluster.uri(dbname=scratch)}
    server.stop()


def token(role: str = "web_user", sub: str = "alice") -> dict[str, str]:
    claims = {"role": role, "sub": sub, "exp": int(time.time()) + 600}
    return {"Authorization": "Bearer " + jwt.encode(claims, SECRET, algorithm="HS256")}


def test_every_demo_table_has_its_rows_and_counts(demo):
    server = demo["server"]
    for table in DEMO_TABLES:
        r = server.get(f"/{table}?limit=2", headers={"Prefer": "count=exact"})
        assert r.status_code in (200, 206), (table, r.text)
        total = int(r.headers["Content-Range"].split("/")[1])
        if table == "reviews":  # row-level security: anonymous requests see published reviews only
            assert 0 < total <= 30
        else:
            assert total == (40 if table == "films" else 30), table
    assert row_counts(demo["scratch_uri"], demo["tables"])[("api", "reviews")] == 30
    assert int(server.get("/film_summaries?limit=1", headers={"Prefer": "count=exact"})
               .headers["Content-Range"].split("/")[1]) == 40


def test_embedding_works_on_mock_rows(demo):
    server = demo["server"]
    films = server.get("/films?select=title,year,director:directors(name),roles(character,actors(name))"
                       "&order=id&limit=10").json()
    assert len(films) == 10 and all(f["director"]["name"] for f in films)
    assert any(f["roles"] for f in films)
    assert all(r["actors"]["name"] for f in films for r in f["roles"])
    directors = server.get("/directors?select=name,films(title)").json()
    assert sum(len(d["films"]) for d in directors) == 40
    many = server.get("/films?select=title,actors(name)&actors=not.is.null").json()
    assert many and all(f["actors"] for f in many)
    nominations = server.get("/competitions?select=name,nominations(category,films(title))").json()
    assert sum(len(c["nominations"]) for c in nominations) == 30


def test_values_respect_the_schema(demo):
    server = demo["server"]
    films = server.get("/films?select=title,year,rated,runtime_minutes,box_office,genres,metadata").json()
    assert all(1888 <= f["year"] <= 2100 and f["title"] for f in films)
    assert {f["rated"] for f in films} <= {None, "G", "PG", "PG-13", "R", "NC-17"}
    assert all(f["runtime_minutes"] is None or f["runtime_minutes"] > 0 for f in films)
    assert all(f["box_office"] is None or f["box_office"] >= 0 for f in films)
    assert all(isinstance(f["genres"], list) and isinstance(f["metadata"], dict) for f in films)
    assert len({(f["title"], f["year"]) for f in films}) == 40
    directors = server.get("/directors?select=name,born").json()
    assert len({d["name"] for d in directors}) == 30
    assert all(re.fullmatch(r"[A-Z][\w.'-]*( [\w.'-]+)+", d["name"]) for d in directors)  # a person's name
    assert all(d["born"] is None or "1940-01-01" <= d["born"] <= "2005-12-31" for d in directors)
    assert broken_constraints(demo["scratch_uri"]) == []


def test_filters_ordering_and_ranges(demo):
    server = demo["server"]
    recent = server.get("/films?select=title,year&year=gte.2000&order=year.desc,title").json()
    assert recent and all(f["year"] >= 2000 for f in recent)
    assert [f["year"] for f in recent] == sorted((f["year"] for f in recent), reverse=True)
    r = server.get("/actors?select=name&order=name&offset=5&limit=5", headers={"Prefer": "count=exact"})
    assert r.headers["Content-Range"] == "5-9/30" and len(r.json()) == 5
    one = server.get("/actors?id=eq.1", headers={"Accept": "application/vnd.pgrst.object+json"})
    assert one.status_code == 200 and one.json()["id"] == 1


def test_writes_work_on_mock_rows(demo):
    server = demo["server"]
    r = requests.post(server.url + "/actors", json={"name": "Mock Writer", "born": "1990-01-02"},
                      headers={**token(), "Prefer": "return=representation"}, timeout=10)
    assert r.status_code == 201, r.text
    new_id = r.json()[0]["id"]
    assert new_id > 30  # the identity went on from the generated rows
    r = requests.patch(server.url + f"/actors?id=eq.{new_id}", json={"born": "1991-02-03"}, headers=token(),
                       timeout=10)
    assert r.status_code == 204
    film = server.get("/films?select=id&limit=1").json()[0]["id"]
    r = requests.post(server.url + "/roles", json={"film_id": film, "actor_id": new_id, "character": "Extra"},
                      headers=token(), timeout=10)
    assert r.status_code == 201, r.text
    assert server.get(f"/actors?select=name,films(id)&id=eq.{new_id}").json() == [
        {"name": "Mock Writer", "films": [{"id": film}]}]
    assert requests.delete(server.url + f"/actors?id=eq.{new_id}", headers=token(), timeout=10).status_code == 204


def _snapshot(server: Server) -> dict[str, object]:
    """Every row the anonymous role reads, in primary key order."""
    return {t: server.get(f"/{t}?order={key}").json() for t, key in DEMO_TABLES.items()}


def test_same_seed_same_rows_other_seed_other_rows(demo, tmp_path_factory, cluster):
    first = _snapshot(demo["server"])
    again = start_mock(tmp_path_factory.mktemp("mock-again"), demo["settings"], demo["real"],
                       "--rows", "30", "--rows", "films=40", "--seed", "7")
    try:
        assert _snapshot(again) == first
    finally:
        again.stop()
    other = start_mock(tmp_path_factory.mktemp("mock-other"), demo["settings"], demo["real"],
                       "--rows", "30", "--rows", "api.films=40", "--seed", "8")
    try:
        second = _snapshot(other)
        assert second["films"] != first["films"] and second["directors"] != first["directors"]
        assert len(second["films"]) == 40
    finally:
        other.stop()
    assert not any(name.startswith("pgrestd_mock_") and name != demo["scratch"] for name in databases(cluster))


def test_the_real_database_is_untouched_and_the_scratch_one_dropped(demo, cluster):
    """Last: it stops the mock."""
    assert demo["scratch"] in databases(cluster)
    assert demo["server"].stop() == 0
    assert demo["scratch"] not in databases(cluster)
    assert "dropped the scratch database" in demo["server"].log()
    assert "lost the database connection" not in demo["server"].log()
    assert row_counts(demo["real"], demo["tables"]) == demo["before"]


def test_a_clear_error_without_createdb(pgrestd_server_factory, cluster, tmp_path):
    """Without --admin-uri, db-uri's role creates the scratch database: authenticator may not."""
    pgrestd_server_factory.database("mock_demo", DEMO_SQL)
    conf = tmp_path / "demo.conf"
    conf.write_text(f'db-uri = "{cluster.uri("authenticator", "mock_demo", "authenticator")}"\n'
                    'db-schemas = "api"\ndb-anon-role = "anon"\n')
    done = subprocess.run([PGRESTD, "mock", str(conf)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert 'role "authenticator" may not create databases' in done.stderr and "--admin-uri" in done.stderr
    bad = subprocess.run([PGRESTD, "mock", str(conf), "--rows", "nope=x"], capture_output=True, text=True,
                         timeout=60, check=False)
    assert bad.returncode == 1 and "--rows nope=x" in bad.stderr


# -- PostgREST's test fixtures --------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixtures_mock(cluster, tmp_path_factory):
    """A mock over PostgREST's fixtures (10 rows a table), in a cluster of their own: they create
    cluster-wide roles that the shared cluster has from conf/demo.sql."""
    missing = postgrest_fixtures_missing(cluster)
    if missing:
        pytest.skip(missing)
    pg = Cluster(passwords=True).init()
    try:
        load_postgrest_fixtures(pg, "pgrst", "postgrest_test_authenticator")
        pg.execute("ALTER ROLE postgrest_test_authenticator PASSWORD 'pw'")
        settings = {"db-uri": pg.uri("postgrest_test_authenticator", "pgrst", "pw"), "db-schemas": "test",
                    "db-anon-role": "postgrest_test_anonymous", "db-extra-search-path": "public",
                    "jwt-secret": "reallyreallyreallyreallyverysafe", "log-level": "info", "server-workers": 2}
        started = time.monotonic()
        server = start_mock(tmp_path_factory.mktemp("mock-fixtures"), settings, pg.uri(dbname="pgrst"),
                            "--rows", "10", "--seed", "3")
        print(f"\npgrestd mock over PostgREST's fixtures answered after {time.monotonic() - started:.1f} s")
        yield pg, server
        server.stop()
    finally:
        pg.destroy()


def test_every_fixture_table_is_readable_with_an_embed(fixtures_mock):
    pg, server = fixtures_mock
    scratch = pg.uri(dbname=scratch_name(server))
    superuser = {"Authorization": "Bearer " + jwt.encode({"role": "postgrest_test_superuser"},
                                                         "reallyreallyreallyreallyverysafe", algorithm="HS256")}
    with psycopg.connect(scratch, autocommit=True) as conn:
        tables = conn.execute("""
            SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'test'::regnamespace
              AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1""").fetchall()
        keys = conn.execute("""
            SELECT c.conrelid::regclass::text, c.conname, f.relname,
                   (SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid AND attnum = c.conkey[1])
            FROM pg_constraint c
            JOIN pg_class f ON f.oid = c.confrelid
            WHERE c.contype = 'f' AND c.conparentid = 0 AND c.connamespace = 'test'::regnamespace
              AND f.relnamespace = 'test'::regnamespace AND NOT f.relispartition""").fetchall()
    counts = row_counts(scratch, [("test", t) for (t,) in tables])
    short = {t: n for (_, t), n in counts.items() if n < 10}
    assert len(tables) > 150
    assert len(short) <= 5, short  # tables whose triggers refuse rows (infinite_inserts, authors_only)
    for table in short:
        assert re.search(rf"test\.{re.escape(table)} got \d+ of 10 rows", server.log()), table
    failures = []
    for (table,) in tables:
        r = server.get(f"/{quote(table, safe='')}?limit=3", headers={**superuser, "Prefer": "count=exact"})
        if r.status_code not in (200, 206) or int(r.headers["Content-Range"].split("/")[1]) != counts[("test", table)]:
            failures.append(f"{table}: {r.status_code} {r.headers.get('Content-Range')} {r.text[:200]}")
    embedded = 0
    for child, constraint, parent, column in keys:
        child = child.removeprefix("test.").strip('"')
        hint = column if child == parent else constraint  # a self-reference is told by its column
        embed = quote(f'"{parent}"!"{hint}"(*)', safe="")  # quoted: "Escap3e;", "ghostBusters_..."
        r = server.get(f"/{quote(child, safe='')}?select=*,{embed}&limit=3", headers=superuser)
        if r.status_code != 200:
            failures.append(f"{child} -> {parent} ({constraint}): {r.status_code} {r.text[:200]}")
        elif any(row[parent] for row in r.json()):
            embedded += 1
    assert failures == [], "\n".join(failures)
    assert embedded >= len(keys) * 0.8  # most children point at a parent (a nullable key is NULL in some)
    assert broken_constraints(scratch) == []
