"""The body of a write: JSON, CSV or form fields, checked and turned into the one JSON parameter.

Follows PostgREST's ApiRequest/Payload.hs (getPayload, payloadAttributes,
csvToJson): a JSON object or an array of objects with the same keys is
passed through untouched; CSV rows and form fields become a JSON array or
object built here; with ``columns=`` a JSON body is not read at all
(PostgreSQL's json_to_recordset judges it).  Pure: no database.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

import orjson

from ..errors import InvalidBody
from .. import media as mt

__all__ = ["RAW_BODY_KINDS", "Payload", "parse_call_payload", "parse_csv", "parse_payload", "parse_urlencoded"]

# PGRST102 messages, word for word.
_INVALID_JSON = "Empty or invalid json"
_KEYS_DIFFER = "All object keys must match"
_FIELDS_DIFFER = "All lines must have same number of fields"

# RFC 8259 §2 insignificant whitespace: what PostgREST skips to tell an object
# from an array in a body it does not parse (SqlFragment.fromJsonBodyF).
_JSON_SPACE = b" \t\n\r"

_EMPTY_ARRAY = b"[]"
_FORM_SEPARATORS = re.compile(b"[&;]")


@dataclass(frozen=True, slots=True)
class Payload:
    """What PostgreSQL receives as the body parameter, and what planning needs to know of it.

    ``raw`` is JSON text: the request body itself when it was JSON, else the
    JSON built from CSV or form fields.  ``keys`` are the columns the payload
    names, sorted and unique as PostgREST's ``payKeys`` set; ``None`` when
    ``columns=`` was given and the body was not read.  ``is_object`` tells
    json_to_record (one object) from json_to_recordset (an array).
    """

    raw: bytes
    keys: tuple[str, ...] | None
    is_object: bool
    # A form body of a function call: its fields become the arguments themselves.
    fields: tuple[tuple[str, str], ...] | None = None


_EMPTY = Payload(_EMPTY_ARRAY, (), False)

# Bodies a function with one unnamed parameter takes whole (findProc's fallback).
RAW_BODY_KINDS = frozenset((mt.MediaKind.TEXT_PLAIN, mt.MediaKind.TEXT_XML, mt.MediaKind.OCTET_STREAM))


def parse_payload(body: bytes, content_type: str | mt.MediaType | None, *, columns: tuple[str, ...] | None = None) -> Payload:
    """The payload of a POST, PATCH or PUT on a table or view; PGRST102 when it is unusable.

    ``columns`` is the ``columns=`` parameter; pass it only for POST and
    PATCH, as PostgREST ignores it on PUT.  A body without Content-Type is
    JSON.  Media types a table cannot take (text/plain, XML, binary, anything
    unknown) are refused with "Content-Type not acceptable".
    """
    media = content_type if isinstance(content_type, mt.MediaType) else mt.parse_content_type(content_type)
    kind = media.kind
    if kind is mt.MediaKind.JSON:
        if columns is not None:
            return Payload(body, None, body.lstrip(_JSON_SPACE)[:1] == b"{")
        return _attributes(body, _load_json(body), _KEYS_DIFFER)
    if kind is mt.MediaKind.CSV:
        rows = parse_csv(body)
        return _attributes(None, rows, _FIELDS_DIFFER)
    if kind is mt.MediaKind.URLENCODED:
        fields = dict(parse_urlencoded(body))  # the last of repeated names wins, as HM.fromList
        return Payload(orjson.dumps(fields), tuple(sorted(fields)), True)
    raise InvalidBody("Content-Type not acceptable: " + media.mime)


def parse_call_payload(body: bytes, media: mt.MediaType, *, columns: tuple[str, ...] | None = None) -> Payload:
    """The body of a POST to a function (Payload.getPayload for ActRoutine); PGRST102 when unusable.

    An empty JSON body is the empty object; with ``columns=`` those are the
    keys; a form body keeps its fields (each one an argument); text, XML and
    binary bodies are taken whole, with no keys.
    """
    kind = media.kind
    if kind is mt.MediaKind.JSON:
        if columns is None and not body:
            return Payload(body, (), False)
        payload = parse_payload(body, None, columns=columns)
        return payload if columns is None else Payload(payload.raw, columns, payload.is_object)
    if kind is mt.MediaKind.URLENCODED:
        fields = tuple(parse_urlencoded(body))
        return Payload(body, tuple(dict.fromkeys(k for k, _ in fields)), True, fields)
    if kind is mt.MediaKind.CSV:
        return parse_payload(body, "text/csv")
    if kind in RAW_BODY_KINDS:
        return Payload(body, (), False)
    raise InvalidBody("Content-Type not acceptable: " + media.mime)


def _load_json(body: bytes) -> object:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    # orjson refuses some JSON that Aeson reads: numbers beyond a double's
    # range, lone surrogate escapes.  The standard library takes those; it
    # must still refuse NaN and Infinity, which are not JSON.
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidBody(_INVALID_JSON) from None


def _no_constant(name: str) -> object:
    raise ValueError(name)


def _attributes(raw: bytes | None, value: object, mismatch: str) -> Payload:
    """PostgREST's payloadAttributes: objects only, all with the first one's keys.

    Anything but an object or an array becomes the empty array.  ``raw`` is
    the JSON text of ``value``, or None to serialize it here.
    """
    if isinstance(value, dict):
        return Payload(raw if raw is not None else orjson.dumps(value), tuple(sorted(value)), True)
    if not isinstance(value, list):
        return _EMPTY
    if not value:
        return _EMPTY
    first = value[0]
    if not isinstance(first, dict):
        raise InvalidBody(mismatch)
    keys = first.keys()
    for item in value:
        if not isinstance(item, dict) or item.keys() != keys:
            raise InvalidBody(mismatch)
    return Payload(raw if raw is not None else orjson.dumps(value), tuple(sorted(keys)), False)


# -- application/x-www-form-urlencoded -----------------------------------------


def parse_urlencoded(body: bytes) -> list[tuple[str, str]]:
    """http-types' parseSimpleQuery: ``&`` or ``;`` separate pairs, ``+`` is a space, no ``=`` is empty."""
    if body.startswith(b"?"):
        body = body[1:]
    if not body:
        return []
    parts = _FORM_SEPARATORS.split(body)
    if not parts[-1]:
        parts.pop()  # a trailing separator ends the list; empty items elsewhere stay
    pairs: list[tuple[str, str]] = []
    for part in parts:
        key, _, value = part.partition(b"=")
        pairs.append((_form_text(key), _form_text(value)))
    return pairs


