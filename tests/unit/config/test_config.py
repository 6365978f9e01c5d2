"""Tests for pgrestd.config: registry, postgrest.conf syntax, environment, @file, validation and dumps."""

from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgrestd.config import (
    SETTINGS,
    Config,
    ConfigError,
    Setting,
    config_from_mapping,
    dump_config,
    env_name,
    example_config,
    load_config,
    parse_conf_text,
)
from pgrestd.config.dump import quote
from pgrestd.config.settings import BY_NAME, RETIRED

ROOT = Path(__file__).resolve().parents[3]
CONFORMANCE_CONFIGS = Path("/work/shared/conformance/configs.json")
SECRET = "reallyreallyreallyreallyverysafe"

# Every key PostgREST's Config.hs reads (besides app.settings.* and its internal test knobs).
POSTGREST_KEYS = {
    "admin-server-host",
    "admin-server-port",
    "admin-server-unix-socket",
    "admin-server-unix-socket-mode",
    "client-error-verbosity",
    "db-aggregates-enabled",
    "db-anon-role",
    "db-channel",
    "db-channel-enabled",
    "db-config",
    "db-extra-search-path",
    "db-hoisted-tx-settings",
    "db-max-rows",
    "db-plan-enabled",
    "db-pool",
    "db-pool-acquisition-timeout",
    "db-pool-automatic-recovery",
    "db-pool-max-idletime",
    "db-pool-max-lifetime",
    "db-pre-config",
    "db-pre-request",
    "db-prepared-statements",
    "db-root-spec",
    "db-schemas",
    "db-tx-end",
    "db-uri",
    "jwt-aud",
    "jwt-cache-max-entries",
    "jwt-cache-max-lifetime",
    "jwt-role-claim-key",
    "jwt-secret",
    "jwt-secret-is-base64",
    "log-level",
    "log-query",
    "openapi-mode",
    "openapi-security-active",
    "openapi-server-proxy-uri",
    "server-cors-allowed-origins",
    "server-host",
    "server-port",
    "server-reuseport",
    "server-timing-enabled",
    "server-trace-header",
    "server-unix-socket",
    "server-unix-socket-mode",
    "url-use-legacy-target-names",
}
EXTENSION_KEYS = {
    "server-workers",
    "server-worker-class",
    "server-threads",
    "server-timeout",
    "server-graceful-timeout",
    "server-max-request-line",
    "server-max-body-size",
    "live-enabled",
    "live-max-streams",
    "live-retention",
    "db-uri-read-replicas",
    "db-read-replicas-max-lag",
    "db-channel-uri",
    "db-cache-infer",
    "db-cache-infer-max-age",
    "server-etag-enabled",
    "server-link-headers-enabled",
    "jwt-jwks-url",
    "jwt-jwks-refresh-interval",
    "jwt-jwks-min-refresh-interval",
    "jwt-cookie-name",
}
ALIASES = {
    "db-schema": "db-schemas",
    "max-rows": "db-max-rows",
    "pre-request": "db-pre-request",
    "root-spec": "db-root-spec",
    "role-claim-key": "jwt-role-claim-key",
    "secret-is-base64": "jwt-secret-is-base64",
    "server-proxy-uri": "openapi-server-proxy-uri",
    "db-pool-timeout": "db-pool-max-idletime",
}


