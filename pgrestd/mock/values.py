"""One value for one column, as PostgreSQL text input: realistic where the column's name says what it
holds (emails, names, prices, birth dates, ...), otherwise what its type allows.

Every value is text that PostgreSQL casts to the column's type, so enums,
domains, arrays, ranges and composites all take the same path.  Randomness
comes only from the Faker instance handed in (``fake.random``): seeded, the
same calls give the same values.  Dates are drawn from fixed windows, never
relative to today, so a seed gives the same rows on any day.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .model import Column, Hints, PgType
from .names import DATES, TIMESTAMPS, date_window, number_rule, sentence, text_rule, word, words

if TYPE_CHECKING:
    from faker import Faker

__all__ = ["ValueMaker"]

_INTEGER_LIMITS = {"int2": 2**15 - 1, "int4": 2**31 - 1, "int8": 2**63 - 1, "oid": 2**32 - 1}
_FLOATS = {"float4": 2, "float8": 4, "money": 2}
_GEOMETRY = re.compile(r"\((\w+)(?:\s*,\s*(\d+))?\)")


@dataclass(frozen=True, slots=True)
class _Resolved:
    """A column's type with its domains peeled off: the base type, its modifier, and what the
    domains add (NOT NULL, CHECK hints)."""

    type: PgType
    typmod: int
    hints: Hints
    not_null: bool


class ValueMaker:
    """Values for columns, drawn from ``fake`` (whose ``random`` the caller seeds)."""

    def __init__(self, types: dict[int, PgType], fake: Faker) -> None:
        self.types = types
        self.fake = fake

    # -- what a column is ------------------------------------------------------------------

    def resolve(self, type_oid: int, typmod: int = -1) -> _Resolved:
        hints, not_null = Hints(), False
        t = self.types[type_oid]
        while t.kind == "d":
            hints, not_null = hints.merge(t.hints), not_null or t.not_null or t.hints.not_null
            typmod = typmod if typmod != -1 else t.base_typmod
            t = self.types[t.base_oid]
        return _Resolved(t, typmod, hints, not_null)

    def not_null(self, column: Column) -> bool:
        """Whether the column (or its domain) refuses NULL."""
        return column.not_null or column.hints.not_null or self.resolve(column.type_oid).not_null

    def supported(self, type_oid: int) -> bool:
        """Whether values of this type can be generated at all."""
        r = self.resolve(type_oid)
        t = r.type
        if t.element_oid:
            return self.supported(t.element_oid)
        if t.kind == "c":
            return all(self.supported(oid) for _, oid, _ in t.attributes)
        if t.kind == "r" or t.kind == "m":
            return t.range_subtype_oid is not None and self.resolve(t.range_subtype_oid).type.category in "ND"
        return t.kind == "e" or t.name in _BY_NAME or t.category in _BY_CATEGORY

    def textual(self, column: Column) -> bool:
        t = self.resolve(column.type_oid).type
        return t.kind == "b" and (t.category == "S" or t.name == "citext")

    def max_length(self, column: Column) -> int | None:
        """The length limit of a varchar(n)/char(n) column, or of its CHECK constraints."""
        r = self.resolve(column.type_oid, column.typmod)
        return self._length_limit(r.type, r.typmod, column.hints.merge(r.hints))

    # -- values ----------------------------------------------------------------------------------

    def value(self, table: str, column: Column) -> str | None:
        """A value for ``column`` of ``table`` as text input; None for NULL."""
        return self._value(table, column.name, column.type_oid, column.typmod, column.hints, column.sql_type)

    def _value(self, table: str, name: str, type_oid: int, typmod: int, hints: Hints,
               sql_type: str = "") -> str | None:
        r = self.resolve(type_oid, typmod)
        hints = hints.merge(r.hints)
        t = r.type
        if hints.choices:
            return self.fake.random.choice(hints.choices)
        if t.kind == "e":
            return self.fake.random.choice(t.labels) if t.labels else None
        if t.element_oid:
            return self._array(table, name, t.element_oid)
        if t.kind == "c":
            return self._composite(table, t)
        if t.kind in ("r", "m") and t.range_subtype_oid is not None:
            text = self._range(t.range_subtype_oid)
            return "{" + text + "}" if t.kind == "m" and text else text
        make = _BY_NAME.get(t.name) or _BY_CATEGORY.get(t.category)
        if make is None:
            return None
        return make(self, _Context(table, name, t, r.typmod, hints, self._length_limit(t, r.typmod, hints),
                                   sql_type))

    @staticmethod
    def _length_limit(t: PgType, typmod: int, hints: Hints) -> int | None:
        limits = [n for n in (hints.max_length,) if n is not None]
        if t.name in ("varchar", "bpchar") and typmod >= 4:
            limits.append(typmod - 4)
        if t.name == "name":
            limits.append(63)
        return min(limits, default=None)

    def _array(self, table: str, name: str, element_oid: int) -> str:
        items = [self._value(table, name, element_oid, -1, Hints())
                 for _ in range(self.fake.random.randint(1, 3))]
        return "{" + ",".join(_quote_item(i) for i in items) + "}"

    def _composite(self, table: str, t: PgType) -> str:
        items = [self._value(table, attname, oid, typmod, Hints()) for attname, oid, typmod in t.attributes]
        return "(" + ",".join("" if i is None else _quote_item(i) for i in items) + ")"

    def _range(self, subtype_oid: int) -> str | None:
        sub = self.resolve(subtype_oid).type
        rnd = self.fake.random
        if sub.category == "N":
            low = rnd.randint(0, 900)
            return f"[{low},{low + rnd.randint(1, 100)})"
        if sub.category == "D":
            start = _day(rnd, *TIMESTAMPS)
            end = start + dt.timedelta(days=rnd.randint(1, 30))
            if sub.name == "date":
                return f"[{start.isoformat()},{end.isoformat()})"
            suffix = "+00" if sub.name == "timestamptz" else ""
            return f"[{start.isoformat()} 09:00:00{suffix},{end.isoformat()} 17:00:00{suffix})"
        return None


@dataclass(frozen=True, slots=True)
class _Context:
    """What a base type's generator knows about the column it fills."""

    table: str
    column: str
    type: PgType
    typmod: int
    hints: Hints
    max_length: int | None
    sql_type: str  # with the column's modifier: geometry(Polygon,4326)


