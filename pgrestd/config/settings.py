"""The configuration registry: one row per postgrest.conf key; parsing, dumps and --example derive from it."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

__all__ = [
    "APP_SETTINGS_PREFIX",
    "BY_NAME",
    "GROUPS",
    "RETIRED",
    "SETTINGS",
    "ConfigError",
    "Setting",
    "env_name",
    "show",
]

APP_SETTINGS_PREFIX = "app.settings."

KINDS = ("str", "int", "bool", "list", "enum", "secret")


class ConfigError(Exception):
    """A configuration problem, rendered as one line that names the key and where its value came from."""

    def __init__(self, message: str, *, key: str | None = None, origin: str | None = None) -> None:
        self.key = key
        self.origin = origin
        self.reason = message
        super().__init__(_where(origin, key) + message)


def _where(origin: str | None, key: str | None) -> str:
    """The "FILE:LINE: key: " / "PGRST_X: " prefix of an error line."""
    if origin and origin.startswith("env "):
        return origin[4:] + ": "
    parts = [p for p in (None if origin == "default" else origin, key) if p]
    return "".join(p + ": " for p in parts)


def env_name(key: str) -> str:
    """PGRST_ and the key upper-cased, non-alphanumerics as "_" (PostgREST docs: Environment Variables)."""
    return "PGRST_" + re.sub(r"[^A-Za-z0-9]", "_", key).upper()


def show(raw: object) -> str:
    """A raw value as it would be written in the file, for error messages."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str):
        # Escaped like the file syntax, so an error message stays on one line.
        escaped = raw.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        return '"' + re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped) + '"'
    if isinstance(raw, (tuple, list)):
        return "[" + ", ".join(show(v) for v in raw) + "]"
    return str(raw)


# -- value checks beyond the type, each returns an error message or None -------


def _check_schemas(value: object) -> str | None:
    # PostgREST refuses to expose the catalogs (Config.hs, parseDbSchemas).
    assert isinstance(value, tuple)
    if not value:
        return "must name at least one schema"
    for forbidden in ("pg_catalog", "information_schema"):
        if forbidden in value:
            return f'does not allow schema "{forbidden}"'
    return None


def _check_socket_mode(value: object) -> str | None:
    # PostgREST reads the mode as octal and accepts 600..777 (Config.hs, parseSocketFileMode).
    assert isinstance(value, str)
    if not re.fullmatch(r"[0-7]+", value):
        return f"expected an octal file mode such as 660, got {show(value)}"
    if not 0o600 <= int(value, 8) <= 0o777:
        return f"must be between 600 and 777, got {value}"
    return None


_URI_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"


def _check_jwt_aud(value: object) -> str | None:
    # A value containing ":" must be a URI, as in RFC 7519 StringOrURI (Config.hs, optStringOrURI).
    assert isinstance(value, str)
    if ":" in value and not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]*:" + _URI_CHARS + "*", value):
        return f"should be a string or a valid URI, got {show(value)}"
    return None


def _check_role_claim_key(value: object) -> str | None:
    # Every JSPath form PostgREST accepts starts at the claims root with "." (docs: jwt-role-claim-key).
    assert isinstance(value, str)
    if not value.startswith("."):
        return f'expected a path starting with ".", such as ".role", got {show(value)}'
    return None


def _malformed_http_uri(value: str) -> bool:
    """Not an absolute http(s) URI with a host and a port in range, or one carrying user info."""
    if re.search(r"\s", value):
        return True
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return True
    try:
        port = parts.port
    except ValueError:
        return True
    return port is not None and not 1 <= port <= 65535


def _check_proxy_uri(value: object) -> str | None:
    # PostgREST wants an absolute http(s) URI with a host, no user info, query or fragment (Config/Proxy.hs).
    assert isinstance(value, str)
    if _malformed_http_uri(value) or urlsplit(value).query or "#" in value:
        return f"malformed proxy URI {show(value)}, a correct example: https://example.com:8443/basePath"
    return None


