"""Status, headers and body bytes of a response, from a plan's outcome or an error.

Follows PostgREST's Response.hs: Content-Range and the 200/206/416 rule,
Content-Location, Content-Profile when several schemas are exposed,
Preference-Applied, and the ``response.headers`` / ``response.status``
settings a function may set, which override what pgrestd would send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote_from_bytes

import orjson

from . import media as mt
from .errors import ApiError, GucHeadersError, GucStatusError, SingularityError
from .plan.call import CallPlan
from .plan.mutate import Mutation, MutatePlan
from .plan.read import ReadPlan
from .request.preferences import Count
from .request.ranges import content_range, out_of_bounds, range_status
from .transaction import Outcome

__all__ = ["Response", "plan_response", "read_response", "error_response", "JSON_TYPE", "total_for", "server_timing",
           "write_response", "call_response", "DEFAULT_VARY", "add_default_vary"]

JSON_TYPE = "application/json; charset=utf-8"

# What every rendered response varies on (PostgREST's toWaiResponse, App.hs): the media type, the
# preferences and the range asked for.  Errors and CORS preflights go out without it.
DEFAULT_VARY = "Accept, Prefer, Range"

# Content-Location echoes the query string; beyond this length it is left out
# rather than sent as a header line most HTTP clients refuse (64 KiB in
# Python's http.client, 8 KiB in many proxies).
_MAX_LOCATION = 8192


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    reason: str | None = None  # a custom reason phrase (RAISE SQLSTATE 'PGRST' status_text)
    role: str | None = None  # the database role the request ran as, for the access log
    # Further header lines of a name already in ``headers``, sent after it in this order: a
    # ``response.headers`` setting may name a header more than once, and each one is sent.
    more_headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, lowered: str) -> str | None:
        """The value of the header named ``lowered`` (lower case) in any case, or None: a function's
        ``response.headers`` may name a header in any case, and pgrestd must not send a second one."""
        for name, value in self.headers.items():
            if name.lower() == lowered:
                return value
        return None


def add_default_vary(response: Response, vary: str = DEFAULT_VARY) -> Response:
    """The default ``Vary`` of a rendered response, unless it has one (a ``response.headers`` setting
    may set its own): PostgREST's toWaiResponse, ``[varyHeader | not $ varyHeaderPresent hdrs]``."""
    if response.header("vary") is None:
        response.headers["Vary"] = vary
    return response


def total_for(plan: ReadPlan, outcome: Outcome) -> int | None:
    """The table total for Content-Range: exact, planned, or PostgREST's estimate.

    ``count=estimated`` uses the exact count while it stays within
    ``db-max-rows`` and beyond it the larger of that count and the planner's
    estimate.  Without ``db-max-rows`` every count is beyond it: PostgREST
    (MainTx) compares ``Just total > Nothing``, which holds, so the total is
    then always the larger of the two.
    """
    if plan.count == Count.EXACT:
        return outcome.total
    if plan.count == Count.PLANNED:
        return outcome.planned_total
    if plan.count == Count.ESTIMATED:
        total, planned = outcome.total, outcome.planned_total
        if total is not None and planned is not None and (plan.max_rows is None or total > plan.max_rows):
            return max(planned, total)
        return total
    return None


def read_response(plan: ReadPlan, outcome: Outcome, *, location: str, profile: str | None,
                  preference_applied: str | None) -> Response:
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


def plan_response(media: mt.MediaType, outcome: Outcome) -> Response:
    """application/vnd.pgrst.plan: 200 with the EXPLAIN output, for reads, writes and calls (RSPlan)."""
    return Response(200, {"Content-Type": media.content_type_header}, outcome.body)


