"""Load conf/demo.sql with psql into a database of the session's cluster and check it.

The cluster (tests/conftest.py) listens on 127.0.0.1 on a free port; the roles
other than the superuser must give their password there, as pgrestd does.
"""

import json
import re

import psycopg
import pytest
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict

from tests.support import DEMO_SQL, ROOT

DEMO_CONF = ROOT / "conf" / "demo.conf"
DB = "demo_psql"  # its own database: the demo database of the session serves the HTTP tests

TABLES = {"directors", "films", "actors", "roles", "competitions", "nominations", "reviews"}
POSTGREST_KEYS = {
    "db-uri",
    "db-schemas",
    "db-anon-role",
    "jwt-secret",
    "server-host",
    "server-port",
    "log-level",
}


def load_demo(cluster, dbname):
    cluster.execute(f'CREATE DATABASE "{dbname}"')
    return cluster.psql(dbname, DEMO_SQL)


@pytest.fixture(scope="module")
def demo(cluster):
    done = load_demo(cluster, DB)
    assert done.returncode == 0, f"loading demo.sql failed:\n{done.stdout}{done.stderr}"
    assert "ERROR" not in done.stderr, done.stderr
    return cluster


@pytest.fixture
def su(demo):
    """Superuser connection to the demo database; every test is rolled back."""
    with psycopg.connect(demo.uri(dbname=DB)) as conn:
        yield conn
        conn.rollback()


@pytest.fixture
def authenticator(demo):
    """Connection as pgrestd makes it: authenticator, by password, over TCP."""
    conninfo = (
        f"host=127.0.0.1 port={demo.port} dbname={DB} "
        "user=authenticator password=authenticator"
    )
    with psycopg.connect(conninfo) as conn:
        yield conn
        conn.rollback()


def _as_role(conn, role, claims=None):
    """Switch roles the way pgrestd does for a request, inside the transaction."""
    conn.execute(
        "SELECT set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
        (role, json.dumps(claims) if claims is not None else ""),
    )


def test_schema_objects_exist(su):
    tables = {
        r[0]
        for r in su.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'api' AND table_type = 'BASE TABLE'"
        )
    }
    assert tables == TABLES
    views = [r[0] for r in su.execute("SELECT viewname FROM pg_views WHERE schemaname = 'api'")]
    assert views == ["film_summaries"]
    functions = {
        r[0]
        for r in su.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p"
            " WHERE p.pronamespace = 'api'::regnamespace"
        )
    }
    assert functions == {
        "api.films_by_year(integer)",
        "api.add(integer,integer)",
        "api.age(api.actors)",
    }
    labels = [r[0] for r in su.execute("SELECT unnest(enum_range(NULL::api.mpaa_rating))::text")]
    assert labels == ["G", "PG", "PG-13", "R", "NC-17"]


def test_foreign_keys_describe_the_relationships(su):
    fks = {
        (r[0], r[1])
        for r in su.execute(
            "SELECT conrelid::regclass::text, confrelid::regclass::text"
            " FROM pg_constraint WHERE contype = 'f' AND connamespace = 'api'::regnamespace"
        )
    }
    assert fks == {
        ("api.films", "api.directors"),
        ("api.roles", "api.films"),
        ("api.roles", "api.actors"),
        ("api.nominations", "api.competitions"),
        ("api.nominations", "api.films"),
        ("api.reviews", "api.films"),
    }
    pk = su.execute(
        "SELECT array_agg(a.attname::text ORDER BY a.attname)"
        " FROM pg_constraint c JOIN pg_attribute a"
        "   ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
        " WHERE c.contype = 'p' AND c.conrelid = 'api.roles'::regclass"
    ).fetchone()[0]
    assert pk == ["actor_id", "film_id"]


def test_tables_and_columns_are_commented(su):
    uncommented = [
        r[0]
        for r in su.execute(
            "SELECT c.relname FROM pg_class c"
            " WHERE c.relnamespace = 'api'::regnamespace AND c.relkind IN ('r', 'v')"
            "   AND obj_description(c.oid, 'pg_class') IS NULL"
        )
    ]
    assert uncommented == []
    title = su.execute("SELECT col_description('api.films'::regclass, 2)").fetchone()[0]
    assert title


def test_demo_data_is_loaded(su):
    counts = {
        t: su.execute(f"SELECT count(*) FROM api.{t}").fetchone()[0] for t in sorted(TABLES)
    }
    assert counts["films"] == 12
    assert all(n > 0 for n in counts.values()), counts
    year_one = su.execute("SELECT title FROM api.films WHERE id = 1").fetchone()[0]
    assert year_one == "My Neighbor Totoro"


def test_roles(su):
    rows = {
        r[0]: r[1:]
        for r in su.execute(
            "SELECT rolname, rolcanlogin, rolinherit FROM pg_roles"
            " WHERE rolname IN ('anon', 'web_user', 'authenticator')"
        )
    }
    assert rows == {
        "anon": (False, True),
        "web_user": (False, True),
        "authenticator": (True, False),
    }
    for role in ("anon", "web_user"):
        assert su.execute("SELECT pg_has_role('authenticator', %s, 'MEMBER')", (role,)).fetchone()[0]


def test_authenticator_needs_its_password(demo):
    # What makes the password checks of this module mean something: the cluster asks for it.
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(host="127.0.0.1", port=demo.port, dbname=DB, user="authenticator", password="wrong")