def _quote_item(text: str | None) -> str:
    """An element of an array or composite literal, quoted."""
    if text is None:
        return "NULL"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _day(rnd: Any, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rnd.randint(0, (last - first).days))


# -- the generators of base types, by name and by category ------------------------------------


def _text(m: ValueMaker, c: _Context) -> str:
    fake = m.fake
    limit = c.max_length
    rule = text_rule(c.column)
    if limit is not None and limit <= 3:
        text = "".join(fake.random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(limit))
    elif rule is not None:
        text = rule(fake, c.table.lower())
    elif limit is not None and limit <= 12:
        text = word(fake)
    else:
        text = sentence(fake)
    while c.hints.min_length is not None and len(text) < c.hints.min_length:
        text += " " + word(fake)
    if limit is None:
        return text
    return text[:limit].rstrip() or text[:limit]  # no trailing blank where the cut fell after a word


def _integer(m: ValueMaker, c: _Context) -> str:
    top = _INTEGER_LIMITS.get(c.type.name, 2**31 - 1)
    rule = number_rule(c.column)
    low, high = (rule[0], rule[1]) if rule else (1, 1000)
    low, high = _bounded(low, high, c.hints, Decimal(1), -top - 1, top)
    return str(m.fake.random.randint(int(low), int(high)))


