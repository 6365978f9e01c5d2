"""Every configuration the parser accepts starts a server that serves the API.

A value that passes the parser but stops the workers from booting (or makes every request fail)
is found only in production, when the server is restarted; here each accepted configuration,
generated from the settings registry and written as a postgrest.conf, starts a real pgrestd over
the demo database. It must boot all its workers, answer GET / and GET /films below 500 (and accept
a token signed with its HMAC secret), keep its workers (none dies and is replaced) and sit idle
without burning CPU. A configuration the parser refuses is fine: refusing is the parser's job.

Some keys are left out of generation because with them the server is, by design, not serving the
demo API where the test looks for it:

- db-uri, db-schemas, db-anon-role come from demo_settings: another database, schema or anonymous
  role is another API (or none), not a broken server.
- server-host, server-port and server-unix-socket stay 127.0.0.1 and a free port: another address,
  a taken port or a Unix socket instead of TCP moves the API away from where the test calls it.
- admin-server-port is unset, 0 or another free port, admin-server-host unset or 127.0.0.1: a port
  taken by another listener or an address of another host cannot be bound.
- db-uri-read-replicas and db-channel-uri are unset or the demo database's URI: any other URI
  names a database that is not there.
- db-pre-request and db-root-spec are unset: they name functions that every request (or the root)
  calls, so a missing one fails those requests in PostgREST too, and the demo has no such function.

server-workers is kept to -1..3: each worker is a process, and a huge count asks for a fork bomb.
Every other integer includes 0, negative and huge values.
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path

import jwt
import pytest
import requests
from hypothesis import HealthCheck, example, given, note, reject, settings
from hypothesis import strategies as st

from pgrestd.config import SETTINGS, ConfigError, Setting, load_config
from pgrestd.config.dump import quote
from pgrestd.config.settings import BY_NAME, MAX_SECONDS
from tests.support import Server, free_port, until

pytestmark = pytest.mark.slow

# Keys whose values the test fixes (see the module docstring).
FIXED = {"db-uri", "db-schemas", "db-anon-role", "server-host", "server-port", "server-unix-socket",
         "db-pre-request", "db-root-spec"}

IDLE_WINDOW = 0.6  # seconds an idle server is watched for CPU use
SECRET32 = "reallyreallyreallyreallyverysafe"
# 34 bytes: base64 needs one "=" of padding, which base64url writes as ".".
RAW_KEY = bytes(range(200, 232)) + b"\xff\xfe"
B64URL_DOT = base64.urlsafe_b64encode(RAW_KEY).decode().replace("=", ".")

_odd_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(list('"\\$#\n\t\r ,.=@\x00')),
    max_size=24,
)
_name_text = st.from_regex(r"[a-z_][a-z0-9_$]{0,20}", fullmatch=True)
# Strings that trip quoting and escaping, more often than random text would.
_tricky = st.sampled_from(["", " ", "a\x00b", '"', "'", "\\", "$x", "$(HOME)", "a,b", "@", "@/dev/null", "Ünï 💥",
                           "-- x", "a;b", "%s", "{}", "public", "pg_catalog", "x" * 200])


_bools = st.one_of(st.booleans(), st.sampled_from(["true", "FALSE", "on", "off", "1", "0", "-2", '"true"']))
_never = st.nothing()


def _ints(s: Setting) -> tuple[st.SearchStrategy[object], st.SearchStrategy[object]]:
    """In-range integers (0, huge and written as strings included), and out-of-range ones."""
    low = s.minimum if s.minimum is not None else -3
    high = s.maximum if s.maximum is not None else 10**30
    edges = [v for v in (0, 1, 2**31 - 1, 2**53, 2**63 - 1, 2**63, 10**30) if low <= v <= high]
    plain = st.integers(low, min(high, 100))
    tame = st.one_of(plain, st.sampled_from([low, high, *edges]), plain.map(str), plain.map(lambda i: f" {i} "))
    wild = st.sampled_from([low - 1, -1, high + 1, 2**64, "1.5", "ten", ""])
    return tame, wild


def _jwk_oct(key: bytes) -> dict[str, str]:
    return {"kty": "oct", "k": base64.urlsafe_b64encode(key).decode().rstrip("=")}


_JWKS = [
    json.dumps(_jwk_oct(RAW_KEY)),
    json.dumps({"keys": [_jwk_oct(RAW_KEY)]}),
    json.dumps({"keys": []}),
    json.dumps({"kty": "oct"}),
    json.dumps({"kty": "nope", "k": "AA"}),
    json.dumps({"keys": [1]}),
    json.dumps({"keys": [{"kty": "RSA"}]}),
    json.dumps({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}),
    json.dumps({"kty": "oct", "k": "c2VjcmV0", "alg": "RS256"}),
    json.dumps({"keys": [{"kty": "oct", "k": ""}]}),
]


@st.composite
def _jwt_secrets(draw: st.DrawFn) -> dict[str, object]:
    """jwt-secret with a matching jwt-secret-is-base64: the forms PostgREST reads, and near misses."""
    raw = draw(st.binary(min_size=0, max_size=48))
    form = draw(st.sampled_from(["plain", "plain-odd", "b64", "b64url", "b64url-dot", "jwk", "jwk-b64"]))
    if form == "plain":
        return {"jwt-secret": draw(st.text(min_size=28, max_size=64))}
    if form == "plain-odd":
        return {"jwt-secret": SECRET32 + draw(_odd_text)}
    if form == "jwk":
        return {"jwt-secret": draw(st.sampled_from(_JWKS))}
    if form == "jwk-b64":
        text = base64.b64encode(draw(st.sampled_from(_JWKS)).encode()).decode()
        return {"jwt-secret": text, "jwt-secret-is-base64": True}
    encoded = (base64.b64encode if form == "b64" else base64.urlsafe_b64encode)(raw).decode()
    if form == "b64url-dot":
        encoded = encoded.replace("=", ".")
    return {"jwt-secret": encoded, "jwt-secret-is-base64": draw(st.sampled_from([True, "true", True]))}


def _strategies(
    name: str, admin_port: int, demo_uri: str
) -> tuple[st.SearchStrategy[object], st.SearchStrategy[object]]:
    """Values of the setting's type the parser should mostly accept, and values it should mostly refuse."""
    s = BY_NAME[name]
    words = st.one_of(_name_text, _odd_text, _tricky)
    special: dict[str, tuple[st.SearchStrategy[object], st.SearchStrategy[object]]] = {
        "db-pool": (st.one_of(st.integers(1, 40), st.just(10**30)), st.sampled_from([0, -1])),
        "server-workers": (st.integers(0, 3), st.just(-1)),
        "db-uri-read-replicas": (st.sampled_from(["", demo_uri, f"{demo_uri}, {demo_uri}"]), _never),
        "db-channel-uri": (st.sampled_from(["", demo_uri]), _never),
        "db-extra-search-path": (st.one_of(st.lists(words, max_size=3).map(",".join),
                                           st.just("public, extensions")), _never),
        "db-pre-config": (st.one_of(words, _name_text.map(lambda n: "api." + n)), _never),
        "jwt-aud": (st.one_of(_name_text, _odd_text.filter(lambda t: ":" not in t),
                              st.just("https://example.com/aud")), _odd_text.map(lambda t: t + " :")),
        "jwt-role-claim-key": (st.one_of(st.just(".role"), st.just('."https://x".roles[0]'),
                                         _odd_text.map(lambda t: "." + t)), _odd_text.map(lambda t: "x" + t)),
        "server-trace-header": (st.sampled_from(["X-Request-Id", "traceparent", "a!#$%&'*+-.^_`|~"]), _odd_text),
        # A loopback URL nobody listens on: the server starts without its keys and keeps trying.
        "jwt-jwks-url": (st.sampled_from(["", "http://127.0.0.1:1/jwks.json", "https://localhost:1/jwks"]),
                         st.sampled_from(["http://idp.example.com/jwks.json", "ftp://idp/jwks", "https://"])),
        "jwt-cookie-name": (st.sampled_from(["jwt", "access_token", "__Host-jwt"]), _odd_text),
        "server-cors-allowed-origins": (st.lists(
            st.sampled_from(["https://example.com", "http://localhost:8080", "*", "null"]) | _odd_text,
            max_size=3).map(",".join), _never),
        "server-unix-socket-mode": (st.sampled_from(["600", "660", "777", "0660", 660]),
                                    st.one_of(st.sampled_from(["599", "778", "abc"]), st.integers(0, 1000))),
        "admin-server-unix-socket-mode": (st.sampled_from(["600", "660", "777", "0660"]),
                                          st.sampled_from(["1000", "x"])),
        "admin-server-port": (st.sampled_from([0, admin_port]), st.sampled_from([-1, 65536])),
        "admin-server-host": (st.sampled_from(["127.0.0.1", ""]), _never),
        "admin-server-unix-socket": (st.sampled_from(["", "/nonexistent/pgrestd-admin.sock"]), _never),
        "openapi-server-proxy-uri": (
            st.sampled_from(["https://example.com:8443/api", "http://h", "http://h:0", "HTTPS://h.example/a/b/"]),
            st.one_of(st.sampled_from(["ftp://h", "https://h/?q", "http://u@h", "http://h:99999"]), _odd_text)),
        "log-query": (st.one_of(_bools, st.sampled_from(["main-query", "disabled"])), _odd_text),
        "server-max-request-line": (st.one_of(st.integers(0, 60), st.sampled_from([4094, 8190])),
                                    st.sampled_from([-1, 8191])),
    }
    if name in special:
        return special[name]
    if s.kind == "int":
        return _ints(s)
    if s.kind == "bool":
        return _bools, st.one_of(st.sampled_from(["yes", "t", "", "1.0"]), _odd_text)
    if s.kind == "enum":
        return st.sampled_from(s.choices), st.one_of(st.sampled_from([c.upper() for c in s.choices]), _odd_text)
    if s.kind == "list":
        return st.lists(words, max_size=3).map(",".join), _never
    return words, _never


