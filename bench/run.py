"""``make bench``: pgrestd against the minimal Falcon + psycopg app and pgbench, same SQL.

Builds a throwaway cluster with 1,000,000 rows, starts pgrestd and the minimal
app (bench/minimal_app.py) under the same Gunicorn settings, captures from
pgrestd's own planner the exact statements it sends for each workload, and
drives both with wrk; pgbench runs the same statements for the database's
ceiling.  Prints a table of req/s, the two ratios and the servers' memory
(PSS) and writes it to bench/results/.  Ratios matter, not absolute numbers:
the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.support import Cluster, Server, free_port  # noqa: E402

SCHEMA = """
CREATE ROLE authenticator LOGIN NOINHERIT PASSWORD 'authenticator';
CREATE ROLE anon NOLOGIN;
GRANT anon TO authenticator;
CREATE SCHEMA bench;
GRANT USAGE ON SCHEMA bench TO anon;
CREATE TABLE bench.items (
  id int PRIMARY KEY,
  name text NOT NULL,
  category int NOT NULL,
  price numeric(10, 2) NOT NULL,
  created_at timestamptz NOT NULL
);
INSERT INTO bench.items
  SELECT i, 'item ' || i, i % 1000, (i % 10000) / 100.0, '2024-01-01'::timestamptz + i * interval '1 minute'
  FROM generate_series(1, 1000000) AS i;
CREATE INDEX items_category_price ON bench.items (category, price);
GRANT SELECT ON bench.items TO anon;
CREATE TABLE bench.parents (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO bench.parents SELECT i, 'parent ' || i FROM generate_series(1, 100000) AS i;
CREATE TABLE bench.children (
  id int PRIMARY KEY,
  parent_id int NOT NULL REFERENCES bench.parents (id),
  name text NOT NULL
);
INSERT INTO bench.children SELECT i, (i - 1) / 10 + 1, 'child ' || i FROM generate_series(1, 1000000) AS i;
CREATE INDEX children_parent_id ON bench.children (parent_id);
GRANT SELECT ON bench.parents, bench.children TO anon;
"""


@dataclass(frozen=True)
class Workload:
    name: str
    path: str  # for pgrestd; {id} is replaced per request by wrk
    description: str


WORKLOADS = [
    Workload("pk", "/items?id=eq.{id}", "GET one row by primary key out of 1,000,000"),
    Workload("filter100", "/items?category=eq.42&price=gte.10&order=price.desc,id&limit=100",
             "GET 100 rows with a filter and an order"),
    Workload("embed", "/parents?select=id,name,children(id,name)&id=eq.{id}",
             "GET a parent with its 10 children (one-to-many embed)"),
]

_SENTINEL = "987654321"

WRK_RANDOM_ID = """
math.randomseed(os.time())
request = function()
  local path = string.gsub(wrk.path, "{id}", tostring(math.random(1, 100000)))
  return wrk.format("GET", path)
end
"""


def capture_statements(config_path: Path, out: Path) -> dict[str, dict]:
    """Ask pgrestd's own pipeline which statements it sends for each workload."""
    from pgrestd.app import Api
    from pgrestd.catalog import load_catalog
    from pgrestd.config import load_config
    from pgrestd.request.api import build_api_request
    from pgrestd.state import STATE

    config = load_config(str(config_path), {})
    catalog = load_catalog(config.db_uri, config.db_schemas, extra_search_path=config.db_extra_search_path)
    api = Api(config, STATE)
    statements = {}
    for w in WORKLOADS:
        path, _, qs = w.path.replace("{id}", _SENTINEL).partition("?")
        headers = {"host": "127.0.0.1", "user-agent": "wrk"}
        request = build_api_request("GET", path, qs, headers, b"", config.db_schemas)
        tx = api.prepare(request, api.auth.authenticate(None), catalog).tx
        params = [str(p) if not isinstance(p, int) else p for p in tx.main_params]
        key_index = params.index(_SENTINEL) if _SENTINEL in params else None
        statements[w.name] = {
            "begin": "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY",
            "settings_sql": tx.settings_sql,
            "settings_params": list(tx.settings_params),
            "main_sql": tx.main_sql,
            "main_params": params,
            "key_index": key_index,
            "body_column": 2,
        }
    out.write_text(json.dumps(statements, indent=1))
    return statements


def pgbench_script(stmt: dict, path: Path, uri: str) -> None:
    """The same statements as a pgbench script: values inlined by psycopg, the key a variable."""
    import psycopg

    main_params = list(stmt["main_params"])
    lines = []
    marker = "pgrestd_bench_key_marker"
    if stmt["key_index"] is not None:
        lines.append("\\set id random(1, 100000)")
        main_params[stmt["key_index"]] = marker
    with psycopg.connect(uri) as conn:
        cur = psycopg.ClientCursor(conn)
        settings = cur.mogrify(stmt["settings_sql"], stmt["settings_params"])
        main = cur.mogrify(stmt["main_sql"], main_params).replace(f"'{marker}'", ":id")
    lines += [stmt["begin"] + ";", settings + ";", main + ";", "COMMIT;"]
    # pgbench wants one statement per line.
    path.write_text("\n".join(" ".join(line.split()) for line in lines) + "\n")


def wrk(url: str, seconds: int, connections: int, script: Path) -> float:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"wrk saw {non2xx.group(1)} error responses from {url}:\n{out}")
    return float(m.group(1)) if m else 0.0


