"""The one statement of a read: rows, JSON body and counts built in PostgreSQL."""

from __future__ import annotations

from ..plan.read import ReadPlan
from .fragments import qualified

__all__ = ["read_statement"]

# The outer shape follows PostgREST's QueryBuilder/Statements: the page is
# aggregated to JSON in SQL and response.headers/status set by functions are
# read back in the same statement.
_OUTER = (
    "SELECT NULL::bigint AS total_result_set, "
    "pg_catalog.count(_pgrst_t)::bigint AS page_total, "
    "coalesce(pg_catalog.json_agg(_pgrst_t), '[]')::text AS body, "
    "nullif(pg_catalog.current_setting('response.headers', true), '') AS response_headers, "
    "nullif(pg_catalog.current_setting('response.status', true), '') AS response_status "
    "FROM ({source}) _pgrst_t"
)


def read_statement(plan: ReadPlan) -> tuple[str, tuple[object, ...]]:
    source = "SELECT * FROM " + qualified(plan.table.schema, plan.table.name)
    params: tuple[object, ...] = ()
    if plan.limit is not None:
        source += " LIMIT %s"
        params = (plan.limit,)
    return _OUTER.format(source=source), params