@st.composite
def configs(draw: st.DrawFn, admin_port: int, demo_uri: str) -> dict[str, object]:
    """A configuration by file key (canonical name or alias): each generated key present or not.

    About one present key in twelve gets a value meant to be refused, so most configurations reach
    a server while the parser still sees out-of-range and malformed values.
    """
    out: dict[str, object] = {}
    for s in SETTINGS:
        if s.name in FIXED or s.name.startswith("jwt-secret") or not draw(st.booleans()):
            continue
        key = draw(st.sampled_from((s.name, *s.aliases)))
        tame, wild = _strategies(s.name, admin_port, demo_uri)
        out[key] = draw(wild if draw(st.integers(0, 11)) == 11 and not wild.is_empty else tame)
    if draw(st.booleans()):
        out.update(draw(_jwt_secrets()))
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.from_regex(r"[a-zA-Z][a-zA-Z0-9_-]{0,12}(\.[a-zA-Z][a-zA-Z0-9_-]{0,6})?", fullmatch=True))
        out["app.settings." + key] = draw(st.one_of(_odd_text, _tricky, st.integers(-5, 5), st.booleans()))
    return out


def conf_text(values: dict[str, object]) -> str:
    """The file a user would write for these values."""
    lines = []
    for key, value in values.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int):
            text = str(value)
        else:
            text = quote(str(value))
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


