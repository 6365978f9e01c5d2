"""Resolves a read (GET/HEAD on a table or view) against the catalog: a ReadPlan tree.

Follows PostgREST's Plan.hs: the query string's select tree, filters, logic
trees, order and ranges are attached to the node they belong to; the media
type is negotiated from Accept; the top-level range combines the Range
header, limit/offset and ``db-max-rows``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .. import fuzzy
from .. import media as mt
from ..catalog import Catalog, Table
from ..catalog.model import Cardinality, ForeignKey, MediaHandler, QualifiedName, Relationship
from ..catalog.relationships import relationship_key_schema
from ..errors import (
    AggregatesNotAllowed,
    AmbiguousRelBetween,
    NoRelBetween,
    NotEmbedded,
    NotImplementedFeature,
    RelatedOrderNotToOne,
    TableNotFound,
)
from ..request.api import ApiRequest
from ..request.model import (
    AggregateFunction,
    EmbedPath,
    Field,
    Is,
    IsValue,
    JoinType,
    JsonKey,
    LogicNode,
    LogicTree,
    OrderTerm,
    QueryParams,
    SelectEmbed,
    SelectField,
    SelectItem,
)
from ..request.preferences import Count
from ..request.ranges import ALL, RowRange, apply_max_rows, effective_range
from .settings import PlanSettings

__all__ = [
    "ComputedCall",
    "HoistedAggregate",
    "JoinCondition",
    "ReadNode",
    "ReadPlan",
    "Ref",
    "find_relation",
    "has_default_select",
    "plan_read",
    "read_tree",
    "split_plan_media",
]

# How SQL names a relation in a read: its FROM alias, or its qualified name.
Ref = str | QualifiedName


@dataclass(frozen=True, slots=True)
class JoinCondition:
    """``left.left_column = right.right_column``; each side a relation reference."""

    left: Ref
    left_column: str
    right: Ref
    right_column: str


@dataclass(frozen=True, slots=True)
class ComputedCall:
    """The FROM item of a computed relationship: ``function(argument::argument_type)``.

    ``argument`` names the parent's row: its FROM alias, or its bare table name.
    """

    function: QualifiedName
    argument: str
    argument_type: QualifiedName


@dataclass(frozen=True, slots=True)
class HoistedAggregate:
    """An aggregate over ``agg_alias.name``, moved up from a to-one spread to the node that groups."""

    agg_alias: str
    name: str
    aggregate: AggregateFunction
    cast: str | None
    alias: str | None


@dataclass(frozen=True, slots=True)
class ReadNode:
    """One relation of the read tree (PostgREST's ReadPlan): what to select, filter, order, page.

    The root has no relationship.  An embedded node knows the relationship
    to its parent, the alias its rows are aggregated under (``agg_alias``),
    how it joins (``join_type``), whether it is spread into its parent, and
    the join conditions that correlate it with the parent's row.
    """

    table: Table
    select: tuple[SelectField, ...]
    where: tuple[LogicNode, ...]
    order: tuple[OrderTerm, ...]
    range: RowRange
    children: tuple[ReadNode, ...] = ()
    name: str = ""  # the relation name as written in select=
    alias: str | None = None  # the user's alias for the embed
    from_alias: str | None = None  # the SQL alias of this node's FROM item
    agg_alias: str = ""
    rel: Relationship | None = None
    join_type: JoinType | None = None
    spread: bool = False
    join: tuple[JoinCondition, ...] = ()
    junction: QualifiedName | None = None
    computed: ComputedCall | None = None  # a computed relationship's FROM call
    source_cte: str | None = None  # a root that reads a CTE (a function's or a write's rows)
    depth: int = 0
    # Aggregates hoisted out of to-one spread children, applied where this node
    # selects their columns (PostgREST's hoistSpreadAggFunctions).
    spread_aggregates: tuple[HoistedAggregate, ...] = ()

    @property
    def ref(self) -> Ref:
        """How this node's columns are qualified in SQL."""
        if self.from_alias is not None:
            return self.from_alias
        return self.table.schema, self.table.name

    @property
    def output_name(self) -> str:
        return self.alias or self.name

    @property
    def to_one(self) -> bool:
        return self.rel is not None and self.rel.to_one

    @property
    def is_empty_embed(self) -> bool:
        """``projects()``: joined for filtering, not shown (PostgREST's rsEmptyEmbed)."""
        return not self.select and all(c.is_empty_embed for c in self.children)


@dataclass(frozen=True, slots=True)
class ReadPlan:
    root: ReadNode
    media: mt.MediaType
    count: Count | None
    range: RowRange
    max_rows: int | None
    head: bool
    representations: Mapping[tuple[str, str], QualifiedName] = field(default_factory=dict)
    # application/vnd.pgrst.plan: EXPLAIN the statement; ``media`` is then its ``for`` type.
    explain: mt.MediaType | None = None
    # A custom media type handler (an aggregate) builds the body instead of ``media``'s built-in one.
    handler: MediaHandler | None = None


def find_relation(catalog: Catalog, schema: str, name: str) -> Table:
    """O(1) lookup; on a miss, PostgREST's PGRST205 with a fuzzy "Perhaps you meant" hint.

    Error.tableNotFoundHint: the closest relation of ``schema`` scoring at
    least 0.75 (getFuzzyHint HintTable).  PostgREST keeps no fuzzy index for
    a schema of 500 relations or more (SchemaCache.maxDbTablesForFuzzySearch):
    no hint there.
    """
    table = catalog.table(schema, name)
    if table is None:
        names = catalog.table_names(schema)
        close = fuzzy.closest(names, name, fuzzy.NAME_HINT_MIN_SCORE) if len(names) < 500 else None
        raise TableNotFound(schema, name, close)
    return table


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


def plan_read(request: ApiRequest, params: QueryParams, catalog: Catalog, settings: PlanSettings) -> ReadPlan:
    table = find_relation(catalog, request.schema, request.target.name)
    limits = params.range_at(())
    top = effective_range(
        request.range,
        limits.limit if limits else None,
        limits.offset if limits else None,
        settings.max_rows,
        method=request.method,
    )
    root = _TreeBuilder(catalog, request.schema, params, settings).build(table, params.select, top)
    # Negotiated after the tree is built: handlers of the relation need the default select.
    negotiated = mt.negotiate(request.accept, catalog.media_handlers, table.qualified_name,
                              default_select=has_default_select(root), plan_enabled=settings.plan_enabled)
    explain, media = split_plan_media(negotiated.media)
    return ReadPlan(root, media, request.preferences.count, top, settings.max_rows, request.method == "HEAD",
                    catalog.representations, explain, negotiated.handler)


def has_default_select(root: ReadNode) -> bool:
    """Plan.hasDefaultSelect: only ``*`` is selected, nothing embedded.

    A handler of one relation (or a function's media-type domain) gets the
    relation's rows as they are, so any other select rules it out.
    """
    if root.children or len(root.select) != 1:
        return False
    item = root.select[0]
    return item.field.name == "*" and not item.field.json_path and item.aggregate is None


def split_plan_media(media: mt.MediaType) -> tuple[mt.MediaType | None, mt.MediaType]:
    """(the plan media type or None, the media type the statement is built for).

    PostgREST's mtSnippet EXPLAINs the statement it would run for the ``for``
    type (application/json when not given).
    """
    if media.kind is mt.MediaKind.PLAN:
        return media, media.plan_for or mt.JSON
    return None, media


def read_tree(
    catalog: Catalog,
    schema: str,
    params: QueryParams,
    table: Table,
    top: RowRange,
    settings: PlanSettings,
    *,
    source: tuple[str, str] | None = None,
) -> ReadNode:
    """The ReadNode tree over ``table``; with ``source`` = (cte, alias) the root reads that CTE instead.

    PostgREST reads a function's result this way (addRels' root case for
    ActRoutine): ``FROM pgrst_source AS <relation>``, the alias naming the
    relation the function returns so its relationships can be embedded.
    """
    return _TreeBuilder(catalog, schema, params, settings).build(table, params.select, top, source)


class _TreeBuilder:
    """Builds the ReadNode tree: PostgREST's readPlan stages in one recursive pass."""

    def __init__(self, catalog: Catalog, schema: str, params: QueryParams, settings: PlanSettings) -> None:
        self.catalog = catalog
        self.schema = schema
        self.params = params
        self.max_rows = settings.max_rows
        self.aggregates_enabled = settings.aggregates_enabled
        self.legacy = settings.legacy_target_names

    def build(self, table: Table, items: tuple[SelectItem, ...], top: RowRange,
              source: tuple[str, str] | None = None) -> ReadNode:
        root = self._node(table, items, path=(), depth=0, parent=None, embed=None, top=top, source=source,
                          has_agg=False)
        self._check_unused_paths(root)
        return hoist_spread_aggregates(root)[0]

    # -- one node --------------------------------------------------------------

    def _has_reps(self, table: Table) -> bool:
        reps = self.catalog.representations
        return bool(reps) and any((c.type, "json") in reps for c in table.columns)

    def _names(self, embed: SelectEmbed) -> frozenset[str]:
        """What a filter path may call an embed: its alias, or with legacy target names also its name."""
        if embed.alias is None:
            return frozenset((embed.name,))
        return frozenset((embed.alias, embed.name)) if self.legacy else frozenset((embed.alias,))

    def _node(self, table: Table, items: tuple[SelectItem, ...], *, path: tuple[frozenset[str], ...], depth: int,
              parent: ReadNode | None, embed: SelectEmbed | None, top: RowRange | None = None,
              rel: Relationship | None = None, source: tuple[str, str] | None = None,
              has_agg: bool) -> ReadNode:
        fields: list[SelectField] = []
        embeds: list[SelectEmbed] = []
        for item in items:
            if isinstance(item, SelectEmbed):
                embeds.append(item)
            else:
                if item.aggregate is not None and not self.aggregates_enabled:
                    raise AggregatesNotAllowed()
                fields.append(item)
        # expandStars: ``*`` becomes the table's columns under an aggregate of
        # this node or of an ancestor (GROUP BY names every column then, the
        # spread ones too) and in a to-many spread, which aggregates each
        # column separately; columns with a data representation are formatted
        # one by one.
        has_agg = (has_agg or any(f.aggregate is not None for f in fields)
                   or (embed is not None and embed.spread and rel is not None and not rel.to_one))
        if has_agg or self._has_reps(table):
            fields = [f for item in fields for f in _expand_star(table, item)]
        node = ReadNode(table=table, select=tuple(fields), where=(), order=(), range=ALL, depth=depth)
        if source is not None:
            # A root read from a CTE (a function's result): FROM "cte" AS "alias".
            node = replace(node, source_cte=source[0], from_alias=source[1])
        if embed is not None and parent is not None and rel is not None:
            node = self._attach(node, parent, embed, rel)
        children = []
        for child_embed in embeds:
            child_rel = self._find_rel(node, child_embed)
            target = self._target_table(child_rel)
            child_path = path + (self._names(child_embed),)
            children.append(self._node(target, child_embed.children, path=child_path, depth=depth + 1,
                                       parent=node, embed=child_embed, rel=child_rel, has_agg=has_agg))
        node = replace(node, children=tuple(children))
        return self._add_query_parts(node, path, top)

    def _attach(self, node: ReadNode, parent: ReadNode, embed: SelectEmbed, rel: Relationship) -> ReadNode:
        """addRels: aliases and join conditions of an embedded node."""
        depth = node.depth
        agg_alias = f"{rel.table[1]}_{embed.alias or embed.name}_{depth}"
        common = dict(name=embed.name, alias=embed.alias, rel=rel, agg_alias=agg_alias,
                      join_type=embed.join_type, spread=embed.spread)
        parent_ref = parent.ref
        if rel.is_computed:
            fn = rel.function
            assert fn is not None
            from_alias = f"{rel.foreign_table[1]}_{depth}"
            call = ComputedCall(fn, parent.from_alias or parent.table.name, rel.table)
            return replace(node, from_alias=from_alias, computed=call, **common)
        if rel.cardinality == Cardinality.M2M:
            j = rel.junction
            assert j is not None
            jref, tref = j.table, rel.foreign_table
            conds = [JoinCondition(jref, jcol, tref, tcol) for tcol, jcol in j.target_columns]
            conds += [JoinCondition(jref, jcol, parent_ref, pcol) for pcol, jcol in j.source_columns]
            return replace(node, join=tuple(conds), junction=j.table, **common)
        from_alias = f"{rel.foreign_table[1]}_{depth}"
        conds = tuple(JoinCondition(from_alias, fcol, parent_ref, col) for col, fcol in rel.columns)
        return replace(node, from_alias=from_alias, join=conds, **common)

    def _target_table(self, rel: Relationship) -> Table:
        """The relation ``rel`` embeds.

        A relationship may lead to a relation the schema cache keeps no entry for: a partition
        with a foreign key of its own (partitions are left out of the relations, not their keys).
        PostgREST embeds it all the same (findRel never looks the target up among the tables)
        and knows none of its columns, so its fields resolve as unknown: so does a relation
        without columns here.
        """
        table = self.catalog.table(*rel.foreign_table)
        if table is None:
            schema, name = rel.foreign_table
            table = Table(schema=schema, name=name, kind="r", description=None, columns=(), primary_key=(),
                          insertable=False, updatable=False, deletable=False)
        return table

    # -- filters, order, ranges of a node -------------------------------------

    def _add_query_parts(self, node: ReadNode, path: tuple[frozenset[str], ...], top: RowRange | None) -> ReadNode:
        params = self.params
        where: list[LogicNode] = []
        for flt in (params.filters_root if not path else ()):
            where.append(flt)
        if path:
            for at, flt in params.filters_not_root:
                if self._path_matches(at, path):
                    where.append(flt)
        for at, tree in params.logic:
            if self._path_matches(at, path):
                where.append(tree)
        where = [self._null_embed(node, w) for w in where]
        order: tuple[OrderTerm, ...] = ()
        for at, terms in params.order:
            if self._path_matches(at, path):
                order = tuple(self._related_order(node, t) for t in terms)
                break
        if top is not None:
            rng = top
        else:
            rng = ALL
            for at, lo in params.ranges:
                if self._path_matches(at, path):
                    rng = effective_range(ALL, lo.limit, lo.offset, None)
                    break
            rng = apply_max_rows(rng, self.max_rows)
        return replace(node, where=tuple(where), order=order, range=rng)

    @staticmethod
    def _path_matches(at: EmbedPath, path: tuple[frozenset[str], ...]) -> bool:
        return len(at) == len(path) and all(name in names for name, names in zip(at, path))

    def _null_embed(self, node: ReadNode, tree: LogicNode) -> LogicNode:
        """``projects=not.is.null`` on an embed filters on the embed itself (addNullEmbedFilters).

        Any other operator leaves the filter on the column of that name, as
        PostgREST does since v11.2 (PostgREST#2862): it no longer answers
        PGRST120, so ``/tournaments?select=*,status(*)&status=eq.3`` filters
        the ``status`` column, and a missing column is PostgreSQL's error.
        """
        if isinstance(tree, LogicTree):
            return replace(tree, children=tuple(self._null_embed(node, c) for c in tree.children))
        if tree.field.json_path or not isinstance(tree.operation, Is) or tree.operation.value != IsValue.NULL:
            return tree
        for child in node.children:
            if child.output_name == tree.field.name:
                return NullEmbedFilter(child.agg_alias, tree.negated)
        return tree

    def _related_order(self, node: ReadNode, term: OrderTerm) -> OrderTerm:
        if term.relation is None:
            return term
        for child in node.children:
            if child.output_name == term.relation:
                if not child.to_one:
                    raise RelatedOrderNotToOne(node.table.name, child.output_name)
                return replace(term, relation=child.agg_alias)
        raise NotEmbedded(term.relation)

    def _check_unused_paths(self, root: ReadNode) -> None:
        """Filters, orders and limits on an embed path need that embed in ``select``."""
        params = self.params
        paths = [at for at, _ in params.filters_not_root] + [at for at, _ in params.logic]
        paths += [at for at, _ in params.order] + [at for at, _ in params.ranges]
        for at in paths:
            node = root
            for name in at:
                match = [c for c in node.children if name == c.output_name
                         or (self.legacy and name == c.name)]
                if not match:
                    aliased = [c for c in node.children if c.name == name and c.alias is not None]
                    # Without legacy target names an aliased embed is only known by its alias.
                    raise NotEmbedded(name, (name, aliased[0].alias) if aliased else None)
                node = match[0]

    # -- relationships ---------------------------------------------------------

    def _find_rel(self, parent: ReadNode, embed: SelectEmbed) -> Relationship:
        """PostgREST's findRel: one relationship or PGRST200/PGRST201."""
        origin = parent.table.name
        target, hint = embed.name, embed.hint
        candidates = self.catalog.relationships(parent.table.schema, origin, self.schema)
        found = [r for r in candidates if _matches(r, target, hint)]
        if len(found) == 1:
            return found[0]
        if not found:
            raise no_relationship_error(self.catalog, self.schema, origin, target, hint)
        raise ambiguous_relationship_error(origin, target, found)


def hoist_spread_aggregates(node: ReadNode) -> tuple[ReadNode, list[HoistedAggregate]]:
    """PostgREST's hoistSpreadAggFunctions: ``...child(col.sum())`` sums in the parent's context.

    A to-one spread selects the bare column and hands the aggregate up (with
    those of its own to-one spread children, renamed to its agg alias) until a
    node that is the root or a JSON embed applies them over its grouped rows.
    Aggregates inside a to-many spread are refused (addToManyOrderSelects).
    """
    results = [hoist_spread_aggregates(child) for child in node.children]
    children = tuple(child for child, _ in results)
    from_children = [agg for _, hoisted in results for agg in hoisted]
    to_one_spread = node.spread and node.to_one
    select = node.select
    hoisted: list[HoistedAggregate] = []
    if to_one_spread:
        fields = []
        for item in select:
            if item.aggregate is None:
                fields.append(item)
                continue
            # addAliases: an aggregate in a spread is named after its function
            # unless aliased, so the bare column selected here (a JSON path's
            # last key, or a column also selected as it is) cannot clash.
            name = item.alias if item.alias is not None else item.aggregate.value
            hoisted.append(HoistedAggregate(node.agg_alias, name, item.aggregate, item.aggregate_cast, name))
            # expandStars tags a spread's count() as the full row: its columns
            # would otherwise clash with the ones selected beside it.
            full_row = item.field.name == "*" and not item.field.json_path
            fields.append(replace(item, alias=name, aggregate=None, aggregate_cast=None, full_row=full_row))
        select = tuple(fields)
        hoisted += [replace(agg, agg_alias=node.agg_alias) for agg in from_children]
        applied: tuple[HoistedAggregate, ...] = ()
    else:
        applied = tuple(from_children)
    if node.spread and not node.to_one and (applied or any(s.aggregate is not None for s in select)):
        raise NotImplementedFeature(details="Aggregates are not implemented for one-to-many or many-to-many spreads.")
    return replace(node, select=select, children=children, spread_aggregates=applied), hoisted


def _expand_star(table: Table, item: SelectField) -> list[SelectField]:
    if item.field.name != "*" or item.field.json_path or item.aggregate is not None:
        return [item]
    return [SelectField(Field(c.name)) for c in table.columns]


@dataclass(frozen=True, slots=True)
class NullEmbedFilter:
    """``embed=is.null`` / ``embed=not.is.null`` on an embedded resource."""

    agg_alias: str
    negated: bool


def _matches(rel: Relationship, target: str, hint: str | None) -> bool:
    if rel.is_computed:
        return rel.function is not None and target == rel.function[1]
    card = rel.cardinality
    simple = card in (Cardinality.O2M, Cardinality.M2O, Cardinality.O2O)
    single = simple and len(rel.columns) == 1

    def fk_col(h: str) -> bool:
        return single and rel.columns[0][0] == h

    def fk_ref_col(h: str) -> bool:
        return single and rel.columns[0][1] == h

    def constraint(h: str) -> bool:
        return simple and rel.constraint == h

    def junction(h: str) -> bool:
        return card == Cardinality.M2M and rel.junction is not None and rel.junction.table[1] == h

    foreign = rel.foreign_table[1]
    if rel.is_self:
        if hint is None:
            return (target == foreign and card == Cardinality.O2M) or (fk_col(target) and card == Cardinality.M2O)
        return target == foreign and card == Cardinality.O2M and fk_ref_col(hint)
    if hint is None:
        return (target == foreign
                or (constraint(target) and not rel.foreign_table_is_view)
                or (fk_col(target) and not rel.foreign_table_is_view))
    return target == foreign and (constraint(hint) or fk_col(hint) or fk_ref_col(hint) or junction(hint))


def no_relationship_error(catalog: Catalog, schema: str, parent: str, child: str, hint: str | None) -> NoRelBetween:
    details = (f"Searched for a foreign key relationship between '{parent}' and '{child}"
               + (f"' using the hint '{hint}" if hint else "")
               + f"' in the schema '{schema}', but no matches were found.")
    # Error.noRelBetweenHint.  PostgREST looks (schema.parent, schema) up in
    # its RelationshipsMap, where a computed relationship is filed under its
    # function's schema.  Found: the closest foreign table name of those
    # relationships (a computed relationship's is the table its function
    # returns), by Fuzzy.get (score 0.33), but nothing when ``child`` is one
    # of them (score 1).  Not found: the closest origin name among the map's
    # keys for ``schema``, by Fuzzy.getOne (score 0.33).
    origins = _relationship_origins(catalog, schema)
    if (schema, parent) in origins:
        children = [r.foreign_table[1] for r in catalog.relationships(schema, parent, schema)]
        close = next((name for score, name in fuzzy.matches(children, child) if score < 1.0), None)
        wrong = child
    else:
        close = fuzzy.closest(sorted({name for _, name in origins}), parent)
        wrong = parent
    suggestion = None if close is None else f"Perhaps you meant '{close}' instead of '{wrong}'."
    return NoRelBetween(f"Could not find a relationship between '{parent}' and '{child}' in the schema cache",
                        details=details, hint=suggestion)


def _relationship_origins(catalog: Catalog, schema: str) -> set[QualifiedName]:
    """The origins PostgREST's RelationshipsMap has an ``(origin, schema)`` key for.

    Those with a relationship filed under ``schema`` (to a relation of it,
    or computed by a function of it: relationship_key_schema), and also those
    whose only such relationships are many-to-many through a junction in a
    schema that is not exposed: PostgREST derives these and then drops them
    (SchemaCache.removeInternal), which leaves their key with an empty list.
    The catalog has no primary key for a table that is not exposed, so two
    many-to-one foreign keys of such a table stand for a junction here.
    """
    origins = {origin for origin, rels in catalog.relationship_index.items()
               if any(relationship_key_schema(r) == schema for r in rels)}
    exposed = frozenset(catalog.schemas)
    hidden: dict[QualifiedName, list[ForeignKey]] = {}
    for fk in catalog.foreign_keys:
        if fk.table[0] not in exposed and not fk.one_to_one:
            hidden.setdefault(fk.table, []).append(fk)
    for keys in hidden.values():
        for first in keys:
            if first.foreign_table[0] in exposed and any(
                    second.name != first.name and second.foreign_table[0] == schema for second in keys):
                origins.add(first.foreign_table)
    return origins


def ambiguous_relationship_error(parent: str, child: str, rels: list[Relationship]) -> AmbiguousRelBetween:
    def cols(names: list[str] | tuple[str, ...]) -> str:
        return "(" + ", ".join(names) + ")"

    details = []
    hints = []
    for r in rels:
        entry: dict[str, str] = {"embedding": f"{r.table[1]} with {r.foreign_table[1]}"}
        if r.cardinality == Cardinality.M2M and r.junction is not None:
            j = r.junction
            entry["cardinality"] = "many-to-many"
            entry["relationship"] = (f"{j.table[1]} using {j.constraint1}{cols([c for _, c in j.source_columns])}"
                                     f" and {j.constraint2}{cols([c for _, c in j.target_columns])}")
            hints.append(f"'{r.foreign_table[1]}!{j.table[1]}'")
        elif r.cardinality is not None:
            entry["cardinality"] = {Cardinality.M2O: "many-to-one", Cardinality.O2M: "one-to-many",
                                    Cardinality.O2O: "one-to-one"}[r.cardinality]
            entry["relationship"] = (f"{r.constraint} using {r.table[1]}{cols([a for a, _ in r.columns])}"
                                     f" and {r.foreign_table[1]}{cols([b for _, b in r.columns])}")
            hints.append(f"'{r.foreign_table[1]}!{r.constraint}'")
        details.append(entry)
    return AmbiguousRelBetween(
        f"Could not embed because more than one relationship was found for '{parent}' and '{child}'",
        details=details,
        hint=f"Try changing '{child}' to one of the following: {', '.join(hints)}. "
             "Find the desired relationship in the 'details' key.",
    )


