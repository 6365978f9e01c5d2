"""Fills the scratch database: table by table in foreign key order, then the deferred keys, then the
materialized views.

Rows go in as multi-row INSERTs inside savepoints; PostgreSQL checks every
constraint (CHECK, domains, unique, foreign keys, triggers).  A refused
batch is split in halves until the refused rows are found; those are made
again, a bounded number of times: a table gets fewer rows than asked only
when its constraints cannot be met often enough ("where they can be
satisfied").  The filling role should own the tables or be a superuser, so
that row-level security and grants do not get in the way.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from .model import ForeignKey, MockSchema, QualifiedName, Table
from .order import fill_order, self_reference_inline
from .rows import Key, RowMaker
from .values import ValueMaker

if TYPE_CHECKING:
    from faker import Faker

__all__ = ["FillReport", "fill"]

_ROUNDS = 10  # batches of replacements for refused rows, at most
_BATCH_PARAMETERS = 20_000  # under PostgreSQL's 65,535 bind parameters per statement
_KEEP_NULL = 0.2  # the share of rows a deferred (nullable) key leaves NULL
_HOPELESS = 3  # rows refused one by one and none accepted: a trigger (say) refuses them all


class _Hopeless(Exception):
    """Every row tried was refused: stop trying."""


@dataclass
class FillReport:
    """What was filled: rows by table (in fill order), and why some tables got fewer than asked."""

    seed: int
    rows: dict[QualifiedName, int] = field(default_factory=dict)
    wanted: dict[QualifiedName, int] = field(default_factory=dict)
    refusals: dict[QualifiedName, str] = field(default_factory=dict)  # the first error PostgreSQL gave
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def short(self) -> dict[QualifiedName, int]:
        return {t: n for t, n in self.rows.items() if n < self.wanted[t]}


def _seed(seed: int, *parts: str) -> int:
    """A seed of its own for each table (and key), so that one table's row count leaves the others'
    rows as they are."""
    digest = hashlib.sha256("\x00".join((str(seed), *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def fill(conn: psycopg.Connection[Any], schema: MockSchema, count: Callable[[QualifiedName], int],
         seed: int) -> FillReport:
    """Fill ``schema``'s tables with ``count(table)`` rows each; ``conn`` is in autocommit mode."""
    from faker import Faker  # an extra: pgrestd[mock]

    started = time.perf_counter()
    order = fill_order(schema.tables)
    fake = Faker("en_US")
    values = ValueMaker(schema.types, fake)
    report = FillReport(seed)
    for table_key, fk_name in sorted(order.unfillable):
        report.notes.append(f"{_name(table_key)}: the NOT NULL foreign key {fk_name} is part of a cycle "
                            "of NOT NULL keys and cannot be filled")
    for name in order.tables:
        table = schema.tables[name]
        fake.seed_instance(_seed(seed, *name))
        deferred = {k for t, k in order.deferred if t == name}
        targets = {fk.name: _targets(conn, fk) for fk in table.foreign_keys
                   if fk.name not in deferred and not self_reference_inline(table, fk)}
        maker = RowMaker(table, values, targets, deferred)
        report.wanted[name] = count(name)
        report.rows[name] = _fill_table(conn, table, maker, report.wanted[name], report)
    for name, fk_name in sorted(order.deferred):
        fake.seed_instance(_seed(seed, *name, fk_name))
        _fill_deferred(conn, schema.tables[name], fk_name, fake, report)
    _refresh(conn, schema.materialized_views, report)
    for name in order.tables:
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(*name)))
    report.seconds = time.perf_counter() - started
    return report


def _reason(exc: psycopg.Error) -> str:
    """The first line of PostgreSQL's message (not the context of a recursion, say)."""
    return exc.diag.message_primary or (str(exc).splitlines() or [type(exc).__name__])[0]


def _raise_if_lost(conn: psycopg.Connection[Any]) -> None:
    """A refused statement is the row's fault; a lost connection is everyone's."""
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection to the scratch database was lost")


def _name(table: QualifiedName) -> str:
    return ".".join(table)


def _targets(conn: psycopg.Connection[Any], fk: ForeignKey) -> list[Key]:
    """The key values (as text, in order) of the rows ``fk`` may point at."""
    columns = [sql.Identifier(c) for c in fk.target_columns]
    query = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY {}").format(
        sql.SQL(", ").join(sql.SQL("{}::text").format(c) for c in columns), sql.Identifier(*fk.target),
        sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(c) for c in columns),
        sql.SQL(", ").join(columns))
    return [tuple(row) for row in conn.execute(query).fetchall()]


def _fill_table(conn: psycopg.Connection[Any], table: Table, maker: RowMaker, wanted: int,
                report: FillReport) -> int:
    columns = maker.columns
    inserted = 0
    for _ in range(_ROUNDS):
        rows = maker.make(wanted - inserted)
        if not rows:
            break
        params = [[row.get(c.name) for c in columns] for row in rows]
        accepted = _apply(conn, params, lambda n: _insert(table, columns, n), report, table.qualified)
        for row, ok in zip(rows, accepted):
            if not ok:
                maker.forget(row)
        inserted += sum(accepted)
        if inserted >= wanted or not any(accepted):
            break
    return inserted


