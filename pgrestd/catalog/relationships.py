"""Derives PostgREST's relationships from foreign keys, view lineage and computed relationships."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .model import Cardinality, ColumnPairs, ForeignKey, Junction, QualifiedName, Relationship, Table

__all__ = [
    "ComputedRelationshipRow", "KeyDependency", "derive_relationships", "index_relationships",
    "relationship_key_schema", "relationship_sort_key", "view_primary_keys",
]


@dataclass(frozen=True, slots=True)
class KeyDependency:
    """A key of ``table`` that ``view`` exposes (PostgREST's ``ViewKeyDependency``).

    ``kind`` is "p" (primary key), "f" (the referencing side of a foreign key)
    or "f_ref" (the referenced side).  Each key column maps to every view
    column that shows it: a view may select one column under several names.
    """

    table: QualifiedName
    view: QualifiedName
    constraint: str
    kind: str
    columns: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class ComputedRelationshipRow:
    function: QualifiedName
    table: QualifiedName
    foreign_table: QualifiedName
    to_one: bool


def view_primary_keys(tables: Mapping[QualifiedName, Table],
                      deps: Sequence[KeyDependency]) -> dict[QualifiedName, tuple[str, ...]]:
    """The primary key of each view: the base tables' key columns it shows.

    PostgREST's addViewPrimaryKeys: when a key column appears under several
    names, the first one stands for it; keys of several base tables add up.
    """
    found: dict[QualifiedName, list[str]] = {}
    for dep in deps:
        if dep.kind != "p":
            continue
        table = tables.get(dep.view)
        if table is None or not table.is_view:
            continue
        found.setdefault(dep.view, []).extend(names[0] for _, names in dep.columns if names)
    return {view: tuple(cols) for view, cols in found.items()}


def derive_relationships(
    foreign_keys: Iterable[ForeignKey],
    deps: Sequence[KeyDependency],
    tables: Mapping[QualifiedName, Table],
    computed: Iterable[ComputedRelationshipRow],
    schemas: Sequence[str],
) -> list[Relationship]:
    """Every relationship the API can embed, PostgREST's way (SchemaCache.hs).

    ``tables`` must already carry the views' primary keys: the many-to-many
    rule reads them to accept a view as a junction.
    """
    rels = [_from_foreign_key(fk) for fk in foreign_keys]
    rels += _through_views(rels, deps)
    rels += _many_to_many(rels, tables)
    rels += _inverses(rels)
    rels = _override_with_computed(rels, computed)
    exposed = frozenset(schemas)
    return [r for r in rels if _is_exposed(r, exposed)]


def _from_foreign_key(fk: ForeignKey) -> Relationship:
    # A foreign key reads as many-to-one from the referencing table, or as
    # one-to-one when its columns are also a primary or unique key there
    # (PostgREST's allM2OandO2ORels, one_to_one).
    return Relationship(
        table=fk.table,
        foreign_table=fk.foreign_table,
        cardinality=Cardinality.O2O if fk.one_to_one else Cardinality.M2O,
        constraint=fk.name,
        columns=tuple(zip(fk.columns, fk.foreign_columns)),
        is_self=fk.table == fk.foreign_table,
        to_one=True,
    )


def _expand(columns: tuple[tuple[str, tuple[str, ...]], ...]) -> Iterable[tuple[str, ...]]:
    # One choice of view column per key column, in every combination: each
    # is a relationship of its own (PostgREST's expandKeyDepCols).
    return itertools.product(*(names for _, names in columns))


def _through_views(rels: Sequence[Relationship], deps: Sequence[KeyDependency]) -> list[Relationship]:
    """The foreign keys again, with views standing in for either or both tables.

    PostgREST's addViewM2OAndO2ORels: a view that shows all columns of a
    foreign key relates to the referenced table, a view that shows all
    referenced columns relates to the referencing table, and two such views
    relate to each other.
    """
    by_key: dict[tuple[QualifiedName, str, str], list[KeyDependency]] = defaultdict(list)
    for dep in deps:
        if dep.kind in ("f", "f_ref"):
            by_key[(dep.table, dep.constraint, dep.kind)].append(dep)
    out: list[Relationship] = []
    for rel in rels:
        if rel.cardinality not in (Cardinality.M2O, Cardinality.O2O) or rel.is_parent:
            continue
        assert rel.constraint is not None
        referencing = by_key.get((rel.table, rel.constraint, "f"), [])
        referenced = by_key.get((rel.foreign_table, rel.constraint, "f_ref"), [])
        for dep in referencing:
            for view_cols in _expand(dep.columns):
                cols = tuple((v, f) for v, (_, f) in zip(view_cols, rel.columns))
                out.append(_variant(rel, dep.view, rel.foreign_table, cols, True, False))
        for dep in referenced:
            for view_cols in _expand(dep.columns):
                cols = tuple((t, v) for (t, _), v in zip(rel.columns, view_cols))
                out.append(_variant(rel, rel.table, dep.view, cols, False, True))
        for dep1 in referencing:
            for cols1 in _expand(dep1.columns):
                for dep2 in referenced:
                    for cols2 in _expand(dep2.columns):
                        out.append(_variant(rel, dep1.view, dep2.view, tuple(zip(cols1, cols2)), True, True,
                                            is_self=dep1.view == dep2.view))
    return out


def _variant(rel: Relationship, table: QualifiedName, foreign: QualifiedName, cols: ColumnPairs,
             table_is_view: bool, foreign_is_view: bool, is_self: bool = False) -> Relationship:
    # The same key and cardinality between other ends; PostgREST marks a
    # view-to-table pair as not self-referencing even over one table.
    return Relationship(table=table, foreign_table=foreign, cardinality=rel.cardinality,
                        constraint=rel.constraint, columns=cols, is_self=is_self,
                        table_is_view=table_is_view, foreign_table_is_view=foreign_is_view, to_one=True)


def _many_to_many(rels: Sequence[Relationship], tables: Mapping[QualifiedName, Table]) -> list[Relationship]:
    """Many-to-many relationships through junction tables.

    PostgREST's addM2MRels: a table (or view) with many-to-one keys to two
    relations is their junction when the columns of both keys are all part
    of its primary key.  Every ordered pair of distinct keys gives one
    relationship, so both directions and self-joins come out of it.
    """
    m2o_by_table: dict[QualifiedName, list[Relationship]] = defaultdict(list)
    for rel in rels:
        if rel.cardinality is Cardinality.M2O:
            m2o_by_table[rel.table].append(rel)
    out: list[Relationship] = []
    for junction, keys in m2o_by_table.items():
        if len(keys) < 2:
            continue
        table = tables.get(junction)
        pk = frozenset(table.primary_key) if table is not None else frozenset()
        for first, second in itertools.permutations(keys, 2):
            if first.constraint == second.constraint:
                continue
            key_cols = {c for c, _ in first.columns} | {c for c, _ in second.columns}
            if not key_cols <= pk:
                continue
            assert first.constraint is not None and second.constraint is not None
            out.append(Relationship(
                table=first.foreign_table,
                foreign_table=second.foreign_table,
                cardinality=Cardinality.M2M,
                constraint=None,
                columns=(),
                is_self=first.foreign_table == second.foreign_table,
                table_is_view=first.foreign_table_is_view,
                foreign_table_is_view=second.foreign_table_is_view,
                junction=Junction(
                    table=junction,
                    constraint1=first.constraint,
                    constraint2=second.constraint,
                    source_columns=tuple((f, j) for j, f in first.columns),
                    target_columns=tuple((f, j) for j, f in second.columns),
                ),
            ))
    return out


def _inverses(rels: Sequence[Relationship]) -> list[Relationship]:
    # Each many-to-one read from the other end is one-to-many; a one-to-one
    # read from the other end is one-to-one with the parent flag flipped
    # (PostgREST's addInverseRels).
    out = []
    for rel in rels:
        if rel.cardinality is Cardinality.M2O:
            card, is_parent = Cardinality.O2M, False
        elif rel.cardinality is Cardinality.O2O:
            card, is_parent = Cardinality.O2O, not rel.is_parent
        else:
            continue
        out.append(Relationship(
            table=rel.foreign_table,
            foreign_table=rel.table,
            cardinality=card,
            constraint=rel.constraint,
            columns=tuple((f, c) for c, f in rel.columns),
            is_self=rel.is_self,
            table_is_view=rel.foreign_table_is_view,
            foreign_table_is_view=rel.table_is_view,
            is_parent=is_parent,
            to_one=card is Cardinality.O2O,
        ))
    return out


def _override_with_computed(rels: list[Relationship],
                            computed: Iterable[ComputedRelationshipRow]) -> list[Relationship]:
    """Adds computed relationships; one named like a relation replaces the keys' ones to it.

    PostgREST's getOverrideRelationshipsMap keys detected relationships by
    (table, foreign table) and computed ones by (table, function): a function
    ``s.f(t)`` hides every relationship from ``t`` to the relation ``s.f``, so
    users can fix an ambiguous embed by defining a function.
    """
    added = [
        Relationship(
            table=c.table,
            foreign_table=c.foreign_table,
            cardinality=None,
            constraint=c.function[1],
            columns=(),
            is_self=c.table == c.foreign_table,
            function=c.function,
            to_one=c.to_one,
        )
        for c in computed
    ]
    if not added:
        return rels
    hidden = {(r.table, r.function) for r in added}
    kept = [r for r in rels if (r.table, r.foreign_table) not in hidden]
    return kept + added


def _is_exposed(rel: Relationship, exposed: frozenset[str]) -> bool:
    # PostgREST's removeInternal: both ends in exposed schemas, and a junction too.
    if rel.table[0] not in exposed or rel.foreign_table[0] not in exposed:
        return False
    return rel.junction is None or rel.junction.table[0] in exposed


def relationship_sort_key(rel: Relationship) -> tuple[Any, ...]:
    """PostgREST's derived ``Ord Relationship``, so candidate lists and errors list in its order.

    Key relationships sort before computed ones; then by table, foreign
    table, self flag, cardinality (O2M < M2O < O2O < M2M, then its fields)
    and the view flags.
    """
    if rel.function is not None:
        return (1, rel.function, rel.table, rel.foreign_table, rel.to_one, rel.is_self)
    card: tuple[Any, ...]
    if rel.cardinality is Cardinality.M2M:
        j = rel.junction
        assert j is not None
        card = (3, j.table, j.constraint1, j.constraint2, j.source_columns, j.target_columns)
    elif rel.cardinality is Cardinality.O2O:
        card = (2, rel.constraint, rel.columns, rel.is_parent)
    else:
        card = (0 if rel.cardinality is Cardinality.O2M else 1, rel.constraint, rel.columns)
    return (0, rel.table, rel.foreign_table, rel.is_self, card, rel.table_is_view, rel.foreign_table_is_view)


def relationship_key_schema(rel: Relationship) -> str:
    """The schema PostgREST files a relationship under, beside its origin (its RelationshipsMap key).

    The foreign table's schema; for a computed relationship, its function's
    schema (getOverrideRelationshipsMap keys it by the function), so only a
    function of the request's schema relates two of its relations.
    """
    return rel.function[0] if rel.function is not None else rel.foreign_table[0]


def index_relationships(
    rels: Iterable[Relationship],
) -> tuple[dict[QualifiedName, tuple[Relationship, ...]], dict[tuple[str, str, str], tuple[Relationship, ...]]]:
    """Relationships by origin, and by origin and key schema (relationship_key_schema), in PostgREST's order."""
    by_origin: dict[QualifiedName, list[Relationship]] = defaultdict(list)
    for rel in rels:
        by_origin[rel.table].append(rel)
    origin_index: dict[QualifiedName, tuple[Relationship, ...]] = {}
    schema_index: dict[tuple[str, str, str], tuple[Relationship, ...]] = {}
    for origin, found in by_origin.items():
        found.sort(key=relationship_sort_key)
        origin_index[origin] = tuple(found)
        by_schema: dict[str, list[Relationship]] = defaultdict(list)
        for rel in found:
            by_schema[relationship_key_schema(rel)].append(rel)
        for schema, group in by_schema.items():
            schema_index[(origin[0], origin[1], schema)] = tuple(group)
    return origin_index, schema_index
