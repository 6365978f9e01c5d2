"""Plan templates: a planned request and its statement, reused by every request of the same shape.

The pipeline builds a template on a cache miss (parse, plan, build the SQL)
and binds each later request of the shape into it: filter values into their
parameter slots (:mod:`.shape`), a write's or a call's body into its one
parameter.  The SQL text never changes within a shape, so PostgreSQL can
keep one prepared plan for it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from ..request.payload import Payload
from .call import CallPlan
from .mutate import MutatePlan
from .read import ReadPlan
from .shape import QueryShape, encode_canonical_value, sentinel

__all__ = ["CallTemplate", "ReadTemplate", "WriteTemplate"]

# A check the outcome must pass before COMMIT (see pgrestd.transaction).
Check = Callable[[object], None]


@dataclass(frozen=True, slots=True)
class ReadTemplate:
    """A planned read; with slots, a template for every request of its shape.

    ``slots`` maps bind-parameter positions to the request's filter values;
    a template whose sentinels could not all be found has no slots and is
    used for exactly the request it was built from.  ``settings`` are the
    transaction-local settings the request asks for (``Prefer: timezone``).
    """

    plan: ReadPlan
    sql: str
    params: tuple[object, ...]
    explain_sql: str | None
    explain_params: tuple[object, ...]
    location: str
    profile: str | None
    applied: str | None
    settings: tuple[tuple[str, str], ...] = ()
    slots: tuple[tuple[int, int], ...] = ()
    explain_slots: tuple[tuple[int, int], ...] = ()

    def with_slots(self, count: int) -> ReadTemplate | None:
        """Find each sentinel among the parameters; None when one is missing."""
        marks = {sentinel(i): i for i in range(count)}
        slots = tuple((pos, marks[p]) for pos, p in enumerate(self.params) if p in marks)
        explain = tuple((pos, marks[p]) for pos, p in enumerate(self.explain_params) if p in marks)
        if {slot for _, slot in slots} != set(range(count)):
            return None
        return replace(self, slots=slots, explain_slots=explain)

    def bind(self, shape: QueryShape) -> tuple[tuple[object, ...], tuple[object, ...], str]:
        """The parameters, the EXPLAIN parameters and the Content-Location of one request of the shape."""
        location = self.location
        for slot, raw in enumerate(shape.raw_values):
            location = location.replace(sentinel(slot), encode_canonical_value(raw))
        return _fill(self.params, self.slots, shape), _fill(self.explain_params, self.explain_slots, shape), location


def _fill(params: tuple[object, ...], slots: tuple[tuple[int, int], ...], shape: QueryShape) -> tuple[object, ...]:
    if not slots:
        return params
    out = list(params)
    values, like = shape.values, shape.like
    for pos, slot in slots:
        value = values[slot]
        out[pos] = value.replace("*", "%") if like[slot] else value
    return tuple(out)


@dataclass(frozen=True, slots=True)
class WriteTemplate:
    """A planned write; requests of the same shape put their body's JSON at ``body_index``.

    ``commit`` is how the transaction ends (db-tx-end and ``Prefer: tx``);
    ``check`` what the result must satisfy before it may commit.
    """

    plan: MutatePlan
    sql: str
    params: tuple[object, ...]
    body_index: int | None
    commit: bool
    check: Check | None
    profile: str | None
    settings: tuple[tuple[str, str], ...] = ()

    def bind(self, payload: Payload | None) -> tuple[object, ...]:
        if self.body_index is None or payload is None:
            return self.params
        params = list(self.params)
        # The body parameter is the SQL stage's JSON marker: same type, this request's bytes.
        params[self.body_index] = params[self.body_index].with_raw(payload.raw)  # type: ignore[attr-defined]
        return tuple(params)


@dataclass(frozen=True, slots=True)
class CallTemplate:
    """A planned call, reusable for every request of the same shape.

    The shape is everything but the body's values: a JSON body with the
    same keys, or any raw body for a single unnamed parameter, gives the
    same plan and SQL text, the body being bound at ``body_slot`` (None when
    the statement does not bind it).  A template that is not ``reusable``
    holds a body it could not locate and serves no other request.
    ``settings`` are the transaction-local settings: the preferred time
    zone and the function's hoisted SET clauses.
    """

    plan: CallPlan
    sql: str
    params: tuple[object, ...]
    body_slot: int | None
    commit: bool
    check: Check | None
    profile: str | None
    settings: tuple[tuple[str, str], ...] = ()
    reusable: bool = True

    def bind(self, body: object) -> tuple[object, ...]:
        if self.body_slot is None:
            return self.params
        slot = self.body_slot
        return self.params[:slot] + (body,) + self.params[slot + 1:]
