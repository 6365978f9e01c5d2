"""The catalog snapshot as JSON, for ``pgrestd --dump-schema`` and golden tests."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from .model import Catalog

__all__ = ["dump_catalog"]


def dump_catalog(catalog: Catalog) -> bytes:
    doc: dict[str, Any] = {
        "schemas": list(catalog.schemas),
        "server_version": catalog.server_version,
        "tables": [_plain(t, skip=("column_index",)) for t in catalog.tables.values()],
        "foreign_keys": [_plain(fk) for fk in catalog.foreign_keys],
        "functions": [_plain(f) for overloads in catalog.functions.values() for f in overloads],
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


def _plain(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {f.name: _value(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.name not in skip}


def _value(v: Any) -> Any:
    if dataclasses.is_dataclass(v):
        return _plain(v)
    if isinstance(v, tuple):
        return [_value(x) for x in v]
    return v
