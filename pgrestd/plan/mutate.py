"""Resolves a write (POST, PATCH, PUT, DELETE on a table or view) against the catalog: a MutatePlan.

Follows PostgREST's Plan.hs (mutateReadPlan, mutatePlan,
inferColsEmbedNeeds) and ApiRequest.hs for what is checked before planning
(ranges, the payload), in PostgREST's order: PGRST103/PGRST114/PGRST109,
PGRST102, PGRST205, the read of the returned rows (PGRST123, PGRST200/201,
PGRST108), PGRST105, PGRST204, PGRST122, then content negotiation
(PGRST107).  The returned rows are read by the read planner itself, rooted
at the mutation's CTE, so ``?select=`` embeds work on writes as on reads.

Limited PATCH/DELETE (``limit``/``offset`` with an ``order``) follow
PostgREST 12; PostgREST 13 dropped them for ``Prefer: max-affected``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from ..catalog import Catalog, Column, Table
from ..catalog.model import QualifiedName
from ..errors import ColumnNotFound, InvalidFilters, LimitNoOrderError, NotImplementedFeature
from .. import media as mt
from ..request.api import ApiRequest
from ..request.model import Compare, Filter, LogicNode, OrderTerm, QueryParams
from ..request.payload import Payload
from ..request.preferences import Action, Handling, Missing, Representation, Resolution
from ..request.ranges import ALL, RowRange, effective_range
from .read import ReadNode, find_relation, read_tree, split_plan_media
from .settings import PlanSettings

__all__ = ["MUTATIONS", "SOURCE", "MutatePlan", "Mutation", "OnConflict", "plan_mutation"]

# The CTE holding the mutation's RETURNING rows (PostgREST's sourceCTEName).
SOURCE = "pgrst_source"


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
    ``range`` and ``order`` bound a limited UPDATE/DELETE.  ``read`` is the
    read of the returned rows (``?select=`` with embeds, embed filters,
    orders), rooted at the ``pgrst_source`` CTE under the table's name.
    ``location_keys`` is set only when an insert answers with a Location
    header (``return=headers-only``).
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
    read: ReadNode
    media: mt.MediaType
    representation: Representation | None
    count: bool
    location_keys: tuple[str, ...]
    max_affected: int | None
    merge_duplicates: bool
    applied: str | None
    # Data representations: (source type, target type) -> cast function.
    representations: Mapping[tuple[str, str], QualifiedName] = field(default_factory=dict)
    # application/vnd.pgrst.plan: EXPLAIN the statement; ``media`` is then its ``for`` type.
    explain: mt.MediaType | None = None

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


def plan_mutation(request: ApiRequest, params: QueryParams, catalog: Catalog, settings: PlanSettings) -> MutatePlan:
    mutation = MUTATIONS[request.method]
    prefs = request.preferences
    rng = _range(request, params, mutation)
    if request.payload_error is not None:
        raise request.payload_error
    payload = request.payload
    table = find_relation(catalog, request.schema, request.target.name)
    read = read_tree(catalog, request.schema, _output_params(params), table, ALL, replace(settings, max_rows=None),
                     source=(SOURCE, table.name))
    order = params.order_at(())
    if rng != ALL and any(term.relation is not None for term in order):
        raise NotImplementedFeature(details="a limited update or delete ordered by an embedded resource")
    if mutation is Mutation.UPSERT:
        _check_put_filters(table, params)
    columns: tuple[Column, ...] = ()
    if payload is not None:
        names = payload.keys if payload.keys is not None else (params.columns or ())
        columns = tuple(_column(table, name) for name in names)
    prefs.validate()
    # Writes answer with the built-in handlers only (JSON, CSV, GeoJSON).
    media = mt.negotiate(request.accept, plan_enabled=settings.plan_enabled).media
    explain, media = split_plan_media(media)

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
    returning = _returning(read, pk, representation, order)
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
        read=read,
        media=media,
        representation=representation,
        count=prefs.should_count,
        location_keys=location_keys,
        max_affected=max_affected,
        merge_duplicates=merge,
        applied=applied,
        representations=catalog.representations,
        explain=explain,
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
    rng = effective_range(request.range, limits.limit, limits.offset, None, method=request.method)
    if rng != ALL and mutation in (Mutation.UPDATE, Mutation.DELETE) and not params.order_at(()):
        raise LimitNoOrderError()
    return rng


def _output_params(params: QueryParams) -> QueryParams:
    """The query as the read of a write's returned rows sees it (Plan.readPlan on a mutation).

    Root filters select the rows to change, not the rows to show
    (addFilters takes only qsFiltersNotRoot); root logic trees likewise, or
    a PATCH that changes the filtered column would hide its own rows.
    Ranges are not read for writes (addRanges), nor is db-max-rows.
    """
    return replace(params, filters_root=(), logic=tuple(item for item in params.logic if item[0]), ranges=())


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


def _returning(read: ReadNode, pk: tuple[str, ...], representation: Representation | None,
               order: tuple[OrderTerm, ...]) -> tuple[str, ...]:
    """Plan.inferColsEmbedNeeds: the selected columns, the embeds' join columns and the primary key, or ``*``.

    Only when rows go back (``return=representation`` or ``headers-only``);
    sorted as PostgREST's set, which keeps RETURNING stable.  The root's
    order columns are added so the representation can be sorted.
    """
    if representation is None or representation is Representation.MINIMAL:
        return ()
    names = {item.field.name for item in read.select}
    for child in read.children:
        rel = child.rel
        if rel is None:
            continue
        if rel.is_computed:
            return ("*",)
        if rel.junction is not None:
            names.update(col for col, _ in rel.junction.source_columns)
        else:
            names.update(col for col, _ in rel.columns)
    if "*" in names or (not read.select and not read.children):
        return ("*",)
    names.update(pk)
    names.update(term.field.name for term in order if term.relation is None)
    return tuple(sorted(names))
