"""Quoting and small SQL pieces shared by the statement builders.

Identifiers are quoted here and nowhere else; values never enter SQL text,
they travel as bind parameters (``%s`` placeholders for psycopg).
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["ident", "qualified", "literal_text", "quote_ident"]


def quote_ident(name: str) -> str:
    """A double-quoted identifier, as libpq's PQescapeIdentifier makes it.

    For text that is not a psycopg query with parameters: a ``search_path``
    value, or a statement run without parameters.  NUL characters cannot be
    part of an identifier and are dropped, as PostgREST's escapeIdent does.
    """
    return '"' + name.replace("\x00", "").replace('"', '""') + '"'


@lru_cache(maxsize=4096)
def ident(name: str) -> str:
    """A quoted identifier for SQL text that psycopg formats with parameters.

    ``%`` is doubled there, or psycopg would read it as a placeholder; every
    statement built from these fragments is run with a parameter tuple.
    """
    return quote_ident(name).replace("%", "%%")


def qualified(schema: str, name: str) -> str:
    return ident(schema) + "." + ident(name)


def literal_text(value: str) -> str:
    """A string literal for text that comes from the configuration, never a request."""
    if "\x00" in value:
        raise ValueError("literal contains NUL")
    return "'" + value.replace("'", "''").replace("%", "%%") + "'"
