"""Writing configuration back out: --dump-config (the effective values) and --example (the annotated file)."""

from __future__ import annotations

import textwrap

from .parse import Config
from .settings import BY_NAME, GROUPS, SETTINGS, Setting

__all__ = ["dump_config", "example_config", "quote", "render_value"]

_WIDTH = 78


def quote(text: str) -> str:
    """A double-quoted string the parser reads back unchanged; "$" is doubled against interpolation."""
    out = ['"']
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "$":
            out.append("$$")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def render_value(setting: Setting, value: object) -> str:
    """A value in the file syntax: numbers and booleans bare, strings and lists quoted, unset as ""."""
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        if not value and setting.default and not setting.emptyable:
            # "" would mean "use the default list"; a lone comma reads back as an empty list.
            return '","'
        return quote(",".join(value))
    assert isinstance(value, str), (setting.name, value)
    return quote(value)


def dump_config(config: Config) -> str:
    """Every key in registry order, then app.settings.*; parse_conf_text reads it back to the same Config."""
    lines = [f"{s.name} = {render_value(s, getattr(config, s.attr))}" for s in SETTINGS]
    lines += [f"app.settings.{key} = {quote(value)}" for key, value in config.app_settings.items()]
    return "\n".join(lines) + "\n"


_HEADER = """\
# pgrestd configuration. The format and the keys are PostgREST's postgrest.conf,
# so an existing postgrest.conf works as it is; keys marked "pgrestd extension"
# are pgrestd's own.
#
# Syntax: one `key = value` per line. Strings are double-quoted, with the
# escapes \\" \\\\ \\n \\t; numbers and true/false are bare; "#" starts a comment.
# Inside a string, "$(NAME)" is replaced by the environment variable NAME, so a
# literal "$" is written "$$".
#
# Environment: every key can be set with PGRST_ followed by the key in upper
# case with "-" and "." turned into "_" (db-uri -> PGRST_DB_URI,
# app.settings.name -> PGRST_APP_SETTINGS_NAME); it overrides this file.
#
# Each key below is commented out and shows its default value, or an example
# value when it has no default. `pgrestd --dump-config FILE` prints the values
# in effect.
"""

_APP_SETTINGS = """\
## app.settings.*: any number of values passed to every request's transaction,
## readable in SQL with current_setting('app.settings.name'); typically secrets
## taken from the environment.
# app.settings.jwt_secret = "$(MYAPP_JWT_SECRET)"
"""


def _comment(text: str) -> list[str]:
    return textwrap.wrap(
        text,
        _WIDTH,
        initial_indent="## ",
        subsequent_indent="## ",
        break_on_hyphens=False,
        break_long_words=False,
    )


def _example_entry(s: Setting) -> list[str]:
    lines = _comment(s.doc)
    notes = []
    if s.aliases:
        notes.append("Also accepted as " + ", ".join(s.aliases) + ".")
    if s.extension:
        notes.append("pgrestd extension.")
    if s.fallback:
        notes.append(f"Default: the value of {s.fallback}.")
    elif s.default in (None, ()):
        notes.append("Default: unset." + (" Example:" if s.example is not None else ""))
    if notes:
        lines += _comment(" ".join(notes))
    if s.fallback:
        shown = render_value(s, BY_NAME[s.fallback].default)
    elif s.default in (None, ()) and s.example is not None:
        shown = render_value(s, s.example)
    else:
        shown = render_value(s, s.default)
    lines.append(f"# {s.name} = {shown}")
    return lines


def example_config() -> str:
    """The annotated example file from the registry; conf/pgrestd.conf is a copy, kept in step by a test."""
    lines = [_HEADER.rstrip("\n")]
    current = None
    for s in SETTINGS:
        group = next(((p, title) for p, title in GROUPS if s.name.startswith(p)), None)
        assert group is not None, s.name
        if group != current:
            current = group
            lines += ["", "", f"# {'-' * (_WIDTH - 2)}", f"# {group[1]}", f"# {'-' * (_WIDTH - 2)}"]
        lines.append("")
        lines += _example_entry(s)
    lines += ["", "", f"# {'-' * (_WIDTH - 2)}", "# Values for SQL", f"# {'-' * (_WIDTH - 2)}", ""]
    lines.append(_APP_SETTINGS.rstrip("\n"))
    return "\n".join(lines) + "\n"
