"""Rows: unique keys stay unique, references point at targets, one-to-one keys deal without repeats."""

from __future__ import annotations

import faker

from pgrestd.mock.model import Column, ForeignKey, PgType, Table, UniqueKey
from pgrestd.mock.rows import RowMaker
from pgrestd.mock.values import ValueMaker

TYPES = {23: PgType(23, "pg_catalog", "int4", "b", "N", "integer"),
         25: PgType(25, "pg_catalog", "text", "b", "S", "text")}


def values() -> ValueMaker:
    fake = faker.Faker("en_US")
    fake.seed_instance(3)
    return ValueMaker(TYPES, fake)


def col(name: str, type_oid: int = 23, not_null: bool = True) -> Column:
    return Column(name, type_oid, -1, "", not_null, None, False)


def test_keys_stay_unique_and_integer_keys_count():
    people = Table("s", "people", (col("id"), col("name", 25), col("tag", 25, False)),
                   (UniqueKey("pk", ("id",), primary=True), UniqueKey("name_key", ("name",))))
    rows = RowMaker(people, values(), {}).make(300)
    assert [r["id"] for r in rows] == [str(i) for i in range(1, 301)]
    assert len({r["name"] for r in rows}) == 300
    assert 0 < sum(r["tag"] is None for r in rows) < 100  # nullable: some NULLs


def test_references_and_pairs():
    roles = Table("s", "roles", (col("film_id"), col("actor_id")), (UniqueKey("pk", ("film_id", "actor_id"), True),),
                  (ForeignKey("f", ("s", "roles"), ("film_id",), ("s", "films"), ("id",)),
                   ForeignKey("a", ("s", "roles"), ("actor_id",), ("s", "actors"), ("id",))))
    films, actors = [(str(i),) for i in range(1, 4)], [(str(i),) for i in range(1, 3)]
    rows = RowMaker(roles, values(), {"f": films, "a": actors}).make(10)
    assert len(rows) == 6  # every (film, actor) pair once: then the keys ran out
    assert len({(r["film_id"], r["actor_id"]) for r in rows}) == 6


def test_one_to_one_deals_each_target_once():
    passports = Table("s", "passports", (col("user_id"),), (UniqueKey("u", ("user_id",)),),
                      (ForeignKey("p", ("s", "passports"), ("user_id",), ("s", "users"), ("id",)),))
    users = [(str(i),) for i in range(1, 21)]
    rows = RowMaker(passports, values(), {"p": users}).make(25)
    assert sorted(int(r["user_id"]) for r in rows) == list(range(1, 21))


def test_a_self_reference_points_back():
    tree = Table("s", "tree", (col("id"), col("parent_id", not_null=False)), (UniqueKey("pk", ("id",), True),),
                 (ForeignKey("t", ("s", "tree"), ("parent_id",), ("s", "tree"), ("id",)),))
    maker = RowMaker(tree, values(), {})
    rows = maker.make(50)
    for i, row in enumerate(rows):
        assert row["parent_id"] is None or int(row["parent_id"]) <= i
    maker.forget(rows[-1])
    assert (rows[-1]["id"],) not in maker.pool["t"]
