"""Entity tags and conditional requests (RFC 9110 §8.8.3 and §13), with ``server-etag-enabled``.

A representation's ETag is a hash of its media type and its body: the same URL, role and headers
give the same bytes, hence the same tag, and any change to the rows a GET returns changes it.
GET and HEAD answers carry it; If-None-Match turns a 2xx into 304 Not Modified, and If-Match or
If-None-Match on PATCH, PUT and DELETE let a write go ahead only while the representation a GET
of the same URL would return still has (or lacks) the tag: the write's transaction reads that
representation first, at REPEATABLE READ, so a writer that meets a concurrent change to the rows
fails with 40001 rather than overwrite it, and answers 412 too.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Mapping

from .errors import PreconditionFailed
from .response import Response

__all__ = ["Conditions", "entity_tag", "read_conditionally"]

# An entity-tag (RFC 9110 §8.8.3): an optional weakness prefix and an opaque quoted string.
_TAG = re.compile(r'\s*(W/)?("[^"]*")\s*(?:,|$)')
ANY = ("*",)

# RFC 9110 §15.4.5: a 304 carries the headers a 200 would have of these, and no representation metadata.
_KEPT_ON_304 = frozenset(("cache-control", "content-location", "date", "etag", "expires", "vary", "link"))


def entity_tag(content_type: str, body: bytes) -> str:
    """A strong entity-tag: the first 128 bits of SHA-256 over the media type and the body.

    SHA-256 because CPUs compute it in hardware (about 2 GB/s, 10 µs for a 100-row body here,
    where BLAKE2b took 55 µs).
    """
    digest = hashlib.sha256(content_type.encode("utf-8", "surrogateescape"))
    digest.update(b"\n")
    digest.update(body)
    return '"' + digest.hexdigest()[:32] + '"'


def _tags(value: str) -> tuple[str, ...]:
    """``*``, or the entity-tags of a list with ``W/`` kept; members that are not entity-tags are skipped."""
    if value.strip() == "*":
        return ANY
    return tuple((weak or "") + tag for weak, tag in _TAG.findall(value))


@dataclass(frozen=True, slots=True)
class Conditions:
    """The If-Match and If-None-Match of one request (None: the header is absent)."""

    if_match: tuple[str, ...] | None
    if_none_match: tuple[str, ...] | None

    @classmethod
    def of(cls, headers: Mapping[str, str]) -> Conditions | None:
        if_match, if_none_match = headers.get("if-match"), headers.get("if-none-match")
        if if_match is None and if_none_match is None:
            return None
        return cls(None if if_match is None else _tags(if_match),
                   None if if_none_match is None else _tags(if_none_match))

    def if_match_holds(self, tag: str, exists: bool = True) -> bool:
        """Strong comparison (§13.1.1): ``*`` needs a representation, a weak tag never matches."""
        if self.if_match is None:
            return True
        if self.if_match == ANY:
            return exists
        return not tag.startswith("W/") and tag in self.if_match

    def if_none_match_holds(self, tag: str, exists: bool = True) -> bool:
        """Weak comparison (§13.1.2): ``*`` holds only without a representation."""
        if self.if_none_match is None:
            return True
        if self.if_none_match == ANY:
            return not exists
        return tag.removeprefix("W/") not in {t.removeprefix("W/") for t in self.if_none_match}

    def check_write(self, tag: str, *, exists: bool) -> None:
        """Before a write: raises 412 unless both conditions hold for the current representation.

        For a write, a representation exists when a GET of its URL returns at least one row, so
        ``If-Match: *`` only updates and ``If-None-Match: *`` only creates.
        """
        if not self.if_match_holds(tag, exists):
            raise PreconditionFailed(details="If-Match: the current representation does not have the given entity tag",
                                     hint="GET the resource again for its current ETag")
        if not self.if_none_match_holds(tag, exists):
            raise PreconditionFailed(details="If-None-Match: the current representation has the given entity tag")


def read_conditionally(response: Response, headers: Mapping[str, str]) -> Response:
    """A 2xx answer to GET or HEAD with its ETag, or 304 or 412 as the request's conditions say.

    A function's own ``ETag`` (set through ``response.headers``) is kept and compared instead.
    """
    tag = response.header("etag")
    if tag is None:
        tag = entity_tag(response.header("content-type") or "", response.body)
        response.headers["ETag"] = tag
    conditions = Conditions.of(headers)
    if conditions is None:
        return response
    if not conditions.if_match_holds(tag):
        raise PreconditionFailed(details="If-Match: the current representation does not have the given entity tag")
    if not conditions.if_none_match_holds(tag):
        kept = {k: v for k, v in response.headers.items() if k.lower() in _KEPT_ON_304}
        return Response(304, kept, b"", role=response.role)
    return response