def write(tmp_path: Path, text: str, name: str = "pgrestd.conf") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def load_text(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> Config:
    return load_config(write(tmp_path, text), environ or {})


def error_of(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, text, environ)
    return str(info.value)


# -- the registry ---------------------------------------------------------------


def test_registry_has_every_postgrest_key_and_the_extensions() -> None:
    names = {s.name for s in SETTINGS}
    assert POSTGREST_KEYS <= names
    assert names - POSTGREST_KEYS == EXTENSION_KEYS
    assert {s.name for s in SETTINGS if s.extension} == EXTENSION_KEYS


def test_config_attributes_follow_the_registry() -> None:
    fields = [f.name for f in dataclasses.fields(Config)]
    assert fields == [s.attr for s in SETTINGS] + ["app_settings", "ignored", "_sources"]


def test_aliases() -> None:
    assert {a: s.name for s in SETTINGS for a in s.aliases} == ALIASES
    assert len(BY_NAME) == len(SETTINGS) + len(ALIASES)
    assert not set(RETIRED) & set(BY_NAME)


@pytest.mark.parametrize(
    ("name", "default"),
    [
        ("db-uri", "postgresql://"),
        ("db-schemas", ("public",)),
        ("db-anon-role", None),
        ("db-extra-search-path", ("public",)),
        ("db-max-rows", None),
        ("db-pool", 10),
        ("db-pool-acquisition-timeout", 10),
        ("db-pool-max-lifetime", 1800),
        ("db-pool-max-idletime", 30),
        ("db-pool-automatic-recovery", True),
        ("db-channel", "pgrst"),
        ("db-channel-enabled", True),
        ("db-config", True),
        ("db-tx-end", "commit"),
        ("db-prepared-statements", True),
        ("db-plan-enabled", False),
        ("db-aggregates-enabled", False),
        (
            "db-hoisted-tx-settings",
            ("statement_timeout", "plan_filter.statement_cost_limit", "default_transaction_isolation"),
        ),
        ("jwt-role-claim-key", ".role"),
        ("jwt-secret-is-base64", False),
        ("jwt-cache-max-entries", 1000),
        ("server-host", "!4"),
        ("server-port", 3000),
        ("server-unix-socket-mode", "660"),
        ("server-reuseport", False),
        ("server-timing-enabled", False),
        ("openapi-mode", "follow-privileges"),
        ("openapi-security-active", False),
        ("log-level", "error"),
        ("log-query", False),
        ("admin-server-port", None),
        ("admin-server-unix-socket-mode", "660"),
        ("client-error-verbosity", "verbose"),
        ("url-use-legacy-target-names", True),
        ("server-workers", 0),
        ("server-worker-class", "sync"),
        ("server-threads", 1),
        ("server-timeout", 0),
        ("server-graceful-timeout", 30),
        ("server-max-request-line", 0),
        ("server-max-body-size", 100 * 1024 * 1024),
    ],
)
def test_defaults(name: str, default: object) -> None:
    assert BY_NAME[name].default == default
    assert getattr(load_config(None, {}), BY_NAME[name].attr) == default


def test_enum_choices() -> None:
    assert BY_NAME["log-level"].choices == ("crit", "error", "warn", "info", "debug")
    assert set(BY_NAME["db-tx-end"].choices) == {
        "commit",
        "commit-allow-override",
        "rollback",
        "rollback-allow-override",
    }
    assert set(BY_NAME["openapi-mode"].choices) == {"follow-privileges", "ignore-privileges", "disabled"}
    assert set(BY_NAME["client-error-verbosity"].choices) == {"verbose", "minimal"}
    assert BY_NAME["server-worker-class"].choices == ("sync", "gthread")


def test_every_setting_is_documented() -> None:
    for s in SETTINGS:
        assert isinstance(s, Setting)
        assert s.doc.strip() and s.doc.rstrip().endswith("."), s.name


@pytest.mark.parametrize(
    ("key", "env"),
    [
        ("db-uri", "PGRST_DB_URI"),
        ("db-pool-max-idletime", "PGRST_DB_POOL_MAX_IDLETIME"),
        ("app.settings.foo", "PGRST_APP_SETTINGS_FOO"),
    ],
)
def test_env_name(key: str, env: str) -> None:
    assert env_name(key) == env


# -- syntax ---------------------------------------------------------------------


def test_key_values_comments_and_origins() -> None:
    text = (
        "# a comment\n"
        "\n"
        'db-uri = "postgres://u@h/db"   # trailing comment\n'
        "db-pool=5\n"
        "  db-plan-enabled   =   true\n"
        'db-anon-role = "a#b"\n'
    )
    assert parse_conf_text(text, "x.conf", environ={}) == {
        "db-uri": ("postgres://u@h/db", "x.conf:3"),
        "db-pool": (5, "x.conf:4"),
        "db-plan-enabled": (True, "x.conf:5"),
        "db-anon-role": ("a#b", "x.conf:6"),
    }


def test_string_escapes() -> None:
    text = r'a = "q\"uote back\\slash new\nline tab\tr\r e\u00e9 smile\ud83d\ude00"'
    expected = 'q"uote back\\slash new\nline tab\tr\r eé smile😀'
    assert parse_conf_text(text, "f", environ={})["a"][0] == expected


def test_numbers_bools_lists() -> None:
    text = (
        "i = 42\nn = -7\nd = 1.5\ne = 1e3\nt = true\nf = false\n"
        'on = on\noff = off\nl = [1, "x", [true]]\nempty = []\n'
    )
    got = {k: v for k, (v, _) in parse_conf_text(text, "f", environ={}).items()}
    assert got == {
        "i": 42,
        "n": -7,
        "d": Decimal("1.5"),
        "e": Decimal("1e3"),
        "t": True,
        "f": False,
        "on": True,
        "off": False,
        "l": [1, "x", [True]],
        "empty": [],
    }
    assert isinstance(got["i"], int)


def test_app_settings_keys_and_groups() -> None:
    text = 'app.settings.jwt_secret = "s"\napp.settings {\n  other = "o"\n  nested { deep = 1 }\n}\n'
    got = parse_conf_text(text, "f", environ={})
    assert got == {
        "app.settings.jwt_secret": ("s", "f:1"),
        "app.settings.other": ("o", "f:3"),
        "app.settings.nested.deep": (1, "f:4"),
    }


def test_directive_comment_and_later_binding_wins() -> None:
    text = "#; db-pool = 1\ndb-pool = 2\ndb-pool = 3\n#; group { a = 1 }\n"
    assert parse_conf_text(text, "f", environ={}) == {"db-pool": (3, "f:3")}


def test_empty_and_comment_only_files() -> None:
    assert parse_conf_text("", "f", environ={}) == {}
    assert parse_conf_text("# nothing\n\n   # here\n", "f", environ={}) == {}


def test_crlf_line_endings() -> None:
    assert parse_conf_text('a = 1\r\nb = "x"\r\n', "f", environ={}) == {"a": (1, "f:1"), "b": ("x", "f:2")}


def test_multiline_string_keeps_the_line_of_its_key() -> None:
    got = parse_conf_text('a = "one\ntwo"\nb = 2\n', "f", environ={})
    assert got == {"a": ("one\ntwo", "f:1"), "b": (2, "f:3")}


def test_interpolation() -> None:
    text = 'base = "/srv"\nlog = "$(base)/log"\nhome = "$(HOME)"\nprice = "$$5"\nn = 3\nref = "n=$(n)"\n'
    got = {k: v for k, (v, _) in parse_conf_text(text, "f", environ={"HOME": "/root"}).items()}
    assert got["log"] == "/srv/log"
    assert got["home"] == "/root"
    assert got["price"] == "$5"
    assert got["ref"] == "n=3"


def test_interpolation_prefers_the_innermost_group() -> None:
    text = 'x = "top"\ng { x = "inner"\n y = "$(x)" }\nz = "$(x)"\n'
    got = {k: v for k, (v, _) in parse_conf_text(text, "f", environ={}).items()}
    assert got["g.y"] == "inner"
    assert got["z"] == "top"


def test_import(tmp_path: Path) -> None:
    write(tmp_path, 'jwt-secret = "from-import"\n', "secrets.conf")
    main = write(tmp_path, 'db-pool = 4\nimport "secrets.conf"\n')
    got = parse_conf_text(Path(main).read_text(), main, environ={})
    assert got["db-pool"] == (4, f"{main}:1")
    assert got["jwt-secret"] == ("from-import", f"{tmp_path / 'secrets.conf'}:1")


def test_import_loop_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, 'import "pgrestd.conf"\n')
    with pytest.raises(ConfigError, match="loops back"):
        parse_conf_text(Path(path).read_text(), path, environ={})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("db-pool 10\n", 'f:1: expected "=" after "db-pool", found "10"'),
        ('\n\ndb-uri = "abc\n', "f:3: unterminated string"),
        ('a = 1\nb = "bad \\q escape"\n', 'f:2: invalid escape "\\q" in string'),
        ("a = 1 2\n", 'f:1: expected the end of the line, found "2"'),
        (
            "a = 1\nb = hello\n",
            'f:2: expected a value ("string", number, true/false or [list]), found "hello"',
        ),
        ("a. = 1\n", "f:1: a key must not end with a dot"),
        ("= 1\n", 'f:1: expected a configuration key, found "= 1"'),
        ("a = 1\n}\n", 'f:2: unexpected "}"'),
        ("g {\n a = 1\n", 'f:3: expected "}" to close the group'),
        ("a = [1 2]\n", 'f:1: expected "," or "]" in a list, found "2]"'),
        ('a = "cost $5"\n', 'f:1: a "$" in a string must be written "$$"'),
        ('a = "$(NOPE)"\n', 'f:1: no such variable "NOPE"'),
        ('a = "$(open"\n', 'f:1: unfinished "$(name)" in string'),
        ("import = 1\n", 'f:1: "import" is a reserved word'),
    ],
)
def test_syntax_errors_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_conf_text(text, "f", environ={})
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