def pgbench(uri: str, script: Path, seconds: int, clients: int) -> float:
    out = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "2",
                          "-T", str(seconds), "-f", str(script), uri],
                         capture_output=True, text=True, timeout=seconds + 60)
    m = re.search(r"tps = ([\d.]+)", out.stdout)
    if not m:
        raise SystemExit(f"pgbench failed:\n{out.stdout}\n{out.stderr}")
    return float(m.group(1))


def pss_mib(root_pid: int) -> float:
    """Proportional set size of a process and its children: shared pages counted once."""
    pids = [root_pid]
    children = Path(f"/proc/{root_pid}/task/{root_pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=10, help="duration of each wrk/pgbench run")
    ap.add_argument("--connections", type=int, default=8, help="wrk connections")
    ap.add_argument("--workers", type=int, default=0, help="server-workers (0 = pgrestd's default)")
    ap.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds per workload (best is kept)")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="pgrestd-bench-"))
    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    cluster = Cluster().init()
    servers: list = []
    try:
        print("bench: loading 1,000,000 rows ...", flush=True)
        cluster.execute('CREATE DATABASE bench')
        cluster.execute(SCHEMA, dbname="bench")
        for table in ("items", "parents", "children"):
            cluster.execute(f"VACUUM ANALYZE bench.{table}", dbname="bench")
        uri = cluster.uri("authenticator", "bench", "authenticator")
        settings = {"db-uri": uri, "db-schemas": "bench", "db-anon-role": "anon", "log-level": "crit",
                    "server-worker-class": args.worker_class, "db-pool": 10}
        if args.workers:
            settings["server-workers"] = args.workers
        pgrestd = Server(dict(settings), work).start()
        servers.append(pgrestd)
        from pgrestd.config import load_config
        from pgrestd.server import worker_count

        config = load_config(str(pgrestd.conf), {})
        workers = worker_count(config)
        statements = capture_statements(pgrestd.conf, work / "statements.json")

        port = free_port()
        env = dict(os.environ, BENCH_STATEMENTS=str(work / "statements.json"), BENCH_DB_URI=uri,
                   BENCH_POOL=str(max(1, -(-config.db_pool // workers))))
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        minimal = subprocess.Popen(
            [gunicorn, "-w", str(workers), "-k", args.worker_class, "--threads", str(config.server_threads),
             "-b", f"127.0.0.1:{port}", "--chdir", str(HERE), "--log-level", "warning",
             "--no-control-socket", "minimal_app:application"],
            env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=open(work / "minimal.log", "w"))
        servers.append(minimal)
        minimal_url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(minimal_url + "/filter100", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)

        script = work / "random_id.lua"
        script.write_text(WRK_RANDOM_ID)
        rows = []
        for w in WORKLOADS:
            # Warm both (prepared statements, caches), then alternate rounds.
            wrk(pgrestd.url + w.path, 2, args.connections, script)
            wrk(f"{minimal_url}/{w.name}?id=eq.{{id}}", 2, args.connections, script)
            ours, ceiling = 0.0, 0.0
            for _ in range(args.rounds):
                ours = max(ours, wrk(pgrestd.url + w.path, args.seconds, args.connections, script))
                ceiling = max(ceiling, wrk(f"{minimal_url}/{w.name}?id=eq.{{id}}", args.seconds,
                                           args.connections, script))
            pgbench_script(statements[w.name], work / f"{w.name}.sql", uri)
            db = pgbench(uri, work / f"{w.name}.sql", args.seconds, args.connections)
            rows.append((w, ours, ceiling, db))
            print(f"bench: {w.name}: pgrestd {ours:.0f} req/s, minimal app {ceiling:.0f} req/s, "
                  f"pgbench {db:.0f} tps", flush=True)
        mem_ours, mem_minimal = pss_mib(pgrestd.proc.pid), pss_mib(minimal.pid)
    finally:
        for s in servers:
            if isinstance(s, Server):
                s.stop()
            else:
                s.send_signal(signal.SIGTERM)
                s.wait(timeout=30)
        cluster.destroy()

    table = [
        f"workers: {workers} x {args.worker_class}, wrk: {args.connections} connections, "
        f"{args.seconds}s x {args.rounds} rounds (best), pgbench: {args.connections} clients, -M prepared",
        "",
        "| workload | pgrestd req/s | minimal app req/s | pgbench tps | pgrestd / minimal | pgrestd / pgbench |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for w, ours, ceiling, db in rows:
        table.append(f"| {w.description} | {ours:.0f} | {ceiling:.0f} | {db:.0f} | "
                     f"{ours / ceiling:.0%} | {ours / db:.0%} |")
    table += ["", f"memory (PSS, master + workers): pgrestd {mem_ours:.1f} MiB, minimal app {mem_minimal:.1f} MiB"]
    text = "\n".join(table)
    print()
    print(text)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (results_dir / f"bench-{stamp}.md").write_text(text + "\n")
    (results_dir / "latest.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
