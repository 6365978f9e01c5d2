"""Reading configuration: postgrest.conf syntax, PGRST_* overrides, "@file" values, and the typed Config."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import difflib
import json
import os
import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import jwt

from .settings import (
    APP_SETTINGS_PREFIX,
    BY_NAME,
    NUL_PROBLEM,
    RETIRED,
    SETTINGS,
    ConfigError,
    Setting,
    env_name,
    show,
)

__all__ = ["Config", "config_from_mapping", "decode_jwt_secret", "load_config", "load_jwks", "parse_conf_text"]

_APP_ENV_PREFIX = "PGRST_APP_SETTINGS_"

# -- the file syntax ------------------------------------------------------------
#
# postgrest.conf is read by configurator-pg (github.com/PostgREST/configurator-pg, Syntax.hs and
# Load.hs): `key = value` lines, `#` comments, `#;` to comment out a whole directive, values that are
# "strings", numbers, on/off/true/false or [lists], `group { key = value }` blocks that prefix their
# keys, `import "file"`, and "$(name)" interpolation of earlier keys or environment variables.

_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_WORDS = (("on", True), ("off", False), ("true", True), ("false", False))
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_MAX_IMPORT_DEPTH = 16


class _Reader:
    """A recursive-descent reader of one file, adding its bindings to a shared dict."""

    __slots__ = ("_line_starts", "environ", "filename", "imports", "out", "pos", "text")

    def __init__(
        self,
        text: str,
        filename: str,
        environ: Mapping[str, str],
        out: dict[str, tuple[object, str]],
        imports: tuple[str, ...],
    ) -> None:
        self.text = text
        self.pos = 0
        self.filename = filename
        self.environ = environ
        self.out = out
        self.imports = imports
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    # -- helpers --

    def line(self, pos: int | None = None) -> int:
        return bisect_right(self._line_starts, self.pos if pos is None else pos)

    def fail(self, message: str, pos: int | None = None) -> NoReturn:
        raise ConfigError(message, origin=f"{self.filename}:{self.line(pos)}")

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def describe_here(self) -> str:
        rest = self.text[self.pos :].split("\n", 1)[0].strip()
        return f'"{rest[:20]}"' if rest else "end of line"

    def skip_lws(self) -> None:
        """Skip white space, newlines and comments, but not a "#;" directive comment."""
        text, n = self.text, len(self.text)
        while self.pos < n:
            c = text[self.pos]
            if c.isspace():
                self.pos += 1
            elif c == "#" and text[self.pos + 1 : self.pos + 2] != ";":
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end
            else:
                return

    def skip_hws(self) -> None:
        """Skip spaces, tabs and a trailing comment, stopping at the end of the line."""
        text, n = self.text, len(self.text)
        while self.pos < n and text[self.pos] in " \t":
            self.pos += 1
        if self.pos < n and text[self.pos] == "#":
            end = text.find("\n", self.pos)
            self.pos = n if end < 0 else end

    # -- grammar --

    def directives(self, prefix: str, in_group: bool, apply: bool) -> None:
        while True:
            self.skip_lws()
            if self.pos >= len(self.text):
                if in_group:
                    self.fail('expected "}" to close the group')
                return
            if self.peek() == "}":
                if not in_group:
                    self.fail('unexpected "}"')
                self.pos += 1
                return
            self.directive(prefix, apply)
            self.skip_hws()
            c = self.peek()
            if c and c not in "\r\n" and not (in_group and c == "}"):
                self.fail(f"expected the end of the line, found {self.describe_here()}")

    def directive(self, prefix: str, apply: bool) -> None:
        if self.peek(2) == "#;":
            # configurator's directive comment: the next directive is parsed and dropped.
            self.pos += 2
            self.skip_hws()
            self.directive(prefix, apply=False)
            return
        start = self.pos
        if re.match(r'import\s*"', self.text[self.pos :]):
            self.pos += len("import")
            self.skip_lws()
            target = self.string()
            if apply:
                self.do_import(target, start)
            return
        key = self.ident()
        self.skip_lws()
        c = self.peek()
        if c == "=":
            self.pos += 1
            self.skip_lws()
            value = self.value()
            if apply:
                if isinstance(value, str):
                    value = self.interpolate(value, prefix, start)
                self.out.pop(prefix + key, None)
                self.out[prefix + key] = (value, f"{self.filename}:{self.line(start)}")
        elif c == "{":
            self.pos += 1
            self.directives(prefix + key + ".", in_group=True, apply=apply)
        else:
            self.fail(f'expected "=" after "{key}", found {self.describe_here()}')

    def ident(self) -> str:
        # A key is dot-separated words; each starts with a letter, then letters, digits, "_" or "-".
        text, n, start = self.text, len(self.text), self.pos
        while True:
            if self.pos >= n or not text[self.pos].isalpha():
                if self.pos > start and text[self.pos - 1] == ".":
                    self.fail("a key must not end with a dot")
                self.fail(f"expected a configuration key, found {self.describe_here()}")
            self.pos += 1
            while self.pos < n and (text[self.pos].isalnum() or text[self.pos] in "_-"):
                self.pos += 1
            if self.pos < n and text[self.pos] == ".":
                self.pos += 1
                continue
            key = text[start : self.pos]
            if key == "import":
                self.fail('"import" is a reserved word and cannot be a key')
            return key

    def value(self) -> object:
        text = self.text
        for word, meaning in _WORDS:
            if text.startswith(word, self.pos):
                self.pos += len(word)
                return meaning
        c = self.peek()
        if c == '"':
            return self.string()
        if c == "[":
            return self.list_()
        m = _NUMBER.match(text, self.pos)
        if m:
            self.pos = m.end()
            literal = m.group()
            return int(literal) if literal.lstrip("+-").isdigit() else Decimal(literal)
        self.fail(f'expected a value ("string", number, true/false or [list]), found {self.describe_here()}')

    def list_(self) -> list[object]:
        self.pos += 1
        self.skip_lws()
        items: list[object] = []
        if self.peek() == "]":
            self.pos += 1
            return items
        while True:
            items.append(self.value())
            self.skip_lws()
            c = self.peek()
            if c == "]":
                self.pos += 1
                return items
            if c != ",":
                self.fail(f'expected "," or "]" in a list, found {self.describe_here()}')
            self.pos += 1
            self.skip_lws()

    def string(self) -> str:
        start = self.pos
        if self.peek() != '"':
            self.fail(f"expected a quoted string, found {self.describe_here()}")
        text, i, n = self.text, self.pos + 1, len(self.text)
        out: list[str] = []
        while True:
            j = i
            while j < n and text[j] not in '"\\':
                j += 1
            out.append(text[i:j])
            if j >= n:
                self.fail("unterminated string", start)
            if text[j] == '"':
                self.pos = j + 1
                return "".join(out)
            esc = text[j + 1 : j + 2]
            if esc in _ESCAPES:
                out.append(_ESCAPES[esc])
                i = j + 2
            elif esc == "u":
                char, i = self.unicode_escape(j)
                out.append(char)
            else:
                self.fail(f'invalid escape "\\{esc}" in string (use \\" \\\\ \\n \\t \\r or \\u and four hex digits)', j)

    def unicode_escape(self, j: int) -> tuple[str, int]:
        text = self.text
        hex1 = text[j + 2 : j + 6]
        if not re.fullmatch(r"[0-9A-Fa-f]{4}", hex1):
            self.fail(r"invalid \u escape: expected four hex digits", j)
        code = int(hex1, 16)
        if not 0xD800 <= code <= 0xDFFF:
            return chr(code), j + 6
        low = text[j + 6 : j + 12]
        if code <= 0xDBFF and re.fullmatch(r"\\u[Dd][C-Fc-f][0-9A-Fa-f]{2}", low):
            trail = int(text[j + 8 : j + 12], 16)
            return chr(0x10000 + ((code - 0xD800) << 10) + (trail - 0xDC00)), j + 12
        self.fail("invalid UTF-16 surrogates in \\u escape", j)

    def interpolate(self, s: str, prefix: str, pos: int) -> str:
        """Replace "$(name)" by an earlier key (innermost group first) or an environment variable."""
        if "$" not in s:
            return s
        out: list[str] = []
        i = 0
        while True:
            j = s.find("$", i)
            if j < 0:
                out.append(s[i:])
                return "".join(out)
            out.append(s[i:j])
            following = s[j + 1 : j + 2]
            if following == "$":
                out.append("$")
                i = j + 2
            elif following == "(":
                end = s.find(")", j + 2)
                if end <= j + 2:
                    self.fail('unfinished "$(name)" in string; write "$$" for a literal "$"', pos)
                out.append(self.lookup(s[j + 2 : end], prefix, pos))
                i = end + 1
            else:
                self.fail('a "$" in a string must be written "$$" (or start "$(name)")', pos)

    def lookup(self, name: str, prefix: str, pos: int) -> str:
        groups = [g for g in prefix.split(".") if g]
        for depth in range(len(groups), -1, -1):
            key = ".".join([*groups[:depth], name])
            if key in self.out:
                value = self.out[key][0]
                if isinstance(value, str):
                    return value
                if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                    return str(value)
                self.fail(f'variable "{name}" is not a string or a number', pos)
        if name in self.environ:
            return self.environ[name]
        self.fail(f'no such variable "{name}": neither a key above nor an environment variable', pos)

    def do_import(self, target: str, pos: int) -> None:
        path = target if os.path.isabs(target) else os.path.join(os.path.dirname(self.filename), target)
        if len(self.imports) >= _MAX_IMPORT_DEPTH or os.path.abspath(path) in self.imports:
            self.fail(f'import "{target}" loops back to a file already being read', pos)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.fail(f'cannot import "{target}": {_reason(exc)}', pos)
        reader = _Reader(text, path, self.environ, self.out, (*self.imports, os.path.abspath(path)))
        reader.directives("", in_group=False, apply=True)


def parse_conf_text(
    text: str, filename: str, *, environ: Mapping[str, str] | None = None
) -> dict[str, tuple[object, str]]:
    """Parse postgrest.conf text into key -> (raw value, "FILE:LINE"); environ feeds "$(NAME)"."""
    out: dict[str, tuple[object, str]] = {}
    env = os.environ if environ is None else environ
    reader = _Reader(text, filename, env, out, (os.path.abspath(filename),))
    reader.directives("", in_group=False, apply=True)
    return out


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    return str(exc)


# -- the typed configuration -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Config:
    """The effective configuration: one typed attribute per registry key (tests keep the two in step)."""

    db_uri: str
    db_schemas: tuple[str, ...]
    db_anon_role: str | None
    db_extra_search_path: tuple[str, ...]
    db_max_rows: int | None
    db_pool: int
    db_pool_acquisition_timeout: int
    db_pool_max_lifetime: int
    db_pool_max_idletime: int
    db_pool_automatic_recovery: bool
    db_pre_request: str | None
    db_pre_config: str | None
    db_root_spec: str | None
    db_config: bool
    db_channel: str
    db_channel_enabled: bool
    db_tx_end: str
    db_prepared_statements: bool
    db_plan_enabled: bool
    db_aggregates_enabled: bool
    db_hoisted_tx_settings: tuple[str, ...]
    db_uri_read_replicas: tuple[str, ...]
    db_read_replicas_max_lag: int
    db_channel_uri: str | None
    db_cache_infer: bool
    db_cache_infer_max_age: int
    jwt_secret: str | None
    jwt_secret_is_base64: bool
    jwt_aud: str | None
    jwt_role_claim_key: str
    jwt_cache_max_entries: int
    jwt_cache_max_lifetime: int
    jwt_jwks_url: str | None
    jwt_jwks_refresh_interval: int
    jwt_jwks_min_refresh_interval: int
    jwt_cookie_name: str | None
    server_host: str
    server_port: int
    server_unix_socket: str | None
    server_unix_socket_mode: str
    server_reuseport: bool
    server_cors_allowed_origins: tuple[str, ...]
    server_trace_header: str | None
    server_timing_enabled: bool
    server_etag_enabled: bool
    server_link_headers_enabled: bool
    server_workers: int
    server_worker_class: str
    server_threads: int
    server_timeout: int
    server_graceful_timeout: int
    server_max_request_line: int
    server_max_body_size: int
    live_enabled: bool
    live_max_streams: int
    live_retention: int
    openapi_mode: str
    openapi_security_active: bool
    openapi_server_proxy_uri: str | None
    log_level: str
    log_query: bool
    admin_server_host: str
    admin_server_port: int | None
    admin_server_unix_socket: str | None
    admin_server_unix_socket_mode: str
    client_error_verbosity: str
    url_use_legacy_target_names: bool
    app_settings: dict[str, str] = field(default_factory=dict)
    ignored: tuple[tuple[str, str, str], ...] = field(default=(), compare=False)
    _sources: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def conninfo(self) -> str:
        """db-uri as given, URI or key=value: psycopg accepts both."""
        return self.db_uri

    @property
    def jwt_secret_bytes(self) -> bytes | None:
        """jwt-secret's bytes: base64-decoded when jwt-secret-is-base64, as validated."""
        if self.jwt_secret is None:
            return None
        return _secret_bytes(self.jwt_secret, self.jwt_secret_is_base64)

    @property
    def jwt_key(self) -> bytes | dict[str, Any] | None:
        """The key that verifies JWTs, decoded here and nowhere else (see decode_jwt_secret)."""
        if self.jwt_secret is None:
            return None
        return decode_jwt_secret(self.jwt_secret, self.jwt_secret_is_base64)

    @property
    def cache_infer_max_age(self) -> int | None:
        """The cap of inferred Cache-Control policies, None without db-cache-infer: what a schema cache load takes."""
        return self.db_cache_infer_max_age if self.db_cache_infer else None

    def worker_count(self, cpus: int | None = None) -> int:
        """server-workers, or for 0: cores + 1, never more than db-pool since workers share the pool."""
        if self.server_workers:
            return self.server_workers
        if cpus is None:
            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, min(cpus + 1, self.db_pool))

    def source(self, name: str) -> str:
        """Where a key's value came from: "FILE:LINE", "env PGRST_X", "default", or a caller's label."""
        key = BY_NAME[name].name if name in BY_NAME else name
        try:
            return self._sources[key]
        except KeyError:
            raise KeyError(name) from None

    def values(self) -> dict[str, object]:
        """Canonical key -> value in registry order, then the app.settings.* keys."""
        out: dict[str, object] = {s.name: getattr(self, s.attr) for s in SETTINGS}
        out.update({APP_SETTINGS_PREFIX + k: v for k, v in self.app_settings.items()})
        return out

    def replace(self, source: str = "override", /, **changes: object) -> Config:
        """A re-validated copy with settings changed by snake_case name (None unsets), labelled source."""
        entries: dict[str, tuple[object, str]] = {}
        for s in SETTINGS:
            origin = self._sources.get(s.name, "default")
            if origin != "default":
                entries[s.name] = (getattr(self, s.attr), origin)
        app = changes.pop("app_settings", None)
        if app is None:
            for k, v in self.app_settings.items():
                entries[APP_SETTINGS_PREFIX + k] = (v, self._sources.get(APP_SETTINGS_PREFIX + k, source))
        else:
            assert isinstance(app, Mapping)
            for k, v in app.items():
                entries[APP_SETTINGS_PREFIX + k] = (v, source)
        for attr, value in changes.items():
            setting = _BY_ATTR.get(attr)
            if setting is None:
                hint = _suggest(attr.replace("_", "-"))
                raise ConfigError(f'unknown configuration key "{attr}"{hint}', origin=source)
            entries.pop(setting.name, None)
            if value is not None:
                entries[setting.name] = (value, source)
        return dataclasses.replace(_resolve(entries, {}), ignored=self.ignored)


