"""Media types, shared by every stage: decoding Accept and Content-Type, the one negotiator, Content-Type strings."""

from __future__ import annotations

import enum
import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .errors import MediaTypeError

__all__ = [
    "ANY",
    "ARRAY_STRIPPED",
    "BUILTIN_HANDLERS",
    "CSV",
    "GEOJSON",
    "JSON",
    "MERMAID",
    "OBJECT",
    "OBJECT_STRIPPED",
    "OCTET_STREAM",
    "OPENAPI",
    "OPENAPI_20",
    "OPENAPI_31",
    "PLAN_OPTIONS",
    "RAML",
    "ROOT_HANDLERS",
    "TEXT_PLAIN",
    "TEXT_XML",
    "URLENCODED",
    "MediaKind",
    "MediaType",
    "Negotiated",
    "decode_media_type",
    "negotiate",
    "other",
    "parse_accept",
    "parse_content_type",
    "plan",
]


class MediaKind(enum.StrEnum):
    """The media types PostgREST knows by name (MediaType.hs); the value is the bare mime."""

    JSON = "application/json"
    GEOJSON = "application/geo+json"
    CSV = "text/csv"
    TEXT_PLAIN = "text/plain"
    TEXT_XML = "text/xml"
    OPENAPI = "application/openapi+json"
    URLENCODED = "application/x-www-form-urlencoded"
    OCTET_STREAM = "application/octet-stream"
    ANY = "*/*"
    ARRAY = "application/vnd.pgrst.array+json"
    OBJECT = "application/vnd.pgrst.object+json"
    PLAN = "application/vnd.pgrst.plan"
    # pgrestd's own descriptions of the API (pgrestd.describe); PostgREST has no name for them.
    MERMAID = "text/vnd.mermaid"
    RAML = "application/raml+yaml"
    OTHER = ""


# The EXPLAIN options application/vnd.pgrst.plan takes, in the order PostgREST prints them.
PLAN_OPTIONS: tuple[str, ...] = ("analyze", "verbose", "settings", "buffers", "wal")

# PostgREST's toContentType adds no charset to these.  MERMAID and RAML were
# MTOther to PostgREST: a custom handler producing them keeps its bare type.
_NO_CHARSET = frozenset((MediaKind.OCTET_STREAM, MediaKind.OTHER, MediaKind.MERMAID, MediaKind.RAML))


@dataclass(frozen=True, slots=True, repr=False)
class MediaType:
    """One media type as PostgREST models it.

    ``nulls_stripped`` is the ``;nulls=stripped`` parameter of the vendor
    object/array types (an ``ARRAY`` is always stripped: a plain
    ``vnd.pgrst.array+json`` decodes to application/json).  ``name`` is the
    media type exactly as received for ``OTHER`` (custom handlers).  The
    ``plan_*`` fields describe ``application/vnd.pgrst.plan``; ``version``
    is the ``version`` parameter of application/openapi+json, empty for
    PostgREST's Swagger 2.0 document.
    """

    kind: MediaKind
    nulls_stripped: bool = False
    name: str = ""
    plan_for: MediaType | None = None
    plan_format: str = "text"
    plan_options: tuple[str, ...] = ()
    version: str = ""

    @property
    def mime(self) -> str:
        """The media type string PostgREST prints (MediaType.toMime), also used in PGRST107."""
        kind = self.kind
        if kind is MediaKind.OTHER:
            return self.name
        if kind is MediaKind.ARRAY or (kind is MediaKind.OBJECT and self.nulls_stripped):
            return kind.value + ";nulls=stripped"
        if kind is MediaKind.PLAN:
            target = JSON if self.plan_for is None else self.plan_for
            text = f'{kind.value}+{self.plan_format}; for="{target.mime}"'
            if self.plan_options:
                text += "; options=" + "|".join(self.plan_options)
            return text
        if self.version:
            return f"{kind.value}; version={self.version}"
        return kind.value

    def __repr__(self) -> str:
        return f"MediaType({self.mime!r})"

    @property
    def content_type_header(self) -> str:
        """The Content-Type PostgREST sends for this type (MediaType.toContentType)."""
        if self.kind in _NO_CHARSET:
            return self.mime
        return self.mime + "; charset=utf-8"


JSON = MediaType(MediaKind.JSON)
GEOJSON = MediaType(MediaKind.GEOJSON)
CSV = MediaType(MediaKind.CSV)
TEXT_PLAIN = MediaType(MediaKind.TEXT_PLAIN)
TEXT_XML = MediaType(MediaKind.TEXT_XML)
OPENAPI = MediaType(MediaKind.OPENAPI)
OPENAPI_31 = MediaType(MediaKind.OPENAPI, version="3.1")
OPENAPI_20 = MediaType(MediaKind.OPENAPI, version="2.0")
MERMAID = MediaType(MediaKind.MERMAID)
RAML = MediaType(MediaKind.RAML)
URLENCODED = MediaType(MediaKind.URLENCODED)
OCTET_STREAM = MediaType(MediaKind.OCTET_STREAM)
ANY = MediaType(MediaKind.ANY)
ARRAY_STRIPPED = MediaType(MediaKind.ARRAY, nulls_stripped=True)
OBJECT = MediaType(MediaKind.OBJECT)
OBJECT_STRIPPED = MediaType(MediaKind.OBJECT, nulls_stripped=True)

