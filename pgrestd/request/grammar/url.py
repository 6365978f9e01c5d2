"""The query string's URL codec: percent-decoding, splitting into parameters, UTF-8 and canonical encoding."""

from __future__ import annotations

import re
from operator import itemgetter
from urllib.parse import quote_from_bytes, unquote_to_bytes

from ...errors import QueryParamError

__all__ = ["canonical", "decode_utf8", "split_query", "url_decode", "url_encode"]

# http-types' parseQueryReplacePlus splits on both '&' and ';'.
_SEPARATORS = re.compile(b"[&;]")

# The bytes Network.HTTP.Base.urlEncode leaves as they are.
_URL_SAFE = re.compile(rb"[A-Za-z0-9_.~-]*")


def url_decode(raw: bytes) -> bytes:
    """http-types' urlDecode: '+' is a space, %XX with two hex digits is a byte, any other '%' stays.

    Public because the plan cache decodes values inside still-encoded query
    strings and must decode them exactly as the grammar does.
    """
    if b"+" in raw:
        raw = raw.replace(b"+", b" ")
    if b"%" in raw:
        raw = unquote_to_bytes(raw)
    return raw


def url_encode(raw: bytes) -> str:
    """Percent-encode all but ``A-Za-z0-9-_.~``, as the canonical query string does.

    Public because the plan cache rebuilds canonical query strings
    (Content-Location) with substituted values and must encode them exactly
    as the grammar does.
    """
    if _URL_SAFE.fullmatch(raw):
        return raw.decode("ascii")
    return quote_from_bytes(raw, safe="")


def split_query(query: str | bytes) -> list[tuple[bytes, bytes | None]]:
    """The raw ``(key, value)`` pairs; a parameter without ``=`` has no value.

    A str is taken as WSGI delivers QUERY_STRING (PEP 3333: bytes decoded as
    Latin-1); text that Latin-1 cannot hold is encoded as UTF-8.
    """
    if isinstance(query, str):
        try:
            raw = query.encode("latin-1")
        except UnicodeEncodeError:
            raw = query.encode("utf-8")
    else:
        raw = query
    if not raw:
        return []
    parts = _SEPARATORS.split(raw)
    if not parts[-1]:
        parts.pop()  # http-types stops at a trailing separator but keeps empty items elsewhere
    pairs: list[tuple[bytes, bytes | None]] = []
    for part in parts:
        key, eq, value = part.partition(b"=")
        pairs.append((url_decode(key), url_decode(value) if eq else None))
    return pairs


def decode_utf8(raw: bytes, index: int, what: str) -> str:
    """A decoded key or value as text; a client error (not PostgREST's 500) when it is not UTF-8.

    ``index`` (from 0) and ``what`` ("key" or "value") say where, in the details.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # PostgREST's T.decodeUtf8 throws here and the request dies with a 500;
        # a client error says the same thing more usefully.
        raise QueryParamError(
            "Invalid UTF-8 in the query string",
            details=f"the {what} of parameter {index + 1} is not valid UTF-8 once percent-decoded",
        ) from None


def canonical(pairs: list[tuple[bytes, bytes | None]]) -> str:
    """``qsCanonical``: parameters sorted by key, repeated keys joined with commas.

    Network.HTTP.Base.urlEncodeVars over a stable sort, percent-encoding all
    but ``A-Za-z0-9-_.~``.  PostgREST feeds it bytes as Latin-1 characters, so
    non-ASCII comes out encoded twice; here each UTF-8 byte is encoded once.
    """
    out: list[str] = []
    previous: bytes | None = None
    for key, value in sorted(pairs, key=itemgetter(0)):
        encoded = url_encode(value) if value else ""
        if out and key == previous:
            out[-1] += "," + encoded
        else:
            out.append(url_encode(key) + "=" + encoded)
            previous = key
    return "&".join(out)
