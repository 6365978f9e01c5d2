"""The order to fill tables in: referenced tables first, with cycles of foreign keys broken.

A self-reference whose target columns are generated (not left to a
default) is filled row by row, each row pointing at one before it: that
needs nothing here.  Any other self-reference, and one key of each cycle
among tables, is *deferred*: its columns stay NULL while the table is
filled, and are set once every table is.  Only a key whose columns may all
be NULL can wait; a cycle of NOT NULL keys cannot be filled (its first table
gets no rows), which ``FillOrder.unfillable`` reports.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import ForeignKey, QualifiedName, Table

__all__ = ["FillOrder", "fill_order", "self_reference_inline"]


@dataclass(frozen=True, slots=True)
class FillOrder:
    tables: tuple[QualifiedName, ...]
    deferred: frozenset[tuple[QualifiedName, str]]  # (table, foreign key name)
    unfillable: frozenset[tuple[QualifiedName, str]]  # NOT NULL keys in a cycle


def self_reference_inline(table: Table, fk: ForeignKey) -> bool:
    """Whether a self-reference can point at rows generated before it: its target columns are
    generated, not left to defaults."""
    return fk.target == table.qualified and not any(table.column(c).defaulted for c in fk.target_columns)


def _nullable(table: Table, fk: ForeignKey) -> bool:
    return all(not table.column(c).not_null for c in fk.columns)


def fill_order(tables: dict[QualifiedName, Table]) -> FillOrder:
    deferred: set[tuple[QualifiedName, str]] = set()
    unfillable: set[tuple[QualifiedName, str]] = set()
    edges: dict[QualifiedName, dict[str, QualifiedName]] = {}
    for name, table in tables.items():
        edges[name] = {}
        for fk in table.foreign_keys:
            if fk.target == name:
                if not self_reference_inline(table, fk):
                    (deferred if _nullable(table, fk) else unfillable).add((name, fk.name))
            elif fk.target in tables:
                edges[name][fk.name] = fk.target
    order: list[QualifiedName] = []
    done: set[QualifiedName] = set()
    while len(order) < len(tables):
        ready = sorted(n for n in tables if n not in done
                       and all(t in done for k, t in edges[n].items() if (n, k) not in deferred | unfillable))
        if ready:
            order.append(ready[0])
            done.add(ready[0])
            continue
        # A cycle: wait with the first key (by table, then name) that may be NULL, else give one up.
        waiting = sorted((n, k) for n in tables if n not in done for k, t in edges[n].items()
                         if t not in done and (n, k) not in deferred | unfillable)
        nullable = [(n, k) for n, k in waiting
                    if _nullable(tables[n], next(fk for fk in tables[n].foreign_keys if fk.name == k))]
        (deferred if nullable else unfillable).add((nullable or waiting)[0])
    return FillOrder(tuple(order), frozenset(deferred), frozenset(unfillable))
