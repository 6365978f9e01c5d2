"""Load conf/demo.sql into a throwaway PostgreSQL 15 cluster and check it.

The cluster listens on 127.0.0.1 on a free port and on a unix socket in its
temporary directory. When the tests run as root, the server runs as the
``postgres`` OS user, since PostgreSQL refuses to run as root.
"""

import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ROOT = Path(__file__).resolve().parents[2]
DEMO_SQL = ROOT / "conf" / "demo.sql"
DEMO_CONF = ROOT / "conf" / "demo.conf"

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


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster in a temporary directory, for one test module."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="pgrestd-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = _free_port()
        self.run_as = {}
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.dir, pg.pw_uid, pg.pw_gid)
            self.run_as = {"user": pg.pw_uid, "group": pg.pw_gid, "extra_groups": []}

    def _server_cmd(self, *args):
        return subprocess.run(
            [str(a) for a in args],
            cwd=self.dir,
            capture_output=True,
            text=True,
            check=False,
            **self.run_as,
        )

    def start(self):
        done = self._server_cmd(
            PG_BIN / "initdb",
            "-D", self.data,
            "-U", "postgres",
            "-E", "UTF8",
            "--locale=C",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}{done.stderr}")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                "\nlisten_addresses = '127.0.0.1'\n"
                f"port = {self.port}\n"
                f"unix_socket_directories = '{self.dir}'\n"
                "fsync = off\n"
                "synchronous_commit = off\n"
                "full_page_writes = off\n"
            )
        done = self._server_cmd(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "start")
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed:\n{done.stdout}{done.stderr}\n{log}")

    def stop(self):
        if (self.data / "postmaster.pid").exists():
            self._server_cmd(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def superuser_conninfo(self, dbname):
        return f"host={self.dir} port={self.port} user=postgres dbname={dbname}"

    def load_demo(self, dbname):
        with psycopg.connect(self.superuser_conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        done = subprocess.run(
            [
                str(PG_BIN / "psql"),
                "-X", "-q",
                "-v", "ON_ERROR_STOP=1",
                "-h", str(self.dir),
                "-p", str(self.port),
                "-U", "postgres",
                "-d", dbname,
                "-f", str(DEMO_SQL),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        return done


@pytest.fixture(scope="module")
def cluster():
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL 15 server binaries not found in {PG_BIN}")
    c = Cluster()
    try:
        c.start()
        done = c.load_demo("demo")
        assert done.returncode == 0, f"loading demo.sql failed:\n{done.stdout}{done.stderr}"
        assert "ERROR" not in done.stderr, done.stderr
        yield c
    finally:
        c.stop()


@pytest.fixture
def su(cluster):
    """Superuser connection to the demo database; every test is rolled back."""
    with psycopg.connect(cluster.superuser_conninfo("demo")) as conn:
        yield conn
        conn.rollback()


@pytest.fixture
def authenticator(cluster):
    """Connection as pgrestd makes it: authenticator, by password, over TCP."""
    conninfo = (
        f"host=127.0.0.1 port={cluster.port} dbname=demo "
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


def test_loads_into_a_second_database_of_the_cluster(cluster):
    done = cluster.load_demo("demo_again")
    assert done.returncode == 0, done.stderr
    with psycopg.connect(cluster.superuser_conninfo("demo_again")) as conn:
        assert conn.execute("SELECT count(*) FROM api.films").fetchone()[0] == 12


def test_demo_conf_matches_demo_sql(cluster):
    settings = {}
    for line in DEMO_CONF.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r'([a-z-]+)\s*=\s*(?:"([^"]*)"|(\d+))', line)
        assert m, f"unexpected line in demo.conf: {line!r}"
        settings[m.group(1)] = m.group(2) if m.group(2) is not None else int(m.group(3))
    assert set(settings) == POSTGREST_KEYS
    assert settings["db-schemas"] == "api"
    assert settings["db-anon-role"] == "anon"
    assert len(settings["jwt-secret"]) >= 32
    assert settings["server-port"] == 3000

    uri = conninfo_to_dict(settings["db-uri"])
    assert (uri["user"], uri["password"], uri["dbname"]) == ("authenticator", "authenticator", "demo")
    with psycopg.connect(
        host="127.0.0.1", port=cluster.port, dbname="demo",
        user=uri["user"], password=uri["password"],
    ) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "authenticator"
