"""The scenarios: each starts what it needs on the suite's stack, does harm, and fills in its row."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import jwt
import requests

from tests.support import Nginx, until

from .harness import ANON, SECRET, USER, Load, Row, Stack, outcome, rss_kib, token, unexplained_log_lines, workers

def reloads(stack: Stack, row: Row, short: bool) -> None:
    """SIGHUPs and NOTIFY reloads under mixed load; a table made during the load is served after the next."""
    server = stack.server()
    rounds, gap = (3, 2.0) if short else (10, 5.0)
    reachable: list[float] = []
    with Load(server.url, threads=4) as load:
        time.sleep(gap)
        for i in range(rounds):
            for how in ("SIGHUP", "NOTIFY"):
                table = f"late_{how.lower()}_{i}"
                stack.sql(f"CREATE TABLE api.{table} (id int); GRANT SELECT ON api.{table} TO {ANON}")
                before = requests.get(f"{server.url}/{table}", timeout=10).status_code
                row.check(before == 404, f"{table} answered {before} before any reload")
                sent = time.monotonic()
                if how == "SIGHUP":
                    server.signal(signal.SIGHUP)
                else:
                    stack.sql("NOTIFY pgrst, 'reload schema'")
                if until(lambda: requests.get(f"{server.url}/{table}", timeout=10).status_code == 200, timeout=10,
                         interval=0.05):
                    reachable.append(time.monotonic() - sent)
                else:
                    row.check(False, f"{table} not served 10 s after {how}")
                time.sleep(gap)
    row.sent, row.failures = load.sent, load.failures
    row.check(load.sent >= (1000 if short else 10_000), f"only {load.sent} requests under load")
    row.check(not load.failures, f"failed requests: {dict(load.failures)} e.g. {load.examples}")
    row.timings += [f"{2 * rounds} reloads", f"new table served {max(reachable, default=0):.2f}s after reload (max)",
                    f"slowest request {load.slowest:.2f}s"]


def database_faults(stack: Stack, row: Row, short: bool) -> None:
    """pg_ctl restart, a 10 s outage and a backend terminated mid-request, under load."""
    server = stack.server()
    before = workers(server)
    allowed = {"503 PGRST000", "503 PGRST001"}
    with Load(server.url, threads=3, pause=0.01) as load:
        time.sleep(1)
        for what, outage in (("restart", 0.0), ("outage", 10.0)):
            start = time.monotonic()
            if outage:
                stack.cluster.stop()
                time.sleep(outage)
                stack.cluster.start()
            else:
                stack.cluster.restart()
            accepting = time.monotonic()
            time.sleep(3)
            during = load.kinds_between(start, accepting + 3)
            odd = {k: n for k, n in during.items() if k not in allowed}
            row.check(not odd, f"{what}: answers other than 503 PGRST000/001: {odd} e.g. "
                      f"{[load.examples.get(k) for k in odd]}")
            first = load.first_ok_after(accepting)
            row.check(first is not None and first <= 2.0, f"{what}: first 200 {first}s after the database was up")
            row.timings.append(f"{what}: first 200 after {first if first is None else round(first, 2)}s")
    row.check(load.slowest < 10, f"a request took {load.slowest:.1f}s")
    row.check(workers(server) == before, "a worker was restarted")
    row.sent, row.failures = load.sent, Counter(load.failures)
    row.timings.append(f"slowest {load.slowest:.2f}s")

    # A backend terminated in the middle of a request: one clean error, then a working pool.
    answers: list[requests.Response] = []
    call = threading.Thread(target=lambda: answers.append(
        requests.get(server.url + "/rpc/slow?seconds=5", timeout=20)))
    call.start()
    until(lambda: stack.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = 'pgrestd' AND state = 'active' AND query LIKE '%slow%'"), timeout=5)
    call.join()
    kind = outcome(answers[0]) if answers else "no answer"
    row.sent += 1
    row.check(kind in ("503 57P01", "503 PGRST001"), f"terminated backend answered {kind}")
    after = [requests.get(server.url + "/notes?limit=1", timeout=10).status_code for _ in range(30)]
    row.sent += len(after)
    row.check(after == [200] * 30, f"after pg_terminate_backend: {Counter(after)}")
    row.timings.append(f"terminated backend: {kind}")


def worker_death(stack: Stack, row: Row, short: bool) -> None:
    """kill -9 of workers during 1,000-row inserts: no batch partly visible, the master replaces them."""
    server = stack.server()
    count = len(workers(server))
    kills = 5 if short else 20
    auth = {"Authorization": f"Bearer {token()}", "Prefer": "return=minimal"}
    acked: list[int] = []
    cut: Counter[str] = Counter()
    halt = threading.Event()
    lock = threading.Lock()
    next_batch = iter(range(1, 1_000_000))

    def insert() -> None:
        session = requests.Session()
        while not halt.is_set():
            with lock:
                batch = next(next_batch)
            rows = [{"batch": batch, "n": n, "pad": "x" * 100} for n in range(1000)]
            try:
                r = session.post(server.url + "/batches", json=rows, headers=auth, timeout=30)
                with lock:
                    if r.status_code == 201:
                        acked.append(batch)
                    else:
                        cut[outcome(r)] += 1
            except requests.RequestException as exc:
                with lock:
                    cut[outcome(None, exc)] += 1
                session = requests.Session()

    inserters = [threading.Thread(target=insert, daemon=True) for _ in range(2)]
    rnd = random.Random(7)
    replaced = []
    with Load(server.url, threads=1, pause=0.02) as load:
        for t in inserters:
            t.start()
        time.sleep(1)
        for _ in range(kills):
            time.sleep(rnd.uniform(0.2, 0.6))
            victim = rnd.choice(sorted(workers(server)))
            started = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            ok = until(lambda: len(workers(server) - {victim}) == count, timeout=10, interval=0.02)
            row.check(ok, f"worker {victim} not replaced within 10 s")
            replaced.append(time.monotonic() - started)
        halt.set()
        for t in inserters:
            t.join(timeout=30)
    partial = stack.sql("SELECT batch, count(*) FROM api.batches GROUP BY batch HAVING count(*) <> 1000")
    lost = stack.sql("SELECT count(*) FROM unnest(%s::int[]) b WHERE NOT EXISTS "
                     "(SELECT FROM api.batches WHERE batch = b)", acked)[0][0]
    row.sent = load.sent + len(acked) + sum(cut.values())
    row.failures = Counter({f"read {k}": n for k, n in load.failures.items()})
    row.failures.update({f"insert {k}": n for k, n in cut.items()})
    row.check(not partial, f"partly visible batches: {partial[:5]}")
    row.check(lost == 0, f"{lost} acknowledged batches missing")
    row.check(sum(cut.values()) >= 1, "no kill hit an insert in flight")
    # A read in flight on the killed worker is lost with it; the others are served.
    row.check(sum(load.failures.values()) <= kills, f"reads failed beyond the killed ones: {dict(load.failures)}")
    row.timings += [f"{kills} kills, {sum(cut.values())} mid-insert", f"{len(acked)} batches acknowledged",
                    f"worker replaced in {max(replaced):.2f}s (max)"]


def pool_limits(stack: Stack, row: Row, short: bool) -> None:
    """More slow calls than connections: 504 PGRST003 after the acquisition timeout; statement_timeout per role."""
    server = stack.server(server_workers=1, server_worker_class="gthread", server_threads=8, db_pool=2,
                          db_pool_acquisition_timeout=1)
    started = time.monotonic()
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: _timed_get(server.url + "/rpc/slow?seconds=3"), range(6)))
    kinds = Counter(kind for kind, _ in answers)
    refused_after = [took for kind, took in answers if kind == "504 PGRST003"]
    row.sent += 6
    row.check(kinds == Counter({"200 None": 2, "504 PGRST003": 4}), f"six slow calls over two connections: {kinds}")
    row.check(all(0.9 <= t <= 2.5 for t in refused_after), f"504s after {refused_after}s, not the 1 s timeout")
    after = [requests.get(server.url + "/notes?limit=1", timeout=10).status_code for _ in range(20)]
    row.sent += 20
    row.check(after == [200] * 20, f"pool after exhaustion: {Counter(after)}")
    row.timings.append(f"504 after {max(refused_after, default=0):.2f}s, all done in {time.monotonic() - started:.1f}s")

    stack.sql(f"ALTER ROLE {ANON} SET statement_timeout = '500ms'")
    try:
        stack.sql("NOTIFY pgrst, 'reload schema'")
        # The reload rolls the workers; the setting holds once the new ones serve.
        until(lambda: _timed_get(server.url + "/rpc/slow?seconds=1")[0] == "500 57014", timeout=10)
        kind, took = _timed_get(server.url + "/rpc/slow?seconds=2")
        row.sent += 1
        row.check(kind == "500 57014" and took < 1.5, f"statement_timeout 500ms gave {kind} after {took:.2f}s")
        row.timings.append(f"statement_timeout: {kind} after {took:.2f}s")
    finally:
        stack.sql(f"ALTER ROLE {ANON} RESET statement_timeout")
        stack.sql("NOTIFY pgrst, 'reload schema'")
    row.failures = Counter({f"expected {k}": n for k, n in kinds.items() if k != "200 None"})


def _timed_get(url: str, **kw: object) -> tuple[str, float]:
    started = time.monotonic()
    try:
        r = requests.get(url, timeout=30, **kw)  # type: ignore[arg-type]
        return (f"{r.status_code} None" if r.status_code < 300 else outcome(r)), time.monotonic() - started
    except requests.RequestException as exc:
        return outcome(None, exc), time.monotonic() - started


def jwt_attacks(stack: Stack, row: Row, short: bool) -> None:
    """Forged, expired, oversized and misdirected tokens: PostgREST's 401/403 and its code, never the secret."""
    import base64
    import json

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    server = stack.server(jwt_secret=json.dumps({"keys": [public_jwk]}), jwt_aud="suite-api")
    now = int(time.time())
    good = {"role": USER, "aud": "suite-api", "exp": now + 600}

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    def unsigned(claims: dict, alg: str = "none") -> str:
        return b64(json.dumps({"alg": alg, "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode()) + "."

    rs = lambda claims, k=key: jwt.encode(claims, k, algorithm="RS256")  # noqa: E731
    attacks = {
        "alg none": unsigned(good),
        "alg None": unsigned(good, "None"),
        "wrong key": rs(good, other),
        "HS256 with the public key (confusion)": _hmac_token(good, public_pem),
        "HS256 with the JWK text": _hmac_token(good, json.dumps(public_jwk).encode()),
        "HS256 with the suite secret": jwt.encode(good, SECRET, algorithm="HS256"),
        "expired": rs({**good, "exp": now - 120}),
        "not yet valid": rs({**good, "nbf": now + 600}),
        "wrong audience": rs({**good, "aud": "another-api"}),
        "garbage": "not.a.jwt",
        "garbage base64": "eyJhbGciOiJSUzI1NiJ9.@@@.###",
        "100 kB token": rs({**good, "pad": "x" * 75_000})[:-20] + "A" * 20,
        "role that does not exist": rs({**good, "role": "no_such_role"}),
        "superuser role": rs({**good, "role": "postgres"}),
        "authenticator role": rs({**good, "role": "rel_auth"}),
        "signature cut": rs(good)[:-10],
        "payload swapped": _swap_payload(rs({**good, "role": ANON}), {**good}),
    }
    seen: Counter[str] = Counter()
    for name, tok in attacks.items():
        r = requests.get(server.url + "/secrets", headers={"Authorization": f"Bearer {tok}"}, timeout=10)
        kind = outcome(r)
        row.sent += 1
        seen[f"expected {kind}"] += 1
        row.check(r.status_code in (401, 403) and "only-rel-user-reads-this" not in r.text,
                  f"{name}: {kind} {r.text[:120]}")
    control = requests.get(server.url + "/secrets", headers={"Authorization": f"Bearer {rs(good)}"}, timeout=10)
    row.sent += 1
    row.check(control.status_code == 200 and "only-rel-user-reads-this" in control.text,
              f"a valid token was refused: {control.status_code} {control.text[:120]}")
    row.failures = seen
    row.timings.append(f"{len(attacks)} attacks refused, a valid token served")


def _hmac_token(claims: dict, secret: bytes) -> str:
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    return signing + "." + b64(hmac.new(secret, signing.encode(), hashlib.sha256).digest())


def _swap_payload(tok: str, claims: dict) -> str:
    import base64
    import json

    head, _, sig = tok.split(".")
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{payload}.{sig}"


def bodies(stack: Stack, row: Row, short: bool) -> None:
    """50 MB bodies: 413 over the limit without reading them; under it, inserted and not kept in memory."""
    limit = 10 * 1024 * 1024
    small = stack.server(server_workers=1, server_max_body_size=limit)
    (worker,) = workers(small)
    body = b"[" + b",".join(b'{"body":"%d"}' % i for i in range(4_000_000))[:50_000_000] + b"]"
    auth = {"Authorization": f"Bearer {token()}", "Content-Type": "application/json", "Prefer": "return=minimal"}
    before = rss_kib(worker)
    r1 = requests.post(small.url + "/notes", data=body, headers=auth, timeout=60)
    r2 = requests.post(small.url + "/notes", data=iter([body[i:i + 1 << 20] for i in range(0, len(body), 1 << 20)]),
                       headers=auth, timeout=60)  # chunked: no Content-Length to refuse it by
    grown = (rss_kib(worker) - before) / 1024
    row.sent += 2
    for how, r in (("with Content-Length", r1), ("chunked", r2)):
        row.failures[f"expected {outcome(r)}"] += 1
        row.check(r.status_code == 413, f"50 MB body {how}: {outcome(r)}")
    row.check(grown < limit / 1024 / 1024, f"worker grew {grown:.0f} MiB refusing 50 MB bodies")
    row.timings.append(f"413 for 50 MB (worker +{grown:.0f} MiB)")

    big = stack.server(server_workers=1)
    (worker,) = workers(big)
    rows = b"[" + b",".join(b'{"batch":%d,"n":%d,"pad":"%s"}' % (9_000_000, i, b"y" * 40) for i in range(600_000)) + b"]"
    stack.sql("ALTER TABLE api.batches DISABLE TRIGGER slowly")
    try:
        before = rss_kib(worker)
        r = requests.post(big.url + "/batches", data=rows, headers=auth, timeout=120)
        after = rss_kib(worker)
    finally:
        stack.sql("ALTER TABLE api.batches ENABLE TRIGGER slowly")
        stack.sql("DELETE FROM api.batches WHERE batch = 9000000")
    row.sent += 1
    kept = (after - before) / 1024
    row.check(r.status_code == 201, f"{len(rows) / 1e6:.0f} MB insert: {outcome(r)}")
    row.check(kept < 16, f"worker kept {kept:.0f} MiB after a {len(rows) / 1e6:.0f} MB insert")
    row.timings.append(f"{len(rows) / 1e6:.0f} MB insert: worker +{kept:.0f} MiB after")


def slow_clients(stack: Stack, row: Row, short: bool) -> None:
    """Slowloris against the bare Gunicorn port holds the sync workers; behind nginx it does not."""
    server = stack.server(server_workers=3)
    stop = threading.Event()

    def slowloris(port: int) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(b"GET /notes HTTP/1.1\r\nHost: x\r\n")
            while not stop.is_set():
                s.sendall(b"X")
                stop.wait(0.2)

    def probe(url: str, count: int) -> tuple[int, float]:
        ok, started = 0, time.monotonic()
        for _ in range(count):
            try:
                ok += requests.get(url + "/notes?limit=1", timeout=2).status_code == 200
            except requests.RequestException:
                pass
        return ok, time.monotonic() - started

    nginx = Nginx([server.port])
    try:
        for port, clients in ((server.port, 3), (nginx.port, 12)):
            stop.clear()
            threads = [threading.Thread(target=slowloris, args=(port,), daemon=True) for _ in range(clients)]
            for t in threads:
                t.start()
            time.sleep(1)
            ok, took = probe(server.url if port == server.port else nginx.url, 5 if port == server.port else 30)
            stop.set()
            for t in threads:
                t.join(timeout=5)
            count = 5 if port == server.port else 30
            row.sent += count
            where = "bare port" if port == server.port else "nginx"
            row.timings.append(f"{where} + {clients} slow: {ok}/{count} in {took:.1f}s")
            if port == server.port:
                # Documented (README, "Deployment beyond one process"): sync workers need a buffering proxy.
                row.failures["blocked on the bare port (expected)"] += count - ok
            else:
                row.failures["through nginx"] += 30 - ok
                row.check(ok == 30 and took < 5, f"through nginx {ok}/30 in {took:.1f}s")
    finally:
        stop.set()
        nginx.stop()


def logs(stack: Stack, row: Row, short: bool) -> None:
    """Every server the suite ran left only lines with a time and a level (or access lines), no tracebacks."""
    for server in stack.servers:
        bad = unexplained_log_lines(server)
        row.sent += len(server.log().splitlines())
        row.failures["unexplained lines"] += len(bad)
        row.check(not bad, f"{server.log_path}: {bad[:3]}")
    joined = "\n".join(s.log() for s in stack.servers)
    for what, pattern in (("database down", "database"), ("worker killed", "SIGKILL")):
        row.check(pattern in joined, f"no log line tells an operator: {what}")


def configuration(stack: Stack, row: Row, short: bool) -> None:
    """The property test over the settings registry: every accepted value starts a working server."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/integration/test_config_accepted.py"], capture_output=True, text=True)
    last = (done.stdout.strip().splitlines() or ["no output"])[-1]
    row.sent = 1
    row.check(done.returncode == 0, f"pytest: {last}\n{done.stdout[-2000:]}")
    row.timings.append(f"{last} in {time.monotonic() - started:.0f}s")
