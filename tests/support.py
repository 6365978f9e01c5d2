"""Real parts for the integration tests: a throwaway PostgreSQL cluster and a pgrestd server."""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import jwt
import psycopg
import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
DEMO_SQL = ROOT / "conf" / "demo.sql"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PGRESTD = str(Path(sys.executable).with_name("pgrestd"))


def api_roles(anon: str, authenticator: str) -> str:
    """SQL for the usual test setup: an anonymous role, a login role that may switch to it (its name is its
    password), and a schema ``api`` the anonymous role may use."""
    return f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{anon}') THEN CREATE ROLE {anon} NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{authenticator}') THEN
    CREATE ROLE {authenticator} LOGIN NOINHERIT PASSWORD '{authenticator}';
  END IF;
END $$;
GRANT {anon} TO {authenticator};
CREATE SCHEMA api;
GRANT USAGE ON SCHEMA api TO {anon};
"""


def sql_text(path: Path) -> str:
    """A SQL file's text with its psql ``\\ir FILE`` lines replaced by those files' (conf/demo.sql includes
    conf/demo-live.sql), for loading it without psql."""
    lines = []
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"\\ir\s+(\S+)\s*", line)
        lines.append(sql_text(path.parent / match.group(1)) if match else line)
    return "\n".join(lines) + "\n"


def until(predicate: Callable[[], object], timeout: float = 20.0, interval: float = 0.1) -> bool:
    """Whether ``predicate()`` came true within ``timeout`` seconds, asked every ``interval``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _demote():
    """PostgreSQL will not run as root; the suite runs its cluster as ``postgres`` then."""
    if os.geteuid() != 0:
        return None
    pw = pwd.getpwnam("postgres")

    def demote() -> None:
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    return demote


class Cluster:
    """initdb + pg_ctl in a temporary directory, listening on loopback only.

    Every login is trusted, unless ``passwords``: then, as a deployment has it, the roles other
    than the superuser give their password over TCP (scram-sha-256).
    """

    def __init__(self, passwords: bool = False) -> None:
        self.passwords = passwords
        self.dir = Path(tempfile.mkdtemp(prefix="pgrestd-test-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.demote = _demote()
        if self.demote:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, capture_output=True, text=True, preexec_fn=self.demote, cwd=self.dir,
                              env=dict(os.environ, LC_ALL="C", TZ="UTC"), check=True)

    def init(self) -> "Cluster":
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--no-locale", "--nosync")
        with open(self.data / "postgresql.conf", "a") as f:
            f.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                    f"unix_socket_directories = '{self.dir}'\nfsync = off\n"
                    "synchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n")
        if self.passwords:
            (self.data / "pg_hba.conf").write_text(
                "local all all trust\n"
                "host all postgres 127.0.0.1/32 trust\n"
                "host all all 127.0.0.1/32 scram-sha-256\n")
        self.start()
        return self

    def standby(self) -> "Cluster":
        """A streaming hot standby of this cluster (pg_basebackup -R), started on a port of its own."""
        replica = Cluster(self.passwords)
        self._run(str(PG_BIN / "pg_basebackup"), "-D", str(replica.data), "-R", "-X", "stream", "-c", "fast",
                  "-d", self.uri())
        with open(replica.data / "postgresql.conf", "a") as f:
            f.write(f"port = {replica.port}\nunix_socket_directories = '{replica.dir}'\nhot_standby = on\n")
        replica.start()
        return replica

    def start(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "postgres.log"),
                  "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "postgres.log"),
                  "-m", mode, "-w", "-t", "60", "restart")

    def running(self) -> bool:
        try:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status")
        except subprocess.CalledProcessError:
            return False
        return True

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def uri(self, user: str = "postgres", dbname: str = "postgres", password: str | None = None) -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{dbname}"

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        with psycopg.connect(self.uri(dbname=dbname), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, name: str, sql: Path | str | None = None) -> None:
        """A new database, loaded with ``sql``: a file, or SQL text."""
        self.execute(f'CREATE DATABASE "{name}"')
        if sql is not None:
            self.execute(sql_text(sql) if isinstance(sql, Path) else sql, dbname=name)

    def psql(self, dbname: str, sql_file: Path) -> subprocess.CompletedProcess[str]:
        """``psql -v ON_ERROR_STOP=1 -f FILE`` as the superuser, the way a user loads a script."""
        return subprocess.run(
            [str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.uri(dbname=dbname),
             "-f", str(sql_file)], capture_output=True, text=True, check=False)



