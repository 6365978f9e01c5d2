"""The one statement of a read: rows, body (JSON or CSV) and counts built in PostgreSQL.

The shape follows PostgREST's Query/Statements.hs (mainRead) and
QueryBuilder.hs (readPlanToQuery, readPlanToCountQuery); every value from
the request is a bind parameter, every identifier is quoted by
:func:`.fragments.ident`, so one request shape always gives one SQL text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ..catalog import MediaHandler, Table
from ..plan.read import HoistedAggregate, JoinCondition, NullEmbedFilter, ReadNode, ReadPlan, Ref, output_name
from .. import media as mt
from ..request.model import (
    Compare,
    Field,
    Filter,
    FullTextSearch,
    In,
    Is,
    IsDistinct,
    JoinType,
    JsonIndex,
    LogicNode,
    LogicTree,
    OrderTerm,
    SelectField,
)
from ..request.operators import BY_KEY, IS_KEYWORDS, QUANTIFIER_SQL
from ..request.preferences import Count
from ..request.ranges import ALL, RowRange
from .builder import SqlBuilder, response_row
from .fragments import ident, qualified

__all__ = [
    "ReadBuilder",
    "array_literal",
    "body_expression",
    "count_explain_statement",
    "explain_statement",
    "handler_expression",
    "read_statement",
    "ref_sql",
    "regconfig_input",
]

_JSON_TYPES = frozenset(("json", "jsonb"))
_SOURCE = "pgrst_source"


def array_literal(values: tuple[str, ...] | list[str]) -> str:
    """A PostgreSQL array literal of text items, bound as one unknown-typed parameter.

    As PostgREST's pgBuildArrayLiteral: every item double-quoted, backslashes
    and quotes escaped, NUL characters dropped.
    """
    items = []
    for v in values:
        v = v.replace("\x00", "").replace("\\", "\\\\").replace('"', '\\"')
        items.append('"' + v + '"')
    return "{" + ",".join(items) + "}"


def regconfig_input(language: str) -> str:
    """The text to cast to ``regconfig`` for an fts language.

    regconfig input reads an all-digit string as an OID, and an OID of no
    configuration fails with XX000 "cache lookup failed" (a 500); such a
    language is double-quoted so it is looked up as a name, and an unknown
    one is 42704 (400).  Other names stay unquoted, so they are case-folded.
    """
    if language.isascii() and language.isdigit():
        return '"' + language + '"'
    return language


class ReadBuilder(SqlBuilder):
    """Renders a ReadPlan tree: fields, filters, orders, embeds; parameters in text order."""

    __slots__ = ()

    def _transform(self, table: Table, field: Field, source: str | None, target: str | None) -> str | None:
        """The cast function for a plain column of a domain type, if one is defined."""
        if not self.reps or field.json_path:
            return None
        col = table.column_index.get(field.name)
        if col is None:
            return None
        fn = self.reps.get((source or col.type, target or col.type))
        return qualified(*fn) if fn is not None else None

    # -- fields ----------------------------------------------------------------

    def field(self, qi: str, table: Table | None, field: Field) -> str:
        if field.name == "*":
            return qi + ".*"
        column = qi + "." + ident(field.name)
        if not field.json_path:
            return column
        col = table.column_index.get(field.name) if table is not None else None
        if col is not None and (col.base_type or col.type) not in _JSON_TYPES:
            # Composite and array columns are walked as JSON (PostgREST's cfToJson).
            column = "to_jsonb(" + column + ")"
        return self._json_path(column, field)

    def _json_path(self, column: str, field: Field) -> str:
        out = [column]
        for op in field.json_path:
            if isinstance(op.operand, JsonIndex):
                out.append(op.arrow + self.param(op.operand.value) + "::int")
            else:
                out.append(op.arrow + self.param(op.operand.value))
        return "".join(out)

    def select_item(self, qi: str, table: Table, item: SelectField) -> str:
        if item.full_row:
            return qi + (" AS " + ident(item.alias) if item.alias is not None else "")
        expr = self.field(qi, table, item.field)
        formatter = self._transform(table, item.field, None, "json")
        if formatter is not None:
            expr = f"{formatter}({expr})"
            if item.alias is None and item.aggregate is None:
                item = replace(item, alias=item.field.name)
        if item.cast:
            # Cast names are validated by the grammar (letters, digits, spaces,
            # brackets); PostgREST leaves them unquoted so "int" keeps working.
            expr = f"CAST({expr} AS {item.cast})"
        if item.aggregate is not None:
            expr = f"{item.aggregate.upper()}({'*' if item.field.name == '*' else expr})"
            if item.aggregate_cast:
                expr = f"CAST({expr} AS {item.aggregate_cast})"
        if item.aggregate is None:
            name = output_name(item)
        else:
            # An aggregate is named after its function unless aliased, whatever
            # its input (PostgREST's addAliases leaves it to PostgreSQL).
            name = item.alias if item.alias is not None else item.aggregate.value
        return expr + (" AS " + ident(name) if name is not None else "")

    # -- filters ---------------------------------------------------------------

    def filter(self, qi: str, table: Table, flt: Filter) -> str:
        op = flt.operation
        if isinstance(op, FullTextSearch):
            return ("NOT " if flt.negated else "") + self._fts(qi, table, flt.field, op)
        field = self.field(qi, table, flt.field)
        if isinstance(op, Compare):
            spec = BY_KEY[op.operator]
            value = op.value.replace("*", "%") if spec.star_is_percent else op.value
            rhs = self.param(value)
            if not spec.star_is_percent:
                parser = self._transform(table, flt.field, "text", None)
                if parser is not None:
                    rhs = f"{parser}({rhs})"
            if op.quantifier is not None:
                rhs = f"{QUANTIFIER_SQL[op.quantifier]}({rhs})"
            sql = f"{field} {spec.sql} {rhs}"
        elif isinstance(op, In):
            if op.values == ("",):
                sql = f"{field} = ANY('{{}}')"
            else:
                array = self.param(array_literal(op.values))
                parser = self._transform(table, flt.field, "text", None)
                if parser is not None:
                    # Parse each item (pgFmtArrayLiteralForField): a map over unnest.
                    array = f"(SELECT {parser}(unnest({array}::text[])))"
                sql = f"{field} = ANY({array})"
        elif isinstance(op, Is):
            sql = f"{field} IS {IS_KEYWORDS[op.value.value]}"
        elif isinstance(op, IsDistinct):
            sql = f"{field} IS DISTINCT FROM {self.param(op.value)}"
        else:  # pragma: no cover - the grammar produces no other operation
            raise TypeError(op)
        return "NOT " + sql if flt.negated else sql

    def _fts(self, qi: str, table: Table, field: Field, op: FullTextSearch) -> str:
        col = table.column_index.get(field.name)
        if col is not None and col.type and (col.base_type or col.type) != "tsvector":
            # PostgREST's ToTsVector: a column of a known type other than tsvector (or a domain
            # over it) is searched through to_tsvector.  A field of unknown type (unknownField:
            # not a column of the relation, or a column of a function's TABLE or OUT result) is
            # searched as it is, whatever its JSON path.
            lang = self.param(regconfig_input(op.language)) + "::regconfig, " if op.language else ""
            target = f"to_tsvector({lang}{self.field(qi, table, field)})"
        else:
            target = self.field(qi, table, field)
        lang = self.param(regconfig_input(op.language)) + "::regconfig, " if op.language else ""
        return f"{target} {BY_KEY[op.operator].sql}({lang}{self.param(op.value)})"

    def logic(self, qi: str, table: Table, node: LogicNode | NullEmbedFilter) -> str:
        if isinstance(node, Filter):
            return self.filter(qi, table, node)
        if isinstance(node, NullEmbedFilter):
            # The embed's lateral row is NULL when nothing matched (pgFmtFilter's CoercibleFilterNullEmbed).
            return ident(node.agg_alias) + (" IS DISTINCT FROM NULL" if node.negated else " IS NOT DISTINCT FROM NULL")
        joiner = " AND " if node.operator.value == "and" else " OR "
        inner = joiner.join(self.logic(qi, table, child) for child in node.children)
        return ("NOT " if node.negated else "") + "(" + inner + ")"

    def where(self, qi: str, table: Table, nodes: tuple[LogicNode, ...]) -> str:
        if not nodes:
            return ""
        return " WHERE " + " AND ".join(self.logic(qi, table, n) for n in nodes)

    def order(self, qi: str, table: Table, terms: tuple[OrderTerm, ...]) -> str:
        if not terms:
            return ""
        return " ORDER BY " + ", ".join(self._order_target(qi, table, t) + _direction(t) for t in terms)

    def limit_offset(self, rng: RowRange) -> str:
        if rng == ALL:
            return ""
        limit = "ALL" if rng.limit is None else self.param(max(rng.limit, 0))
        return f" LIMIT {limit} OFFSET {self.param(rng.offset)}"

    # -- queries ---------------------------------------------------------------

    def node_query(self, node: ReadNode) -> str:
        """readPlanToQuery: a node's SELECT with its embeds as lateral joins."""
        table = node.table
        qi = ref_sql(node.ref)
        select = node.select
        if not select and not node.children:
            select = (SelectField(Field("*")),)
        cols = [self.select_item(qi, table, item) for item in select]
        order_terms = node.order
        if node.spread and not node.to_one and order_terms:
            # A to-many spread orders inside its aggregates: select the order
            # keys under private names instead (addToManyOrderSelects).
            for i, term in enumerate(order_terms, 1):
                cols.append(self._order_target(qi, table, term) + " AS " + ident(_spread_order_alias(node, term, i)))
            order_terms = ()
        joins = []
        hoisted = {(h.agg_alias, h.name): h for h in node.spread_aggregates}
        for child in node.children:
            child_cols, join = self._join(child, hoisted)
            cols.extend(child_cols)
            joins.append(join)
        sql = "SELECT " + ", ".join(cols) + " FROM " + self._from(node) + "".join(joins)
        conds = [self.logic(qi, table, n) for n in node.where]
        conds += [_join_condition(c) for c in node.join]
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        sql += self._group_by(qi, table, select, node)
        sql += self.order(qi, table, order_terms)
        return sql + self.limit_offset(node.range)

    @staticmethod
    def _from(node: ReadNode) -> str:
        table = node.table
        if node.source_cte is not None:
            source = ident(node.source_cte)
        elif node.computed is not None:
            call = node.computed
            source = f"{qualified(*call.function)}({ident(call.argument)}::{qualified(*call.argument_type)})"
        else:
            source = qualified(table.schema, table.name)
        if node.from_alias is not None:
            source += " AS " + ident(node.from_alias)
        if node.junction is not None:
            source += ", " + qualified(*node.junction)
        return source

    def _join(self, child: ReadNode, hoisted: Mapping[tuple[str, str], HoistedAggregate]) -> tuple[list[str], str]:
        """getJoin + getJoinSelects: the columns a child adds to its parent and its LATERAL join."""
        agg = ident(child.agg_alias)
        kind = "INNER" if child.join_type == JoinType.INNER else "LEFT"
        sub = self.node_query(child)
        if child.spread:
            names = _spread_names(child, expand_star=not child.to_one)
            if child.to_one:
                cols = [_spread_item(agg, n, hoisted.get((child.agg_alias, n))) for n in names]
                return cols, f" {kind} JOIN LATERAL ( {sub} ) AS {agg} ON TRUE"
            # To-many spread: every field becomes an array, ordered as requested.
            order = ""
            if child.order:
                order = " ORDER BY " + ", ".join(
                    ident(child.agg_alias) + "." + ident(_spread_order_alias(child, t, i)) + _direction(t)
                    for i, t in enumerate(child.order, 1))
            arrays = [f"COALESCE(json_agg({agg}.{ident(n)}{order}), '[]')::jsonb AS {ident(n)}" for n in names]
            cond = f"{agg} IS NOT NULL" if child.join_type == JoinType.INNER else "TRUE"
            inner = f"SELECT json_agg({agg})::jsonb AS {agg}" + "".join(", " + a for a in arrays)
            return ([f"{agg}.{ident(n)}" for n in names],
                    f" {kind} JOIN LATERAL ( {inner} FROM ({sub} ) AS {agg} ) AS {agg} ON {cond}")
        shown = [] if child.is_empty_embed else None
        if child.to_one:
            cols = shown if shown is not None else [f"row_to_json({agg}.*)::jsonb AS {ident(child.output_name)}"]
            return cols, f" {kind} JOIN LATERAL ( {sub} ) AS {agg} ON TRUE"
        cols = shown if shown is not None else [f"COALESCE( {agg}.{agg}, '[]') AS {ident(child.output_name)}"]
        cond = f"{agg} IS NOT NULL" if child.join_type == JoinType.INNER else "TRUE"
        return cols, (f" {kind} JOIN LATERAL ( SELECT json_agg({agg})::jsonb AS {agg} "
                      f"FROM ({sub} ) AS {agg} ) AS {agg} ON {cond}")

    def _order_target(self, qi: str, table: Table, term: OrderTerm) -> str:
        if term.relation is not None:
            return ident(term.relation) + "." + self._json_path(ident(term.field.name), term.field)
        return self.field(qi, table, term.field)

    def _group_by(self, qi: str, table: Table, select: tuple[SelectField, ...], node: ReadNode) -> str:
        """groupF: with an aggregate here or hoisted from a spread, group by everything else selected.

        That is the plain fields, the JSON embeds by their output name and the
        spread columns that are not aggregated.  ``*`` stands for every column:
        ``GROUP BY t.*`` groups by the row, which does not make its columns
        groupable (42803), so it is grouped by each column.  The planner
        expands it already under an aggregate (expandStars); a star left for a
        spread whose aggregate is hoisted from a sibling is expanded here.
        """
        if not node.spread_aggregates and not any(s.aggregate is not None for s in select):
            return ""
        terms = []
        for s in select:
            if s.aggregate is not None:
                continue
            if s.alias is not None:
                terms.append(ident(s.alias))
            elif s.field.name == "*" and not s.field.json_path:
                terms += [qi + "." + ident(c.name) for c in table.columns]
            else:
                terms.append(self.field(qi, table, s.field))
        hoisted = {(h.agg_alias, h.name) for h in node.spread_aggregates}
        for child in node.children:
            if child.spread:
                agg = ident(child.agg_alias)
                terms += [f"{agg}.{ident(n)}" for n in _spread_names(child, expand_star=True)
                          if (child.agg_alias, n) not in hoisted]
            elif not child.is_empty_embed:
                terms.append(ident(child.output_name))
        return " GROUP BY " + ", ".join(terms) if terms else ""

    def count_query(self, node: ReadNode) -> str:
        """readPlanToCountQuery: the root's filters; inner-joined embeds as EXISTS."""
        conds = [self._count_logic(node, n) for n in node.where]
        conds += [_join_condition(c) for c in node.join]
        for child in node.children:
            if child.join_type == JoinType.INNER:
                conds.append("EXISTS (" + self.count_query(child) + " )")
        sql = "SELECT 1 FROM " + self._from(node)
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        return sql

    def _count_logic(self, node: ReadNode, tree: object) -> str:
        if isinstance(tree, NullEmbedFilter):
            for child in node.children:
                if child.agg_alias == tree.agg_alias:
                    return ("" if tree.negated else "NOT ") + "EXISTS (" + self.count_query(child) + ")"
        if isinstance(tree, LogicTree):
            joiner = " AND " if tree.operator.value == "and" else " OR "
            inner = joiner.join(self._count_logic(node, c) for c in tree.children)
            return ("NOT " if tree.negated else "") + "(" + inner + ")"
        return self.logic(ref_sql(node.ref), node.table, tree)  # type: ignore[arg-type]


