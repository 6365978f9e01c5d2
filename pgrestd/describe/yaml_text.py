"""Just enough YAML for RAML, without a YAML library: block mappings of plain data, every string double-quoted.

A JSON string is a YAML double-quoted scalar and a JSON array of scalars a
flow sequence, so orjson writes the leaves; a text of several lines is a
literal block (``|-``), as readers expect long descriptions.  Keys stay plain where no YAML
1.1 reader could take them for anything but a string (``on`` or ``no`` would
be booleans, ``200`` an integer: those are quoted unless they are ints).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

__all__ = ["dump"]

_PLAIN_KEY = re.compile(r"[A-Za-z_/][A-Za-z0-9_./-]*\Z")
_YAML11_WORDS = frozenset(("y", "yes", "n", "no", "true", "false", "on", "off", "null"))
# Printable in JSON but not in a YAML double-quoted scalar (YAML 1.1 §5.1, line breaks §5.4).
_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff]")
# What a literal block cannot carry as is: control characters but the line feed and tab, and the above.
_NOT_IN_BLOCK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def _string(text: str) -> str:
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", orjson.dumps(text).decode())


def _literal(text: str, indent: int) -> list[str] | None:
    """``text`` as a literal block scalar's lines, or None when only a quoted scalar keeps it exact."""
    if "\n" not in text or text[:1] in (" ", "\n") or _NOT_IN_BLOCK.search(text):
        return None
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    pad = " " * indent
    return ["|" + chomp] + [pad + line if line else "" for line in body.split("\n")] + [""] * max(0, trailing - 1)


def _key(key: str | int) -> str:
    if isinstance(key, int):
        return str(key)
    if _PLAIN_KEY.match(key) and key.lower() not in _YAML11_WORDS:
        return key
    return _string(key)


def _leaf(value: Any) -> str:
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_leaf(item) for item in value) + "]"
    if isinstance(value, Mapping):  # only an empty one reaches here
        return "{}"
    return orjson.dumps(value).decode()  # numbers, booleans, null


def _emit(mapping: Mapping[str | int, Any], indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for key, value in mapping.items():
        if isinstance(value, Mapping) and value:
            lines.append(f"{pad}{_key(key)}:")
            _emit(value, indent + 2, lines)
        elif isinstance(value, str) and (block := _literal(value, indent + 2)) is not None:
            lines.append(f"{pad}{_key(key)}: {block[0]}")
            lines += block[1:]
        else:
            lines.append(f"{pad}{_key(key)}: {_leaf(value)}")


def dump(mapping: Mapping[str | int, Any], header: str = "") -> str:
    """``mapping`` as a YAML document; ``header`` is its first line (``#%RAML 1.0``)."""
    lines = [header] if header else []
    if mapping:
        _emit(mapping, 0, lines)
    else:
        lines.append("{}")
    return "\n".join(lines) + "\n"
