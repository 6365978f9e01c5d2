"""What every statement shares: bind parameters in text order, the JSON body marker, the response row.

Every main statement answers one row with the same columns (PostgREST's
mainRead, mainWrite and mainCall), which the executor maps by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["READ_ROW", "WRITE_ROW", "JsonBody", "SqlBuilder", "response_row"]

# The columns of the response row: of a read or a call, and of a write.
READ_ROW = ("total_result_set", "page_total", "body", "response_headers", "response_status")
WRITE_ROW = ("total_result_set", "page_total", "location", "body", "response_headers", "response_status",
             "response_inserted")


@dataclass(frozen=True, slots=True)
class JsonBody:
    """A request body that already is JSON text, bound as one ``json`` (or ``jsonb``) parameter.

    The SQL stage only marks it; the executor sends ``raw`` as it came,
    never decoded and re-encoded in Python.
    """

    raw: bytes
    binary: bool = False  # jsonb: column defaults are merged into it with ``||``

    def with_raw(self, raw: bytes) -> JsonBody:
        """The same parameter for another body: what a cached statement binds for the next request."""
        return JsonBody(raw, self.binary)


class SqlBuilder:
    """Accumulates bind parameters in text order while fragments are rendered."""

    __slots__ = ("params", "reps")

    def __init__(self, representations: Mapping[tuple[str, str], tuple[str, str]] | None = None) -> None:
        self.params: list[object] = []
        # Data representations (domain <-> json/text casts), PostgREST's cfTransform.
        self.reps = representations or {}

    def param(self, value: object) -> str:
        self.params.append(value)
        return "%s"


def response_row(*, total: str, page: str, body: str, source: str,
                 location: str | None = None, inserted: str | None = None) -> str:
    """The one row a statement answers, over ``source`` as ``_postgrest_t``.

    Columns in PostgREST's order, :data:`READ_ROW` or, for a write (with
    ``location`` and ``inserted``), :data:`WRITE_ROW`, so an EXPLAIN of the
    statement lines up with PostgREST's.  The executor reads them by position.
    """
    assert (location is None) == (inserted is None), "a write has both Location and inserted rows"
    return (
        f"SELECT {total} AS total_result_set, {page} AS page_total, "
        + (f"{location} AS location, " if location is not None else "")
        + f"{body} AS body, "
        "nullif(pg_catalog.current_setting('response.headers', true), '') AS response_headers, "
        "nullif(pg_catalog.current_setting('response.status', true), '') AS response_status"
        + (f", {inserted} AS response_inserted" if inserted is not None else "")
        + f" FROM ({source}) _postgrest_t"
    )