# PostgREST's own test database (../shared/conformance/fixtures beside the checkout, or $PGRST_FIXTURES).
POSTGREST_FIXTURES = Path(os.environ.get("PGRST_FIXTURES", str(ROOT.parent / "shared" / "conformance" / "fixtures")))


def postgrest_fixtures_missing(cluster: Cluster) -> str | None:
    """Why PostgREST's fixtures cannot be loaded into ``cluster`` (a skip reason), or None."""
    if not (POSTGREST_FIXTURES / "load.sql").exists():
        return f"PostgREST fixtures not found in {POSTGREST_FIXTURES}"
    with psycopg.connect(cluster.uri(), autocommit=True) as conn:
        if conn.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'").fetchone()[0] == 0:
            return "PostGIS is not installed (Debian: postgresql-15-postgis-3; `make conformance` installs it)"
    return None


def load_postgrest_fixtures(cluster: Cluster, dbname: str, authenticator: str) -> None:
    """A new database ``dbname`` with PostgREST's fixtures, loaded as the conformance runner loads them:
    the files in load.sql's order, by psql (they use its variables and \\if), granting the test roles
    to the login role ``authenticator`` (created when missing). The roles are cluster-wide: use a
    cluster of its own, whose other databases do not need roles of the same names."""
    with psycopg.connect(cluster.uri(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
        if not conn.execute("SELECT FROM pg_roles WHERE rolname = %s", (authenticator,)).fetchone():
            conn.execute(f'CREATE ROLE "{authenticator}" LOGIN NOINHERIT')
    script = ["\\set ON_ERROR_STOP on"]
    for line in (POSTGREST_FIXTURES / "load.sql").read_text().splitlines():
        if line.strip().startswith("\\ir"):
            path = POSTGREST_FIXTURES / Path(line.split()[1]).name
            if path.exists():
                script.append(f"\\i '{path}'")
    subprocess.run([str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"PGUSER={authenticator}",
                    "-v", f"DBNAME={dbname}", "-d", cluster.uri(dbname=dbname)],
                   input="\n".join(script) + "\n", text=True, capture_output=True, check=True,
                   env=dict(os.environ, PGOPTIONS="-c search_path=public,test", PGTZ="utc"))


def _wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout}s")


class PgBouncer:
    """PgBouncer in transaction pooling mode on loopback, in front of one database of a cluster (trust auth)."""

    BINARY = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"

    def __init__(self, cluster: Cluster, dbname: str, users: list[str], pool_size: int = 2) -> None:
        self.port = free_port()
        self.dir = cluster.dir
        ini = self.dir / f"pgbouncer-{self.port}.ini"
        users_file = self.dir / f"pgbouncer-{self.port}.users"
        users_file.write_text("".join(f'"{u}" ""\n' for u in users))
        ini.write_text(
            f"[databases]\n{dbname} = host=127.0.0.1 port={cluster.port} dbname={dbname}\n"
            f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {users_file}\npool_mode = transaction\n"
            f"default_pool_size = {pool_size}\nmax_client_conn = 200\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.dir / f'pgbouncer-{self.port}.log'}\n")
        self.proc = subprocess.Popen([self.BINARY, str(ini)], preexec_fn=_demote(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT)
        _wait_for_port(self.port, self.proc, "pgbouncer")

    def uri(self, user: str, dbname: str) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=10)


class Nginx:
    """nginx on loopback with ``deploy/nginx.conf`` as its server block, its upstream set to ``backends``."""

    BINARY = shutil.which("nginx") or "/usr/sbin/nginx"

    def __init__(self, backends: list[int]) -> None:
        self.port = free_port()
        self.dir = workdir = Path(tempfile.mkdtemp(prefix="pgrestd-test-nginx-"))
        conf = (ROOT / "deploy" / "nginx.conf").read_text()
        upstream = "".join(f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=5s;\n" for p in backends)
        conf = re.sub(r"(upstream pgrestd \{\n)(.*?)(\})", lambda m: m.group(1) + upstream + m.group(3), conf,
                      count=1, flags=re.S)
        conf = conf.replace("listen 80;", f"listen 127.0.0.1:{self.port};")
        (workdir / "pgrestd.conf").write_text(conf)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (workdir / sub).mkdir(exist_ok=True)
        self.access_log = workdir / "access.log"
        (workdir / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 1;\npid {workdir / 'nginx.pid'};\nerror_log {workdir / 'error.log'};\n"
            "events { worker_connections 512; }\n"
            "http {\n"
            f"  access_log {self.access_log};\n"
            f"  client_body_temp_path {workdir / 'body'};\n  proxy_temp_path {workdir / 'proxy'};\n"
            f"  fastcgi_temp_path {workdir / 'fastcgi'};\n  uwsgi_temp_path {workdir / 'uwsgi'};\n"
            f"  scgi_temp_path {workdir / 'scgi'};\n"
            f"  include {workdir / 'pgrestd.conf'};\n}}\n")
        demote = _demote()
        if demote:
            pw = pwd.getpwnam("postgres")
            for path in [workdir, *workdir.iterdir()]:
                os.chown(path, pw.pw_uid, pw.pw_gid)
        self.proc = subprocess.Popen([self.BINARY, "-p", str(workdir), "-c", str(workdir / "nginx.conf")],
                                     preexec_fn=demote, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        _wait_for_port(self.port, self.proc, "nginx")
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    """``pgrestd CONFIG_FILE`` in its own process group, stopped with SIGTERM; ``args`` go before
    CONFIG_FILE (``("mock", "--rows", "10")`` runs ``pgrestd mock --rows 10 CONFIG_FILE``)."""

    def __init__(self, settings: dict[str, object], workdir: Path, env: dict[str, str] | None = None,
                 args: tuple[str, ...] = ()) -> None:
        self.args = args
        self.port = int(settings.setdefault("server-port", free_port()))  # type: ignore[arg-type]
        settings.setdefault("server-host", "127.0.0.1")
        self.settings = settings
        self.conf = workdir / f"pgrestd-{self.port}.conf"
        self.log_path = workdir / f"pgrestd-{self.port}.log"
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def write_conf(self) -> None:
        lines = []
        for key, value in self.settings.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, int):
                text = str(value)
            else:
                text = '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
            lines.append(f"{key} = {text}")
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self, wait_ok: bool = True, timeout: float = 30) -> "Server":
        self.write_conf()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PGRST_")}
        env.update(self.env)
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([PGRESTD, *self.args, str(self.conf)], stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pgrestd exited with {self.proc.returncode}:\n{self.log()}")
            try:
                r = requests.get(self.url + "/", timeout=2)
                if not wait_ok or r.status_code != 503:
                    return self
            except (requests.ConnectionError, requests.Timeout):  # a worker still booting may be slow to answer
                pass
            time.sleep(0.1)
        raise RuntimeError(f"pgrestd did not answer within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait()
        finally:
            self.logf.close()

    def get(self, path: str, **kw: object) -> requests.Response:
        return requests.get(self.url + path, timeout=10, **kw)  # type: ignore[arg-type]


class ServerFactory:
    """Databases loaded with SQL and pgrestd servers over them; ``close`` stops every server it started.

    ``factory(sql, settings, database="name", user="role")`` creates the database on the cluster
    (once: a later call with the same SQL reuses it) and starts pgrestd with ``settings``, their
    ``db-uri`` made for ``user`` (the fixtures give each login role its own name as password).
    ``sql`` is a file, SQL text, or None for a database that exists already.
    """

    def __init__(self, cluster: Cluster, workdir: Path) -> None:
        self.cluster = cluster
        self.workdir = workdir
        self.servers: list[Server] = []
        self._databases: dict[tuple[int, str], str | None] = {}

    def database(self, name: str, sql: Path | str | None = None, *, cluster: Cluster | None = None) -> str:
        cluster = cluster or self.cluster
        source = str(sql) if isinstance(sql, Path) else sql
        key = (id(cluster), name)
        if key in self._databases:
            if source is not None and self._databases[key] != source:
                raise ValueError(f"database {name!r} was created from other SQL")
            return name
        if sql is not None:
            cluster.create_database(name, sql)
        self._databases[key] = source
        return name

    def __call__(self, sql: Path | str | None = None, settings: Mapping[str, object] | None = None, *,
                 database: str | None = None, user: str | None = None, password: str | None = None,
                 cluster: Cluster | None = None, env: Mapping[str, str] | None = None,
                 wait_ok: bool = True) -> Server:
        cluster = cluster or self.cluster
        conf: dict[str, object] = dict(settings or {})
        if database is not None:
            self.database(database, sql, cluster=cluster)
        elif sql is not None:
            raise ValueError("SQL to load needs a database name")
        if "db-uri" not in conf:
            if database is None or user is None:
                raise ValueError("settings without db-uri need database= and user=")
            conf["db-uri"] = cluster.uri(user, database, password or user)
        workdir = self.workdir / f"{len(self.servers) + 1:03d}"  # its own: ports, so log names, recur
        workdir.mkdir()
        server = Server(conf, workdir, dict(env or {}))
        self.servers.append(server)
        return server.start(wait_ok=wait_ok)

    def close(self) -> None:
        for server in reversed(self.servers):
            server.stop()


def server_fixture(sql: Path | str | None, settings: Mapping[str, object], *, database: str,
                   user: str, scope: str = "module") -> Callable[..., object]:
    """A fixture for one pgrestd over ``database``: started when first used, stopped at the end of
    its scope.  Assign it to a module-level name, which becomes the fixture's name."""

    @pytest.fixture(scope=scope)  # type: ignore[call-overload]
    def server(pgrestd_server_factory: ServerFactory):
        srv = pgrestd_server_factory(sql, settings, database=database, user=user)
        yield srv
        srv.stop()

    return server


@dataclass
class DemoApi:
    """A running pgrestd over its own copy of the demo database."""

    server: Server
    cluster: Cluster
    database: str
    secret: str

    @property
    def url(self) -> str:
        return self.server.url

    def token(self, sub: str = "alice", role: str = "web_user", expires_in: int = 3600) -> str:
        """A JWT for ``role`` (web_user may write actors, roles and its own reviews), valid for
        ``expires_in`` seconds (expired already when that is negative)."""
        claims = {"role": role, "sub": sub, "exp": int(time.time()) + expires_in}
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def sql(self, query: str, params: tuple | None = None) -> list[tuple]:
        """Run ``query`` as the superuser (bypassing row-level security) and return its rows, if any."""
        with psycopg.connect(self.cluster.uri(dbname=self.database), autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []


def start_demo_api(factory: ServerFactory, cluster: Cluster, demo_settings: Mapping[str, object],
                   database: str) -> DemoApi:
    """pgrestd with the demo settings (and ``db-plan-enabled``) over a new copy of the demo database."""
    settings = {k: v for k, v in demo_settings.items() if k != "db-uri"}
    settings["db-plan-enabled"] = True
    server = factory(DEMO_SQL, settings, database=database, user="authenticator", password="authenticator")
    return DemoApi(server, cluster, database, str(demo_settings["jwt-secret"]))


def _npm_dependencies(directory: Path) -> list[str]:
    """The names of the packages ``directory``'s package.json asks for."""
    manifest = json.loads((directory / "package.json").read_text())
    return [*manifest.get("dependencies", {}), *manifest.get("devDependencies", {})]


def _installed_npm_versions(directory: Path) -> dict[str, str | None]:
    """package.json's packages, each with the version node_modules holds (None when missing)."""
    installed: dict[str, str | None] = {}
    for name in _npm_dependencies(directory):
        try:
            manifest = directory / "node_modules" / name / "package.json"
            installed[name] = json.loads(manifest.read_text())["version"]
        except (OSError, ValueError, KeyError):
            installed[name] = None
    return installed


def _locked_npm_versions(directory: Path) -> dict[str, str | None]:
    """package.json's packages, each with the version package-lock.json pins."""
    packages = json.loads((directory / "package-lock.json").read_text()).get("packages", {})
    return {name: packages.get(f"node_modules/{name}", {}).get("version")
            for name in _npm_dependencies(directory)}


def tail(text: str, lines: int = 20) -> str:
    """The last ``lines`` lines of a command's output, for a failure message."""
    return "\n".join(text.strip().splitlines()[-lines:])


def node_with_packages(directory: Path, purpose: str, min_node: int = 18) -> str:
    """The path of node, once ``directory``'s node_modules hold the versions its package-lock.json
    pins (``npm ci`` when they do not). Skips the calling test when node or npm cannot be found, or
    the packages cannot be installed; ``purpose`` names what needs them in the skip message."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip(f"node not found: {purpose} need Node.js and npm "
                    "(Debian: apt-get install nodejs npm; `make test` installs them)")
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30,
                             check=False).stdout.strip()
        major = int(out.lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"{node} --version did not work: {exc}")
    if major < min_node:
        pytest.skip(f"node {out} is too old for {purpose} (needs node >= {min_node})")
    wanted = _locked_npm_versions(directory)
    if _installed_npm_versions(directory) == wanted:
        return node
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"npm not found, and {directory / 'node_modules'} lacks {wanted} "
                    "(Debian: apt-get install npm)")
    cmd = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    env = dict(os.environ, npm_config_update_notifier="false")
    try:
        done = subprocess.run(cmd, cwd=directory, capture_output=True, text=True, timeout=600, env=env,
                              check=False)
    except subprocess.TimeoutExpired:
        pytest.skip(f"`{' '.join(cmd)}` in {directory} did not finish within 600 s")
    if done.returncode != 0 or _installed_npm_versions(directory) != wanted:
        pytest.skip(f"could not install {wanted} with `{' '.join(cmd)}` in {directory} "
                    f"(exit {done.returncode}):\n{tail(done.stdout + done.stderr)}")
    return node


def big_schema(tables: int = 1000, keys_per_table: int = 2) -> str:
    """DDL for a large schema: ``tables`` tables with ``keys_per_table`` foreign keys each."""
    statements = ["CREATE SCHEMA big;"]
    for i in range(tables):
        refs = "".join(f", ref{k}_id integer" for k in range(keys_per_table))
        statements.append(f"CREATE TABLE big.t{i:04d} (id integer PRIMARY KEY, name text NOT NULL, "
                          f"created_at timestamptz DEFAULT now(){refs});")
    for i in range(tables):
        for k in range(keys_per_table):
            target = (i * 7 + k * 13 + 1) % tables
            statements.append(f"ALTER TABLE big.t{i:04d} ADD CONSTRAINT t{i:04d}_ref{k} "
                              f"FOREIGN KEY (ref{k}_id) REFERENCES big.t{target:04d} (id);")
    return "\n".join(statements)


@dataclass
class Event:
    """One Server-Sent Event: its type, its id (None without an ``id`` line) and its data, decoded as JSON."""

    event: str
    id: str | None
    data: object
    received: float  # time.time() when its last byte arrived


class EventStream:
    """A Server-Sent Events client on a plain socket (a live endpoint of pgrestd): the response, then events.

    ``status`` and ``headers`` are the response's; an answer other than 200 leaves its JSON in ``body``.
    """

    def __init__(self, port: int, path: str, headers: Mapping[str, str] | None = None, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Accept: text/event-stream"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buffer = b""
        self.last_id: str | None = None
        self.eof = False
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill(timeout):
                raise ConnectionError(f"no response head: {self.buffer!r}")
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *fields = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {k.lower(): v.strip() for k, _, v in (f.partition(":") for f in fields)}
        self.body: object = None
        if self.status != 200:
            length = int(self.headers.get("content-length", "0"))
            while len(self.buffer) < length and self._fill(timeout):
                pass
            self.body = json.loads(self.buffer[:length]) if length else None

    def _fill(self, timeout: float) -> bool:
        self.sock.settimeout(max(timeout, 0.001))
        try:
            chunk = self.sock.recv(1 << 16)
        except TimeoutError:
            return False
        except OSError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def next(self, timeout: float = 5.0) -> Event | None:
        """The next event (frames without an event type only move ``last_id``), or None at EOF or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            while b"\n\n" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\n\n", 1)
                fields: dict[str, str] = {}
                for line in raw.decode().split("\n"):
                    if line and not line.startswith(":"):
                        name, _, value = line.partition(":")
                        fields[name] = value.removeprefix(" ")
                if "id" in fields:
                    self.last_id = fields["id"]
                if "event" in fields:
                    data = json.loads(fields["data"]) if fields.get("data") else None
                    return Event(fields["event"], fields.get("id"), data, time.time())
            if self.eof or not self._fill(deadline - time.monotonic()):
                return None

    def take(self, count: int, timeout: float = 5.0) -> list[Event]:
        """The next ``count`` events, or fewer when they do not come within ``timeout`` seconds in all."""
        deadline = time.monotonic() + timeout
        events = []
        while len(events) < count:
            event = self.next(max(0.0, deadline - time.monotonic()))
            if event is None:
                break
            events.append(event)
        return events

    def closed(self, timeout: float = 5.0) -> bool:
        """Whether the server closes the stream within ``timeout`` seconds (events before that are dropped)."""
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self.buffer = b""
            self._fill(deadline - time.monotonic())
        return self.eof

    def close(self) -> None:
        self.sock.close()