# SchemaCache.initialMediaHandlers: what tables, views and functions produce
# before custom handlers are added; */* resolves to JSON.
BUILTIN_HANDLERS: Mapping[MediaType, MediaType] = {ANY: JSON, JSON: JSON, CSV: CSV, GEOJSON: GEOJSON}

# Plan.inspectPlan: the root endpoint answers OpenAPI to any of these.
ROOT_HANDLERS: Mapping[MediaType, MediaType] = {OPENAPI: OPENAPI, JSON: OPENAPI, ANY: OPENAPI}


def other(name: str) -> MediaType:
    """A media type PostgREST has no name for, kept verbatim (custom handlers match it exactly)."""
    return MediaType(MediaKind.OTHER, name=name)


def plan(for_: MediaType = JSON, fmt: str = "text", options: Iterable[str] = ()) -> MediaType:
    """``application/vnd.pgrst.plan+<fmt>; for="<for_>"; options=...``; options keep PostgREST's order."""
    wanted = frozenset(options)
    return MediaType(
        MediaKind.PLAN,
        plan_for=for_,
        plan_format=fmt,
        plan_options=tuple(option for option in PLAN_OPTIONS if option in wanted),
    )


# -- decoding -------------------------------------------------------------------

# Haskell's isSpace below U+0378, which Parsec's `spaces` skips.
_HS_SPACE = " \t\n\v\f\r\xa0"

_SIMPLE: Mapping[tuple[str, str], MediaType] = {
    ("application", "json"): JSON,
    ("application", "geo+json"): GEOJSON,
    ("text", "csv"): CSV,
    ("text", "plain"): TEXT_PLAIN,
    ("text", "xml"): TEXT_XML,
    ("application", "openapi+json"): OPENAPI,
    ("text", "vnd.mermaid"): MERMAID,
    ("application", "raml+yaml"): RAML,
    ("application", "x-www-form-urlencoded"): URLENCODED,
    ("application", "octet-stream"): OCTET_STREAM,
    ("*", "*"): ANY,
}
_PLAN_FORMATS: Mapping[str, str] = {
    "vnd.pgrst.plan": "text",
    "vnd.pgrst.plan+text": "text",
    "vnd.pgrst.plan+json": "json",
}
_OBJECT_SUBTYPES = frozenset(("vnd.pgrst.object+json", "vnd.pgrst.object"))
_ARRAY_SUBTYPES = frozenset(("vnd.pgrst.array+json", "vnd.pgrst.array"))


def _run(text: str, start: int, extra: str) -> int:
    """End of the run of alphanumerics or ``extra`` characters starting at ``start``."""
    end, size = start, len(text)
    while end < size and (text[end].isalnum() or text[end] in extra):
        end += 1
    return end


def _skip_spaces(text: str, start: int) -> int:
    end, size = start, len(text)
    while end < size and text[end] in _HS_SPACE:
        end += 1
    return end


def _tokenize(text: str) -> tuple[str, str, list[tuple[str, str]]] | None:
    """Split ``type/subtype; key=value; key="value"`` as MediaType.tokenizeMediaType does.

    Why so lenient: PostgREST's parser stops at the first thing it cannot read
    and keeps what it has, so trailing garbage never makes a type unknown.
    """
    main_end = _run(text, 0, ".*")
    if main_end == 0 or main_end >= len(text) or text[main_end] != "/":
        return None
    sub_end = _run(text, main_end + 1, ".*+-")
    if sub_end == main_end + 1:
        return None
    params: list[tuple[str, str]] = []
    pos, size = sub_end, len(text)
    while True:
        at = _skip_spaces(text, pos)
        if at >= size or text[at] != ";":
            break
        key_start = _skip_spaces(text, at + 1)
        key_end = _run(text, key_start, "-")
        if key_end == key_start:
            break
        at = _skip_spaces(text, key_end)
        if at >= size or text[at] != "=":
            break
        value_start = _skip_spaces(text, at + 1)
        if value_start < size and text[value_start] == '"':
            close = text.find('"', value_start + 1)
            if close < 0:
                break
            params.append((text[key_start:key_end], text[value_start + 1 : close]))
            pos = close + 1
        else:
            value_end = _run(text, value_start, "|-.")  # "." for version=3.1 (an RFC 9110 tchar)
            if value_end == value_start:
                break
            params.append((text[key_start:key_end], text[value_start:value_end]))
            pos = value_end
    return text[:main_end], text[main_end + 1 : sub_end], params


