"""Status, headers and body bytes of a response, from a plan's outcome or an error."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ApiError
from .execute import Outcome

__all__ = ["Response", "read_response", "error_response", "JSON_TYPE"]

JSON_TYPE = "application/json; charset=utf-8"


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def content_range(offset: int, rows: int, total: int | None) -> str:
    """``0-24/3573``, ``0-24/*`` or ``*/0``, as PostgREST's RangeQuery renders it."""
    total_text = "*" if total is None else str(total)
    if rows == 0:
        return "*/" + total_text
    return f"{offset}-{offset + rows - 1}/{total_text}"


def read_response(outcome: Outcome, offset: int = 0) -> Response:
    return Response(
        200,
        {
            "Content-Type": JSON_TYPE,
            "Content-Range": content_range(offset, outcome.page_total, outcome.total),
        },
        outcome.body,
    )


def error_response(error: ApiError, verbose: bool = True) -> Response:
    headers = {"Content-Type": JSON_TYPE, "Proxy-Status": f"PostgREST; error={error.code}"}
    headers.update(error.headers)
    return Response(error.status, headers, error.body(verbose))
