"""ApiRequest: the parts of an HTTP request that decide what pgrestd does with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from ..errors import InvalidResourcePath, UnacceptableSchema

__all__ = ["ApiRequest", "Target", "build_api_request"]

# Methods whose schema comes from Accept-Profile; the rest use Content-Profile
# (PostgREST, "Switching schemas").
_READ_METHODS = frozenset(("GET", "HEAD"))


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # "root", "relation" or "rpc"
    name: str


@dataclass(frozen=True, slots=True)
class ApiRequest:
    method: str
    path: str
    target: Target
    schema: str
    query_string: str
    headers: Mapping[str, str]  # lower-cased names, as PostgreSQL's request.headers sees them
    body: bytes

    @property
    def is_read(self) -> bool:
        return self.method in _READ_METHODS


def parse_target(path: str) -> Target:
    """``/`` is the root, ``/name`` a table or view, ``/rpc/name`` a function."""
    parts = path.split("/")[1:]
    if parts and parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if parts == [""] or not parts:
        return Target("root", "")
    if len(parts) == 1:
        return Target("relation", parts[0])
    if len(parts) == 2 and parts[0] == "rpc" and parts[1]:
        return Target("rpc", parts[1])
    raise InvalidResourcePath()


def choose_schema(method: str, headers: Mapping[str, str], schemas: tuple[str, ...]) -> str:
    """The profile headers pick one of ``db-schemas``; the first one is the default."""
    header = "accept-profile" if method in _READ_METHODS else "content-profile"
    wanted = headers.get(header)
    if wanted is None:
        return schemas[0]
    if wanted not in schemas:
        raise UnacceptableSchema(wanted, schemas)
    return wanted


def build_api_request(
    method: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str],
    body: bytes,
    schemas: tuple[str, ...],
) -> ApiRequest:
    return ApiRequest(
        method=method,
        path=path,
        target=parse_target(path),
        schema=choose_schema(method, headers, schemas),
        query_string=query_string,
        headers=headers,
        body=body,
    )
