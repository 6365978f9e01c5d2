"""The schema cache: what the exposed schemas contain, loaded once per reload."""

from __future__ import annotations

from .dump import dump_catalog
from .load import fetch_catalog, load_catalog, timed_load
from .model import Catalog, Column, ForeignKey, Function, FunctionArg, Table

__all__ = [
    "Catalog", "Column", "ForeignKey", "Function", "FunctionArg", "Table",
    "dump_catalog", "fetch_catalog", "load_catalog", "timed_load",
]