_BY_ATTR: dict[str, Setting] = {s.attr: s for s in SETTINGS}


# -- from raw values to Config ------------------------------------------------------


def _suggest(key: str) -> str:
    close = difflib.get_close_matches(key, [*BY_NAME, *RETIRED], n=1)
    return f"; did you mean {close[0]}?" if close else ""


def _secret_bytes(secret: str, is_base64: bool) -> bytes:
    """Decode like PostgREST: base64url characters mapped to base64 first (Config.hs, decodeSecret)."""
    if not is_base64:
        return secret.encode()
    normal = secret.replace("_", "/").replace("-", "+").replace(".", "=").strip()
    try:
        return base64.b64decode(normal, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("jwt-secret-is-base64 is true but the secret is not valid base64") from None


def decode_jwt_secret(secret: str, is_base64: bool) -> bytes | dict[str, Any]:
    """jwt-secret as the key it stands for, as PostgREST's decodeSecret and parseSecret read it.

    The secret is base64-decoded first when jwt-secret-is-base64 (base64url's "-", "_" and "."
    padding taken as "+", "/" and "="); then a JSON Web Key Set is returned as its JSON object, a
    single JSON Web Key as a set of one ({"keys": [jwk]}), and anything else is an HMAC key's bytes.
    Raises ValueError when the secret is not valid base64.
    """
    raw = _secret_bytes(secret, is_base64)
    try:
        doc = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(doc, dict):
        if isinstance(doc.get("keys"), list):
            return doc
        if "kty" in doc:
            return {"keys": [doc]}
    return raw


HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
# The algorithms pgrestd verifies tokens with, per JWK key type (RFC 7518 §6, RFC 8037). PyJWT
# loads more (an EC key on secp256k1 is for ES256K): a key of another algorithm could never
# verify a token, so the configuration refuses it and a fetched set leaves it out.
JWK_ALGORITHMS: Mapping[str, tuple[str, ...]] = {
    "oct": HMAC_ALGORITHMS, "RSA": ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    "EC": ("ES256", "ES384", "ES512"), "OKP": ("EdDSA",),
}


def load_jwks(jwks: Mapping[str, Any]) -> list[jwt.PyJWK]:
    """The keys of a JWK Set as decode_jwt_secret returns it; ValueError says which key is unusable and why."""
    keys: list[jwt.PyJWK] = []
    for number, member in enumerate(jwks.get("keys", [jwks]), 1):  # a lone JWK, should one be passed
        where = f"JSON Web Key {number}"
        if not isinstance(member, Mapping):
            raise ValueError(f"{where} is not a JSON object")
        try:
            key = jwt.PyJWK(dict(member))
        except KeyError as exc:
            raise ValueError(f'{where} lacks the "{exc.args[0]}" member') from None
        except Exception as exc:  # PyJWT's own errors, and what malformed members make its loaders raise
            raise ValueError(f"{where} is not usable: {exc}") from None
        if key.algorithm_name not in JWK_ALGORITHMS.get(key.key_type, ()):
            raise ValueError(f"{where} is for {key.algorithm_name}, which pgrestd does not verify tokens with")
        keys.append(key)
    return keys


def _check_secret(secret: str, is_base64: bool) -> str | None:
    # A JWK or JWK Set is used as is; anything else is an HMAC key of at least 32 bytes (PostgREST 13, #3607).
    try:
        key = decode_jwt_secret(secret, is_base64)
    except ValueError as exc:
        return str(exc)
    if isinstance(key, bytes) and len(key) < 32:
        return "the secret must be at least 32 characters long (or be a JSON Web Key or Key Set)"
    if isinstance(key, dict):
        # The workers load the keys the same way when they boot: one PyJWT cannot use would stop
        # every worker. PostgREST would take such JSON as an HMAC secret, which hides the mistake.
        try:
            load_jwks(key)
        except ValueError as exc:
            return str(exc)
    return None


def _read_at_file(setting: Setting, name: str, value: str, origin: str) -> str:
    """Read "@path": db-uri is stripped, jwt-secret loses one trailing newline (Config.hs, read*File)."""
    if "\x00" in value:
        # No file name holds one: open() would raise ValueError, not an error that names the key.
        raise ConfigError(f"cannot read {show(value)}: a file name cannot contain NUL", key=name, origin=origin)
    try:
        content = Path(value[1:]).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {value}: {_reason(exc)}", key=name, origin=origin) from None
    if setting.name == "db-uri":
        return content.strip()
    return content.removesuffix("\n")


def _app_text(raw: object, key: str, origin: str) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str) and "\x00" in raw:
        # Every request sets it with set_config(), and PostgreSQL text cannot hold a NUL.
        raise ConfigError(NUL_PROBLEM, key=key, origin=origin)
    if isinstance(raw, (str, int, Decimal)):
        return str(raw)
    raise ConfigError("expected a string", key=key, origin=origin)


