"""Status, headers and body bytes of a response, from a plan's outcome or an error.

Follows PostgREST's Response.hs: Content-Range and the 200/206/416 rule,
Content-Location, Content-Profile when several schemas are exposed,
Preference-Applied, and the ``response.headers`` / ``response.status``
settings a function may set, which override what pgrestd would send.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from .errors import ApiError, GucHeadersError, GucStatusError, SingularityError
from .execute import Outcome
from .plan.read import ReadPlan
from .request import media as mt
from .request.preferences import Count
from .request.ranges import out_of_bounds, range_status

__all__ = ["Response", "read_response", "error_response", "JSON_TYPE", "total_for"]

JSON_TYPE = "application/json; charset=utf-8"

# Content-Location echoes the query string; beyond this length it is left out
# rather than sent as a header line most HTTP clients refuse (64 KiB in
# Python's http.client, 8 KiB in many proxies).
_MAX_LOCATION = 8192


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def total_for(plan: ReadPlan, outcome: Outcome) -> int | None:
    """The table total for Content-Range: exact, planned, or PostgREST's estimate.

    ``count=estimated`` uses the exact count while it stays within
    ``db-max-rows`` and the planner's estimate beyond it.
    """
    if plan.count == Count.EXACT:
        return outcome.total
    if plan.count == Count.PLANNED:
        return outcome.planned_total
    if plan.count == Count.ESTIMATED:
        if plan.max_rows is not None and outcome.total is not None and outcome.total > plan.max_rows:
            return max(outcome.planned_total or 0, outcome.total)
        return outcome.total
    return None


def read_response(plan: ReadPlan, outcome: Outcome, *, location: str, profile: str | None,
                  preference_applied: str | None, verbose: bool) -> Response:
    total = total_for(plan, outcome)
    status, content_range = range_status(plan.range, outcome.page_total, total)
    if status == 416:
        raise out_of_bounds(plan.range, outcome.page_total, total)
    media = plan.media
    if media.kind == mt.MediaKind.OBJECT and outcome.page_total != 1:
        raise SingularityError(outcome.page_total)
    headers = {"Content-Range": content_range, "Content-Type": media.content_type_header}
    if len(location) <= _MAX_LOCATION:
        headers["Content-Location"] = location
    if profile is not None:
        headers["Content-Profile"] = profile
    if preference_applied:
        headers["Preference-Applied"] = preference_applied
    return apply_guc_overrides(Response(status, headers, outcome.body), outcome)


def apply_guc_overrides(response: Response, outcome: Outcome) -> Response:
    """``response.status`` replaces the status; ``response.headers`` adds or replaces headers."""
    if outcome.response_status is not None:
        text = outcome.response_status.decode() if isinstance(outcome.response_status, bytes) \
            else outcome.response_status
        digits = text.strip()
        if not digits.isdigit() or not 100 <= int(digits) <= 999:
            raise GucStatusError()
        response.status = int(digits)
    if outcome.response_headers is not None:
        try:
            items = orjson.loads(outcome.response_headers)
        except orjson.JSONDecodeError:
            raise GucHeadersError() from None
        if not isinstance(items, list):
            raise GucHeadersError()
        lower = {k.lower(): k for k in response.headers}
        for item in items:
            if not isinstance(item, dict) or len(item) != 1:
                raise GucHeadersError()
            (name, value), = item.items()
            if not isinstance(value, str):
                raise GucHeadersError()
            existing = lower.get(name.lower())
            if existing is not None:
                del response.headers[existing]
            response.headers[name] = value
    return response


def error_response(error: ApiError, verbose: bool = True) -> Response:
    headers = {"Content-Type": JSON_TYPE, "Proxy-Status": f"PostgREST; error={error.code}"}
    headers.update(error.headers)
    return Response(error.status, headers, error.body(verbose))
