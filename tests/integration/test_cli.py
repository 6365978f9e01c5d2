"""The command line: help, version, example, dump-config, dump-schema, errors, legacy form."""

from __future__ import annotations

import subprocess

import orjson

from tests.support import PGRESTD, Server


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith("PGRST_")}
    base.update(env or {})
    return subprocess.run([PGRESTD, *args], capture_output=True, text=True, env=base, timeout=60)


def test_help_is_complete():
    out = run("--help").stdout
    for word in ("CONFIG_FILE", "--version", "--example", "--dump-config", "--dump-schema",
                 "--port", "--schema", "--anonymous", "--pool", "SIGHUP", "PGRST_", "PGRESTD_CONFIG"):
        assert word in out


def test_version():
    assert run("--version").stdout.startswith("pgrestd ")


def test_example_is_a_valid_config(tmp_path):
    example = run("--example").stdout
    path = tmp_path / "example.conf"
    path.write_text(example)
    r = run("--dump-config", str(path))
    assert r.returncode == 0, r.stderr


def test_dump_config_shows_effective_values_with_env_override(tmp_path):
    path = tmp_path / "p.conf"
    path.write_text('db-uri = "postgresql://x@localhost/db"\ndb-schemas = "api"\ndb-pool = 3\n')
    r = run("--dump-config", str(path), env={"PGRST_DB_POOL": "7"})
    assert r.returncode == 0, r.stderr
    assert "db-pool = 7" in r.stdout
    assert 'db-schemas = "api"' in r.stdout


def test_unknown_key_names_file_and_line(tmp_path):
    path = tmp_path / "bad.conf"
    path.write_text('db-uri = "postgresql://"\ndb-shemas = "api"\n')
    r = run(str(path))
    assert r.returncode != 0
    line = r.stderr.strip().splitlines()[-1]
    assert "bad.conf:2" in line and "db-shemas" in line


def test_wrong_type_names_the_key(tmp_path):
    path = tmp_path / "bad.conf"
    path.write_text('db-pool = "many"\n')
    r = run(str(path))
    assert r.returncode != 0
    assert "db-pool" in r.stderr and "bad.conf:1" in r.stderr


def test_unreadable_secret_file(tmp_path):
    path = tmp_path / "bad.conf"
    path.write_text('jwt-secret = "@/nonexistent/secret"\n')
    r = run(str(path))
    assert r.returncode != 0
    assert "jwt-secret" in r.stderr and "/nonexistent/secret" in r.stderr


def test_dump_schema(demo_settings, tmp_path):
    path = tmp_path / "demo.conf"
    Server(dict(demo_settings), tmp_path).write_conf()
    path = next(tmp_path.glob("pgrestd-*.conf"))
    r = run("--dump-schema", str(path))
    assert r.returncode == 0, r.stderr
    doc = orjson.loads(r.stdout)
    names = {t["name"] for t in doc["tables"]}
    assert {"films", "directors", "actors", "roles", "film_summaries"} <= names
    films = next(t for t in doc["tables"] if t["name"] == "films")
    assert films["primary_key"] == ["id"]
    assert any(fk["foreign_table"] == ["api", "directors"] for fk in doc["foreign_keys"])
    assert any(f["name"] == "films_by_year" for f in doc["functions"])


def test_legacy_form_serves(cluster, tmp_path):
    import os
    import signal
    import time

    import requests

    from tests.support import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGRST_")}
    env["PGRST_SERVER_HOST"] = "127.0.0.1"
    proc = subprocess.Popen(
        [PGRESTD, cluster.uri("authenticator", "demo", "authenticator"), "--port", str(port),
         "--schema", "api", "--anonymous", "anon", "--pool", "4"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline:
            try:
                status = requests.get(f"http://127.0.0.1:{port}/films", timeout=2).status_code
                if status == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        assert status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
