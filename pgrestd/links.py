"""RFC 8288 Link headers on reads, with ``server-link-headers-enabled``.

A read with a limit (from ``limit``, a Range header or ``db-max-rows``) links its first, previous,
next and last pages; each is the request's own URL with ``limit`` and ``offset`` set, so a client
follows them without knowing PostgREST's grammar. A read of a table or view also links every
relation it can embed (``rel="related"``), so the API can be walked from any resource.

Targets are absolute paths, as Location and Content-Location are, prefixed with
``openapi-server-proxy-uri`` when it is set (the URL clients reach pgrestd by).
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from .catalog import Catalog
from .request.ranges import RowRange

__all__ = ["page_links", "related_links"]

_PAGING_KEYS = frozenset(("limit", "offset"))


def _without_paging(query_string: str) -> list[str]:
    """The query's parameters but the top-level ``limit`` and ``offset``, as the client wrote them."""
    return [part for part in query_string.split("&")
            if part and unquote(part.partition("=")[0]) not in _PAGING_KEYS]


def page_links(base: str, path: str, query_string: str, range_: RowRange, rows: int, total: int | None) -> str | None:
    """first/prev/next/last of a read that asked for at most ``range_.limit`` rows; None without a limit.

    ``next`` is given while the total says more rows follow, or, without a total, while the page is
    full; ``last`` only with a total.
    """
    limit = range_.limit
    if limit is None or limit <= 0:
        return None
    offset = range_.offset
    kept = _without_paging(query_string)

    def link(at: int, rel: str) -> str:
        query = "&".join([*kept, f"limit={limit}", f"offset={at}"])
        return f'<{base}{path}?{query}>; rel="{rel}"'

    links = [link(0, "first")]
    if offset > 0:
        links.append(link(max(0, offset - limit), "prev"))
    if (total is not None and offset + limit < total) or (total is None and rows >= limit):
        links.append(link(offset + limit, "next"))
    if total is not None:
        links.append(link(max(0, (total - 1) // limit * limit), "last"))
    return ", ".join(links)


def related_links(base: str, catalog: Catalog, schema: str, name: str) -> str | None:
    """A ``rel="related"`` link to each relation of ``schema`` that ``schema.name`` can embed, once each.

    ``title`` is the name to embed it by; relations of other schemas are reached with another
    profile, so they are left out.
    """
    seen: dict[str, str] = {}
    for rel in catalog.relationships(schema, name):
        target_schema, target = rel.foreign_table
        if target_schema != schema or target in seen or catalog.table(schema, target) is None:
            continue
        cardinality = "to-one" if rel.to_one else "to-many"
        seen[target] = (f'<{base}/{quote(target, safe="")}>; rel="related"; title="{_title(target)}"; '
                        f'cardinality="{cardinality}"')
    return ", ".join(seen.values()) or None


def _title(name: str) -> str:
    """A quoted-string's content: backslash and double quote escaped (RFC 9110 §5.6.4)."""
    return name.replace("\\", "\\\\").replace('"', '\\"')