def decode_media_type(text: str) -> MediaType:
    """One media type from its text (MediaType.decodeMediaType); never fails.

    Type and subtype are case-insensitive (PostgREST issue #3478), parameter
    names too (RFC 2045 §5.1); an unknown or unparsable type becomes
    :func:`other` with the text unchanged.
    """
    tokens = _tokenize(text)
    if tokens is None:
        return other(text)
    main, sub, raw_params = tokens
    main, sub = main.lower(), sub.lower()
    simple = _SIMPLE.get((main, sub))
    if simple is OPENAPI and raw_params:
        return _openapi_version({key.lower(): value for key, value in raw_params}.get("version"))
    if simple is not None:
        return simple
    if main != "application":
        return other(text)
    # dict() keeps the last of repeated names, as Haskell's Map.fromList does.
    params = {key.lower(): value for key, value in raw_params}
    fmt = _PLAN_FORMATS.get(sub)
    if fmt is not None:
        return plan(
            decode_media_type(params.get("for", "application/json")),
            fmt,
            params.get("options", "").split("|"),
        )
    stripped = params.get("nulls") == "stripped"
    if sub in _OBJECT_SUBTYPES:
        return OBJECT_STRIPPED if stripped else OBJECT
    if sub in _ARRAY_SUBTYPES:
        return ARRAY_STRIPPED if stripped else JSON
    return other(text)


def _openapi_version(version: str | None) -> MediaType:
    """``application/openapi+json;version=``: 2 or 2.0 is PostgREST's document, 3 or 3.1[.x] pgrestd's 3.1.

    Without a version it stays OPENAPI, which the root answers with 3.1 (see pgrestd.describe).
    Another version stays what it asked for, which nothing produces (PGRST107).
    """
    if version is None:
        return OPENAPI
    major, _, rest = version.partition(".")
    minor = rest.partition(".")[0]
    if major == "2" and minor in ("", "0"):
        return OPENAPI_20
    if major == "3" and minor in ("", "1"):
        return OPENAPI_31
    return MediaType(MediaKind.OPENAPI, version=version)


@lru_cache(maxsize=256)
def parse_content_type(header: str | None) -> MediaType:
    """The request body's media type; a request without Content-Type is JSON (ApiRequest.hs)."""
    if header is None:
        return JSON
    return decode_media_type(header)


# Text.Read.Lex numbers: hexadecimal and octal win over decimal (`lexHexOct <++ lexDecNumber`).
_HS_NUMBER = re.compile(
    r"0[xX](?P<hex>[0-9a-fA-F]+)|0[oO](?P<oct>[0-7]+)|(?P<dec>[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"
)
# Characters Text.Read.Lex glues onto a leading "-" to form another operator.
_HS_SYMBOL_CHARS = frozenset("!#$%&*+-./:<=>?@\\^|~")
_HS_IDENTS: Mapping[str, float] = {"NaN": math.nan, "Infinity": math.inf}


def _read_q(text: str) -> float:
    """The q-value wai-extra's parseHttpAccept reads: Haskell's ``reads`` for Double, else 1."""
    parsed = _read_double(text)
    return 1.0 if parsed is None else parsed[0]


def _read_double(text: str) -> tuple[float, str] | None:
    """A leading Haskell Double literal and the text after it (``reads``, first parse)."""
    s = text.lstrip(_HS_SPACE)
    parens = 0
    while s.startswith("("):
        parens, s = parens + 1, s[1:].lstrip(_HS_SPACE)
    negative = s.startswith("-")
    if negative:
        if len(s) > 1 and s[1] in _HS_SYMBOL_CHARS:
            return None
        s = s[1:].lstrip(_HS_SPACE)
    if s[:1].isalpha() or s[:1] == "_":
        end = 1
        while end < len(s) and (s[end].isalnum() or s[end] in "_'"):
            end += 1
        ident = _HS_IDENTS.get(s[:end])
        if ident is None:
            return None
        value, rest = ident, s[end:]
    else:
        match = _HS_NUMBER.match(s)
        if match is None:
            return None
        rest = s[match.end() :]
        if match["dec"] is not None:
            value = float(match["dec"])
        else:
            integer = int(match["hex"], 16) if match["hex"] is not None else int(match["oct"], 8)
            try:
                value = float(integer)
            except OverflowError:
                value = math.inf
    for _ in range(parens):
        rest = rest.lstrip(_HS_SPACE)
        if not rest.startswith(")"):
            return None
        rest = rest[1:]
    return (-value if negative else value), rest


