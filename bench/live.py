"""Live endpoints under load: what 500 open streams cost ordinary requests, memory per stream, event latency.

Starts a throwaway cluster with the demo database (conf/demo.sql, films and reviews watched) and
pgrestd with live-enabled and its default workers, then, in one run:

1. throughput: wrk on ``GET /films?id=eq.1`` for a fixed time, alternating without and with
   500 open streams (each its own subscription: ``/films?select=title,director:directors(name)&year=gte.N``),
   ``--rounds`` times; prints req/s of each measurement and the ratio of the medians;
2. memory: RSS and PSS of the stream process with no stream and with the 500, per stream;
3. latency: ``--events`` single-row inserts into reviews, each timed from its COMMIT returning to its
   event arriving on a stream (with the 500 film streams still open); median and p99. Then the same
   on films, where every one of the 500 streams reads each change as its own role (the worst case).

    .venv/bin/python bench/live.py [--streams 500] [--seconds 8] [--rounds 2] [--events 500]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import psycopg

from tests.support import DEMO_SQL, Cluster, EventStream, Server


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url], capture_output=True,
                         text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if match is None or errors is not None:
        raise RuntimeError(f"wrk: no rate or errors:\n{out}")
    return float(match.group(1))


def stream_process(master: int) -> int:
    for task in Path(f"/proc/{master}/task").iterdir():  # the supervisor thread started it
        for child in (task / "children").read_text().split():
            if b"pgrestd.live" in Path(f"/proc/{child}/cmdline").read_bytes():
                return int(child)
    raise RuntimeError("no stream process")


def memory(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
    return int(fields["Rss"].split()[0]) / 1024, int(fields["Pss"].split()[0]) / 1024


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_streams(port: int, count: int) -> list[EventStream]:
    streams = []
    for i in range(count):
        s = EventStream(port, f"/films?select=title,director:directors(name)&year=gte.{1000 + i}")
        assert s.status == 200, s.body
        assert s.next().event == "rows"
        streams.append(s)
    return streams


def latency(db: psycopg.Connection, s: EventStream, events: int, table: str) -> tuple[float, float]:
    """Median and p99 in ms, from COMMIT returning to the event's arrival."""
    samples = []
    insert = ("INSERT INTO api.reviews (film_id, author, stars, body, published) VALUES (1, 'bench', 3, 'x', true) "
              "RETURNING id" if table == "reviews" else
              "INSERT INTO api.films (title, year, director_id) VALUES ('bench ' || random(), 2099, 1) RETURNING id")
    for _ in range(events):
        key = db.execute(insert).fetchone()[0]  # autocommit: the COMMIT has returned
        committed = time.time()
        while True:
            event = s.next(5)
            if event is None:
                raise RuntimeError("an event did not come")
            if event.data["key"]["id"] == key:
                break
        samples.append((event.received - committed) * 1000)
        time.sleep(0.005)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args()
    cluster = Cluster(passwords=True).init()
    server = None
    try:
        cluster.create_database("demo", DEMO_SQL)
        workdir = Path(tempfile.mkdtemp(prefix="pgrestd-bench-live-"))
        server = Server({"db-uri": cluster.uri("authenticator", "demo", "authenticator"), "db-schemas": "api",
                         "db-anon-role": "anon", "log-level": "crit", "live-enabled": True,
                         "live-max-streams": max(1000, args.streams + 10)}, workdir).start()
        assert server.proc is not None
        live = stream_process(server.proc.pid)
        url = server.url + "/films?id=eq.1"
        wrk(url, 2, args.connections)  # warm-up
        idle = memory(live)
        without, with_streams, busy_cpu = [], [], []
        streams: list[EventStream] = []
        for _ in range(args.rounds):
            without.append(wrk(url, args.seconds, args.connections))
            streams = open_streams(server.port, args.streams)
            cpu = cpu_seconds(live)
            with_streams.append(wrk(url, args.seconds, args.connections))
            busy_cpu.append((cpu_seconds(live) - cpu) / args.seconds)
            for s in streams:
                s.close()
        time.sleep(0.5)
        streams = open_streams(server.port, args.streams)
        time.sleep(1.0)
        busy = memory(live)
        ratio = statistics.median(with_streams) / statistics.median(without)
        pairs = statistics.median(w / o for w, o in zip(with_streams, without))
        print(f"throughput GET /films?id=eq.1, wrk -c{args.connections} {args.seconds}s, alternating:")
        print("  without streams: " + ", ".join(f"{r:.0f}" for r in without) + " req/s")
        print(f"  with {args.streams}:        " + ", ".join(f"{r:.0f}" for r in with_streams) + " req/s")
        print(f"  ratio of medians: {ratio:.3f}; median of the rounds' ratios: {pairs:.3f}")
        print(f"  the stream process's CPU while the {args.streams} streams idled under that load: "
              f"{statistics.median(busy_cpu) * 100:.1f} % of a core")
        print(f"stream process memory: {idle[0]:.1f} MiB RSS / {idle[1]:.1f} MiB PSS without streams, "
              f"{busy[0]:.1f} / {busy[1]:.1f} with {args.streams}: "
              f"{(busy[0] - idle[0]) * 1024 / args.streams:.1f} KiB RSS, "
              f"{(busy[1] - idle[1]) * 1024 / args.streams:.1f} KiB PSS per stream")
        with psycopg.connect(cluster.uri(dbname="demo"), autocommit=True) as db:
            listener = EventStream(server.port, "/reviews?select=id,stars&author=eq.bench", {"Prefer": "return=minimal"})
            med, p99 = latency(db, listener, args.events, "reviews")
            print(f"latency commit -> event, {args.events} inserts into reviews ({args.streams} film streams open): "
                  f"median {med:.1f} ms, p99 {p99:.1f} ms")
            films = EventStream(server.port, "/films?select=id&year=eq.2099", {"Prefer": "return=minimal"})
            med, p99 = latency(db, films, min(args.events, 100), "films")
            print(f"latency commit -> event, {min(args.events, 100)} inserts into films, each read by all "
                  f"{args.streams + 1} streams' roles: median {med:.1f} ms, p99 {p99:.1f} ms")
        for s in streams:
            s.close()
        return 0
    finally:
        if server is not None:
            server.stop()
        cluster.destroy()


if __name__ == "__main__":
    sys.exit(main())
