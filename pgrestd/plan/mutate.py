"""Resolves a write (POST, PATCH, PUT, DELETE on a table or view) against the catalog: a MutatePlan.

Follows PostgREST's Plan.hs (mutateReadPlan, mutatePlan,
inferColsEmbedNeeds) and ApiRequest.hs for what is checked before planning
(ranges, the payload), in PostgREST's order: PGRST114/PGRST103, PGRST102,
PGRST205, the select (PGRST123, embeds), PGRST108, PGRST105, PGRST204,
PGRST122, then content negotiation (PGRST107).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from ..catalog import Catalog, Column, Table
from ..errors import (
    AggregatesNotAllowed,
    ColumnNotFound,
    InvalidFilters,
    LimitNoOrderError,
    NotEmbedded,
    NotImplementedFeature,
)
from ..request import media as mt
from ..request.api import ApiRequest
from ..request.model import Compare, Filter, LogicNode, OrderTerm, QueryParams, SelectEmbed, SelectField
from ..request.payload import Payload, parse_payload
from ..request.preferences import Action, Handling, Missing, Preferences, Representation, Resolution
from ..request.ranges import ALL, RowRange, effective_range, parse_range_header
from .read import READ_MEDIA, find_relation

__all__ = ["Mutation", "MutatePlan", "OnConflict", "MUTATIONS", "plan_mutation"]


class Mutation(enum.StrEnum):
    """PostgREST's Mutation; the value is the action name of :data:`preferences.ACTIONS`."""

    CREATE = "create"  # POST
    UPDATE = "update"  # PATCH
    UPSERT = "upsert"  # PUT (PostgREST's MutationSingleUpsert)
    DELETE = "delete"  # DELETE


MUTATIONS: Mapping[str, Mutation] = MappingProxyType({
    "POST": Mutation.CREATE, "PATCH": Mutation.UPDATE, "PUT": Mutation.UPSERT, "DELETE": Mutation.DELETE,
})


@dataclass(frozen=True, slots=True)
class OnConflict:
    """``ON CONFLICT (columns) DO ...``: ``resolution=`` with ``on_conflict=`` or the primary key."""

    resolution: Resolution
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MutatePlan:
    """Everything the statement and the response of one write need.

    ``columns`` are the payload's columns, typed from the catalog and sorted
    (PostgREST's iColumns set).  ``where`` holds the root filters and logic
    trees: the rows an UPDATE or DELETE touches, or for PUT the conditions
    the body row must meet.  ``returning`` is empty for ``RETURNING 1``.
    ``range`` and ``order`` bound a limited UPDATE/DELETE; ``order`` also
    sorts the returned representation.  ``location_keys`` is set only when
    an insert answers with a Location header (``return=headers-only``).
    """

    mutation: Mutation
    table: Table
    columns: tuple[Column, ...]
    payload: Payload | None
    where: tuple[LogicNode, ...]
    on_conflict: OnConflict | None
    returning: tuple[str, ...]
    apply_defaults: bool
    order: tuple[OrderTerm, ...]
    range: RowRange
    select: tuple[SelectField, ...]
    media: mt.MediaType
    representation: Representation | None
    count: bool
    location_keys: tuple[str, ...]
    max_affected: int | None
    merge_duplicates: bool
    applied: str | None

    @property
    def full(self) -> bool:
        """``return=representation``: the rows go back in the body."""
        return self.representation is Representation.FULL

    @property
    def singular(self) -> bool:
        return self.media.kind is mt.MediaKind.OBJECT

    @property
    def tracks_inserted(self) -> bool:
        """PUT and merge-duplicates count inserted rows in ``pgrst.inserted`` to tell 201 from 200."""
        return self.mutation is Mutation.UPSERT or (self.mutation is Mutation.CREATE and self.merge_duplicates)