def ref_sql(ref: Ref) -> str:
    """A relation reference of the plan in SQL: its alias, or its qualified name."""
    return ident(ref) if isinstance(ref, str) else qualified(*ref)


def _join_condition(c: JoinCondition) -> str:
    return f"{ref_sql(c.left)}.{ident(c.left_column)} = {ref_sql(c.right)}.{ident(c.right_column)}"


def _spread_names(node: ReadNode, expand_star: bool = False) -> list[str]:
    """The names a spread embed contributes to its parent (generateSpreadSelectFields).

    Inside a to-many spread every name is aggregated on its own, so a nested
    to-one spread's ``*`` stands for its table's columns.
    """
    names = []
    for s in node.select:
        if (expand_star and s.field.name == "*" and not s.field.json_path and s.aggregate is None
                and not s.full_row):
            names.extend(c.name for c in node.table.columns)
        else:
            names.append(s.alias or output_name(s) or s.field.name)
    for child in node.children:
        if child.spread:
            names.extend(_spread_names(child, expand_star or not child.to_one))
        elif not child.is_empty_embed:
            names.append(child.output_name)
    return names


def _spread_item(agg: str, name: str, hoisted: HoistedAggregate | None) -> str:
    """pgFmtSpreadSelectItem: a to-one spread's column, aggregated here when hoisted."""
    column = f"{agg}.*" if name == "*" else f"{agg}.{ident(name)}"
    if hoisted is None:
        return column
    expr = f"{hoisted.aggregate.upper()}({column})"
    if hoisted.cast:
        expr = f"CAST({expr} AS {hoisted.cast})"
    return expr + (" AS " + ident(hoisted.alias) if hoisted.alias is not None else "")