def apply_guc_overrides(response: Response, outcome: Outcome) -> Response:
    """``response.status`` replaces the status; ``response.headers`` adds or replaces headers.

    As PostgREST's addHeadersIfNotIncluded: a name in the setting (compared case-insensitively)
    replaces pgrestd's header of that name, and every entry is sent, so a name given twice goes
    out as two header lines, in the setting's order.
    """
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
        given: set[str] = set()  # the names this setting has set already
        for item in items:
            if not isinstance(item, dict) or len(item) != 1:
                raise GucHeadersError()
            (name, value), = item.items()
            if not isinstance(value, str):
                raise GucHeadersError()
            key = name.lower()
            if key in given:
                response.more_headers.append((name, value))
                continue
            given.add(key)
            existing = lower.get(key)
            if existing is not None:
                del response.headers[existing]
            response.headers[name] = value
    return response


def server_timing(timings: list[tuple[str, float]]) -> str:
    """The Server-Timing value (PostgREST's serverTimingHeader): each stage's duration in ms, one decimal."""
    return ", ".join(f"{name};dur={seconds * 1000:.1f}" for name, seconds in timings)


def error_response(error: ApiError, verbose: bool = True) -> Response:
    headers = {"Content-Type": JSON_TYPE, "Proxy-Status": f"PostgREST; error={error.code}"}
    headers.update(error.headers)
    return Response(error.status, headers, error.body(verbose), error.reason)


# -- writes ------------------------------------------------------------------------
# POST/PATCH/PUT/DELETE on tables and views; Response.hs (actionResponse for
# MutationCreate, MutationUpdate, MutationSingleUpsert, MutationDelete).


def write_response(plan: MutatePlan, outcome: Outcome, *, profile: str | None) -> Response:
    """Status, headers and body of a write, as PostgREST's actionResponse."""
    rows = outcome.page_total
    total = rows if plan.count else None
    mutation = plan.mutation
    headers: dict[str, str] = {}
    full = plan.full
    if mutation is Mutation.CREATE:
        if outcome.location:
            headers["Location"] = _location(plan.table.name, outcome.location)
        headers["Content-Range"] = content_range(1, 0, total)
        if plan.merge_duplicates:
            status = 201 if outcome.inserted is not None and outcome.inserted > 0 else 200
        else:
            status = 201
    elif mutation is Mutation.UPDATE:
        headers["Content-Range"] = content_range(0, rows - 1, total)
        status = 200 if full else 204
    elif mutation is Mutation.UPSERT:
        status = (201 if outcome.inserted is not None and outcome.inserted > 0 else 200) if full else 204
    else:
        headers["Content-Range"] = content_range(1, 0, total)
        status = 200 if full else 204
    if plan.applied:
        headers["Preference-Applied"] = plan.applied
    body = b""
    if full:
        headers["Content-Type"] = plan.media.content_type_header
        if profile is not None:
            headers["Content-Profile"] = profile
        body = outcome.body
    return apply_guc_overrides(Response(status, headers, body), outcome)


def _location(table: str, pairs: tuple[bytes, ...]) -> str:
    """``/table?k1=eq.1&k2=is.null``: http-types' renderSimpleQuery (``+`` for a space)."""
    parts = []
    for pair in pairs:
        key, _, value = bytes(pair).partition(b"=")
        parts.append(_query_encode(key) + "=" + _query_encode(value))
    return "/" + table + "?" + "&".join(parts)


def _query_encode(raw: bytes) -> str:
    return quote_from_bytes(raw, safe=" -_.~").replace(" ", "+")


# -- function calls (/rpc) -------------------------------------------------------


def call_response(plan: CallPlan, outcome: Outcome, *, profile: str | None) -> Response:
    """Status, headers and body of a call (Response.hs, CallReadPlan).

    As a read, without Content-Location; a function returning void answers
    204 with no body and no Content-Type.
    """
    read = plan.read
    total = total_for(read, outcome)
    status, content_range = range_status(read.range, outcome.page_total, total)
    if status == 416:
        raise out_of_bounds(read.range, outcome.page_total, total)
    headers = {"Content-Range": content_range}
    if plan.preference_applied:
        headers["Preference-Applied"] = plan.preference_applied
    if plan.returns_void:
        return apply_guc_overrides(Response(204, headers), outcome)
    headers["Content-Type"] = read.media.content_type_header
    if profile is not None:
        headers["Content-Profile"] = profile
    return apply_guc_overrides(Response(status, headers, outcome.body or b""), outcome)