# -- loading: file, types, errors -------------------------------------------------


def test_no_file_gives_defaults() -> None:
    config = load_config(None, {})
    assert config.values() == {
        s.name: (config.admin_server_host if s.fallback else s.default) for s in SETTINGS
    }
    assert config.app_settings == {}
    assert config.source("db-pool") == "default"


def test_file_values_are_typed(tmp_path: Path) -> None:
    config = load_text(
        tmp_path,
        'db-uri = "host=localhost dbname=app"\n'
        'db-schemas = " api , v2,,"\n'
        'db-anon-role = "web_anon"\n'
        "db-max-rows = 100\n"
        'db-pool = "7"\n'
        "db-pool-max-lifetime = 60.0\n"
        "db-plan-enabled = on\n"
        'db-tx-end = "rollback-allow-override"\n'
        'server-cors-allowed-origins = "http://a.example, http://b.example"\n'
        'log-level = "info"\n'
        'app.settings.name = "value"\n'
        "app.settings.number = 5\n",
    )
    assert config.db_uri == config.conninfo == "host=localhost dbname=app"
    assert config.db_schemas == ("api", "v2")
    assert config.db_anon_role == "web_anon"
    assert config.db_max_rows == 100
    assert config.db_pool == 7
    assert config.db_pool_max_lifetime == 60
    assert config.db_plan_enabled is True
    assert config.db_tx_end == "rollback-allow-override"
    assert config.server_cors_allowed_origins == ("http://a.example", "http://b.example")
    assert config.log_level == "info"
    assert config.app_settings == {"name": "value", "number": "5"}


def test_missing_file() -> None:
    with pytest.raises(ConfigError) as info:
        load_config("/nonexistent/pgrestd.conf", {})
    assert (
        str(info.value)
        == "/nonexistent/pgrestd.conf: cannot read configuration file: No such file or directory"
    )


