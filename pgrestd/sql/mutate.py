"""The one statement of a write: INSERT/UPDATE/DELETE in a CTE, the response row built around it.

The shape follows PostgREST's QueryBuilder.hs (mutatePlanToQuery),
SqlFragment.hs (fromJsonBodyF, returningF, locationF,
addConfigPgrstInserted) and Statements.hs (prepareWrite).  The request body
is ONE bind parameter (json, or jsonb when column defaults are merged in);
PostgreSQL unpacks it with json_to_recordset into the catalog's column
types, so a bulk insert of any size is one statement.  Other values are
bind parameters too; identifiers are quoted by :mod:`.fragments`.
"""

from __future__ import annotations

from ..catalog import Column, Table
from ..plan.mutate import SOURCE, MutatePlan, Mutation
from .. import media as mt
from ..request.model import LogicNode
from ..request.preferences import Resolution
from ..request.ranges import ALL
from .fragments import ident, literal_text, qualified, sql_text
from .builder import JsonBody, response_row
from .read import ReadBuilder, body_expression

__all__ = ["mutate_statement"]

_SOURCE = SOURCE
_OUTPUT = "pgrst_output"
_BODY = '"pgrst_body"'
_AFFECTED = "pgrst_affected_rows"


def _inserted(step: str, guard: str) -> str:
    """addConfigPgrstInserted: count inserted rows (+1 per candidate, -1 per conflict) in a GUC.

    Always true; evaluated per row as a WHERE condition.
    """
    return ("pg_catalog.set_config('pgrst.inserted', (coalesce(nullif(pg_catalog.current_setting("
            f"'pgrst.inserted', true), '')::int, 0) {step} 1)::text, true) <> '{guard}'")


_INSERTED_PLUS = _inserted("+", "0")
_INSERTED_MINUS = _inserted("-", "-1")