def test_authenticator_alone_has_no_access(authenticator):
    with pytest.raises(errors.InsufficientPrivilege):
        authenticator.execute("SELECT count(*) FROM api.films")


def test_anon_can_select_films(authenticator):
    _as_role(authenticator, "anon")
    assert authenticator.execute("SELECT count(*) FROM api.films").fetchone()[0] == 12
    summary = authenticator.execute(
        "SELECT director, cast_size FROM api.film_summaries WHERE title = 'Inception'"
    ).fetchone()
    assert summary == ("Christopher Nolan", 3)
    titles = [r[0] for r in authenticator.execute("SELECT title FROM api.films_by_year(2023)")]
    assert titles == ["Barbie", "Oppenheimer"]
    assert authenticator.execute("SELECT api.add(2, 3)").fetchone()[0] == 5
    age = authenticator.execute(
        "SELECT api.age(a) FROM api.actors a WHERE a.name = 'Zendaya'"
    ).fetchone()[0]
    assert age >= 27


def test_anon_cannot_insert(authenticator):
    _as_role(authenticator, "anon")
    with pytest.raises(errors.InsufficientPrivilege):
        authenticator.execute(
            "INSERT INTO api.films (title, year, director_id) VALUES ('Tenet', 2020, 1)"
        )


def test_anon_cannot_write_reviews(authenticator):
    _as_role(authenticator, "anon")
    with pytest.raises(errors.InsufficientPrivilege):
        authenticator.execute("INSERT INTO api.reviews (film_id, stars, body) VALUES (1, 5, 'x')")


def test_rls_hides_unpublished_reviews_from_anon(su, authenticator):
    total, published = su.execute(
        "SELECT count(*), count(*) FILTER (WHERE published) FROM api.reviews"
    ).fetchone()
    assert total > published > 0
    _as_role(authenticator, "anon")
    rows = authenticator.execute("SELECT published FROM api.reviews").fetchall()
    assert len(rows) == published
    assert all(p for (p,) in rows)


def test_web_user_sees_own_drafts_only(authenticator):
    _as_role(authenticator, "web_user", {"sub": "alice", "role": "web_user"})
    drafts = {
        r[0] for r in authenticator.execute("SELECT author FROM api.reviews WHERE NOT published")
    }
    assert drafts == {"alice"}


def test_web_user_writes_own_reviews(authenticator):
    _as_role(authenticator, "web_user", {"sub": "alice", "role": "web_user"})
    author = authenticator.execute(
        "INSERT INTO api.reviews (film_id, stars, body)"
        " SELECT id, 4, 'Still great.' FROM api.films WHERE title = 'Dune'"
        " RETURNING author"
    ).fetchone()[0]
    assert author == "alice"
    changed = authenticator.execute(
        "UPDATE api.reviews SET stars = 1 WHERE author = 'bob' RETURNING id"
    ).fetchall()
    assert changed == []
    changed = authenticator.execute(
        "UPDATE api.reviews SET published = true WHERE NOT published RETURNING author"
    ).fetchall()
    assert changed and all(a == "alice" for (a,) in changed)


def test_web_user_cannot_write_as_someone_else(authenticator):
    _as_role(authenticator, "web_user", {"sub": "alice", "role": "web_user"})
    with pytest.raises(errors.InsufficientPrivilege):
        authenticator.execute(
            "INSERT INTO api.reviews (film_id, author, stars, body) VALUES (1, 'bob', 5, 'x')"
        )


def test_web_user_without_sub_cannot_write_reviews(authenticator):
    _as_role(authenticator, "web_user", {"role": "web_user"})
    with pytest.raises(errors.InsufficientPrivilege):
        authenticator.execute("INSERT INTO api.reviews (film_id, stars, body) VALUES (1, 5, 'x')")


def test_web_user_writes_actors_but_not_films(authenticator):
    _as_role(authenticator, "web_user", {"sub": "alice", "role": "web_user"})
    authenticator.execute("INSERT INTO api.actors (name, born) VALUES ('Florence Pugh', '1996-01-03')")
    with pytest.raises(errors.InsufficientPrivilege):
        authenticator.execute("DELETE FROM api.films")


def test_loads_into_a_second_database_of_the_cluster(demo):
    done = load_demo(demo, "demo_again")
    assert done.returncode == 0, done.stderr
    with psycopg.connect(demo.uri(dbname="demo_again")) as conn:
        assert conn.execute("SELECT count(*) FROM api.films").fetchone()[0] == 12


def test_demo_conf_matches_demo_sql(demo):
    settings = {}
    for line in DEMO_CONF.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r'([a-z-]+)\s*=\s*(?:"([^"]*)"|(\d+)|(true))', line)
        assert m, f"unexpected line in demo.conf: {line!r}"
        settings[m.group(1)] = m.group(2) if m.group(2) is not None else m.group(4) or int(m.group(3))
    # PostgREST's keys, and pgrestd's live endpoints (conf/demo-live.sql watches films and reviews).
    assert set(settings) == POSTGREST_KEYS | {"live-enabled"}
    assert settings["db-schemas"] == "api"
    assert settings["db-anon-role"] == "anon"
    assert len(settings["jwt-secret"]) >= 32
    assert settings["server-port"] == 3000

    uri = conninfo_to_dict(settings["db-uri"])
    assert (uri["user"], uri["password"], uri["dbname"]) == ("authenticator", "authenticator", "demo")
    with psycopg.connect(
        host="127.0.0.1", port=demo.port, dbname="demo",
        user=uri["user"], password=uri["password"],
    ) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "authenticator"
