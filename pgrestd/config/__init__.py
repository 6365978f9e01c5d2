"""PostgREST-compatible configuration: the key registry, postgrest.conf and PGRST_* parsing, and dumps."""

from __future__ import annotations

from .dump import dump_config, example_config
from .parse import Config, config_from_mapping, decode_jwt_secret, load_config, load_jwks, parse_conf_text
from .settings import SETTINGS, ConfigError, Setting, env_name

__all__ = [
    "SETTINGS",
    "Config",
    "ConfigError",
    "Setting",
    "config_from_mapping",
    "decode_jwt_secret",
    "dump_config",
    "env_name",
    "example_config",
    "load_config",
    "load_jwks",
    "parse_conf_text",
]
