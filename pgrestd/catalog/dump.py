"""The catalog snapshot as JSON, for ``pgrestd --dump-schema`` and golden tests."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from .cache_policy import CachePolicy
from .model import Catalog
from .relationships import relationship_sort_key

__all__ = ["dump_catalog"]


def dump_catalog(catalog: Catalog) -> bytes:
    """Stable output: every list is sorted, so two loads of one schema dump the same bytes.

    A relation or function with a Cache-Control policy shows it as ``cache_policy`` (the policy
    in effect, declared or inferred, and why); one without has no such key.
    """
    doc: dict[str, Any] = {
        "schemas": list(catalog.schemas),
        "server_version": catalog.server_version,
        "tables": [_with_policy(_plain(catalog.tables[k], skip=("column_index", "cache_policy")),
                                catalog.cache_policies.get(k))
                   for k in sorted(catalog.tables)],
        "foreign_keys": [_plain(fk) for fk in sorted(catalog.foreign_keys, key=lambda f: (f.table, f.name))],
        "functions": [_with_policy(_plain(f, skip=("cache_policy",)), f.cache_policy)
                      for k in sorted(catalog.functions) for f in catalog.functions[k]],
        "relationships": [
            _plain(rel)
            for origin in sorted(catalog.relationship_index)
            for rel in sorted(catalog.relationship_index[origin], key=relationship_sort_key)
        ],
        "computed_fields": [
            {"table": list(table), "name": name, "function": [fn.schema, fn.name]}
            for table in sorted(catalog.computed_field_index)
            for name, fn in sorted(catalog.computed_field_index[table].items())
        ],
        "media_handlers": sorted(
            ({"function": list(h.function), "target": list(h.target) if h.target else "anyelement",
              "media_type": h.media.mime, "produces": h.produces.mime}
             for h in catalog.media_handlers.values()),
            key=lambda d: (d["media_type"], str(d["target"]), d["function"])),
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


def _with_policy(doc: dict[str, Any], policy: CachePolicy | None) -> dict[str, Any]:
    if policy is not None:
        doc["cache_policy"] = {
            "cache_control": policy.anonymous,
            "authenticated": policy.authenticated,
            "source": "statistics" if policy.inferred else "comment",
            "reason": policy.reason,
        }
    return doc


def _plain(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {f.name: _value(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.name not in skip}


def _value(v: Any) -> Any:
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return _plain(v)
    if isinstance(v, tuple):
        return [_value(x) for x in v]
    return v