def _best_first(left: tuple[str, tuple[float, int]], right: tuple[str, tuple[float, int]]) -> int:
    """wai-extra's ``flip compare`` on (q, specificity), with Haskell's NaN-is-greater ``compare``."""
    for a, b in zip(right[1], left[1]):
        if a < b:
            return -1
        if a != b:
            return 1
    return 0


@lru_cache(maxsize=256)
def parse_accept(header: str | None) -> tuple[MediaType, ...]:
    """The Accept header as a list, best first, exactly as PostgREST reads it.

    PostgREST uses wai-extra's parseHttpAccept: spaces are dropped, everything
    from ``;q=`` on is cut off, entries are sorted (stably) by q-value, then by
    specificity (``;`` count minus ``*`` count), both descending.  No Accept
    header means ``*/*``; an empty one means nothing is acceptable.  Entries
    with ``q=0`` stay in the list, last.
    """
    if header is None:
        return (ANY,)
    if not header:
        return ()
    entries: list[tuple[str, tuple[float, int]]] = []
    for raw in header.split(","):
        entry = raw.replace(" ", "")
        cut = entry.find(";q=")
        if cut < 0:
            q = 1.0
        else:
            q = _read_q(entry[cut + 3 :].split(";", 1)[0])
            entry = entry[:cut]
        entries.append((entry, (q, entry.count(";") - entry.count("*"))))
    if any(math.isnan(q) for _, (q, _) in entries):
        entries.sort(key=functools.cmp_to_key(_best_first))
    else:
        entries.sort(key=lambda item: (-item[1][0], -item[1][1]))
    return tuple(decode_media_type(entry) for entry, _ in entries)


# -- negotiation ----------------------------------------------------------------

_VENDOR = frozenset((MediaKind.OBJECT, MediaKind.ARRAY))
_NO_HANDLERS: Mapping[tuple[Any, MediaType], Any] = {}


@dataclass(frozen=True, slots=True)
class Negotiated:
    """The media type to answer with and what builds the body.

    ``handler`` is a custom handler (the catalog's aggregate), or None for a
    built-in one: the body then follows ``media``, or ``own`` when the
    relation's own entry matched (a function returning a media-type domain).
    """

    media: MediaType
    handler: Any = None
    own: object | None = None


def negotiate(
    accepted: Sequence[MediaType],
    handlers: Mapping[tuple[Any, MediaType], Any] = _NO_HANDLERS,
    relation: object = None,
    *,
    builtin: Mapping[MediaType, MediaType] = BUILTIN_HANDLERS,
    vendor_types: bool = True,
    plan_enabled: bool = False,
    default_select: bool = True,
    own: Mapping[MediaType, tuple[object, MediaType]] | None = None,
) -> Negotiated:
    """The first accepted type something produces; PGRST107 when nothing does.

    PostgREST's Plan/Negotiate.hs (negotiateContent): the accepted types are
    tried in Accept order.  With ``vendor_types`` (tables, views, functions)
    the vnd.pgrst object/array types always match since they cannot be
    overridden, and vnd.pgrst.plan matches when ``plan_enabled`` and its
    ``for`` type does, taking that type's handler.  Any other type is looked
    up as ``lookupHandler`` does: with the default select only, ``own`` (the
    relation's entries that are not in the catalog's map: requested type ->
    (marker, type sent)) then ``handlers`` of ``relation``, for ``*/*`` then
    for the type; then a handler for any relation (key ``None``); then
    ``builtin``, which maps a requested type to the type sent (for tables
    JSON, CSV and GeoJSON; for the root OpenAPI).  Subtype wildcards such as
    ``application/*`` match nothing unless produced verbatim (PostgREST
    issue #3391).  A handler only needs a ``produces`` attribute.
    Docs: references/api/media_type_handlers.
    """

    def lookup(media: MediaType) -> Negotiated | None:
        if default_select:
            for key in (ANY, media):
                if own:
                    mine = own.get(key)
                    if mine is not None:
                        return Negotiated(mine[1], None, mine[0])
                found = handlers.get((relation, key))
                if found is not None:
                    return Negotiated(found.produces, found)
        found = handlers.get((None, media))
        if found is not None:
            return Negotiated(found.produces, found)
        sent = builtin.get(media)
        return None if sent is None else Negotiated(sent)

    for media in accepted:
        kind = media.kind
        if vendor_types:
            if kind in _VENDOR:
                return Negotiated(media)
            if kind is MediaKind.PLAN:
                if not plan_enabled:
                    continue
                target = media.plan_for if media.plan_for is not None else JSON
                if target.kind in _VENDOR:
                    return Negotiated(media)
                found = lookup(target)
                if found is not None:
                    # The plan EXPLAINs the statement built for its ``for`` type's handler.
                    return Negotiated(media, found.handler, found.own)
                continue
        found = lookup(media)
        if found is not None:
            return found
    raise MediaTypeError([media.mime for media in accepted])