def test_unknown_key_names_file_line_and_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, '# c\n\ndb-shemas = "api"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    assert str(info.value) == f'{path}:3: unknown configuration key "db-shemas"; did you mean db-schemas?'
    assert info.value.origin == f"{path}:3"


def test_unknown_key_without_a_close_match(tmp_path: Path) -> None:
    assert error_of(tmp_path, "zzzzzz = 1\n").endswith(':1: unknown configuration key "zzzzzz"')


def test_wrong_type_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "\n" * 11 + 'db-pool = "ten"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    assert str(info.value) == f'{path}:12: db-pool: expected an integer, got "ten"'
    assert info.value.key == "db-pool"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("db-pool = 1.5", "db-pool: expected an integer, got 1.5"),
        ("db-pool = true", "db-pool: expected an integer, got true"),
        ("db-pool = 0", "db-pool: must be at least 1, got 0"),
        ("server-port = 70000", "server-port: must be between 0 and 65535, got 70000"),
        ('db-plan-enabled = "maybe"', 'db-plan-enabled: expected true or false, got "maybe"'),
        ("db-anon-role = true", "db-anon-role: expected a string, got true"),
        ("db-schemas = 3", "db-schemas: expected a comma-separated string, got 3"),
        ('log-level = "verbose"', 'log-level: expected one of crit, error, warn, info, debug, got "verbose"'),
        (
            'db-tx-end = "abort"',
            (
                "db-tx-end: expected one of commit, commit-allow-override, rollback,"
                ' rollback-allow-override, got "abort"'
            ),
        ),
        (
            'openapi-mode = "off"',
            "openapi-mode: expected one of follow-privileges, ignore-privileges, disabled",
        ),
        ('client-error-verbosity = "terse"', "client-error-verbosity: expected one of verbose, minimal"),
        ('server-worker-class = "gevent"', "server-worker-class: expected one of sync, gthread"),
        ('db-schemas = " , "', "db-schemas: must name at least one schema"),
        ('db-schemas = "api,pg_catalog"', 'db-schemas: does not allow schema "pg_catalog"'),
        ('db-schemas = "information_schema"', 'db-schemas: does not allow schema "information_schema"'),
        (
            'server-unix-socket-mode = "999"',
            'server-unix-socket-mode: expected an octal file mode such as 660, got "999"',
        ),
        (
            'admin-server-unix-socket-mode = "500"',
            "admin-server-unix-socket-mode: must be between 600 and 777, got 500",
        ),
        ('jwt-secret = "short"', "jwt-secret: the secret must be at least 32 characters long"),
        ('jwt-aud = "not a uri:x"', 'jwt-aud: should be a string or a valid URI, got "not a uri:x"'),
        ('jwt-role-claim-key = "role"', 'jwt-role-claim-key: expected a path starting with "."'),
        ('openapi-server-proxy-uri = "ftp://example.com"', "openapi-server-proxy-uri: malformed proxy URI"),
        (
            'server-trace-header = "X Request"',
            'server-trace-header: expected an HTTP header name, got "X Request"',
        ),
        ("server-max-request-line = 65536", "server-max-request-line: must be between 0 and 8190, got 65536"),
        (
            "admin-server-port = 3000",
            "admin-server-port: admin-server-port cannot be the same as server-port",
        ),
        ('app.settings.list = ["a"]', "app.settings.list: expected a string"),
    ],
)
def test_value_errors(tmp_path: Path, line: str, message: str) -> None:
    error = error_of(tmp_path, line + "\n")
    assert re.match(r".*pgrestd\.conf:1: ", error), error
    assert error.split("pgrestd.conf:1: ", 1)[1].startswith(message)


@pytest.mark.parametrize(
    "uri",
    ["http://example.com", "https://example.com:8443/basePath", "HTTPS://example.com/api/"],
)
def test_good_proxy_uris(tmp_path: Path, uri: str) -> None:
    assert load_text(tmp_path, f'openapi-server-proxy-uri = "{uri}"\n').openapi_server_proxy_uri == uri


@pytest.mark.parametrize(
    "uri",
    [
        "example.com",
        "http://",
        "http://u:p@example.com",
        "http://example.com?x=1",
        "http://example.com#f",
        "http://example.com:0",
        "http://example.com:99999",
    ],
)
def test_bad_proxy_uris(tmp_path: Path, uri: str) -> None:
    assert "malformed proxy URI" in error_of(tmp_path, f'openapi-server-proxy-uri = "{uri}"\n')


def test_jwt_aud(tmp_path: Path) -> None:
    assert load_text(tmp_path, 'jwt-aud = "spec tests"\n').jwt_aud == "spec tests"
    assert load_text(tmp_path, 'jwt-aud = "urn:example:aud"\n').jwt_aud == "urn:example:aud"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("True", True),
        ('"false"', False),
        ("1", True),
        ("0", False),
        ("2", True),
    ],
)
def test_bool_strings(tmp_path: Path, raw: str, expected: bool) -> None:
    # PostgREST's coerceBool: case-insensitive letters, or a number (> 0 is true).
    assert load_config(None, {"PGRST_DB_PLAN_ENABLED": raw}).db_plan_enabled is expected
    quoted = raw.replace('"', '\\"')
    assert load_text(tmp_path, f'db-plan-enabled = "{quoted}"\n').db_plan_enabled is expected