class FileServer(Server):
    """A Server that runs the file the test wrote, byte for byte, instead of rendering its settings."""

    def __init__(self, text: str, port: int, workdir: Path) -> None:
        super().__init__({"server-port": port, "server-host": "127.0.0.1"}, workdir)
        self.text = text

    def write_conf(self) -> None:
        self.conf.write_text(self.text, encoding="utf-8")


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far, all its threads."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PGRST_")}


def _get_settled(server: Server, path: str, headers: dict[str, str] | None = None) -> requests.Response:
    """The answer once the schema cache is loaded: a 503 is retried for a while."""
    deadline = time.monotonic() + 15
    while True:
        r = server.get(path, headers=headers or {})
        if r.status_code != 503 or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


def serve_and_check(values: dict[str, object], demo_settings: dict[str, object], workdir: Path) -> None:
    """Start pgrestd with the file these values make (plus the fixed keys) and check that it serves."""
    port = free_port()
    fixed = {k: demo_settings[k] for k in ("db-uri", "db-schemas", "db-anon-role")}
    text = conf_text({**values, **fixed, "server-host": "127.0.0.1", "server-port": port})
    note(text)
    workdir.mkdir(parents=True, exist_ok=True)
    server = FileServer(text, port, workdir)
    server.write_conf()
    config = load_config(str(server.conf), _server_env())  # accepted: the caller checked
    try:
        server.start(timeout=30)
        assert server.proc is not None
        expected = config.worker_count()
        assert until(lambda: len(_children(server.proc.pid)) >= expected, timeout=15), (
            f"{len(_children(server.proc.pid))} of {expected} workers booted:\n{server.log()}")
        workers = set(_children(server.proc.pid))
        root = _get_settled(server, "/")
        assert root.status_code < 500, f"GET / -> {root.status_code} {root.text[:300]}\n{server.log()}"
        films = _get_settled(server, "/films?select=title&limit=1")
        assert films.status_code < 500, f"GET /films -> {films.status_code} {films.text[:300]}\n{server.log()}"
        key = config.jwt_key
        if isinstance(key, bytes) and key:
            token = jwt.encode({"role": "web_user"}, key, algorithm="HS256")
            authed = _get_settled(server, "/films?select=title&limit=1", {"Authorization": "Bearer " + token})
            assert authed.status_code < 500 and authed.status_code != 401, (
                f"GET /films with a JWT -> {authed.status_code} {authed.text[:300]}\n{server.log()}")
        before = sum(_cpu_seconds(pid) for pid in workers)
        time.sleep(IDLE_WINDOW)
        busy = sum(_cpu_seconds(pid) for pid in workers) - before
        # Workers that die after they boot (and are replaced) serve a request now and then, not the API.
        assert set(_children(server.proc.pid)) == workers, f"workers were replaced:\n{server.log()}"
        # A worker that spins while idle takes the machine's CPU from the requests (and, with a short
        # server-timeout, gets requests killed).
        assert busy < IDLE_WINDOW / 2, f"idle workers used {busy:.2f}s of CPU in {IDLE_WINDOW}s"
        assert server.proc.poll() is None, server.log()
    finally:
        server.stop()