def _check_jwks_url(value: object) -> str | None:
    # Keys fetched over plain HTTP could be swapped on the way, and whoever swaps them signs any token:
    # https, or http to this machine only (a sidecar, a test server).
    assert isinstance(value, str)
    if _malformed_http_uri(value):
        example = "https://idp.example.com/.well-known/jwks.json"
        return f"expected an https URL such as {example}, got {show(value)}"
    parts = urlsplit(value)
    if parts.scheme.lower() == "http" and not _is_loopback(parts.hostname or ""):
        return (f"must be an https URL (http is accepted for a loopback host only: keys fetched over plain "
                f"http could be replaced on the way), got {show(value)}")
    return None


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _check_header_name(value: object) -> str | None:
    # A header name is an RFC 9110 token; anything else would corrupt the response.
    return _not_a_token(value, "an HTTP header name")


def _check_cookie_name(value: object) -> str | None:
    # A cookie name is a token too (RFC 6265 §4.1.1): no "=", ";", space or quote.
    return _not_a_token(value, "a cookie name (letters, digits and !#$%&'*+-.^_`|~)")


def _not_a_token(value: object, what: str) -> str | None:
    assert isinstance(value, str)
    return None if _TOKEN.fullmatch(value) else f"expected {what}, got {show(value)}"


# Names, paths, URIs and the values PostgreSQL receives cannot hold a NUL character (PostgreSQL text
# cannot store one), so only jwt-secret, which is just key bytes, may contain it.
NUL_PROBLEM = "must not contain a NUL character (\\u0000)"

# The longest time a setting in seconds may give (68 years): the timers it ends up in (thread waits,
# select) overflow near 2**33 seconds, and a larger value would stop the workers or the pool's scheduler.
MAX_SECONDS = 2**31 - 1


# -- the row ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Setting:
    """One configuration key: its PostgREST type, default and meaning."""

    name: str
    kind: str
    default: object
    doc: str
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    extension: bool = False
    at_file: bool = False
    emptyable: bool = False
    minimum: int | None = None
    maximum: int | None = None
    words: tuple[tuple[str, object], ...] = ()
    check: Callable[[object], str | None] | None = None
    fallback: str | None = None
    example: object = None

    def __post_init__(self) -> None:
        assert self.kind in KINDS, self.kind
        assert (self.kind == "enum") == bool(self.choices), self.name

    @property
    def attr(self) -> str:
        """The Config attribute: the key in snake_case."""
        return self.name.replace("-", "_")

    @property
    def env(self) -> str:
        """The PGRST_* environment variable that overrides the file."""
        return env_name(self.name)

    def convert(self, raw: object) -> object:
        """Turn a file, environment or Python value into this setting's type, or raise ValueError why not."""
        if isinstance(raw, str):
            for word, meaning in self.words:
                if raw == word:
                    return meaning
        value = _CONVERTERS[self.kind](self, raw)
        if (self.kind == "str" and "\x00" in value) or (self.kind == "list" and any("\x00" in v for v in value)):
            raise ValueError(NUL_PROBLEM)
        if isinstance(value, int) and not isinstance(value, bool):
            low, high = self.minimum, self.maximum
            if low is not None and high is not None and not low <= value <= high:
                raise ValueError(f"must be between {low} and {high}, got {value}")
            if low is not None and value < low:
                raise ValueError(f"must be at least {low}, got {value}")
        if self.check is not None:
            problem = self.check(value)
            if problem:
                raise ValueError(problem)
        return value


def _to_str(_setting: Setting, raw: object) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        # Lenient: `server-unix-socket-mode = 660` written without quotes.
        return str(raw)
    raise ValueError(f"expected a string, got {show(raw)}")


def _to_int(_setting: Setting, raw: object) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, (Decimal, float)) and raw == int(raw):
        # configurator numbers are decimals; PostgREST takes 10.0 or 1e3 as integers (floatingOrInteger).
        return int(raw)
    if isinstance(raw, str) and re.fullmatch(r"\s*-?\d+\s*", raw):
        return int(raw)
    raise ValueError(f"expected an integer, got {show(raw)}")


def _to_bool(_setting: Setting, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int):
        return raw > 0
    if isinstance(raw, str):
        # PostgREST's coerceBool: the letters of the value read as True/False in any case, else a
        # number (> 0 is true), so "TRUE", "\"false\"" and "1" are all accepted (CHANGELOG 8.0, #1572).
        letters = "".join(c for c in raw if c.isalpha()).lower()
        if letters in ("true", "false"):
            return letters == "true"
        if re.fullmatch(r"\s*-?\d+\s*", raw):
            return int(raw) > 0
    raise ValueError(f"expected true or false, got {show(raw)}")