def test_log_query_accepts_postgrest_13_words(tmp_path: Path) -> None:
    assert load_text(tmp_path, 'log-query = "main-query"\n').log_query is True
    assert load_text(tmp_path, 'log-query = "disabled"\n').log_query is False


def test_socket_mode_bare_number(tmp_path: Path) -> None:
    assert load_text(tmp_path, "server-unix-socket-mode = 600\n").server_unix_socket_mode == "600"


def test_empty_string_means_unset(tmp_path: Path) -> None:
    # PostgREST reads "" as "not set" for every key but db-extra-search-path.
    config = load_text(
        tmp_path,
        'db-anon-role = ""\ndb-max-rows = ""\ndb-schemas = ""\ndb-hoisted-tx-settings = ""\n'
        'db-extra-search-path = ""\ndb-plan-enabled = ""\n',
    )
    assert config.db_anon_role is None
    assert config.db_max_rows is None
    assert config.db_schemas == ("public",)
    assert config.db_hoisted_tx_settings == BY_NAME["db-hoisted-tx-settings"].default
    assert config.db_extra_search_path == ()
    assert config.db_plan_enabled is False
    assert config.source("db-anon-role") == "default"


def test_list_values(tmp_path: Path) -> None:
    config = load_text(tmp_path, 'db-extra-search-path = "public, extensions ,"\ndb-schemas = ["a", "b"]\n')
    assert config.db_extra_search_path == ("public", "extensions")
    assert config.db_schemas == ("a", "b")


def test_admin_server_host_follows_server_host(tmp_path: Path) -> None:
    assert load_text(tmp_path, 'server-host = "127.0.0.1"\n').admin_server_host == "127.0.0.1"
    config = load_text(tmp_path, 'server-host = "127.0.0.1"\nadmin-server-host = "0.0.0.0"\n')
    assert config.admin_server_host == "0.0.0.0"


def test_retired_keys_are_ignored_and_listed(tmp_path: Path) -> None:
    path = write(tmp_path, 'raw-media-types = "image/png"\ndb-use-legacy-gucs = false\n')
    config = load_config(path, {})
    assert [(key, origin) for key, origin, _ in config.ignored] == [
        ("raw-media-types", f"{path}:1"),
        ("db-use-legacy-gucs", f"{path}:2"),
    ]


# -- aliases ----------------------------------------------------------------------

ALIAS_VALUES = {
    "db-schema": ('"api"', "api", ("api",)),
    "max-rows": ("50", "50", 50),
    "pre-request": ('"api.check"', "api.check", "api.check"),
    "root-spec": ('"root"', "root", "root"),
    "role-claim-key": ('".roles[0]"', ".roles[0]", ".roles[0]"),
    "secret-is-base64": ("true", "true", True),
    "server-proxy-uri": ('"https://example.com/api"', "https://example.com/api", "https://example.com/api"),
    "db-pool-timeout": ("12", "12", 12),
}


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_alias_in_file_and_env(tmp_path: Path, alias: str) -> None:
    literal, env_value, expected = ALIAS_VALUES[alias]
    canonical = BY_NAME[alias]
    extra = f'jwt-secret = "{"QUFB" * 11}"\n' if alias == "secret-is-base64" else ""
    path = write(tmp_path, f"{extra}{alias} = {literal}\n")
    from_file = load_config(path, {})
    assert getattr(from_file, canonical.attr) == expected
    assert from_file.source(canonical.name).startswith(path + ":")
    assert from_file.source(alias) == from_file.source(canonical.name)
    env = {env_name(alias): env_value}
    if alias == "secret-is-base64":
        env["PGRST_JWT_SECRET"] = "QUFB" * 11
    from_env = load_config(None, env)
    assert getattr(from_env, canonical.attr) == expected
    assert from_env.source(canonical.name) == f"env {env_name(alias)}"


def test_canonical_key_wins_over_alias(tmp_path: Path) -> None:
    config = load_text(tmp_path, 'db-schema = "old"\ndb-schemas = "new"\nmax-rows = 1\ndb-max-rows = 2\n')
    assert config.db_schemas == ("new",)
    assert config.db_max_rows == 2
    # Even a canonical value from the file beats an alias from the environment.
    assert load_text(tmp_path, 'db-schemas = "file"\n', {"PGRST_DB_SCHEMA": "env"}).db_schemas == ("file",)


# -- environment --------------------------------------------------------------------


def test_env_overrides_file(tmp_path: Path) -> None:
    config = load_text(
        tmp_path,
        'db-uri = "postgres://file"\ndb-schemas = "file"\ndb-pool = 3\n',
        {
            "PGRST_DB_URI": "postgres://env",
            "PGRST_DB_SCHEMAS": "a, b",
            "PGRST_DB_POOL": "20",
            "PGRST_SERVER_TIMING_ENABLED": "true",
            "PGRST_LOG_LEVEL": "debug",
            "PGRST_DB_MAX_ROWS": "5",
        },
    )
    assert config.db_uri == "postgres://env"
    assert config.db_schemas == ("a", "b")
    assert config.db_pool == 20
    assert config.server_timing_enabled is True
    assert config.log_level == "debug"
    assert config.db_max_rows == 5
    assert config.source("db-uri") == "env PGRST_DB_URI"
    assert config.source("db-pool") == "env PGRST_DB_POOL"


