"""What a stream asks for, planned in the worker as the GET it streams: plain data for the stream process.

Two statements come out of the read's plan, both the GET's own SELECT (filters, embeds, select,
data representations) with the table's primary key added under private names, so that each row
can be told apart and matched with the change log:

- the initial rows: the GET as asked (order, limit, offset, db-max-rows);
- a change's rows: without order or range, restricted to the changed keys, which arrive as one
  JSON array (``jsonb_populate_recordset`` gives them the columns' types), so the SQL text is the
  same for one key or two thousand.

Both answer one text value, the JSON array of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .. import errors
from ..auth.jwt import AuthResult
from ..plan.read import ReadNode, ReadPlan
from ..request.api import ApiRequest
from ..request.model import Field, SelectField
from ..request.preferences import Representation
from ..request.ranges import ALL
from ..sql.fragments import ident, qualified
from ..sql.read import ReadBuilder
from ..transaction import TxSpec

__all__ = ["KEY_PREFIX", "Subscription", "subscribe"]

# The private names of the key columns in a row; taken out again before the row is sent.
KEY_PREFIX = "pgrst_live_k"
# Claims that change when a client refreshes its token: a stream resumed with a fresh token is the same one.
_TIME_CLAIMS = frozenset(("exp", "iat", "nbf", "jti"))


@dataclass(frozen=True, slots=True)
class Subscription:
    """One stream's request, as the stream process runs it; picklable (strings, numbers, tuples)."""

    schema: str
    table: str
    key_columns: tuple[str, ...]
    role: str
    authenticated: bool  # a token came: 42501 is then 403, not 401 (PostgREST's rule)
    claims: str  # request.jwt.claims, as the GET sets it
    expires: float | None  # the token's exp: the stream ends then
    settings_sql: str
    settings_params: tuple[object, ...]
    pre_request_sql: str | None
    initial_sql: str | None  # None: Prefer: return=minimal, no initial rows
    initial_params: tuple[object, ...]
    event_sql: str
    event_params: tuple[object, ...]  # the changed keys are bound after these
    head: bytes  # the 200 response's status line and headers
    error_headers: tuple[tuple[str, str], ...]  # added to an error response (CORS)
    verbose: bool  # client-error-verbosity
    last_event_id: str | None
    identity: tuple[object, ...]  # who reads what: a reconnect must match it to resume

    @property
    def relation(self) -> tuple[str, str]:
        return (self.schema, self.table)

    @property
    def reads(self) -> tuple[object, ...]:
        """Streams with equal reads share one query per change: same settings, same statement."""
        return (self.settings_sql, self.settings_params, self.pre_request_sql, self.event_sql, self.event_params)


def subscribe(request: ApiRequest, auth: AuthResult, plan: ReadPlan, tx: TxSpec, claims: dict[str, object], *,
              head: bytes, error_headers: tuple[tuple[str, str], ...], verbose: bool) -> Subscription:
    """The subscription of a planned GET; raises PGRST127 for what a stream cannot follow."""
    root = plan.root
    table = root.table
    if table.kind not in ("r", "p") or not table.primary_key:
        raise errors.NotImplementedFeature(
            details=f"Live streams need a table with a primary key; {table.schema}.{table.name} is not one")
    if any(item.aggregate is not None for item in root.select) or root.spread_aggregates:
        raise errors.NotImplementedFeature(details="Live streams do not aggregate rows")
    keyed = _with_keys(root)
    initial_sql, initial_params = None, ()
    if request.preferences.representation is not Representation.MINIMAL:
        initial_sql, initial_params = _rows_statement(plan, keyed)
    event_sql, event_params = _changes_statement(plan, replace(keyed, order=(), range=ALL))
    exp = claims.get("exp")
    expires = float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None
    stable = tuple(sorted((k, repr(v)) for k, v in claims.items() if k not in _TIME_CLAIMS))
    return Subscription(
        schema=table.schema, table=table.name, key_columns=table.primary_key, role=auth.role,
        authenticated=auth.authenticated, claims=auth.claims_json, expires=expires, settings_sql=tx.settings_sql,
        settings_params=tx.settings_params, pre_request_sql=tx.pre_request_sql, initial_sql=initial_sql,
        initial_params=initial_params, event_sql=event_sql, event_params=event_params, head=head,
        error_headers=error_headers, verbose=verbose, last_event_id=request.headers.get("last-event-id"),
        identity=(table.schema, table.name, auth.role, stable, event_sql, event_params),
    )


def _with_keys(root: ReadNode) -> ReadNode:
    """The root selecting, besides what was asked, each key column under its private name."""
    select = root.select if root.select or root.children else (SelectField(Field("*")),)
    keys = tuple(SelectField(Field(column), alias=f"{KEY_PREFIX}{i}") for i, column in enumerate(root.table.primary_key))
    return replace(root, select=select + keys)


def _rows_statement(plan: ReadPlan, root: ReadNode) -> tuple[str, tuple[object, ...]]:
    b = ReadBuilder(plan.representations)
    inner = b.node_query(root)
    return f"SELECT coalesce(json_agg(s), '[]')::text FROM ({inner}) s", tuple(b.params)


def _changes_statement(plan: ReadPlan, root: ReadNode) -> tuple[str, tuple[object, ...]]:
    b = ReadBuilder(plan.representations)
    inner = b.node_query(root)
    params = tuple(b.params)
    table = root.table
    mine = ", ".join(f"s.{ident(KEY_PREFIX + str(i))}" for i in range(len(table.primary_key)))
    theirs = ", ".join(f"k.{ident(column)}" for column in table.primary_key)
    # The keys' parameter comes last: the stream process appends it.
    changed = (f"SELECT {theirs} FROM pg_catalog.jsonb_populate_recordset("
               f"NULL::{qualified(table.schema, table.name)}, %s::jsonb) k")
    return f"SELECT coalesce(json_agg(s), '[]')::text FROM ({inner}) s WHERE ({mine}) IN ({changed})", params
