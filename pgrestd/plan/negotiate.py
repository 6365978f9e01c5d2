"""Content negotiation with custom media type handlers: which handler builds the body, sent as which type.

Follows PostgREST's Plan/Negotiate.hs (negotiateContent): the accepted
types are tried in Accept order; the vnd.pgrst object/array types cannot be
overridden; vnd.pgrst.plan takes the handler of its ``for`` type; any other
type is looked up as ``lookupHandler`` does: with the default select only,
a handler of the relation for ``*/*`` then for the type, then one for any
relation (``anyelement``), which includes the built-in JSON, CSV and
GeoJSON handlers (a custom ``anyelement`` aggregate overrides them).
Docs: references/api/media_type_handlers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..catalog.model import MediaHandler, QualifiedName
from ..errors import MediaTypeError
from ..request import media as mt

__all__ = ["Negotiated", "negotiate_content"]

_VENDOR = frozenset((mt.MediaKind.OBJECT, mt.MediaKind.ARRAY))


@dataclass(frozen=True, slots=True)
class Negotiated:
    """The media type to answer with and what builds the body.

    ``handler`` is the custom aggregate, or None for a built-in handler
    (the body then follows ``media``, or ``own`` when the relation's own
    entry matched: a function returning a media-type domain).
    """

    media: mt.MediaType
    handler: MediaHandler | None = None
    own: object | None = None


def negotiate_content(
    accepted: Sequence[mt.MediaType],
    handlers: Mapping[tuple[QualifiedName | None, mt.MediaType], MediaHandler],
    relation: QualifiedName,
    *,
    default_select: bool,
    plan_enabled: bool,
    own: Mapping[mt.MediaType, tuple[object, mt.MediaType]] | None = None,
) -> Negotiated:
    """The first accepted type some handler produces; PGRST107 when there is none.

    ``own`` holds the relation's handlers that are not in the catalog's
    map, requested type -> (marker, type sent): the media-type domain a
    function returns (SchemaCache.mediaHandlers' function part).
    """

    def lookup(media: mt.MediaType) -> Negotiated | None:
        if default_select:
            for key in (mt.ANY, media):
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
        builtin = mt.BUILTIN_HANDLERS.get(media)
        return None if builtin is None else Negotiated(builtin)

    for media in accepted:
        kind = media.kind
        if kind in _VENDOR:
            return Negotiated(media)
        if kind is mt.MediaKind.PLAN:
            if not plan_enabled:
                continue
            target = media.plan_for if media.plan_for is not None else mt.JSON
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