def test_env_empty_string_unsets_the_file_value(tmp_path: Path) -> None:
    config = load_text(tmp_path, 'db-anon-role = "anon"\n', {"PGRST_DB_ANON_ROLE": ""})
    assert config.db_anon_role is None


def test_env_wrong_type() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, {"PGRST_DB_POOL": "x"})
    assert str(info.value) == 'PGRST_DB_POOL: expected an integer, got "x"'


def test_unknown_env_variables_are_ignored() -> None:
    config = load_config(None, {"PGRST_NOT_A_SETTING": "1", "PGRST_RAW_MEDIA_TYPES": "x", "HOME": "/root"})
    assert config == load_config(None, {})


def test_env_app_settings(tmp_path: Path) -> None:
    config = load_text(
        tmp_path,
        'app.settings.app_host = "file"\napp.settings.keep = "kept"\n',
        {"PGRST_APP_SETTINGS_APP_HOST": "env-host", "PGRST_APP_SETTINGS_NEW_KEY": "new"},
    )
    assert config.app_settings == {"app_host": "env-host", "keep": "kept", "new_key": "new"}
    assert config.source("app.settings.app_host") == "env PGRST_APP_SETTINGS_APP_HOST"
    assert config.source("app.settings.new_key") == "env PGRST_APP_SETTINGS_NEW_KEY"


def test_env_is_not_interpolated() -> None:
    assert load_config(None, {"PGRST_DB_ANON_ROLE": "$(HOME)"}).db_anon_role == "$(HOME)"


def test_file_interpolates_from_the_given_environ(tmp_path: Path) -> None:
    config = load_text(tmp_path, 'app.settings.secret = "$(MY_SECRET)"\n', {"MY_SECRET": "s3"})
    assert config.app_settings == {"secret": "s3"}


# -- @file ---------------------------------------------------------------------------


def test_at_file_db_uri_is_stripped(tmp_path: Path) -> None:
    uri_file = tmp_path / "uri"
    uri_file.write_text("  postgres://u:p@h/db \n\n")
    assert load_text(tmp_path, f'db-uri = "@{uri_file}"\n').db_uri == "postgres://u:p@h/db"
    assert load_config(None, {"PGRST_DB_URI": f"@{uri_file}"}).db_uri == "postgres://u:p@h/db"


def test_at_file_jwt_secret_loses_one_newline(tmp_path: Path) -> None:
    secret_file = tmp_path / "jwt"
    secret_file.write_text(SECRET + "  \n")
    config = load_text(tmp_path, f'jwt-secret = "@{secret_file}"\n')
    assert config.jwt_secret == SECRET + "  "
    assert config.source("jwt-secret").endswith("pgrestd.conf:1")


def test_at_file_unreadable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, {"PGRST_JWT_SECRET": "@/run/secrets/jwt-missing"})
    assert (
        str(info.value)
        == "PGRST_JWT_SECRET: cannot read @/run/secrets/jwt-missing: No such file or directory"
    )
    error = error_of(tmp_path, 'db-uri = "@/run/secrets/uri-missing"\n')
    assert error.endswith(
        "pgrestd.conf:1: db-uri: cannot read @/run/secrets/uri-missing: No such file or directory"
    )


def test_at_file_only_for_db_uri_and_jwt_secret(tmp_path: Path) -> None:
    assert load_text(tmp_path, 'db-anon-role = "@anon"\n').db_anon_role == "@anon"


# -- jwt-secret --------------------------------------------------------------------


def test_jwt_secret_forms(tmp_path: Path) -> None:
    jwk = '{"kty":"oct","k":"c2VjcmV0"}'
    jwks = '{"keys": [{"kty":"oct","k":"c2VjcmV0"}]}'
    for secret in (SECRET, jwk, jwks):
        config = config_from_mapping({"jwt-secret": secret})
        assert config.jwt_secret == secret
        assert config.jwt_secret_bytes == secret.encode()
    encoded = "QUFB" * 11  # 33 bytes of "A" once decoded
    config = config_from_mapping({"jwt-secret": encoded, "jwt-secret-is-base64": True})
    assert config.jwt_secret == encoded
    assert config.jwt_secret_bytes == b"A" * 33
    assert config_from_mapping({}).jwt_secret_bytes is None


def test_jwt_secret_base64_errors() -> None:
    with pytest.raises(ConfigError, match="at least 32 characters"):
        config_from_mapping({"jwt-secret": "QUFB", "jwt-secret-is-base64": True})
    with pytest.raises(ConfigError, match="not valid base64"):
        config_from_mapping({"jwt-secret": "***not base64***" * 3, "jwt-secret-is-base64": True})