def _to_list(_setting: Setting, raw: object) -> tuple[str, ...]:
    if isinstance(raw, str):
        items = raw.split(",")
    elif isinstance(raw, (tuple, list)) and all(isinstance(v, str) for v in raw):
        items = list(raw)
    else:
        raise ValueError(f"expected a comma-separated string, got {show(raw)}")
    return tuple(item.strip() for item in items if item.strip())


def _to_enum(setting: Setting, raw: object) -> str:
    if isinstance(raw, str) and raw in setting.choices:
        return raw
    raise ValueError(f"expected one of {', '.join(setting.choices)}, got {show(raw)}")


_CONVERTERS: dict[str, Callable[[Setting, object], object]] = {
    "str": _to_str,
    "secret": _to_str,
    "int": _to_int,
    "bool": _to_bool,
    "list": _to_list,
    "enum": _to_enum,
}


# -- the registry, in the order of --dump-config and --example ----------------

# fmt: off
SETTINGS: tuple[Setting, ...] = (
    # db-*
    Setting(
        "db-uri", "str", "postgresql://",
        "The libpq connection string, as a URI or as key=value pairs; whatever it leaves out is read "
        "from the PG* environment variables. \"@path\" reads it from that file.",
        at_file=True,
    ),
    Setting(
        "db-schemas", "list", ("public",),
        "Comma-separated schemas exposed to clients; the first is the default, the others are chosen "
        "with the Accept-Profile and Content-Profile headers.",
        aliases=("db-schema",), check=_check_schemas,
    ),
    Setting(
        "db-anon-role", "str", None,
        "The role used for requests without a JWT. When unset, such requests are refused.",
        example="anon",
    ),
    Setting(
        "db-extra-search-path", "list", ("public",),
        "Schemas appended to the search_path of every request, so that extension objects resolve; "
        "they get no endpoints. An empty string means none.",
        emptyable=True,
    ),
    Setting(
        "db-max-rows", "int", None,
        "A hard limit on the rows a read returns, whatever the client asks for. Unset means no limit.",
        aliases=("max-rows",), minimum=0, example=1000,
    ),
    Setting(
        "db-pool", "int", 10,
        "The number of database connections, in total across all workers.",
        minimum=1,
    ),
    Setting(
        "db-pool-acquisition-timeout", "int", 10,
        "Seconds a request waits for a free pool connection before failing with 504. A sync worker "
        "serves one request at a time and holds its own connections, so it never waits here: excess "
        "requests wait in the listening socket's backlog (or in the reverse proxy) instead. The wait "
        "applies to gthread workers with more threads than connections, and while the database gives "
        "no connection. At least 1: with 0 no request could ever get a connection.",
        minimum=1, maximum=MAX_SECONDS,
    ),
    Setting(
        "db-pool-max-lifetime", "int", 1800,
        "Seconds after which a pool connection is closed and replaced.",
        minimum=0, maximum=MAX_SECONDS,
    ),
    Setting(
        "db-pool-max-idletime", "int", 30,
        "Seconds after which an unused pool connection is closed. At least 1: the pool looks for idle "
        "connections this often, so 0 would keep every worker busy looking.",
        aliases=("db-pool-timeout",), minimum=1, maximum=MAX_SECONDS,
    ),
    Setting(
        "db-pool-automatic-recovery", "bool", True,
        "Keep retrying when the database connection is lost; when false the server exits instead.",
    ),
    Setting(
        "db-pre-request", "str", None,
        "A schema-qualified function called in every request's transaction, after the request settings "
        "are set; it can raise to reject the request.",
        aliases=("pre-request",), example="api.check_request",
    ),
    Setting(
        "db-pre-config", "str", None,
        "A schema-qualified function whose set_config('pgrst.*') calls provide in-database configuration.",
        example="postgrest.pre_config",
    ),
    Setting(
        "db-root-spec", "str", None,
        "A function whose result replaces the OpenAPI document served at the root path.",
        aliases=("root-spec",), example="root",
    ),
    Setting(
        "db-config", "bool", True,
        "Read configuration from the database (db-pre-config and the authenticator's pgrst.* role settings).",
    ),
    Setting(
        "db-channel", "str", "pgrst",
        "The LISTEN/NOTIFY channel that carries 'reload schema' and 'reload config'.",
    ),
    Setting(
        "db-channel-enabled", "bool", True,
        "Listen on db-channel; turn off behind a transaction-mode connection pooler.",
    ),
    Setting(
        "db-tx-end", "enum", "commit",
        "How transactions end: commit or rollback, and whether the client may override it with "
        "\"Prefer: tx=commit|rollback\" (the -allow-override forms).",
        choices=("commit", "commit-allow-override", "rollback", "rollback-allow-override"),
    ),
    Setting(
        "db-prepared-statements", "bool", True,
        "Prepare the generated statements; turn off behind a transaction-mode connection pooler.",
    ),
    Setting(
        "db-plan-enabled", "bool", False,
        "Allow clients to get the EXPLAIN plan with \"Accept: application/vnd.pgrst.plan\".",
    ),
    Setting(
        "db-aggregates-enabled", "bool", False,
        "Allow aggregate functions (count, sum, avg, max, min) in select=; guard them with a statement "
        "timeout before enabling.",
    ),
    Setting(
        "db-hoisted-tx-settings", "list",
        ("statement_timeout", "plan_filter.statement_cost_limit", "default_transaction_isolation"),
        "The function settings (SET clauses) applied to the whole transaction when that function is "
        "called through /rpc.",
    ),
    # jwt-*
    Setting(
        "db-uri-read-replicas", "list", (),
        "Streaming replicas for reads, as libpq URIs separated by commas: GET and HEAD reads and GET "
        "calls of STABLE or IMMUTABLE functions are spread over them; everything else, the schema "
        "cache and the listener use db-uri. A replica that is down or lags is skipped (reads fall back "
        "to db-uri). Each worker keeps db-pool / workers connections to each replica.",
        extension=True, example="postgresql://authenticator@replica1/app, postgresql://authenticator@replica2/app",
    ),
    Setting(
        "db-read-replicas-max-lag", "int", 5,
        "Seconds a replica may lag behind the primary (replay of received WAL) before reads avoid it.",
        extension=True, minimum=0, maximum=MAX_SECONDS,
    ),
    Setting(
        "db-channel-uri", "str", None,
        "The connection for the NOTIFY listener when it must bypass a transaction-mode pooler "
        "(PgBouncer) that db-uri goes through; unset: db-uri.",
        extension=True, at_file=True,
    ),
    Setting(
        "db-cache-infer", "bool", False,
        "Give each table and view whose comment declares no Cache-Control policy one inferred from "
        "PostgreSQL's statistics (pg_stat_user_tables), read with every schema cache load: rows written "
        "against scans since the statistics were reset. A table never written gets "
        "max-age=db-cache-infer-max-age; the share of writes among writes and reads takes the max-age "
        "down in proportion, to no-cache from a tenth on. A view takes the shortest max-age of the "
        "tables it reads, a partitioned table counts its partitions. GET and HEAD reads send it; "
        "/schema_cache and --dump-schema show each policy and why.",
        extension=True,
    ),
    Setting(
        "db-cache-infer-max-age", "int", 60,
        "The longest max-age, in seconds, that db-cache-infer gives: that of a table never written.",
        extension=True, minimum=1, maximum=MAX_SECONDS,
    ),
    Setting(
        "jwt-secret", "secret", None,
        "The HMAC secret (at least 32 characters), JSON Web Key or JSON Web Key Set that verifies JWTs. "
        "\"@path\" reads it from that file. When unset (and jwt-jwks-url too), requests with a JWT are "
        "refused.",
        at_file=True, example="reallyreallyreallyreallyverysafe",
    ),
    Setting(
        "jwt-secret-is-base64", "bool", False,
        "The jwt-secret is base64 (or base64url) encoded; use it for binary secrets.",
        aliases=("secret-is-base64",),
    ),
    Setting(
        "jwt-aud", "str", None,
        "The audience a JWT must carry in its aud claim, when it has one; a value with \":\" must be a URI.",
        check=_check_jwt_aud, example="your_audience_claim",
    ),
    Setting(
        "jwt-role-claim-key", "str", ".role",
        "The JSPath to the role in the JWT claims, e.g. \".realm_access.roles[0]\".",
        aliases=("role-claim-key",), check=_check_role_claim_key,
    ),
    Setting(
        "jwt-cache-max-entries", "int", 1000,
        "How many validated JWTs each worker keeps cached; 0 disables the cache.",
        minimum=0,
    ),
    Setting(
        "jwt-cache-max-lifetime", "int", 0,
        "PostgREST 12-13's cache knob: the longest a cached JWT is trusted, in seconds; 0 means until its "
        "exp claim. Kept so those files load; jwt-cache-max-entries turns the cache on and off.",
        minimum=0, maximum=MAX_SECONDS,
    ),
    Setting(
        "jwt-jwks-url", "str", None,
        "The URL of a JSON Web Key Set that verifies JWTs: an identity provider's jwks_uri. It works beside "
        "jwt-secret: a token that the keys of either verify is accepted. https is required (http only for "
        "a loopback host). The master fetches the set before it starts the workers; when that fails, "
        "pgrestd logs why and starts anyway, and the workers keep trying. Each worker fetches the set again "
        "once jwt-jwks-refresh-interval has passed, and when a token names a key ID (kid) the set lacks, "
        "so that rotated keys are used without a restart; SIGHUP and 'reload config' fetch it again too. A "
        "fetch gives up after 5 seconds without an answer and follows no redirect. While the URL cannot be "
        "fetched, the keys fetched last keep verifying tokens, and one line is logged. A token with a kid "
        "is checked against the keys with that kid only, PostgREST's kid rule: an unknown kid gets 401 "
        "(PGRST301). Only signing keys of types RSA, EC and OKP are taken: a published symmetric key would "
        "let anyone sign tokens.",
        extension=True, check=_check_jwks_url, example="https://idp.example.com/.well-known/jwks.json",
    ),
    Setting(
        "jwt-jwks-refresh-interval", "int", 300,
        "Seconds a key set fetched from jwt-jwks-url is used before a worker fetches it again (when the "
        "next token comes), so that keys the provider adds or retires are picked up unasked.",
        extension=True, minimum=1, maximum=MAX_SECONDS,
    ),
    Setting(
        "jwt-jwks-min-refresh-interval", "int", 30,
        "The fewest seconds between two fetches of jwt-jwks-url by one worker, whatever prompts them: a "
        "token with an unknown kid, jwt-jwks-refresh-interval passing, or a failed fetch tried again. "
        "Tokens with unknown kids arriving in between get 401 without a fetch, so they cannot flood the "
        "identity provider.",
        extension=True, minimum=1, maximum=MAX_SECONDS,
    ),
    Setting(
        "jwt-cookie-name", "str", None,
        "Read the JWT from the cookie of this name when a request has no Authorization header (the header "
        "wins when both come; an empty cookie counts as none). Unset, cookies are never read. A browser "
        "sends cookies with requests other sites make it send, so a token in a cookie invites cross-site "
        "request forgery: set the cookie with SameSite=Strict or SameSite=Lax (and HttpOnly, Secure). "
        "CORS: while server-cors-allowed-origins is empty (\"*\"), browsers show no other origin the "
        "answers to requests made with cookies; the origins listed there are sent "
        "Access-Control-Allow-Credentials and can use the cookie.",
        extension=True, check=_check_cookie_name, example="access_token",
    ),
    # server-*
    Setting(
        "server-host", "str", "!4",
        "The address to listen on. \"*\" and \"*4\"/\"*6\" mean any IPv4 or IPv6 address, \"!4\" any "
        "IPv4 address, \"!6\" any IPv6 address.",
    ),
    Setting(
        "server-port", "int", 3000,
        "The TCP port to listen on; 0 picks a free one.",
        minimum=0, maximum=65535,
    ),
    Setting(
        "server-unix-socket", "str", None,
        "A Unix socket path to listen on instead of server-host and server-port.",
        example="/tmp/pgrst.sock",
    ),
    Setting(
        "server-unix-socket-mode", "str", "660",
        "The octal file mode of server-unix-socket, between 600 and 777.",
        check=_check_socket_mode,
    ),
    Setting(
        "server-reuseport", "bool", False,
        "Set SO_REUSEPORT so each worker gets its own listening socket and the kernel spreads connections.",
    ),
    Setting(
        "server-cors-allowed-origins", "list", (),
        "Comma-separated origins allowed to make CORS requests; unset or empty allows any origin.",
        example=("https://example.com", "https://example.org"),
    ),
    Setting(
        "server-trace-header", "str", None,
        "A request header (such as X-Request-Id) copied to the response, to trace requests.",
        check=_check_header_name, example="X-Request-Id",
    ),
    Setting(
        "server-timing-enabled", "bool", False,
        "Send a Server-Timing header with the time spent in each request stage.",
    ),
    Setting(
        "server-etag-enabled", "bool", False,
        "Send a strong ETag (a hash of the body and its media type) on GET and HEAD answers, and honour "
        "conditional requests: If-None-Match gives 304 Not Modified, and If-Match or If-None-Match on "
        "PATCH, PUT and DELETE lets the write happen only while the representation a GET of the same URL "
        "would return still has (or lacks) that ETag, else 412 (checked in the write's transaction). Vary "
        "then also names Accept-Profile and Authorization. HEAD builds the body to hash it.",
        extension=True,
    ),
    Setting(
        "server-link-headers-enabled", "bool", False,
        "Send RFC 8288 Link headers on reads: first, prev, next and last (when the total is known) pages "
        "of a read with a limit, as limit and offset on the request's own URL, and each relation the table "
        "or view can embed (rel=\"related\").",
        extension=True,
    ),
    Setting(
        "server-workers", "int", 0,
        "Gunicorn worker processes. 0 picks CPU cores + 1 (the best throughput `make bench` measured "
        "for sync workers), capped at db-pool because the pool is shared out among the workers and "
        "each needs a connection.",
        extension=True, minimum=0,
    ),
    Setting(
        "server-worker-class", "enum", "sync",
        "The Gunicorn worker type: sync serves one request at a time per worker; gthread adds threads "
        "and HTTP keep-alive.",
        extension=True, choices=("sync", "gthread"),
    ),
    Setting(
        "server-threads", "int", 1,
        "Threads per worker with server-worker-class = \"gthread\".",
        extension=True, minimum=1,
    ),
    Setting(
        "server-timeout", "int", 0,
        "Seconds a worker may spend on one request before Gunicorn kills and replaces it (the client "
        "gets no answer); 0, the default, never: PostgREST has no request timeout, and the database's "
        "statement_timeout (per role, or hoisted from a function) is the tool that ends long statements "
        "with a proper error.",
        extension=True, minimum=0, maximum=MAX_SECONDS,
    ),
    Setting(
        "server-graceful-timeout", "int", 30,
        "Seconds workers get to finish in-flight requests on reload or shutdown.",
        extension=True, minimum=0, maximum=MAX_SECONDS,
    ),
    Setting(
        "server-max-request-line", "int", 0,
        "The longest accepted request line in bytes, at most 8190 (Gunicorn's ceiling); 0 lifts the "
        "limit, since clients send long in.(...) filters and Gunicorn's 4094 is too short.",
        extension=True, minimum=0, maximum=8190,
    ),
    Setting(
        "server-max-body-size", "int", 104857600,
        "The largest accepted request body in bytes (413 beyond); 0 means no limit. Default 100 MiB.",
        extension=True, minimum=0,
    ),
    # live-* (pgrestd.live)
    Setting(
        "live-enabled", "bool", False,
        "Answer a GET on a table with Accept: text/event-stream with a Server-Sent Events stream: its "
        "current rows, then an event per row inserted, updated or deleted that the request's role may "
        "read and its filters match. The tables must be watched (conf/live.sql); a stream process "
        "started by the master holds every stream. Off: such a GET gets 406, as in PostgREST.",
        extension=True,
    ),
    Setting(
        "live-max-streams", "int", 1000,
        "The most streams open at once; one more gets 503 (PGRST503).",
        extension=True, minimum=1,
    ),
    Setting(
        "live-retention", "int", 300,
        "Seconds a disconnected stream keeps collecting events for a reconnect with Last-Event-ID, and "
        "seconds the change log (pgrestd_live.changes) keeps its entries.",
        extension=True, minimum=1, maximum=MAX_SECONDS,
    ),
    # openapi-*
    Setting(
        "openapi-mode", "enum", "follow-privileges",
        "What the root path documents: what the requesting role may use (follow-privileges), "
        "everything (ignore-privileges), or nothing (disabled, 404).",
        choices=("follow-privileges", "ignore-privileges", "disabled"),
    ),
    Setting(
        "openapi-security-active", "bool", False,
        "Include the JWT security definitions in the OpenAPI document.",
    ),
    Setting(
        "openapi-server-proxy-uri", "str", None,
        "The public base URI put in the OpenAPI document when the server sits behind a proxy.",
        aliases=("server-proxy-uri",), check=_check_proxy_uri, example="https://example.com:8443/api",
    ),
    # log-*
    Setting(
        "log-level", "enum", "error",
        "What is logged: crit (startup and connection events), error (plus 5xx), warn (plus 4xx), "
        "info (every request) or debug.",
        choices=("crit", "error", "warn", "info", "debug"),
    ),
    Setting(
        "log-query", "bool", False,
        "Log each request's main SQL statement at the current log-level. PostgREST 13's "
        "\"main-query\" and \"disabled\" are accepted.",
        words=(("main-query", True), ("disabled", False)),
    ),
    # admin-*
    Setting(
        "admin-server-host", "str", None,
        "The address of the admin server (/live, /ready, /metrics); defaults to server-host.",
        fallback="server-host",
    ),
    Setting(
        "admin-server-port", "int", None,
        "The admin server's port; the admin server runs only when this or admin-server-unix-socket is set.",
        example=3001, minimum=0, maximum=65535,
    ),
    Setting(
        "admin-server-unix-socket", "str", None,
        "A Unix socket path for the admin server instead of admin-server-port.",
        example="/tmp/pgrst-admin.sock",
    ),
    Setting(
        "admin-server-unix-socket-mode", "str", "660",
        "The octal file mode of admin-server-unix-socket, between 600 and 777.",
        check=_check_socket_mode,
    ),
    # the rest
    Setting(
        "client-error-verbosity", "enum", "verbose",
        "minimal leaves details and hint out of error responses; verbose includes them.",
        choices=("verbose", "minimal"),
    ),
    Setting(
        "url-use-legacy-target-names", "bool", True,
        "Let filters name an embedded resource by its table even when the select gave it an alias.",
    ),
)
# fmt: on

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
BY_NAME.update({alias: s for s in SETTINGS for alias in s.aliases})

