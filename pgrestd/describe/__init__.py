"""Descriptions of the API, chosen by Accept at the root and with OPTIONS.

PostgREST's Swagger 2.0 document stays what the root answers to
``application/openapi+json;version=2.0``, ``application/json``, ``*/*`` or no
Accept at all.  pgrestd adds, each only when asked for by name:

- ``application/openapi+json`` (bare, sent with the Content-Type PostgREST
  sends for it, the version being in the document) or ``;version=3.1``:
  OpenAPI 3.1 (:mod:`.openapi3`);
- ``text/vnd.mermaid``: a Mermaid ER diagram (:mod:`.mermaid`);
- ``application/raml+yaml``: RAML 1.0 (:mod:`.raml`).

``OPTIONS`` answers one of these three (with its usual ``Allow``) when
Accept names it: on ``/`` for the whole schema, on ``/table`` for that table
(the diagram adds the relations it relates to), on ``/rpc/fn`` for that
function.  Every other OPTIONS is PostgREST's, with no body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .. import media as mt
from .. import openapi
from . import mermaid, openapi3, raml
from .model import Description, Subject, describe

__all__ = ["FORMATS", "ROOT_HANDLERS", "Description", "Format", "Subject", "describe", "for_options", "for_root"]


@dataclass(frozen=True, slots=True)
class Format:
    """One description: the media type it is asked for by, the Content-Type it is sent with, its renderer."""

    media: mt.MediaType
    content_type: str
    render: Callable[[Subject], bytes]
    by_options: bool  # OPTIONS answers it (not the 2.0 document: PostgREST's OPTIONS has no body)


def _swagger(subject: Subject) -> bytes:
    """PostgREST's document, unchanged (the root only: the 2.0 document has no narrower form)."""
    return openapi.encode(subject.catalog, subject.schema, subject.access,
                          follow_privileges=subject.follow_privileges, server=subject.server,
                          security=subject.security)


def _described(render: Callable[[Description], bytes]) -> Callable[[Subject], bytes]:
    return lambda subject: render(describe(subject))


FORMATS: tuple[Format, ...] = (
    Format(mt.OPENAPI_20, mt.OPENAPI.content_type_header, _swagger, by_options=False),
    Format(mt.OPENAPI, mt.OPENAPI.content_type_header, _described(openapi3.encode), by_options=True),
    Format(mt.OPENAPI_31, mt.OPENAPI_31.content_type_header, _described(openapi3.encode), by_options=True),
    # Text sent by pgrestd is UTF-8 and says so (a custom handler's bare type stays PostgREST's).
    Format(mt.MERMAID, mt.MERMAID.mime + "; charset=utf-8", _described(mermaid.encode), by_options=True),
    Format(mt.RAML, mt.RAML.mime + "; charset=utf-8", _described(raml.encode), by_options=True),
)
_BY_MEDIA: Mapping[mt.MediaType, Format] = {f.media: f for f in FORMATS}

# The root's negotiation table: the 2.0 document for application/json and */* (PostgREST's), and each format.
ROOT_HANDLERS: Mapping[mt.MediaType, mt.MediaType] = {
    **{media: mt.OPENAPI_20 for media in mt.ROOT_HANDLERS if media != mt.OPENAPI},
    **{f.media: f.media for f in FORMATS},
}


def for_root(accepted: Sequence[mt.MediaType]) -> Format:
    """The first accepted format at the root (Plan.inspectPlan's negotiation); PGRST107 when none is."""
    return _BY_MEDIA[mt.negotiate(accepted, builtin=ROOT_HANDLERS, vendor_types=False).media]


def for_options(accepted: Sequence[mt.MediaType]) -> Format | None:
    """The first format that Accept names and OPTIONS answers; None keeps PostgREST's OPTIONS.

    Only an explicit media type counts: ``*/*``, ``application/json`` and
    the 2.0 document's type leave OPTIONS as PostgREST answers it.
    """
    for media in accepted:
        found = _BY_MEDIA.get(media)
        if found is not None and found.by_options:
            return found
    return None