def test_jwt_secret_base64url_characters() -> None:
    raw = bytes(range(200, 240))
    import base64

    encoded = base64.urlsafe_b64encode(raw).decode().replace("=", ".")
    assert config_from_mapping({"jwt-secret": encoded, "jwt-secret-is-base64": True}).jwt_secret_bytes == raw


def test_jwt_key_is_the_decoded_secret() -> None:
    import base64

    jwk = {"kty": "oct", "k": "c2VjcmV0"}
    jwks = {"keys": [jwk]}

    def key(secret: str, is_base64: bool = False) -> object:
        return config_from_mapping({"jwt-secret": secret, "jwt-secret-is-base64": is_base64}).jwt_key

    assert config_from_mapping({}).jwt_key is None
    assert key(" " + SECRET + "\t") == (" " + SECRET + "\t").encode()  # as given, not stripped
    raw = bytes(range(200, 240))
    assert key(base64.urlsafe_b64encode(raw).decode().replace("=", "."), True) == raw
    assert key(json.dumps(jwks)) == jwks
    assert key(json.dumps(jwk)) == jwks  # a single JWK is a set of one
    assert key(base64.b64encode(json.dumps(jwks).encode()).decode(), True) == jwks
    assert key('{"not": "a key"}' + " " * 32) == ('{"not": "a key"}' + " " * 32).encode()


# -- Config API ----------------------------------------------------------------------


def test_values_and_sources(tmp_path: Path) -> None:
    path = write(tmp_path, 'db-pool = 4\napp.settings.a = "b"\n')
    config = load_config(path, {"PGRST_DB_ANON_ROLE": "anon"})
    values = config.values()
    assert list(values)[: len(SETTINGS)] == [s.name for s in SETTINGS]
    assert values["db-pool"] == 4
    assert values["app.settings.a"] == "b"
    assert config.source("db-pool") == f"{path}:1"
    assert config.source("db-anon-role") == "env PGRST_DB_ANON_ROLE"
    assert config.source("db-uri") == "default"
    assert config.source("app.settings.a") == f"{path}:2"
    with pytest.raises(KeyError):
        config.source("nope")


def test_replace() -> None:
    base = config_from_mapping({"server-host": "127.0.0.1", "db-anon-role": "anon"}, "test")
    changed = base.replace(db_pool=3, db_schemas="a,b", db_anon_role=None)
    assert (changed.db_pool, changed.db_schemas, changed.db_anon_role) == (3, ("a", "b"), None)
    assert changed.server_host == "127.0.0.1"
    assert changed.source("db-pool") == "override"
    assert changed.source("server-host") == "test"
    assert base.db_pool == 10
    labelled = base.replace("command line", server_port=8080)
    assert labelled.source("server-port") == "command line"
    # The admin host still follows server-host when it was never set.
    assert base.replace(server_host="10.0.0.1").admin_server_host == "10.0.0.1"
    assert base.replace(app_settings={"x": "y"}).app_settings == {"x": "y"}
    with pytest.raises(ConfigError, match="db-pool: must be at least 1"):
        base.replace(db_pool=0)
    with pytest.raises(ConfigError, match='unknown configuration key "db_shemas"'):
        base.replace(db_shemas="x")


def test_config_is_frozen() -> None:
    config = load_config(None, {})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.db_pool = 3  # type: ignore[misc]


def test_config_from_mapping() -> None:
    config = config_from_mapping(
        {
            "db-pool": "5",
            "db_max_rows": 10,
            "db-schema": ("x", "y"),
            "db-plan-enabled": "true",
            "app.settings.k": "v",
            "jwt-secret": SECRET,
        },
        "cli",
    )
    assert (config.db_pool, config.db_max_rows, config.db_schemas) == (5, 10, ("x", "y"))
    assert config.db_plan_enabled is True
    assert config.app_settings == {"k": "v"}
    assert config.source("db-pool") == "cli"
    with pytest.raises(ConfigError) as info:
        config_from_mapping({"db-pool": "many"}, "cli")
    assert str(info.value) == 'cli: db-pool: expected an integer, got "many"'
    with pytest.raises(ConfigError, match='cli: unknown configuration key "bogus"'):
        config_from_mapping({"bogus": 1}, "cli")


def test_worker_count() -> None:
    assert config_from_mapping({}).worker_count(cpus=2) == 3
    assert config_from_mapping({"db-pool": 3}).worker_count(cpus=8) == 3
    assert config_from_mapping({"server-workers": 7}).worker_count(cpus=1) == 7
    assert config_from_mapping({}).worker_count() >= 1


# -- dumps ------------------------------------------------------------------------------


def reparse(tmp_path: Path, text: str) -> Config:
    return load_config(write(tmp_path, text, "dump.conf"), {})


def test_dump_format() -> None:
    dump = dump_config(config_from_mapping({"db-max-rows": 5, "app.settings.z": "1"}))
    lines = dump.splitlines()
    assert lines[:3] == ['db-uri = "postgresql://"', 'db-schemas = "public"', 'db-anon-role = ""']
    assert "db-max-rows = 5" in lines
    assert "db-pool-automatic-recovery = true" in lines
    assert lines[-1] == 'app.settings.z = "1"'
    assert [line.split(" = ")[0] for line in lines[: len(SETTINGS)]] == [s.name for s in SETTINGS]


