"""Values as PostgreSQL text input: realistic by column name, within type limits and hints, seeded."""

from __future__ import annotations

import re
from decimal import Decimal

import faker

from pgrestd.mock.model import Column, Hints, PgType
from pgrestd.mock.names import uniquify
from pgrestd.mock.values import ValueMaker

TYPES = {t.oid: t for t in (
    PgType(16, "pg_catalog", "bool", "b", "B", "boolean"),
    PgType(21, "pg_catalog", "int2", "b", "N", "smallint"),
    PgType(23, "pg_catalog", "int4", "b", "N", "integer"),
    PgType(25, "pg_catalog", "text", "b", "S", "text"),
    PgType(1043, "pg_catalog", "varchar", "b", "S", "character varying"),
    PgType(1700, "pg_catalog", "numeric", "b", "N", "numeric"),
    PgType(1082, "pg_catalog", "date", "b", "D", "date"),
    PgType(1184, "pg_catalog", "timestamptz", "b", "D", "timestamp with time zone"),
    PgType(2950, "pg_catalog", "uuid", "b", "U", "uuid"),
    PgType(3802, "pg_catalog", "jsonb", "b", "U", "jsonb"),
    PgType(1009, "pg_catalog", "_text", "b", "A", "text[]", element_oid=25),
    PgType(3904, "pg_catalog", "int4range", "r", "R", "int4range", range_subtype_oid=23),
    PgType(9000, "api", "mood", "e", "E", "api.mood", labels=("sad", "ok", "happy")),
    PgType(9001, "api", "positive", "d", "N", "api.positive", base_oid=23, hints=Hints(low=(Decimal(0), True))),
    PgType(9002, "api", "pair", "c", "C", "api.pair", attributes=(("a", 23, -1), ("b", 25, -1))),
    PgType(9003, "api", "opaque", "b", "U", "api.opaque"),
)}


def maker(seed: int = 1) -> ValueMaker:
    fake = faker.Faker("en_US")
    fake.seed_instance(seed)
    return ValueMaker(TYPES, fake)


def value(name: str, type_oid: int, table: str = "things", typmod: int = -1, hints: Hints | None = None,
          seed: int = 1) -> str | None:
    return maker(seed).value(table, Column(name, type_oid, typmod, "", True, None, False, hints or Hints()))


def test_realistic_by_name():
    assert re.fullmatch(r"[^@\s]+@[^@\s]+\.\w+", value("email", 25))
    assert " " in value("name", 25, table="directors")  # a person's name
    assert "1940-01-01" <= value("born", 1082) <= "2005-12-31"
    price = Decimal(value("price", 1700))
    assert 1 <= price <= 500 and price == price.quantize(Decimal("0.01"))
    assert 1950 <= int(value("year", 23)) <= 2025
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00", value("created_at", 1184))


def test_type_limits_and_hints():
    assert len(value("title", 1043, typmod=4 + 5)) <= 5  # varchar(5)
    assert all(1 <= int(value("stars", 21, hints=Hints(low=(Decimal(1), False), high=(Decimal(5), False)),
                              seed=s)) <= 5 for s in range(20))
    assert all(int(value("n", 9001, seed=s)) > 0 for s in range(20))  # a domain's CHECK (VALUE > 0)
    assert value("status", 25, hints=Hints(choices=("draft",))) == "draft"
    big = Decimal(value("amount", 1700, typmod=((5 << 16) | 2) + 4))  # numeric(5,2)
    assert big < 1000 and big == big.quantize(Decimal("0.01"))


def test_structured_types():
    assert value("mood", 9000) in ("sad", "ok", "happy")
    assert re.fullmatch(r'\{"[^"]+"(,"[^"]+")*\}', value("genres", 1009))
    assert re.fullmatch(r"\[\d+,\d+\)", value("span", 3904))
    assert re.fullmatch(r'\("\d+","[^"]*"\)', value("pair", 9002))
    assert re.fullmatch(r"[0-9a-f-]{36}", value("id", 2950))
    assert value("opaque", 9003) is None and not maker().supported(9003)


def test_the_same_seed_gives_the_same_values():
    def values(seed: int) -> list[str | None]:
        return [value(n, t, seed=seed) for n, t in (("name", 25), ("email", 25), ("born", 1082), ("id", 2950))]

    assert values(5) == values(5)
    assert values(5) != values(6)


def test_uniquify():
    assert uniquify("ann@example.org", 2, None) == "ann2@example.org"
    assert uniquify("Red Fox", 3, None) == "Red Fox 3"
    assert uniquify("abcdef", 12, 6) == "abcd12"