# Keys that older PostgREST versions read or that only drive PostgREST's own tests: current PostgREST
# ignores them, so a file that has them still loads; Config.ignored lists them for a warning.
RETIRED: dict[str, str] = {
    "raw-media-types": "removed in PostgREST 12; use media type handler functions",
    "db-use-legacy-gucs": "removed in PostgREST 12; request GUCs are always JSON",
    "admin-server-config-enabled": "removed in PostgREST 13 with the admin /config endpoint",
    "internal-schema-cache-sleep": "a PostgREST test knob",
    "internal-schema-cache-query-sleep": "a PostgREST test knob",
    "internal-schema-cache-load-sleep": "a PostgREST test knob",
    "internal-schema-cache-relationship-load-sleep": "a PostgREST test knob",
    "internal-schema-cache-query-sleep-before-queries": "a PostgREST test knob",
}

# Section headings of the example file, by key prefix.
GROUPS: tuple[tuple[str, str], ...] = (
    ("db-", "Database: connection, pool, schemas and transactions"),
    ("jwt-", "Authentication with JSON Web Tokens"),
    ("server-", "HTTP server (server-workers and below are pgrestd extensions)"),
    ("openapi-", "OpenAPI document at the root path"),
    ("log-", "Logging"),
    ("admin-", "Admin server: health checks and metrics"),
    ("client-", "Error responses"),
    ("url-", "URL grammar"),
    ("live-", "Live endpoints: Server-Sent Events streams of changes (pgrestd extension)"),
)