def test_accepted_configurations_serve(cluster, demo_settings, tmp_path_factory) -> None:
    """Generated configurations: each one the parser accepts must start a server that answers."""
    root = tmp_path_factory.mktemp("config-accepted")
    admin_port = free_port()
    counts = {"started": 0, "rejected": 0}

    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(values=configs(admin_port, demo_settings["db-uri"]))
    @example(values={"jwt-secret": B64URL_DOT, "jwt-secret-is-base64": True})  # the "."-padded base64url
    @example(values={"jwt-secret": json.dumps({"kty": "oct"})})  # unusable JWK: refused by the parser
    @example(values={"db-pool-acquisition-timeout": 0})  # no request could get a connection: refused
    @example(values={"db-pool-max-idletime": 0})  # the pool's idle check would spin: refused
    @example(values={"db-pool-acquisition-timeout": MAX_SECONDS, "db-pool-max-idletime": MAX_SECONDS,
                     "server-timeout": MAX_SECONDS, "server-graceful-timeout": MAX_SECONDS,
                     "db-pool": 10**30, "db-max-rows": 10**30, "server-max-body-size": 10**30})
    def check(values: dict[str, object]) -> None:
        path = root / f"probe-{counts['started'] + counts['rejected']}.conf"
        path.write_text(conf_text(values), encoding="utf-8")
        try:
            load_config(str(path), _server_env())
        except ConfigError:
            counts["rejected"] += 1
            reject()
        counts["started"] += 1
        serve_and_check(values, demo_settings, root / f"server-{counts['started']:03d}")

    check()
    # Not vacuous: most runs must have reached a real server.
    assert counts["started"] >= 20, counts


def test_base64url_secret_with_dot_padding_verifies_tokens(demo_settings, tmp_path_factory) -> None:
    """The issue's case end to end: a "."-padded base64url secret boots and verifies a token signed
    with the bytes it encodes (PostgREST maps "." to "=" before decoding)."""
    workdir = tmp_path_factory.mktemp("config-b64url")
    port = free_port()
    fixed = {k: demo_settings[k] for k in ("db-uri", "db-schemas", "db-anon-role")}
    text = conf_text({**fixed, "jwt-secret": B64URL_DOT, "jwt-secret-is-base64": True,
                      "server-host": "127.0.0.1", "server-port": port})
    assert B64URL_DOT.endswith(".") and ("-" in B64URL_DOT or "_" in B64URL_DOT)
    server = FileServer(text, port, workdir)
    try:
        server.start()
        token = jwt.encode({"role": "web_user"}, RAW_KEY, algorithm="HS256")
        r = _get_settled(server, "/films?select=title&limit=1", {"Authorization": "Bearer " + token})
        assert r.status_code == 200, (r.status_code, r.text, server.log())
        forged = jwt.encode({"role": "web_user"}, RAW_KEY[:-1] + b"!", algorithm="HS256")
        assert _get_settled(server, "/films", {"Authorization": "Bearer " + forged}).status_code == 401
    finally:
        server.stop()
