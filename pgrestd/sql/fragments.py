"""Quoting and small SQL pieces shared by the statement builders.

Identifiers are quoted here and nowhere else; values never enter SQL text,
they travel as bind parameters (``%s`` placeholders for psycopg).
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["ident", "qualified", "literal_text", "quote_ident", "sql_text"]


def quote_ident(name: str) -> str:
    """A double-quoted identifier, as libpq's PQescapeIdentifier makes it.

    For text that is not a psycopg query with parameters: a ``search_path``
    value, or a statement run without parameters.  NUL characters cannot be
    part of an identifier and are dropped, as PostgREST's escapeIdent does.
    """
    return '"' + name.replace("\x00", "").replace('"', '""') + '"'


def sql_text(text: str) -> str:
    """Text spliced into a statement run with parameters: ``%`` doubled, or psycopg would read a placeholder.

    The one place that escapes ``%``: identifiers, configuration literals and
    SQL from the catalog (type names, default expressions) all pass here.
    """
    return text.replace("%", "%%")


@lru_cache(maxsize=4096)
def ident(name: str) -> str:
    """A quoted identifier for SQL text that psycopg formats with parameters.

    ``%`` is doubled there, or psycopg would read it as a placeholder; every
    statement built from these fragments is run with a parameter tuple.
    """
    return sql_text(quote_ident(name))


def qualified(schema: str, name: str) -> str:
    return ident(schema) + "." + ident(name)


def literal_text(value: str) -> str:
    """A string literal for text that comes from the configuration, never a request."""
    if "\x00" in value:
        raise ValueError("literal contains NUL")
    return sql_text("'" + value.replace("'", "''") + "'")
