"""What a description covers: the tables, functions and relationships of one schema that a role may see, for one target."""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from urllib.parse import quote

from .. import __version__
from ..catalog import Cardinality, Catalog, Relationship, Table
from ..openapi import Access, Routine, Server, catalog_routines
from ..request.api import Target

__all__ = ["Description", "Edge", "Subject", "describe", "path_of", "server_url", "unique_keys"]


@dataclass(frozen=True, slots=True)
class Subject:
    """Everything a description is made from; the same inputs as the Swagger 2.0 document, plus the target.

    ``access`` is the 2.0 document's per-request query, read in the
    request's transaction (schema comment; with follow-privileges, what the
    role may use).  ``target`` is the root (the whole schema), a table or
    view (that relation), or a function (that function).
    """

    catalog: Catalog
    schema: str
    target: Target
    access: Access
    follow_privileges: bool
    server: Server
    security: bool


@dataclass(frozen=True, slots=True)
class Edge:
    """One relationship between two described relations, drawn once.

    A foreign key is seen from the side that holds it (M2O, or the child of
    an O2O); a many-to-many from one of its ends; a computed relationship
    from the table its function takes.
    """

    source: Table
    target: Table
    relationship: Relationship


@dataclass(frozen=True, slots=True)
class Description:
    """One schema, narrowed to a target and to what the role may see (openapi-mode follow-privileges)."""

    schema: str
    comment: str | None  # the schema's comment: the title on its first line, then the description
    tables: tuple[Table, ...]  # the relations described in full (paths, types)
    routines: tuple[Routine, ...]
    entities: tuple[Table, ...]  # the tables and the relations they relate to (the diagram's boxes)
    edges: tuple[Edge, ...]
    catalog: Catalog
    server: Server
    security: bool
    whole: bool  # the whole schema: the root, which describes itself too
    version: str = __version__


def describe(subject: Subject) -> Description:
    """The part of ``subject.schema`` that ``subject.target`` names, as the role sees it."""
    catalog, schema, access = subject.catalog, subject.schema, subject.access
    visible = {name: table for (s, name), table in sorted(catalog.tables.items())
               if s == schema and (not subject.follow_privileges or name in access.tables)}
    routines = access.functions if subject.follow_privileges else catalog_routines(catalog, schema)
    edges = _edges(catalog, schema, visible)
    target = subject.target
    tables: tuple[Table, ...] = tuple(visible.values())
    entities = tables
    if target.kind == "relation":
        table = visible.get(target.name)
        tables = () if table is None else (table,)
        edges = tuple(e for e in edges if target.name in (e.source.name, e.target.name))
        related = {e.source.name for e in edges} | {e.target.name for e in edges} | {t.name for t in tables}
        entities = tuple(t for name, t in visible.items() if name in related)
        routines = ()
    elif target.kind == "rpc":
        tables = entities = ()
        edges = ()
        routines = tuple(r for r in routines if r.name == target.name)
    return Description(schema=schema, comment=access.description, tables=tables, routines=tuple(routines),
                       entities=entities, edges=edges, catalog=catalog, server=subject.server,
                       security=subject.security, whole=target.kind == "root")


def _edges(catalog: Catalog, schema: str, visible: dict[str, Table]) -> tuple[Edge, ...]:
    """Every relationship among the visible relations, each once (PostgREST lists each from both ends)."""
    edges: list[Edge] = []
    seen: set[object] = set()
    for name, table in visible.items():
        for rel in catalog.relationships(schema, name, schema):
            other = visible.get(rel.foreign_table[1])
            if other is None or rel.foreign_table[0] != schema:
                continue
            card = rel.cardinality
            if rel.is_computed or card is Cardinality.M2O or (card is Cardinality.O2O and not rel.is_parent):
                edges.append(Edge(table, other, rel))
            elif card is Cardinality.M2M and rel.junction is not None and rel.junction.table[1] in visible:
                junction = rel.junction
                key = (junction.table, frozenset(((name, junction.constraint1), (other.name, junction.constraint2))))
                if key not in seen:
                    seen.add(key)
                    edges.append(Edge(table, other, rel))
    return tuple(edges)


def unique_keys(wanted: Iterable[tuple[Hashable, str]], invalid: re.Pattern[str],
                reserved: Iterable[str] = ()) -> dict[Hashable, str]:
    """A distinct key for each item: the wanted text where it is a valid key, else a sanitized one.

    Components of an OpenAPI document and RAML type names only take some
    characters; a name with others has them replaced by ``_`` and, when that
    collides, a numeric suffix.  Names that are valid keys keep themselves,
    whatever comes first.
    """
    items = list(wanted)
    taken = set(reserved)
    keys: dict[Hashable, str] = {}
    for ident, text in items:
        if text and not invalid.search(text) and text not in taken:
            keys[ident] = text
            taken.add(text)
    for ident, text in items:
        if ident in keys:
            continue
        base = invalid.sub("_", text) or "_"
        key, n = base, 2
        while key in taken:
            key, n = f"{base}_{n}", n + 1
        keys[ident] = key
        taken.add(key)
    return keys


def path_of(*segments: str) -> str:
    """A resource's path: each name percent-encoded as a URL path segment (``{`` would read as a template)."""
    return "".join("/" + quote(segment, safe="!$&'()*+,;=:@") for segment in segments)


def server_url(server: Server) -> str:
    """The API's base URL (openapi-server-proxy-uri, else server-host and server-port), default port left out."""
    default_port = 443 if server.scheme == "https" else 80
    host = server.host if server.port == default_port else f"{server.host}:{server.port}"
    return f"{server.scheme}://{host}{server.base_path.rstrip('/')}"