def _resolve(entries: Mapping[str, tuple[object, str]], environ: Mapping[str, str]) -> Config:
    """PostgREST's precedence per key: its env var, its file value, each alias alike, then the default."""
    given: dict[str, tuple[object, str]] = {}
    app: dict[str, tuple[object, str]] = {}
    ignored: list[tuple[str, str, str]] = []
    for key, (raw, origin) in entries.items():
        if key.startswith(APP_SETTINGS_PREFIX) and len(key) > len(APP_SETTINGS_PREFIX):
            app[key[len(APP_SETTINGS_PREFIX) :]] = (raw, origin)
        elif key in BY_NAME:
            given[key] = (raw, origin)
        elif key in RETIRED:
            ignored.append((key, origin, RETIRED[key]))
        else:
            raise ConfigError(f'unknown configuration key "{key}"{_suggest(key)}', origin=origin)

    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for s in SETTINGS:
        chosen: tuple[str, object, str] | None = None
        for name in (s.name, *s.aliases):
            env = env_name(name)
            if env in environ:
                raw, origin = environ[env], "env " + env
            elif name in given:
                raw, origin = given[name]
            else:
                continue
            # PostgREST reads "" as "not set" (optString's mfilter), except where empty is a value.
            if raw is None or (isinstance(raw, str) and raw == "" and not s.emptyable):
                continue
            chosen = (name, raw, origin)
            break
        if chosen is None:
            values[s.name] = s.default
            sources[s.name] = "default"
            continue
        name, raw, origin = chosen
        try:
            value = s.convert(raw)
        except ValueError as exc:
            raise ConfigError(str(exc), key=name, origin=origin) from None
        if s.at_file and isinstance(value, str) and value.startswith("@"):
            value = _read_at_file(s, name, value, origin)
        values[s.name] = value
        sources[s.name] = origin

    for s in SETTINGS:
        if s.fallback and sources[s.name] == "default":
            values[s.name] = values[s.fallback]

    _cross_check(values, sources)

    app_values: dict[str, str] = {}
    for key, (raw, origin) in app.items():
        env = env_name(APP_SETTINGS_PREFIX + key)
        if env in environ:
            raw, origin = environ[env], "env " + env
        app_values[key] = _app_text(raw, APP_SETTINGS_PREFIX + key, origin)
        sources[APP_SETTINGS_PREFIX + key] = origin
    taken = {env_name(APP_SETTINGS_PREFIX + key) for key in app}
    for env in sorted(environ):
        if env.startswith(_APP_ENV_PREFIX) and len(env) > len(_APP_ENV_PREFIX) and env not in taken:
            # PGRST_APP_SETTINGS_FOO sets app.settings.foo (lower-cased: environment names are upper case).
            key = env[len(_APP_ENV_PREFIX) :].lower()
            app_values[key] = environ[env]
            sources[APP_SETTINGS_PREFIX + key] = "env " + env

    typed: dict[str, Any] = {s.attr: values[s.name] for s in SETTINGS}
    return Config(
        **typed,
        app_settings=app_values,
        ignored=tuple(ignored),
        _sources=sources,
    )