class _WriteBuilder(ReadBuilder):
    """ReadBuilder plus the write fragments; parameters still accumulate in text order."""

    __slots__ = ()

    # -- the body: fromJsonBodyF ---------------------------------------------

    def body_source(self, plan: MutatePlan, *, include_select: bool, limit_one: bool = False) -> str:
        payload = plan.payload
        assert payload is not None
        columns = plan.columns
        defaults = plan.apply_defaults
        is_object = payload.is_object
        out = []
        if include_select:
            out.append("SELECT " + ", ".join(_BODY + "." + ident(c.name) for c in columns) + " ")
        param = JsonBody(payload.raw, binary=defaults)
        out.append("FROM (SELECT " + self.param(param) + " AS json_data) pgrst_payload, ")
        if defaults:
            pairs = ", ".join(literal_text(c.name) + ", " + sql_text(c.default)
                              for c in columns if c.default is not None)
            defs = f"jsonb_build_object({pairs})"
            if is_object:
                out.append(f"LATERAL (SELECT {defs} || pgrst_payload.json_data AS val) pgrst_json_defs, ")
            else:
                out.append(f"LATERAL (SELECT jsonb_agg({defs} || elem) AS val "
                           "FROM jsonb_array_elements(pgrst_payload.json_data) elem) pgrst_json_defs, ")
            source, prefix = "pgrst_json_defs.val", "jsonb"
        else:
            source, prefix = "pgrst_payload.json_data", "json"
        out.append("LATERAL (SELECT " + ", ".join(self.parsed(c) for c in columns) + " FROM ")
        if not columns:
            # `{}` is one row of defaults, `[{}, {}]` as many rows as objects.
            out.append("(values(1)) _ " if is_object else f"{prefix}_array_elements({source}) _ ")
        else:
            fn = f"{prefix}_to_record" if is_object else f"{prefix}_to_recordset"
            typed = ", ".join(ident(c.name) + " " + self.input_type(c) for c in columns)
            out.append(f"{fn}({source}) AS _({typed}) " + ("LIMIT 1" if limit_one else ""))
        out.append(") pgrst_body ")
        return "".join(out)

    def _json_parser(self, column: Column) -> tuple[str, str] | None:
        return self.reps.get(("json", column.type))

    def input_type(self, column: Column) -> str:
        """The type json_to_recordset reads a column as: json when a representation parses it."""
        return "json" if self._json_parser(column) is not None else sql_text(column.type)

    def parsed(self, column: Column) -> str:
        """A body column in the column's type: through its json -> type cast function (withJsonParse)."""
        parser = self._json_parser(column)
        name = ident(column.name)
        return f"{qualified(*parser)}({name}) AS {name}" if parser is not None else name

    # -- pieces ----------------------------------------------------------------

    def returning(self, qi: str, names: tuple[str, ...]) -> str:
        if not names:
            # No rows wanted back; one column still tells how many rows changed.
            return "RETURNING 1"
        return "RETURNING " + ", ".join(qi + (".*" if n == "*" else "." + ident(n)) for n in names)

    def where_all(self, qi: str, table: Table, nodes: tuple[LogicNode, ...]) -> str:
        return " AND ".join(self.logic(qi, table, n) for n in nodes)

    # -- the mutation ------------------------------------------------------------

    def mutation(self, plan: MutatePlan) -> str:
        kind = plan.mutation
        if kind in (Mutation.CREATE, Mutation.UPSERT):
            return self.insert(plan)
        if kind is Mutation.UPDATE:
            return self.update(plan)
        return self.delete(plan)

    def insert(self, plan: MutatePlan) -> str:
        table = plan.table
        qi = qualified(table.schema, table.name)
        columns = plan.columns
        names = ", ".join(ident(c.name) for c in columns)
        sql = "INSERT INTO " + qi + (f"({names}) " if columns else " ")
        sql += self.body_source(plan, include_select=True)
        put = plan.mutation is Mutation.UPSERT
        if put:
            sql += "WHERE " + _INSERTED_PLUS + " AND " + self.where_all(_BODY, table, plan.where)
        elif plan.merge_duplicates:
            sql += "WHERE " + _INSERTED_PLUS
        conflict = plan.on_conflict
        if conflict is not None and conflict.columns:
            sql += " ON CONFLICT(" + ", ".join(ident(c) for c in conflict.columns) + ") "
            if conflict.resolution is Resolution.IGNORE_DUPLICATES or not columns:
                sql += "DO NOTHING"
            else:
                sql += "DO UPDATE SET " + ", ".join(f"{ident(c.name)} = EXCLUDED.{ident(c.name)}" for c in columns)
                if put or plan.merge_duplicates:
                    sql += " WHERE " + _INSERTED_MINUS
        return sql + " " + self.returning(qi, plan.returning)

    def update(self, plan: MutatePlan) -> str:
        table = plan.table
        qi = qualified(table.schema, table.name)
        columns = plan.columns
        if not columns:
            # `{}`: there is nothing to SET.  An empty result with the returned
            # columns keeps ?select= working (QueryBuilder's emptyBodyReturnedColumns).
            alias = ident(table.name)
            cols = ", ".join(alias + (".*" if n == "*" else "." + ident(n)) for n in plan.returning) or "NULL"
            return f"SELECT {cols} FROM {qi} WHERE false"
        if plan.range == ALL:
            sets = ", ".join(f"{ident(c.name)} = {_BODY}.{ident(c.name)}" for c in columns)
            sql = "UPDATE " + qi + " SET " + sets + " " + self.body_source(plan, include_select=False)
            if plan.where:
                sql += "WHERE " + self.where_all(qi, table, plan.where) + " "
            return sql + self.returning(qi, plan.returning)
        # Limited update: the body's first row, applied to the ordered, limited rows.
        sql = "WITH pgrst_update_body AS (" + self.body_source(plan, include_select=True, limit_one=True) + "), "
        sql += self.affected_rows(plan, qi) + " "
        sets = ", ".join(f"{ident(c.name)} = (SELECT {ident(c.name)} FROM pgrst_update_body)" for c in columns)
        sql += "UPDATE " + qi + " SET " + sets + " FROM " + _AFFECTED + " WHERE " + _row_match(plan, qi)
        return sql + " " + self.returning(qi, plan.returning)

    def delete(self, plan: MutatePlan) -> str:
        table = plan.table
        qi = qualified(table.schema, table.name)
        if plan.range == ALL:
            sql = "DELETE FROM " + qi + " "
            if plan.where:
                sql += "WHERE " + self.where_all(qi, table, plan.where) + " "
            return sql + self.returning(qi, plan.returning)
        sql = "WITH " + self.affected_rows(plan, qi) + " "
        sql += "DELETE FROM " + qi + " USING " + _AFFECTED + " WHERE " + _row_match(plan, qi)
        return sql + " " + self.returning(qi, plan.returning)

    def affected_rows(self, plan: MutatePlan, qi: str) -> str:
        """The rows a limited UPDATE/DELETE may touch: filtered, ordered, limited."""
        table = plan.table
        sql = f"{_AFFECTED} AS (SELECT " + ", ".join(qi + "." + c for c in _row_ids(plan)) + " FROM " + qi
        sql += self.where(qi, table, plan.where)
        sql += self.order(qi, table, plan.order) + self.limit_offset(plan.range)
        return sql + ")"

    # -- the returned rows -------------------------------------------------------

    def output(self, plan: MutatePlan) -> str:
        """The representation: the read plan over the returned rows (``FROM pgrst_source AS "table"``)."""
        return self.node_query(plan.read)


