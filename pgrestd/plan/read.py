"""Resolves a read request (GET/HEAD on a table or view) against the catalog."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..catalog import Catalog, Table
from ..errors import TableNotFound
from ..request.api import ApiRequest

__all__ = ["ReadPlan", "plan_read", "find_relation"]


@dataclass(frozen=True, slots=True)
class ReadPlan:
    table: Table
    limit: int | None


def find_relation(catalog: Catalog, schema: str, name: str) -> Table:
    """O(1) lookup; on a miss, PostgREST's PGRST205 with a fuzzy "Perhaps you meant" hint."""
    table = catalog.table(schema, name)
    if table is None:
        close = difflib.get_close_matches(name, catalog.table_names(schema), n=1, cutoff=0.75)
        raise TableNotFound(schema, name, close[0] if close else None)
    return table


def plan_read(request: ApiRequest, catalog: Catalog, max_rows: int | None) -> ReadPlan:
    return ReadPlan(table=find_relation(catalog, request.schema, request.target.name), limit=max_rows)