def _insert(table: Table, columns: Sequence[Any], rows: int) -> sql.Composable:
    target = sql.Identifier(table.schema, table.name)
    if not columns:  # every column has its default
        return sql.SQL("INSERT INTO {} SELECT FROM generate_series(1, {})").format(target, sql.Literal(rows))
    row = sql.SQL("({})").format(sql.SQL(", ").join(sql.SQL("%s::" + c.sql_type) for c in columns))
    return sql.SQL("INSERT INTO {} ({}) VALUES {}").format(
        target, sql.SQL(", ").join(sql.Identifier(c.name) for c in columns), sql.SQL(", ").join([row] * rows))


def _apply(conn: psycopg.Connection[Any], params: list[list[Any]], statement: Callable[[int], sql.Composable],
           report: FillReport, table: QualifiedName) -> list[bool]:
    """Run ``statement(n)`` over the parameter rows in batches, each in a savepoint; a refused batch
    is halved until the refused rows are found.  Which rows PostgreSQL accepted."""
    accepted = [False] * len(params)
    width = max(1, len(params[0]) if params else 1)
    batch = max(1, min(1000, _BATCH_PARAMETERS // width))
    refused_alone = 0

    def attempt(low: int, high: int) -> None:
        nonlocal refused_alone
        try:
            with conn.transaction():
                conn.execute(statement(high - low), [v for p in params[low:high] for v in p])
        except psycopg.Error as exc:
            _raise_if_lost(conn)
            report.refusals.setdefault(table, _reason(exc))
            refused_alone += high - low == 1
            if refused_alone >= _HOPELESS and not any(accepted):
                raise _Hopeless from None
            if high - low > 1:
                middle = (low + high) // 2
                attempt(low, middle)
                attempt(middle, high)
            return
        accepted[low:high] = [True] * (high - low)

    with conn.transaction():
        try:
            for start in range(0, len(params), batch):
                attempt(start, min(start + batch, len(params)))
        except _Hopeless:
            pass
    return accepted


def _fill_deferred(conn: psycopg.Connection[Any], table: Table, fk_name: str, fake: Faker,
                   report: FillReport) -> None:
    """Point a deferred key at rows now that every table is filled; a self-reference only at rows
    filled before, so that the rows form trees."""
    fk = next(k for k in table.foreign_keys if k.name == fk_name)
    own = [sql.Identifier(c) for c in fk.target_columns]
    rows = conn.execute(sql.SQL("SELECT tableoid::int8, ctid::text{} FROM {} ORDER BY tableoid, ctid").format(
        sql.SQL("").join(sql.SQL(", {}::text").format(c) for c in own) if fk.target == table.qualified
        else sql.SQL(""), sql.Identifier(*table.qualified))).fetchall()
    targets = [] if fk.target == table.qualified else _targets(conn, fk)
    one_to_one = any(set(k.columns) <= set(fk.columns) for k in table.unique_keys)
    deck = fake.random.sample(targets, len(targets))
    params, earlier = [], []
    for tableoid, ctid, *key in rows:
        if fk.target == table.qualified:
            target = fake.random.choice(earlier) if earlier else None
            if None not in key:
                earlier.append(tuple(key))
        elif one_to_one:
            target = deck.pop() if deck else None
        else:
            target = fake.random.choice(targets) if targets else None
        if target is not None and fake.random.random() >= _KEEP_NULL:
            params.append([tableoid, ctid, *target])
    if not params:
        return
    columns = [table.column(c) for c in fk.columns]

    def update(n: int) -> sql.Composable:
        row = sql.SQL("(%s::oid, %s::tid, {})").format(
            sql.SQL(", ").join(sql.SQL("%s::" + c.sql_type) for c in columns))
        names = [sql.Identifier(f"v{i}") for i in range(len(columns))]
        return sql.SQL("UPDATE {} AS t SET ({}) = ROW({}) FROM (VALUES {}) AS v(o, c, {}) "
                       "WHERE t.tableoid = v.o AND t.ctid = v.c").format(
            sql.Identifier(*table.qualified), sql.SQL(", ").join(sql.Identifier(c.name) for c in columns),
            sql.SQL(", ").join(sql.SQL("v.{}").format(n) for n in names), sql.SQL(", ").join([row] * n),
            sql.SQL(", ").join(names))

    accepted = _apply(conn, params, update, report, table.qualified)
    report.notes.append(f"{_name(table.qualified)}.{fk_name}: set after filling, on {sum(accepted)} of "
                        f"{len(rows)} rows")


def _refresh(conn: psycopg.Connection[Any], views: Sequence[QualifiedName], report: FillReport) -> None:
    """REFRESH every materialized view (the schema dump made them empty), those reading other
    materialized views after them."""
    pending = list(views)
    while pending:
        failed = []
        for view in pending:
            try:
                with conn.transaction():
                    conn.execute(sql.SQL("REFRESH MATERIALIZED VIEW {}").format(sql.Identifier(*view)))
            except psycopg.Error as exc:
                _raise_if_lost(conn)
                failed.append((view, _reason(exc)))
        if len(failed) == len(pending):
            report.notes += [f"{_name(v)}: not refreshed: {why}" for v, why in failed]
            return
        pending = [v for v, _ in failed]
