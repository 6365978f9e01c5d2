"""The fill order: referenced tables first; self-references and cycles deferred or given up."""

from __future__ import annotations

from pgrestd.mock.model import Column, ForeignKey, Table
from pgrestd.mock.order import fill_order


def column(name: str, not_null: bool = False, defaulted: bool = False) -> Column:
    return Column(name, 23, -1, "integer", not_null, None, defaulted)


def table(name: str, *fks: tuple[str, str, bool], identity: bool = False) -> Table:
    """``fks``: (column, target table, NOT NULL)."""
    columns = [column("id", True, identity)] + [column(c, nn) for c, _, nn in fks]
    keys = tuple(ForeignKey(f"{name}_{c}_fkey", ("s", name), (c,), ("s", t), ("id",)) for c, t, _ in fks)
    return Table("s", name, tuple(columns), foreign_keys=keys)


def order_of(*tables: Table):
    return fill_order({t.qualified: t for t in tables})


def test_referenced_tables_come_first():
    result = order_of(table("films", ("director_id", "directors", True)), table("directors"),
                      table("roles", ("film_id", "films", True), ("actor_id", "actors", True)), table("actors"))
    names = [n for _, n in result.tables]
    assert names.index("directors") < names.index("films") < names.index("roles")
    assert names.index("actors") < names.index("roles")
    assert not result.deferred and not result.unfillable


def test_self_references():
    # Generated keys: rows point at rows made before them, nothing deferred.
    assert not order_of(table("tree", ("parent_id", "tree", False))).deferred
    # Identity keys are only known once inserted: a nullable reference waits, a NOT NULL one cannot be made.
    assert order_of(table("tree", ("parent_id", "tree", False), identity=True)).deferred == {
        (("s", "tree"), "tree_parent_id_fkey")}
    assert order_of(table("tree", ("parent_id", "tree", True), identity=True)).unfillable == {
        (("s", "tree"), "tree_parent_id_fkey")}


def test_a_cycle_waits_on_its_nullable_key():
    result = order_of(table("agents", ("department_id", "departments", True)),
                      table("departments", ("head_id", "agents", False)))
    assert result.deferred == {(("s", "departments"), "departments_head_id_fkey")}
    assert [n for _, n in result.tables] == ["departments", "agents"]


def test_a_cycle_of_not_null_keys_is_reported():
    result = order_of(table("a", ("b_id", "b", True)), table("b", ("a_id", "a", True)))
    assert len(result.tables) == 2 and result.unfillable == {(("s", "a"), "a_b_id_fkey")}