def _row_ids(plan: MutatePlan) -> list[str]:
    """How a limited write finds its rows again.

    A table row by its physical address (tableoid tells partitions apart);
    a view has none, so by its order columns, which PostgREST 12 requires to
    be unique (SqlFragment.mutRangeF).
    """
    if plan.table.kind in ("r", "p"):
        return ["tableoid", "ctid"]
    seen: list[str] = []
    for term in plan.order:
        name = ident(term.field.name)
        if name not in seen:
            seen.append(name)
    return seen


def _row_match(plan: MutatePlan, qi: str) -> str:
    return " AND ".join(f"{qi}.{c} = {_AFFECTED}.{c}" for c in _row_ids(plan))


def mutate_statement(plan: MutatePlan) -> tuple[str, tuple[object, ...]]:
    """prepareWrite: the mutation in a CTE, one row out with the count, body, Location and pgrst.inserted.

    Parameters are taken in text order, so the pieces are rendered left to right.
    """
    b = _WriteBuilder(plan.representations)
    sql = f"WITH {_SOURCE} AS (" + b.mutation(plan) + ")"
    csv = plan.full and plan.media.kind is mt.MediaKind.CSV
    if csv:
        # The CSV header names the columns of the representation, not of RETURNING.
        sql += f", {_OUTPUT} AS (" + b.output(plan) + ")"
    body = body_expression(plan.media, _OUTPUT) if plan.full else "''::text"
    inserted = ("nullif(pg_catalog.current_setting('pgrst.inserted', true), '')::int"
                if plan.tracks_inserted else "NULL::int")
    location = "NULL::text[]"
    if plan.location_keys:
        # locationF: the key columns of the one inserted row, as filters.
        location = (
            "CASE WHEN pg_catalog.count(_postgrest_t) = 1 THEN (SELECT pg_catalog.array_agg("
            "j.key || '=' || coalesce('eq.' || j.value, 'is.null')) "
            f"FROM (SELECT row_to_json(_) AS r FROM {_SOURCE} AS _ LIMIT 1) d "
            "CROSS JOIN LATERAL json_each_text(d.r) AS j WHERE j.key = ANY(" + b.param(list(plan.location_keys))
            + "::text[])) END"
        )
    if csv:
        source = f"SELECT * FROM {_OUTPUT}"
    elif plan.full:
        source = b.output(plan)
    else:
        # Nothing goes back: the ?select= columns must not be evaluated.
        source = f"SELECT * FROM {_SOURCE}"
    sql += " " + response_row(total="NULL::bigint", page="pg_catalog.count(_postgrest_t)", location=location,
                              body=body, inserted=inserted, source=source)
    return sql, tuple(b.params)