def _spread_order_alias(node: ReadNode, term: OrderTerm, i: int) -> str:
    return f"{node.agg_alias}_{term.field.name}_{i}"


def _direction(term: OrderTerm) -> str:
    out = ""
    if term.direction is not None:
        out += " " + term.direction.value.upper()
    if term.nulls is not None:
        out += " NULLS FIRST" if term.nulls.value == "nullsfirst" else " NULLS LAST"
    return out


def _body(media: mt.MediaType, source: str = _SOURCE) -> str:
    """PostgREST's handlerF: how the page becomes the body; text for CSV, json otherwise.

    The json needs no cast: the executor reads json and text alike as bytes,
    and the statement stays PostgREST's (so does its EXPLAIN).
    """
    kind = media.kind
    strip = media.nulls_stripped
    if kind == mt.MediaKind.CSV:
        header = (f"(SELECT coalesce(string_agg(a.k, ','), '') FROM (SELECT json_object_keys(r)::text AS k "
                  f"FROM (SELECT row_to_json(hh) AS r FROM {source} AS hh LIMIT 1) s) a)")
        body = ("coalesce(string_agg(substring(_postgrest_t::text, 2, "
                "length(_postgrest_t::text) - 2), E'\\n'), '')")
        return f"{header} || E'\\n' || {body}"
    if kind == mt.MediaKind.OBJECT:
        agg = "json_agg(_postgrest_t)->0"
        return f"coalesce({'json_strip_nulls(' + agg + ')' if strip else agg}, 'null')"
    if kind == mt.MediaKind.GEOJSON:
        return ("json_build_object('type', 'FeatureCollection', 'features', "
                "coalesce(json_agg(ST_AsGeoJSON(_postgrest_t)::json), '[]'))")
    agg = "json_agg(_postgrest_t)"
    return f"coalesce({'json_strip_nulls(' + agg + ')' if strip else agg}, '[]')"


