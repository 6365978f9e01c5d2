"""CHECK constraints and partition bounds as hints: what is read, and what is left to PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

from pgrestd.mock.checks import check_hints, partition_hints
from pgrestd.mock.model import Hints


def test_bounds_as_pg_get_constraintdef_writes_them():
    assert check_hints("CHECK (((year >= 1888) AND (year <= 2100)))") == {
        "year": Hints(low=(Decimal(1888), False), high=(Decimal(2100), False))}
    assert check_hints("CHECK ((runtime_minutes > 0))") == {"runtime_minutes": Hints(low=(Decimal(0), True))}
    assert check_hints("CHECK ((box_office >= (0)::numeric))")["box_office"].low == (Decimal(0), False)
    assert check_hints("CHECK ((x >= '-1.5'::numeric))")["x"].low == (Decimal("-1.5"), False)
    assert check_hints("CHECK ((VALUE > 0))") == {"VALUE": Hints(low=(Decimal(0), True))}


def test_lists_lengths_and_not_null():
    definition = ("CHECK (((status)::text = ANY ((ARRAY['new'::character varying, 'it''s'::character varying])"
                  "::text[])))")
    assert check_hints(definition) == {"status": Hints(choices=("new", "it's"))}
    assert check_hints('CHECK ((char_length("Name") <= 10))') == {"Name": Hints(max_length=10)}
    assert check_hints("CHECK ((length(code) > 2))") == {"code": Hints(min_length=3)}
    assert check_hints("CHECK ((VALUE IS NOT NULL))") == {"VALUE": Hints(not_null=True)}


def test_what_is_left_to_postgresql():
    assert check_hints("CHECK (((a > 1) OR (b < 2)))") == {}
    assert check_hints("CHECK ((NOT (a > 1)))") == {}
    assert check_hints("CHECK ((a < b))") == {}
    assert check_hints("CHECK ((name <> ''::text))") == {}


def test_hints_merge_to_the_tighter_bound():
    merged = Hints(low=(Decimal(0), False), high=(Decimal(10), False)).merge(
        Hints(low=(Decimal(0), True), high=(Decimal(5), False), max_length=3))
    assert merged == Hints(low=(Decimal(0), True), high=(Decimal(5), False), max_length=3)
    assert Hints(choices=("a", "b")).merge(Hints(choices=("b", "c"))).choices == ("b",)


def test_partition_bounds():
    assert partition_hints(["FOR VALUES IN (2021)", "FOR VALUES IN (1981, 1997)"]).choices == ("2021", "1981", "1997")
    assert partition_hints(["FOR VALUES IN ('a', 'b''c')"]).choices == ("a", "b'c")
    ranges = partition_hints(["FOR VALUES FROM (1) TO (10)", "FOR VALUES FROM (10) TO (20)"])
    assert (ranges.low, ranges.high) == ((Decimal(1), False), (Decimal(20), True))
    assert partition_hints(["FOR VALUES IN (1)", "DEFAULT"]) == Hints()
