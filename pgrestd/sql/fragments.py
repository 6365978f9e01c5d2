"""Quoting and small SQL pieces shared by the statement builders.

Identifiers are quoted here and nowhere else; values never enter SQL text,
they travel as bind parameters (``%s`` placeholders for psycopg).
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["ident", "qualified", "literal_text"]


@lru_cache(maxsize=4096)
def ident(name: str) -> str:
    """A double-quoted identifier, as libpq's PQescapeIdentifier makes it.

    PostgreSQL identifiers cannot contain NUL; callers validate names against
    the catalog first, so a NUL here is a programming error.
    """
    if "\x00" in name:
        raise ValueError("identifier contains NUL")
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, name: str) -> str:
    return ident(schema) + "." + ident(name)


def literal_text(value: str) -> str:
    """A string literal for text that comes from the configuration, never a request."""
    if "\x00" in value:
        raise ValueError("literal contains NUL")
    return "'" + value.replace("'", "''") + "'"