def _cross_check(values: Mapping[str, object], sources: Mapping[str, str]) -> None:
    """The rules that involve two keys."""
    admin_port = values["admin-server-port"]
    if admin_port is not None and admin_port == values["server-port"]:
        # PostgREST 13 refuses to start with both servers on one port (#3508).
        raise ConfigError(
            "admin-server-port cannot be the same as server-port",
            key="admin-server-port",
            origin=sources["admin-server-port"],
        )
    secret = values["jwt-secret"]
    if isinstance(secret, str):
        problem = _check_secret(secret, bool(values["jwt-secret-is-base64"]))
        if problem:
            raise ConfigError(problem, key="jwt-secret", origin=sources["jwt-secret"])


def load_config(path: str | None, environ: Mapping[str, str] | None = None) -> Config:
    """Read the file (if any), let PGRST_* variables override it, validate; environ defaults to os.environ."""
    env = os.environ if environ is None else environ
    entries: dict[str, tuple[object, str]] = {}
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read configuration file: {_reason(exc)}", origin=path) from None
        entries = parse_conf_text(text, path, environ=env)
    return _resolve(entries, env)


def config_from_mapping(values: Mapping[str, object], source: str = "mapping") -> Config:
    """A Config from typed or string values by name, alias, snake_case or app.settings.*; no environment."""
    entries: dict[str, tuple[object, str]] = {}
    for key, value in values.items():
        dashed = key.replace("_", "-")
        if not key.startswith(APP_SETTINGS_PREFIX) and key not in BY_NAME and dashed in BY_NAME:
            key = dashed
        entries[key] = (value, source)
    return _resolve(entries, {})