def _form_text(raw: bytes) -> str:
    raw = raw.replace(b"+", b" ")
    if b"%" in raw:
        raw = unquote_to_bytes(raw)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # PostgREST's decodeUtf8 throws here (a 500); it is the client's body.
        raise InvalidBody("Invalid UTF-8 in the form body") from None


# -- text/csv --------------------------------------------------------------------


class _CsvError(Exception):
    pass


def parse_csv(body: bytes) -> list[dict[str, str | None]]:
    """Rows of a CSV body with a header line, as cassava's decodeByName and PostgREST's csvToJson.

    RFC 4180 fields (``"`` quotes, ``""`` escapes), lines ending in LF, CRLF
    or CR; the header line must end with a line break; blank lines are
    skipped; a row is zipped with the header (a short row has fewer keys,
    which payloadAttributes then refuses); the text ``NULL`` is JSON null.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidBody("Invalid UTF-8 in the CSV body") from None
    try:
        header, pos = _csv_record(text, 0)
        if pos >= len(text):
            raise _CsvError("not enough input")
        pos = _csv_eol(text, pos)
        rows: list[dict[str, str | None]] = []
        size = len(text)
        while pos < size:
            record, pos = _csv_record(text, pos)
            if pos < size:
                pos = _csv_eol(text, pos)
            if record == [""]:
                continue  # a blank line
            rows.append({name: (None if value == "NULL" else value) for name, value in zip(header, record)})
    except _CsvError as exc:
        raise InvalidBody(f"parse error ({exc})") from None
    return rows


def _csv_eol(text: str, pos: int) -> int:
    if text.startswith("\r\n", pos):
        return pos + 2
    if text[pos] in "\n\r":
        return pos + 1
    raise _CsvError(f"Failed reading: endOfLine at {text[pos:pos + 20]!r}")


def _csv_record(text: str, pos: int) -> tuple[list[str], int]:
    """One record from ``pos`` up to (not including) its line break."""
    fields: list[str] = []
    size = len(text)
    while True:
        if pos < size and text[pos] == '"':
            chunks: list[str] = []
            pos += 1
            while True:
                quote = text.find('"', pos)
                if quote < 0:
                    raise _CsvError("unterminated quoted field")
                chunks.append(text[pos:quote])
                if text.startswith('""', quote):
                    chunks.append('"')
                    pos = quote + 2
                    continue
                pos = quote + 1
                break
            fields.append("".join(chunks))
        else:
            end = pos
            while end < size and text[end] not in ',"\r\n':
                end += 1
            fields.append(text[pos:end])
            pos = end
        if pos < size and text[pos] == ",":
            pos += 1
            continue
        if pos < size and text[pos] == '"':
            raise _CsvError(f"Failed reading: unexpected '\"' at {text[pos:pos + 20]!r}")
        return fields, pos
