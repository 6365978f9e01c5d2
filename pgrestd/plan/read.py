"""Resolves a read (GET/HEAD on a table or view) against the catalog: a ReadPlan tree.

Follows PostgREST's Plan.hs: the query string's select tree, filters, logic
trees, order and ranges are attached to the node they belong to; the media
type is negotiated from Accept; the top-level range combines the Range
header, limit/offset and ``db-max-rows``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

from ..catalog import Catalog, Column, Table
from ..errors import AggregatesNotAllowed, NotImplementedFeature, TableNotFound
from ..request import media as mt
from ..request.api import ApiRequest
from ..request.model import (
    Field,
    Filter,
    JsonKey,
    LogicNode,
    OrderTerm,
    QueryParams,
    SelectEmbed,
    SelectField,
)
from ..request.preferences import Count, Preferences
from ..request.ranges import RowRange, effective_range, parse_range_header

__all__ = ["ReadNode", "ReadPlan", "ReadTemplate", "plan_read", "find_relation", "READ_MEDIA"]

# What a table or view read can produce (PostgREST's built-in handlers).
READ_MEDIA = (mt.JSON, mt.CSV, mt.GEOJSON)


@dataclass(frozen=True, slots=True)
class ReadNode:
    """One relation of the read tree: what to select, filter, order and page."""

    table: Table
    select: tuple[SelectField, ...]
    where: tuple[LogicNode, ...]
    order: tuple[OrderTerm, ...]
    range: RowRange


@dataclass(frozen=True, slots=True)
class ReadPlan:
    root: ReadNode
    media: mt.MediaType
    count: Count | None
    range: RowRange
    max_rows: int | None
    head: bool


@dataclass(frozen=True, slots=True)
class ReadTemplate:
    """A planned read and its statement; with slots, a template for every request of its shape.

    ``slots`` maps bind-parameter positions to the request's filter values
    (see :mod:`.cache`); a template whose sentinels could not all be found
    has no slots and is used for exactly the request it was built from.
    """

    plan: ReadPlan
    sql: str
    params: tuple[object, ...]
    explain_sql: str | None
    explain_params: tuple[object, ...]
    location: str
    profile: str | None
    applied: str | None
    slots: tuple[tuple[int, int], ...] = ()
    explain_slots: tuple[tuple[int, int], ...] = ()

    def with_slots(self, count: int) -> ReadTemplate | None:
        """Find each sentinel among the parameters; None when one is missing."""
        from .cache import sentinel

        marks = {sentinel(i): i for i in range(count)}
        slots = tuple((pos, marks[p]) for pos, p in enumerate(self.params) if p in marks)
        explain = tuple((pos, marks[p]) for pos, p in enumerate(self.explain_params) if p in marks)
        if {slot for _, slot in slots} != set(range(count)):
            return None
        return replace(self, slots=slots, explain_slots=explain)

    @staticmethod
    def fill(params: tuple[object, ...], slots: tuple[tuple[int, int], ...], shape: object) -> tuple[object, ...]:
        if not slots:
            return params
        out = list(params)
        values = shape.values  # type: ignore[attr-defined]
        like = shape.like  # type: ignore[attr-defined]
        for pos, slot in slots:
            value = values[slot]
            out[pos] = value.replace("*", "%") if like[slot] else value
        return tuple(out)


def find_relation(catalog: Catalog, schema: str, name: str) -> Table:
    """O(1) lookup; on a miss, PostgREST's PGRST205 with a fuzzy "Perhaps you meant" hint."""
    table = catalog.table(schema, name)
    if table is None:
        close = difflib.get_close_matches(name, catalog.table_names(schema), n=1, cutoff=0.75)
        raise TableNotFound(schema, name, close[0] if close else None)
    return table


def column_of(table: Table, field: Field) -> Column | None:
    return table.column_index.get(field.name)


def output_name(item: SelectField) -> str | None:
    """The key a select item gets in the JSON: its alias, else for a JSON path
    the last key in it (PostgREST names ``data->c->0->d->>4`` as ``d``), else
    the column's name."""
    if item.alias is not None:
        return item.alias
    path = item.field.json_path
    if not path:
        return None
    for op in reversed(path):
        if isinstance(op.operand, JsonKey):
            return op.operand.value
    return item.field.name


def plan_read(
    request: ApiRequest,
    params: QueryParams,
    prefs: Preferences,
    catalog: Catalog,
    *,
    max_rows: int | None,
    aggregates_enabled: bool,
    plan_enabled: bool,
) -> ReadPlan:
    table = find_relation(catalog, request.schema, request.target.name)
    media = mt.negotiate(mt.parse_accept(request.headers.get("accept")), READ_MEDIA,
                         vendor_types=True, plan_enabled=plan_enabled)
    if media.kind == mt.MediaKind.PLAN:
        raise NotImplementedFeature(details="application/vnd.pgrst.plan")
    limits = params.range_at(())
    top = effective_range(
        parse_range_header(request.headers.get("range"), request.headers.get("range-unit")),
        limits.limit if limits else None,
        limits.offset if limits else None,
        max_rows,
        method=request.method,
    )
    select: list[SelectField] = []
    for item in params.select:
        if isinstance(item, SelectEmbed):
            raise NotImplementedFeature(details="resource embedding")
        if item.aggregate is not None and not aggregates_enabled:
            raise AggregatesNotAllowed()
        select.append(item)
    where: tuple[LogicNode, ...] = tuple(params.filters_at(())) + params.logic_at(())
    _check_embed_targets(params)
    root = ReadNode(table, tuple(select), where, params.order_at(()), top)
    return ReadPlan(root, media, prefs.count, top, max_rows, request.method == "HEAD")


def _check_embed_targets(params: QueryParams) -> None:
    """Filters, orders and limits on an embed path need that embed in ``select``."""
    from ..errors import NotEmbedded

    paths = {path for path, _ in params.filters_not_root}
    paths |= {path for path, _ in params.logic if path}
    paths |= {path for path, _ in params.order if path}
    paths |= {path for path, _ in params.ranges if path}
    for path in sorted(paths):
        raise NotEmbedded(".".join(path))


def filter_column(table: Table, flt: Filter) -> Column | None:
    return table.column_index.get(flt.field.name)
