"""The schema cache: what the exposed schemas contain, loaded once per reload."""

from __future__ import annotations

from .cache_policy import CachePolicy
from .dump import dump_catalog
from .load import build_catalog, fetch_catalog, load_catalog, timed_load
from .model import (
    Cardinality,
    Catalog,
    Column,
    ForeignKey,
    Function,
    FunctionArg,
    Junction,
    MediaHandler,
    QualifiedName,
    Relationship,
    Table,
)

__all__ = [
    "CachePolicy", "Cardinality", "Catalog", "Column", "ForeignKey", "Function", "FunctionArg", "Junction",
    "MediaHandler", "QualifiedName", "Relationship", "Table",
    "build_catalog", "dump_catalog", "fetch_catalog", "load_catalog", "timed_load",
]