def plan_mutation(
    request: ApiRequest,
    params: QueryParams,
    prefs: Preferences,
    catalog: Catalog,
    *,
    plan_enabled: bool = False,
    aggregates_enabled: bool = False,
) -> MutatePlan:
    mutation = MUTATIONS[request.method]
    rng = _range(request, params, mutation)
    payload: Payload | None = None
    if mutation is not Mutation.DELETE:
        columns_param = params.columns if mutation in (Mutation.CREATE, Mutation.UPDATE) else None
        payload = parse_payload(request.body, request.headers.get("content-type"), columns=columns_param)
    table = find_relation(catalog, request.schema, request.target.name)
    select = _select(params, aggregates_enabled)
    _check_embed_targets(params)
    order = params.order_at(())
    for term in order:
        if term.relation is not None:
            raise NotEmbedded(term.relation)
    if mutation is Mutation.UPSERT:
        _check_put_filters(table, params)
    columns: tuple[Column, ...] = ()
    if payload is not None:
        names = payload.keys if payload.keys is not None else (params.columns or ())
        columns = tuple(_column(table, name) for name in names)
    prefs.validate()
    media = mt.negotiate(mt.parse_accept(request.headers.get("accept")), READ_MEDIA,
                         vendor_types=True, plan_enabled=plan_enabled)
    if media.kind is mt.MediaKind.PLAN:
        raise NotImplementedFeature(details="application/vnd.pgrst.plan on writes")

    pk = table.primary_key
    representation = prefs.representation
    on_conflict: OnConflict | None = None
    merge = False
    if mutation is Mutation.CREATE and prefs.resolution is not None:
        merge = prefs.resolution is Resolution.MERGE_DUPLICATES
        target = params.on_conflict if params.on_conflict is not None else pk
        if target:
            on_conflict = OnConflict(prefs.resolution, target)
    elif mutation is Mutation.UPSERT:
        on_conflict = OnConflict(Resolution.MERGE_DUPLICATES, pk)
    where = params.filters_at(()) + params.logic_at(())
    if mutation is Mutation.CREATE:
        where = ()
    returning = _returning(select, pk, representation, order)
    location_keys = pk if mutation is Mutation.CREATE and representation is Representation.HEADERS_ONLY else ()
    max_affected = None
    if mutation in (Mutation.UPDATE, Mutation.DELETE) and prefs.handling is Handling.STRICT:
        max_affected = prefs.max_affected
    action: Action = mutation.value  # type: ignore[assignment]
    applied = prefs.applied_for(action, has_conflict_target=bool(pk) or params.on_conflict is not None)
    return MutatePlan(
        mutation=mutation,
        table=table,
        columns=columns,
        payload=payload,
        where=where,
        on_conflict=on_conflict,
        returning=returning,
        apply_defaults=prefs.missing is Missing.DEFAULT and mutation in (Mutation.CREATE, Mutation.UPDATE),
        order=order,
        range=rng if mutation in (Mutation.UPDATE, Mutation.DELETE) else ALL,
        select=select,
        media=media,
        representation=representation,
        count=prefs.should_count,
        location_keys=location_keys,
        max_affected=max_affected,
        merge_duplicates=merge,
        applied=applied,
    )


def _range(request: ApiRequest, params: QueryParams, mutation: Mutation) -> RowRange:
    """ApiRequest.getRanges: a bad range is PGRST103, PUT takes none (PGRST114).

    A limited PATCH or DELETE needs an explicit order, PostgREST 12's rule
    (PGRST109): without one, which rows a limit keeps is up to the planner.
    The Range header never applies to writes.
    """
    limits = params.range_at(())
    if limits is None:
        return ALL
    rng = effective_range(parse_range_header(request.headers.get("range")), limits.limit, limits.offset,
                          None, method=request.method)
    if rng != ALL and mutation in (Mutation.UPDATE, Mutation.DELETE) and not params.order_at(()):
        raise LimitNoOrderError()
    return rng


def _select(params: QueryParams, aggregates_enabled: bool) -> tuple[SelectField, ...]:
    out: list[SelectField] = []
    for item in params.select:
        if isinstance(item, SelectEmbed):
            # The returned rows will be read through the read builder once it embeds.
            raise NotImplementedFeature(details="resource embedding on the rows a write returns")
        if item.aggregate is not None and not aggregates_enabled:
            raise AggregatesNotAllowed()
        out.append(item)
    return tuple(out)


def _check_embed_targets(params: QueryParams) -> None:
    """Plan.addFilters/addLogicTrees on a write: filters on an embed path need that embed.

    Orders and limits on embed paths are not read for writes (addOrders and
    addRanges skip mutations), so they are not checked.
    """
    paths = {path for path, _ in params.filters_not_root}
    paths |= {path for path, _ in params.logic if path}
    for path in sorted(paths):
        raise NotEmbedded(path[0])


def _check_put_filters(table: Table, params: QueryParams) -> None:
    """PUT addresses one row: ``eq`` filters on exactly the primary key columns, nothing else (PGRST105)."""
    pk = table.primary_key
    if params.logic or not pk or params.filter_fields != frozenset(pk):
        raise InvalidFilters()
    for flt in params.filters_root:
        if not _is_plain_eq(flt):
            raise InvalidFilters()


def _is_plain_eq(flt: Filter) -> bool:
    op = flt.operation
    return (not flt.negated and isinstance(op, Compare) and op.operator == "eq" and op.quantifier is None
            and not flt.field.json_path)


def _column(table: Table, name: str) -> Column:
    column = table.column_index.get(name)
    if column is None:
        raise ColumnNotFound(table.name, name)
    return column


def _returning(select: tuple[SelectField, ...], pk: tuple[str, ...], representation: Representation | None,
               order: tuple[OrderTerm, ...]) -> tuple[str, ...]:
    """Plan.inferColsEmbedNeeds: the selected columns plus the primary key, or ``*``.

    Only when rows go back (``return=representation`` or ``headers-only``);
    PostgREST's sorted set keeps RETURNING stable.  The order columns are
    added so the representation can be sorted.
    """
    if representation is None or representation is Representation.MINIMAL:
        return ()
    names = {item.field.name for item in select}
    if "*" in names:
        return ("*",)
    names.update(pk)
    names.update(term.field.name for term in order)
    return tuple(sorted(names))
