"""The transaction of one request, as data: what to send, what comes back, what must hold before COMMIT.

Pure: the executor runs a :class:`TxSpec` and returns an :class:`Outcome`;
the checks are PostgREST's MainTx rules for a result that must roll back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import media as mt
from .errors import MaxAffectedViolation, PutMatchingPk, SingularityError
from .plan.call import CallPlan
from .plan.mutate import MutatePlan, Mutation

__all__ = ["Outcome", "Precondition", "TxSpec", "call_check", "write_check"]


@dataclass(slots=True)
class TxSpec:
    """What to send: the settings batch, an optional pre-request call, the main statement.

    Built for every request and never changed (not frozen only because that costs on every request).
    """

    settings_sql: str
    settings_params: tuple[object, ...]
    pre_request_sql: str | None
    main_sql: str
    main_params: tuple[object, ...]
    read_only: bool
    commit: bool = True
    authenticated: bool = False
    # EXPLAIN of the count query, for count=planned|estimated.
    explain_sql: str | None = None
    explain_params: tuple[object, ...] = ()
    # A write that must see its result before it may commit (singular media,
    # max-affected, PUT's one row): raising here rolls the transaction back.
    # It costs a second round trip for COMMIT/ROLLBACK; without it, the end
    # of the transaction goes out in the same pipeline as the statement.
    check: Callable[[Outcome], None] | None = None
    # A function's own isolation level (SET default_transaction_isolation),
    # which PostgREST uses for the call's transaction; None: READ COMMITTED.
    isolation_level: str | None = None
    # application/vnd.pgrst.plan: the main statement is an EXPLAIN whose rows are the body.
    explain: bool = False
    # A GET or HEAD read (or GET call of a stable function) that a read replica may serve.
    replica: bool = False
    # A conditional write (If-Match, If-None-Match): the representation a GET of the same URL
    # returns is read first, in the same transaction, and checked before the write is sent.
    precondition: Precondition | None = None


@dataclass(frozen=True, slots=True)
class Precondition:
    """The read whose body the conditions are checked against, and the check (raising 412)."""

    sql: str
    params: tuple[object, ...]
    check: Callable[[Outcome], None]


@dataclass(slots=True)
class Outcome:
    total: int | None
    page_total: int
    body: bytes
    response_headers: bytes | None
    response_status: bytes | None
    planned_total: int | None = None
    # Writes only: rows inserted by an upsert (PostgREST's pgrst.inserted),
    # and the Location filters ("id=eq.1") of a single inserted row.
    inserted: int | None = None
    location: tuple[bytes, ...] | None = None


# -- checks before COMMIT (MainTx.hs: failNotSingular, failPut, failExceedsMaxAffectedPref) --


def write_check(plan: MutatePlan) -> Callable[[Outcome], None] | None:
    """What a write's result must satisfy before it may commit; None when nothing.

    A singular response needs exactly one row (PGRST116), PUT must have
    written its one row (PGRST115, the body did not match the URL),
    ``max-affected`` under ``handling=strict`` bounds UPDATE and DELETE (PGRST124).
    """
    put = plan.mutation is Mutation.UPSERT
    return _rows_check(singular=plan.singular and not put, put=put, limit=plan.max_affected)


def call_check(plan: CallPlan) -> Callable[[Outcome], None] | None:
    """What a call's result must satisfy before it may commit; None when nothing (MainTx's CallReadPlan).

    A singular response needs exactly one row (PGRST116); ``max-affected``
    under ``handling=strict`` bounds the rows (PGRST124).
    """
    return _rows_check(singular=plan.read.media.kind is mt.MediaKind.OBJECT, put=False, limit=plan.max_affected)


def _rows_check(*, singular: bool, put: bool, limit: int | None) -> Callable[[Outcome], None] | None:
    """MainTx's checks of the affected rows, in its order; a failed one rolls the transaction back."""
    if not (singular or put or limit is not None):
        return None

    def check(outcome: Outcome) -> None:
        rows = outcome.page_total
        if singular and rows != 1:
            raise SingularityError(rows)
        if put and rows != 1:
            raise PutMatchingPk()
        if limit is not None and rows > limit:
            raise MaxAffectedViolation(rows)

    return check