def test_dump_round_trip_defaults(tmp_path: Path) -> None:
    config = load_config(None, {})
    assert reparse(tmp_path, dump_config(config)) == config


def test_dump_round_trip_rich(tmp_path: Path) -> None:
    config = config_from_mapping(
        {
            "db-uri": "host=/tmp password='p\"w$x\\\\y' dbname=app",
            "db-schemas": 'api, v1, SPECIAL "@/\\#~_-',
            "db-anon-role": "web anon",
            "db-extra-search-path": "",
            "db-hoisted-tx-settings": ",",
            "db-max-rows": 1000,
            "db-tx-end": "rollback",
            "jwt-secret": '{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "$ecret"}]}',
            "jwt-aud": "urn:aud",
            "server-host": "*",
            "server-port": 0,
            "server-cors-allowed-origins": "https://a.example,https://b.example",
            "server-trace-header": "X-Request-Id",
            "admin-server-port": 3001,
            "log-query": True,
            "server-worker-class": "gthread",
            "server-threads": 4,
            "app.settings.multi": "line1\nline2\ttab \u0001 $HOME",
            "app.settings.other": "x",
        }
    )
    assert config.db_hoisted_tx_settings == ()
    back = reparse(tmp_path, dump_config(config))
    assert back == config
    assert back.values() == config.values()


@given(st.text())
def test_quote_round_trips_any_string(text: str) -> None:
    assert parse_conf_text(f"a = {quote(text)}\n", "f", environ={})["a"][0] == text


def test_errors_stay_on_one_line(tmp_path: Path) -> None:
    error = error_of(tmp_path, 'db-pool = "1\\n2\\u0007"\n')
    assert error.endswith('pgrestd.conf:1: db-pool: expected an integer, got "1\\n2\\u0007"')
    assert "\n" not in error


def test_example_file_is_in_sync() -> None:
    conf = (ROOT / "conf" / "pgrestd.conf").read_text(encoding="utf-8")
    assert conf == example_config(), "regenerate conf/pgrestd.conf from pgrestd.config.example_config()"


def test_example_file_mentions_every_key() -> None:
    conf = (ROOT / "conf" / "pgrestd.conf").read_text(encoding="utf-8")
    for s in SETTINGS:
        assert re.search(rf"^# {re.escape(s.name)} = ", conf, re.MULTILINE), s.name
    assert "app.settings." in conf


def test_example_file_loads_to_the_defaults(tmp_path: Path) -> None:
    assert reparse(tmp_path, example_config()) == load_config(None, {})


def test_example_values_are_valid(tmp_path: Path) -> None:
    # Uncommenting every key of the example must give a loadable file.
    text = re.sub(r"^# ([a-z][a-z0-9._-]+ = )", r"\1", example_config(), flags=re.MULTILINE)
    config = load_config(write(tmp_path, text, "all.conf"), {"MYAPP_JWT_SECRET": "s"})
    assert config.db_anon_role == "anon"
    assert config.app_settings == {"jwt_secret": "s"}


# -- the conformance suite's configs ------------------------------------------------------


def _conf_literal(value: object) -> str:
    # Mirrors /work/shared/conformance/run.py conf_literal().
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _conformance_groups() -> list[tuple[str, dict[str, object]]]:
    if not CONFORMANCE_CONFIGS.exists():
        return []
    with CONFORMANCE_CONFIGS.open(encoding="utf-8") as f:
        data = json.load(f, parse_float=Decimal)
    return sorted((name, group["settings"]) for name, group in data["groups"].items())


@pytest.mark.skipif(not CONFORMANCE_CONFIGS.exists(), reason="conformance suite not present")
@pytest.mark.parametrize(("group", "settings"), _conformance_groups() or [("none", {})])
def test_conformance_config_groups_load(tmp_path: Path, group: str, settings: dict[str, object]) -> None:
    full = dict(settings)
    full["db-uri"] = "postgresql://Postgrest_Test_Authenticator:pw@127.0.0.1:5432/postgres"
    full["server-host"] = "127.0.0.1"
    full["server-port"] = 41234
    path = tmp_path / "group.conf"
    with path.open("w", encoding="utf-8") as f:
        f.write(f"# config group: {group}\n")
        for key, value in full.items():
            f.write(f"{key} = {_conf_literal(value)}\n")
    environ = {env_name(k): v if isinstance(v, str) else _conf_literal(v) for k, v in full.items()}

    both = load_config(str(path), environ)
    assert both.values() == load_config(str(path), {}).values() == load_config(None, environ).values()
    for key, value in full.items():
        if key.startswith("app.settings."):
            assert both.app_settings[key.removeprefix("app.settings.")] == value
        elif BY_NAME[key].kind == "list":
            assert getattr(both, BY_NAME[key].attr) == tuple(
                p.strip() for p in str(value).split(",") if p.strip()
            )
        else:
            assert getattr(both, BY_NAME[key].attr) == value, key