def handler_expression(handler: MediaHandler, *, scalar: bool = False) -> str:
    """customFuncF: a custom handler aggregates the page (PostgREST's Query/SqlFragment.hs).

    A function's scalar results are aggregated as they are; a relation's
    rows are cast to its row type for a handler of that relation (a
    function's rows are an anonymous record), and passed as they are to an
    ``anyelement`` one.  The body keeps the domain's type: its binary value
    is the body, as PostgREST sends it.
    """
    function = qualified(*handler.function)
    if scalar:
        return f"{function}(_postgrest_t.pgrst_scalar)"
    if handler.target is None:
        return f"{function}(_postgrest_t)"
    return f"{function}(_postgrest_t::{qualified(*handler.target)})"


def body_expression(media: mt.MediaType, source: str = _SOURCE) -> str:
    """The body column for ``media`` over ``_postgrest_t`` (handlerF), for statements other than a read."""
    return _body(media, source)


def read_statement(plan: ReadPlan) -> tuple[str, tuple[object, ...]]:
    """mainRead: the page in a CTE, optional count CTE, one row out."""
    b = ReadBuilder(plan.representations)
    source = b.node_query(plan.root)
    count_cte = ""
    count_sql = "NULL::bigint"
    if plan.count in (Count.EXACT, Count.ESTIMATED):
        if plan.max_rows is not None or plan.range != ALL:
            count_q = b.count_query(plan.root)
            if plan.count == Count.ESTIMATED and plan.max_rows is not None:
                # One more than db-max-rows tells the response that the limit was passed.
                count_q += " LIMIT " + b.param(plan.max_rows + 1)
            count_cte = f", pgrst_source_count AS ({count_q})"
            count_sql = "(SELECT pg_catalog.count(*) FROM pgrst_source_count)"
        else:
            count_sql = "pg_catalog.count(_postgrest_t)"
    if plan.head:
        body = "''::text"
    elif plan.handler is not None:
        body = handler_expression(plan.handler)
    else:
        body = _body(plan.media)
    sql = f"WITH {_SOURCE} AS ({source}){count_cte} " + response_row(
        total=count_sql, page="pg_catalog.count(_postgrest_t)", body=body, source=f"SELECT * FROM {_SOURCE}")
    return sql, tuple(b.params)


def explain_statement(media: mt.MediaType, sql: str) -> str:
    """explainF: ``application/vnd.pgrst.plan`` EXPLAINs the main statement with its format and options.

    The options come from :data:`.media.PLAN_OPTIONS` (validated when the
    Accept header was parsed), so they are spliced in as keywords.
    """
    options = ["FORMAT JSON" if media.plan_format == "json" else "FORMAT TEXT"]
    options += [option.upper() for option in media.plan_options if option in mt.PLAN_OPTIONS]
    return f"EXPLAIN ({', '.join(options)}) {sql}"


def count_explain_statement(plan: ReadPlan) -> tuple[str, tuple[object, ...]]:
    """The planner's row estimate for ``count=planned|estimated`` (PostgREST's explain count)."""
    b = ReadBuilder(plan.representations)
    query = b.count_query(plan.root)
    return "EXPLAIN (FORMAT JSON) " + query, tuple(b.params)
