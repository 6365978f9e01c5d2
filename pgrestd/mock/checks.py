"""Reads simple CHECK constraints (bounds, IN lists, lengths) and partition bounds as hints for the
value generators.

Generated rows are still checked by PostgreSQL, which rejects what a hint
missed: hints only make most rows pass the first time.  Only conjunctions
are read; a definition with OR or NOT says nothing here.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .model import Hints

__all__ = ["check_hints", "partition_hints"]

# A column as pg_get_constraintdef writes it: a plain or a quoted identifier,
# possibly in parentheses and cast (``(status)::text``); ``VALUE`` in a domain.
_NAME = r'\(*(?P<name>"(?:[^"]|"")+"|[A-Za-z_][\w$]*)\)*(?:::[\w ."\[\]]+?)?'
_NUMBER = r"\(*'?(?P<num>-?\d+(?:\.\d+)?)'?\)*(?:::[\w ]+)?"
_COMPARISON = re.compile(_NAME + r"\s*(?P<op>>=|<=|<>|>|<|=)\s*" + _NUMBER + r"(?=\)|\s|$)")
_LENGTH = re.compile(r"(?:char_length|character_length|length)\(" + _NAME + r"\)\s*(?P<op>>=|<=|>|<|=)\s*"
                     + _NUMBER)
_ANY = re.compile(_NAME + r"\s*=\s*ANY\s*\(+ARRAY\[(?P<items>.*?)\]")
_ITEM = re.compile(r"'((?:[^']|'')*)'")
_NOT_NULL = re.compile(_NAME + r"\s+IS NOT NULL")
_UNSUPPORTED = re.compile(r"\b(?:OR|NOT)\b")


def _identifier(text: str) -> str:
    return text[1:-1].replace('""', '"') if text.startswith('"') else text


def check_hints(definition: str) -> dict[str, Hints]:
    """Hints by column name (``VALUE`` for a domain) from one ``CHECK (...)`` definition."""
    not_null = [m["name"] for m in _NOT_NULL.finditer(definition)]
    definition = _NOT_NULL.sub("", definition)
    if _UNSUPPORTED.search(definition):
        return {}
    found: dict[str, Hints] = {}

    def add(name: str, hints: Hints) -> None:
        key = _identifier(name)
        found[key] = found[key].merge(hints) if key in found else hints

    for name in not_null:
        add(name, Hints(not_null=True))
    for m in _LENGTH.finditer(definition):
        n, op = int(Decimal(m["num"])), m["op"]
        if op in (">=", ">", "="):
            add(m["name"], Hints(min_length=n + (op == ">")))
        if op in ("<=", "<", "="):
            add(m["name"], Hints(max_length=n - (op == "<")))
    without_lengths = _LENGTH.sub("", definition)
    for m in _COMPARISON.finditer(without_lengths):
        value, op = Decimal(m["num"]), m["op"]
        if op in (">", ">="):
            add(m["name"], Hints(low=(value, op == ">")))
        elif op in ("<", "<="):
            add(m["name"], Hints(high=(value, op == "<")))
        elif op == "=":
            add(m["name"], Hints(low=(value, False), high=(value, False)))
    for m in _ANY.finditer(definition):
        items = tuple(i.replace("''", "'") for i in _ITEM.findall(m["items"]))
        if items:
            add(m["name"], Hints(choices=items))
    return found


_IN_BOUND = re.compile(r"^FOR VALUES IN \((?P<items>.*)\)$")
_RANGE_BOUND = re.compile(r"^FOR VALUES FROM \(" + _NUMBER.replace("num", "low") + r"\) TO \("
                          + _NUMBER.replace("num", "high") + r"\)$")
_BOUND_ITEM = re.compile(r"'((?:[^']|'')*)'|(-?\d+(?:\.\d+)?)")


def partition_hints(bounds: list[str]) -> Hints:
    """Hints for the key column of a partitioned table from its partitions' bounds: the values of
    list partitions, the span of numeric range partitions; nothing when a DEFAULT partition takes
    the rest."""
    if not bounds or "DEFAULT" in bounds:
        return Hints()
    lists = [_IN_BOUND.match(b) for b in bounds]
    if all(lists):
        items = [q.replace("''", "'") if q or not n else n
                 for m in lists for q, n in _BOUND_ITEM.findall(m["items"])]  # type: ignore[index]
        return Hints(choices=tuple(dict.fromkeys(items)))
    ranges = [_RANGE_BOUND.match(b) for b in bounds]
    if all(ranges):
        return Hints(low=(min(Decimal(m["low"]) for m in ranges), False),  # type: ignore[index]
                     high=(max(Decimal(m["high"]) for m in ranges), True))  # type: ignore[index]
    return Hints()
