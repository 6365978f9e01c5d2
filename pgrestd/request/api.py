"""ApiRequest: everything pgrestd reads from an HTTP request, parsed once (PostgREST's ApiRequest).

Later stages never read a header or the body again: preferences, the Range
header, the accepted media types, the body's media type and the body itself
arrive here already decoded.  Only the query string stays raw, because the
plan cache keys on its shape and parses it once per shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from .. import media as mt
from ..errors import ApiError, InvalidResourcePath, UnacceptableSchema
from .grammar import parse_query
from .payload import Payload, parse_call_payload, parse_payload
from .preferences import Preferences, parse_prefer
from .ranges import RowRange, parse_range_header

__all__ = ["ApiRequest", "Target", "build_api_request"]

# Methods whose schema comes from Content-Profile; the rest (GET, HEAD, OPTIONS)
# use Accept-Profile (PostgREST, "Switching schemas"; ApiRequest.getSchema).
_WRITE_METHODS = frozenset(("POST", "PATCH", "PUT", "DELETE"))
_TABLE_BODIES = frozenset(("POST", "PATCH", "PUT"))
_NO_COOKIES: Mapping[str, str] = {}


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # "root", "relation" or "rpc"
    name: str


@dataclass(slots=True)
class ApiRequest:
    """One request, decoded; no stage changes it (not frozen only because that costs on every request).

    ``payload_error`` is a body that could not be read: the planners raise
    it where PostgREST's getPayload stands in its order of checks (after the
    query string and the ranges), so a request with two faults reports the
    same one PostgREST does.
    """

    method: str
    path: str
    target: Target
    schema: str
    query_string: str
    headers: Mapping[str, str]  # lower-cased names, as PostgreSQL's request.headers sees them
    preferences: Preferences
    range: RowRange  # what the Range header asks for: all rows when absent or unreadable
    accept: tuple[mt.MediaType, ...]
    content_type: mt.MediaType
    cookies: Mapping[str, str]
    payload: Payload | None = None
    payload_error: ApiError | None = None


def parse_target(path: str, root_spec: str | None = None) -> Target:
    """``/`` is the root, ``/name`` a table or view, ``/rpc/name`` a function.

    With ``db-root-spec`` the root is that function (ApiRequest.getResource).
    """
    parts = path.split("/")[1:]
    if parts and parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if parts == [""] or not parts:
        return Target("rpc", root_spec.rpartition(".")[2]) if root_spec else Target("root", "")
    if len(parts) == 1:
        return Target("relation", parts[0])
    if len(parts) == 2 and parts[0] == "rpc" and parts[1]:
        return Target("rpc", parts[1])
    raise InvalidResourcePath()


def choose_schema(method: str, headers: Mapping[str, str], schemas: tuple[str, ...]) -> str:
    """The profile headers pick one of ``db-schemas``; the first one is the default."""
    header = "content-profile" if method in _WRITE_METHODS else "accept-profile"
    wanted = headers.get(header)
    if wanted is None:
        return schemas[0]
    if wanted not in schemas:
        raise UnacceptableSchema(wanted, schemas)
    return wanted


@lru_cache(maxsize=256)
def _preferences(header: str | None, allow_tx_override: bool) -> Preferences:
    return parse_prefer([header] if header else [], allow_tx_override=allow_tx_override)


def parse_cookies(header: str | None) -> Mapping[str, str]:
    """The Cookie header as name -> value, the last of a repeated name winning.

    Pair by pair, as PostgREST reads it (Web.Cookie's parseCookies): split at ";", then at the
    first "=", leading spaces dropped and one pair of double quotes taken off the value.  A pair
    another application on the same site filled with junk costs only that pair, not the rest (the
    JWT cookie of jwt-cookie-name among them), which a strict parser such as SimpleCookie drops.
    """
    if not header:
        return _NO_COOKIES
    cookies: dict[str, str] = {}
    for pair in header.split(";"):
        name, _, value = pair.partition("=")
        name = name.lstrip(" ")
        if name:
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            cookies[name] = value
    return cookies


def _columns(method: str, target: Target, query_string: str) -> tuple[str, ...] | None:
    """``columns=``, which decides how a POST or PATCH body is read; PostgREST ignores it elsewhere."""
    if "columns" not in query_string or not (method == "POST" or (method == "PATCH" and target.kind == "relation")):
        return None
    return parse_query(query_string).columns


def _payload(method: str, target: Target, query_string: str, body: bytes,
             content_type: mt.MediaType) -> tuple[Payload | None, ApiError | None]:
    """Payload.getPayload: the body of a write or of a POST to a function, or why it is unusable."""
    kind = target.kind
    if not ((kind == "relation" and method in _TABLE_BODIES) or (kind == "rpc" and method == "POST")):
        return None, None
    try:
        columns = _columns(method, target, query_string)
    except ApiError:
        return None, None  # a malformed query string: the planner reports it first
    try:
        if kind == "rpc":
            return parse_call_payload(body, content_type, columns=columns), None
        return parse_payload(body, content_type, columns=columns), None
    except ApiError as error:
        return None, error


def build_api_request(
    method: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str],
    body: bytes,
    schemas: tuple[str, ...],
    *,
    allow_tx_override: bool = True,
    root_spec: str | None = None,
) -> ApiRequest:
    """Decode one request; ``headers`` have lower-case names.

    ``allow_tx_override`` is db-tx-end's ``*-allow-override`` (whether
    ``Prefer: tx=`` counts); ``root_spec`` is db-root-spec.
    """
    target = parse_target(path, root_spec)
    schema = choose_schema(method, headers, schemas)
    content_type = mt.parse_content_type(headers.get("content-type"))
    payload, payload_error = _payload(method, target, query_string, body, content_type)
    return ApiRequest(
        method=method,
        path=path,
        target=target,
        schema=schema,
        query_string=query_string,
        headers=headers,
        preferences=_preferences(headers.get("prefer"), allow_tx_override),
        range=parse_range_header(headers.get("range")),
        accept=mt.parse_accept(headers.get("accept")),
        content_type=content_type,
        cookies=parse_cookies(headers.get("cookie")),
        payload=payload,
        payload_error=payload_error,
    )
