"""Hostile input: a grammar fuzzer of the suite's own beside schemathesis on pgrestd's OpenAPI document.

The fuzzer puts hostile values in every position of PostgREST's URL grammar,
its headers and its bodies. No answer may be a 5xx or take more than a
second of the server's time (Server-Timing), and the canaries prove that no
SQL from a request ran.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import requests
from prometheus_client.parser import text_string_to_metric_families

from .harness import Row, Stack, token

HOSTILE = [
    "'", '"', "''", "\\", "%", "*", "(", ")", ",", ".", ":", "::", "->", "->>", "!", "@", "$1", "$$",
    "';DROP TABLE api.canary;--", '";DROP TABLE api.canary;--', "1); DROP TABLE api.canary; --",
    "x'); SELECT public.pwned(); --", "1 OR 1=1", "1; SELECT public.pwned()", "public.pwned()",
    "(SELECT public.pwned())", "x/* comment */y", "-- comment", "$$;SELECT public.pwned();$$",
    "\x00", "a\x00b", "\ud800", "\U0001F600", "é", "\r\n", "\t", " ", "", "null", "NULL", "true",
    "1e999999", "-1", "99999999999999999999999999", "0x10", "NaN", "Infinity", "2026-13-45",
    "{}", "[]", '{"a":1}', "{1,2", "))))((((", "not.eq.1", "eq.", "in.(", "is.", "like.*'*",
    "x" * 100_000, "é" * 20_000, ";" * 5_000,
]
RAW_HOSTILE = ["%00", "%FF%FE", "%C0%AF", "%E2%80", "%", "%%", "%zz", "%2527", "%u0027"]
COLUMNS = ["id", "body", "author", "created_at", "secret", "batch", "nope", "*"]
TABLES = ["notes", "canary", "secrets", "batches", "rpc/echo", "rpc/nope", "nope", ""]
OPERATORS = ["eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch", "in", "is", "isdistinct",
             "fts", "plfts", "phfts", "wfts", "cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj", "not.eq",
             "eq(any)", "like(all)", "fts(english)", "fts(0)", "fts(x'y)", "bogus"]


SHORT = [v for v in HOSTILE if len(v) < 100]


def _value(rnd: random.Random, short: bool = False) -> str:
    """A hostile value, URL-encoded; ``short`` ones where a request repeats it hundreds of times."""
    if rnd.random() < 0.15:
        return rnd.choice(RAW_HOSTILE)
    return quote(rnd.choice(SHORT if short else HOSTILE), safe="", errors="surrogatepass")


def _nest(rnd: random.Random, depth: int) -> str:
    leaf = f"id.eq.{_value(rnd, short=True)}"
    out = leaf
    for _ in range(depth):
        out = f"{rnd.choice(['or', 'and', 'not.or', 'not.and'])}({out},{leaf})"
    return out


def _select(rnd: random.Random) -> str:
    parts = []
    for _ in range(rnd.randint(1, 4)):
        col = rnd.choice(COLUMNS + [_value(rnd)])
        kind = rnd.random()
        if kind < 0.2:
            col = f"{_value(rnd)}:{col}"
        elif kind < 0.4:
            col = f"{col}::{_value(rnd)}"
        elif kind < 0.5:
            col = f"{col}->{_value(rnd)}->>{_value(rnd)}"
        elif kind < 0.6:
            col = f"{col}.{rnd.choice(['sum', 'count', 'avg', _value(rnd)])}()"
        elif kind < 0.7:
            col = f"{rnd.choice(TABLES)}({_value(rnd)})"
        elif kind < 0.75:
            col = "x(" * rnd.randint(1, 300) + "id" + ")" * rnd.randint(0, 300)
        parts.append(col)
    return ",".join(parts)


def _query(rnd: random.Random) -> str:
    params = []
    for _ in range(rnd.randint(0, 4)):
        pick = rnd.random()
        if pick < 0.25:
            params.append(f"{rnd.choice(COLUMNS + [_value(rnd)])}={rnd.choice(OPERATORS)}.{_value(rnd)}")
        elif pick < 0.4:
            params.append(f"select={_select(rnd)}")
        elif pick < 0.5:
            params.append(f"{rnd.choice(['or', 'and', 'not.or'])}=({_nest(rnd, rnd.choice([1, 5, 50, 500]))})")
        elif pick < 0.6:
            params.append(f"order={rnd.choice(COLUMNS + [_value(rnd)])}.{rnd.choice(['asc', 'desc', 'nullsfirst', _value(rnd)])}")
        elif pick < 0.7:
            params.append(f"{rnd.choice(['limit', 'offset'])}={_value(rnd) if rnd.random() < 0.7 else rnd.randint(-5, 10**12)}")
        elif pick < 0.8:
            params.append(f"{rnd.choice(['columns', 'on_conflict', 'value'])}={_value(rnd)}")
        elif pick < 0.9:
            params.append(f"{_value(rnd)}={_value(rnd)}")
        else:
            params.append(f"id=in.({','.join(_value(rnd, short=True) for _ in range(rnd.randint(1, 50)))})")
    return "&".join(params)


def _headers(rnd: random.Random) -> dict[str, str]:
    headers: dict[str, str] = {}
    if rnd.random() < 0.5:
        headers["Authorization"] = rnd.choice([f"Bearer {token()}", f"Bearer {_value(rnd)[:500]}", "Basic x",
                                               "Bearer " + "a" * 50_000, f"Bearer {token(role=_value(rnd)[:60])}"])
    if rnd.random() < 0.3:
        headers["Range"] = rnd.choice(["0-9", "items=0-1", "10-0", "0-99999999999999999999999", "-5", "a-b",
                                       "0-1,2-3", "0-" + "9" * 5000])
        headers["Range-Unit"] = rnd.choice(["items", "bytes", _value(rnd)[:100]])
    if rnd.random() < 0.3:
        headers["Prefer"] = rnd.choice([
            "return=representation", "count=exact", "count=planned", "count=estimated", "tx=rollback",
            "resolution=merge-duplicates", "missing=default", "handling=strict", "max-affected=1",
            "timezone=" + _value(rnd)[:200], "params=single-object",
            ", ".join(["return=representation"] * 5000), "x" * 100_000, "count=exact, handling=strict, " + _value(rnd)[:200],
        ])
    if rnd.random() < 0.3:
        headers["Accept"] = rnd.choice(["text/csv", "application/vnd.pgrst.object+json", "application/geo+json",
                                        "application/vnd.pgrst.plan+json; for=\"application/json\"",
                                        "application/openapi+json", "*/*;q=" + _value(rnd)[:50], "text/xml",
                                        "application/octet-stream", "a/" + "b" * 10_000])
    if rnd.random() < 0.2:
        headers[rnd.choice(["Accept-Profile", "Content-Profile"])] = rnd.choice(["api", "public", "pg_catalog",
                                                                                 _value(rnd)[:200]])
    return headers


def _body(rnd: random.Random) -> tuple[bytes, str]:
    pick = rnd.random()
    if pick < 0.2:
        return b'{"body": "' + rnd.choice(HOSTILE).encode("utf-8", "surrogatepass").replace(b'"', b'\\"') + b'"}', \
            "application/json"
    if pick < 0.3:
        depth = rnd.choice([100, 1_000, 10_000])
        return b"[" * depth + b"]" * depth, "application/json"
    if pick < 0.4:
        depth = rnd.choice([100, 1_000, 10_000])
        return b'{"body":' * depth + b"1" + b"}" * depth, "application/json"
    if pick < 0.5:
        return rnd.choice([b"not json", b"{", b'{"body": "a\x00b"}', b"\xff\xfe\xfd", b'{"body": "\\u0000"}',
                           b"[1,2,3]", b'[{"body":1},{"nope":2}]', b"null", b"", b'"' * 1000]), "application/json"
    if pick < 0.6:
        return b"body\n" + "\n".join(rnd.choice(HOSTILE).replace("\x00", "") for _ in range(5)).encode(
            "utf-8", "surrogatepass"), "text/csv"
    if pick < 0.7:
        return ("body=" + _value(rnd)).encode(), "application/x-www-form-urlencoded"
    if pick < 0.8:
        return b'{"value": "' + _value(rnd).encode() + b'"}', rnd.choice(["application/json", "text/plain"])
    return b'[{"body": "fuzz"}]', rnd.choice(["application/json", "text/csv", "application/xml", _value(rnd)[:100],
                                              "application/json; charset=" + _value(rnd)[:50]])


class Fuzzer:
    """``count`` generated requests over ``threads`` connections, counted by kind."""

    METHODS = ["GET", "GET", "GET", "HEAD", "POST", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"]

    def __init__(self, url: str, count: int, threads: int = 4, seed: int = 1) -> None:
        self.url, self.count, self.threads, self.seed = url, count, threads, seed
        self.sent = 0
        self.statuses: Counter[int] = Counter()
        self.failures: Counter[str] = Counter()
        self.examples: list[str] = []
        self.slowest = (0.0, "")
        self._lock = threading.Lock()

    def run(self) -> None:
        threads = [threading.Thread(target=self._worker, args=(i,)) for i in range(self.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def _worker(self, index: int) -> None:
        try:
            self._send(index)
        except Exception as exc:  # a broken generator fails the scenario, it does not pass it quietly
            with self._lock:
                self.failures[f"fuzzer error {type(exc).__name__}"] += 1
                self.examples.append(repr(exc))

    def _send(self, index: int) -> None:
        rnd = random.Random(self.seed * 1000 + index)
        session = requests.Session()
        for _ in range(self.count // self.threads):
            method = rnd.choice(self.METHODS)
            path = "/" + (rnd.choice(TABLES) if rnd.random() < 0.9 else _value(rnd))
            query = _query(rnd)
            headers = _headers(rnd)
            data = None
            if method in ("POST", "PATCH", "PUT"):
                data, headers["Content-Type"] = _body(rnd)
            target = self.url + path + ("?" + query if query else "")
            try:
                r = session.request(method, target, headers=headers, data=data, timeout=30)
                failure = None
                if r.status_code >= 500:
                    failure = f"{r.status_code}"
                server_ms = _server_time(r.headers.get("Server-Timing", ""))
                if server_ms > 1000:
                    failure = "over 1 s of server time"
            except requests.RequestException as exc:
                r, failure, server_ms = None, f"connection error ({type(exc).__name__})", 0.0
                session = requests.Session()
            with self._lock:
                self.sent += 1
                if r is not None:
                    self.statuses[r.status_code] += 1
                if server_ms > self.slowest[0]:
                    self.slowest = (server_ms, f"{method} {target[:200]}")
                if failure:
                    self.failures[failure] += 1
                    if len(self.examples) < 5:
                        self.examples.append(f"{failure}: {method} {target[:300]} {headers!r:.300} "
                                             f"{(data or b'')[:200]!r} -> {r.text[:300] if r is not None else ''}")


def _server_time(value: str) -> float:
    total = 0.0
    for part in value.split(","):
        for attr in part.split(";")[1:]:
            if attr.strip().startswith("dur="):
                total += float(attr.strip()[4:])
    return total


def _answered(admin: int) -> Counter[str]:
    """Requests pgrestd answered, by status class, from its own /metrics."""
    text = requests.get(f"http://127.0.0.1:{admin}/metrics", timeout=10).text
    counts: Counter[str] = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "pgrestd_http_requests_total":
                counts[sample.labels["status"]] += int(sample.value)
    return counts


def hostile_input(stack: Stack, row: Row, short: bool) -> None:
    """≥ 100,000 hostile requests (10,000 in the short run): no 5xx, no slow request, canaries intact."""
    server = stack.server(server_timing_enabled=True, log_level="error", db_pool=10)
    admin = int(server.settings["admin-server-port"])  # type: ignore[arg-type]
    total = 12_000 if short else 100_000
    st_seconds = 30 if short else 240
    st = Path(sys.executable).with_name("st")
    before = _answered(admin)
    started = time.monotonic()
    st_result = None
    if st.exists():
        st_result = subprocess.run(
            [str(st), "run", server.url + "/", "--checks", "not_a_server_error", "--max-time", str(st_seconds),
             "--exclude-path", "/rpc/slow",  # sleeps as long as asked: statement_timeout's business
             "--workers", "2", "--request-timeout", "30", "--suppress-health-check", "all",
             "-H", f"Authorization: Bearer {token()}", "--no-color"],
            capture_output=True, text=True, cwd=stack.workdir)
    st_answered = _answered(admin)
    st_count = sum(st_answered.values()) - sum(before.values())
    fuzzer = Fuzzer(server.url, max(total - st_count, total // 2) + 4)
    fuzzer.run()
    after = _answered(admin)
    row.sent = st_count + fuzzer.sent
    row.failures = Counter(fuzzer.failures)
    five = after.get("5xx", 0) - before.get("5xx", 0)
    if five:
        row.failures["5xx counted by pgrestd"] = five
    row.check(row.sent >= total, f"only {row.sent} requests")
    row.check(not fuzzer.failures, f"fuzzer: {dict(fuzzer.failures)}; " + " | ".join(fuzzer.examples))
    row.check(five == 0, f"pgrestd answered {five} requests with a 5xx")
    if st_result is not None:
        tail = st_result.stdout[-1500:]
        row.check(st_result.returncode == 0, f"schemathesis failed ({st_result.returncode}):\n{tail}")
    else:
        row.check(False, "schemathesis is not installed in the venv")
    canaries = stack.sql("SELECT (SELECT count(*) FROM api.canary), (SELECT secret FROM api.secrets WHERE id = 1), "
                         "coalesce((SELECT calls FROM pg_stat_user_functions WHERE funcname = 'pwned'), 0)")
    row.check(canaries == [(3, "only-rel-user-reads-this", 0)], f"canaries touched: {canaries}")
    statuses = ", ".join(f"{k} {n}" for k, n in sorted(after.items()))
    row.timings += [f"schemathesis {st_count}", f"fuzzer {fuzzer.sent}", f"answered: {statuses}",
                    f"slowest {fuzzer.slowest[0]:.0f} ms server time",
                    f"{row.sent / (time.monotonic() - started):.0f} req/s"]