def _decimal(m: ValueMaker, c: _Context) -> str:
    rule = number_rule(c.column)
    if c.type.name == "numeric" and c.typmod >= 4:
        precision, scale = ((c.typmod - 4) >> 16) & 0xFFFF, (c.typmod - 4) & 0xFFFF
    else:
        precision, scale = 15, _FLOATS.get(c.type.name, rule[2] if rule else 2)
    scale = min(scale, rule[2]) if rule and c.type.name != "numeric" else scale
    top = Decimal(10) ** (precision - scale) - Decimal(1).scaleb(-scale)
    low, high = (rule[0], rule[1]) if rule else (0, 1000)
    step = Decimal(1).scaleb(-scale)
    low_d, high_d = _bounded(Decimal(low), Decimal(high), c.hints, step, -top, top)
    value = Decimal(str(m.fake.random.uniform(float(low_d), float(high_d)))).quantize(step)
    return str(min(max(value, low_d), high_d))


def _bounded(low: Decimal | int, high: Decimal | int, hints: Hints, step: Decimal,
             floor: Decimal | int, ceiling: Decimal | int) -> tuple[Decimal, Decimal]:
    """The rule's range narrowed to the CHECK hints and the type's limits; the hints' own range
    when the rule's falls outside them."""
    h_low = hints.low[0] + (step if hints.low[1] else 0) if hints.low else Decimal(floor)
    h_high = hints.high[0] - (step if hints.high[1] else 0) if hints.high else Decimal(ceiling)
    h_low, h_high = max(h_low, Decimal(floor)), min(h_high, Decimal(ceiling))
    low_d, high_d = max(Decimal(low), h_low), min(Decimal(high), h_high)
    if low_d > high_d:
        low_d, high_d = h_low, min(h_high, h_low + 1000)
    return low_d, max(low_d, high_d)


def _boolean(m: ValueMaker, c: _Context) -> str:
    return m.fake.random.choice(("true", "false"))


def _date(m: ValueMaker, c: _Context) -> str:
    return _day(m.fake.random, *date_window(c.column, DATES)).isoformat()


def _clock(m: ValueMaker) -> str:
    rnd = m.fake.random
    return f"{rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:{rnd.randint(0, 59):02d}"


def _timestamp(m: ValueMaker, c: _Context) -> str:
    day = _day(m.fake.random, *date_window(c.column, TIMESTAMPS))
    return f"{day.isoformat()} {_clock(m)}" + ("+00" if c.type.name == "timestamptz" else "")


def _time(m: ValueMaker, c: _Context) -> str:
    return _clock(m) + ("+00" if c.type.name == "timetz" else "")


def _interval(m: ValueMaker, c: _Context) -> str:
    rnd = m.fake.random
    return f"{rnd.randint(0, 30)} days {rnd.randint(0, 23)} hours"


def _uuid(m: ValueMaker, c: _Context) -> str:
    return str(uuid.UUID(int=m.fake.random.getrandbits(128), version=4))


def _json(m: ValueMaker, c: _Context) -> str:
    fake = m.fake
    return json.dumps({"label": word(fake), "count": fake.random.randint(0, 100),
                       "active": fake.random.random() < 0.5})


def _bytea(m: ValueMaker, c: _Context) -> str:
    return "\\x" + m.fake.random.getrandbits(128).to_bytes(16, "big").hex()


def _inet(m: ValueMaker, c: _Context) -> str:
    return m.fake.ipv4(network=c.type.name == "cidr")


def _macaddr(m: ValueMaker, c: _Context) -> str:
    mac = m.fake.mac_address()
    return mac + ":00:00" if c.type.name == "macaddr8" else mac


def _xml(m: ValueMaker, c: _Context) -> str:
    tag = c.column if re.fullmatch(r"[A-Za-z_]\w*", c.column) else "v"
    return f"<{tag}>{word(m.fake)}</{tag}>"


def _tsvector(m: ValueMaker, c: _Context) -> str:
    return " ".join(words(m.fake, 3)) if c.type.name == "tsvector" else word(m.fake)


def _bits(m: ValueMaker, c: _Context) -> str:
    n = c.typmod if c.typmod > 0 else 8
    return "".join(m.fake.random.choice("01") for _ in range(n))


def _point(rnd: Any) -> tuple[float, float]:
    return round(rnd.uniform(-180, 180), 4), round(rnd.uniform(-85, 85), 4)


def _geometric(m: ValueMaker, c: _Context) -> str | None:
    x, y = _point(m.fake.random)
    shapes = {
        "point": f"({x},{y})", "box": f"({x},{y}),({x + 1},{y + 1})",
        "lseg": f"[({x},{y}),({x + 1},{y + 1})]",
        "line": "{1,-1,0}", "path": f"[({x},{y}),({x + 1},{y + 1})]", "circle": f"<({x},{y}),1>",
        "polygon": f"(({x},{y}),({x + 1},{y}),({x},{y + 1}))",
    }
    return shapes.get(c.type.name)


def _postgis(m: ValueMaker, c: _Context) -> str:
    """EWKT in the shape and SRID of the type modifier (``geometry(Polygon,4326)``), a point otherwise."""
    x, y = _point(m.fake.random)
    kind, srid = "point", "4326" if c.type.name == "geography" else None
    found = _GEOMETRY.search(c.sql_type)
    if found:
        kind, srid = found.group(1).lower(), found.group(2) or srid
    ring = f"{x} {y},{x + 1} {y},{x} {y + 1},{x} {y}"
    wkt = {
        "point": f"POINT({x} {y})", "linestring": f"LINESTRING({x} {y},{x + 1} {y + 1})",
        "polygon": f"POLYGON(({ring}))", "multipoint": f"MULTIPOINT({x} {y})",
        "multilinestring": f"MULTILINESTRING(({x} {y},{x + 1} {y + 1}))",
        "multipolygon": f"MULTIPOLYGON((({ring})))",
    }.get(kind, f"POINT({x} {y})")
    return f"SRID={srid};{wkt}" if srid else wkt


def _ltree(m: ValueMaker, c: _Context) -> str:
    return ".".join(re.sub(r"\W", "", w) or "a" for w in words(m.fake, m.fake.random.randint(1, 3)))


def _hstore(m: ValueMaker, c: _Context) -> str:
    return f'"{word(m.fake)}"=>"{word(m.fake)}"'


def _isn(m: ValueMaker, c: _Context) -> str:
    return m.fake.isbn13() if c.type.name in ("isbn", "isbn13") else m.fake.ean13()


_Maker = Callable[[ValueMaker, _Context], "str | None"]

_BY_NAME: dict[str, _Maker] = {
    "bool": _boolean,
    "int2": _integer, "int4": _integer, "int8": _integer, "oid": _integer,
    "numeric": _decimal, "float4": _decimal, "float8": _decimal, "money": _decimal,
    "text": _text, "varchar": _text, "bpchar": _text, "name": _text, "citext": _text,
    "date": _date, "timestamp": _timestamp, "timestamptz": _timestamp, "time": _time, "timetz": _time,
    "interval": _interval,
    "uuid": _uuid, "json": _json, "jsonb": _json, "bytea": _bytea,
    "inet": _inet, "cidr": _inet, "macaddr": _macaddr, "macaddr8": _macaddr,
    "xml": _xml, "tsvector": _tsvector, "tsquery": _tsvector, "bit": _bits, "varbit": _bits,
    "point": _geometric, "box": _geometric, "lseg": _geometric, "line": _geometric, "path": _geometric,
    "polygon": _geometric, "circle": _geometric,
    "geometry": _postgis, "geography": _postgis,
    "ltree": _ltree, "hstore": _hstore,
    "isbn": _isn, "isbn13": _isn, "ean13": _isn,
}

_BY_CATEGORY: dict[str, _Maker] = {"S": _text, "N": _integer, "B": _boolean}
