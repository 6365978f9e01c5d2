"""The closed catalogue of API errors: PGRST code, HTTP status, message, details, hint.

Codes, statuses and texts follow PostgREST's ``Error.hs`` (PGRST0xx connection,
PGRST1xx request, PGRST2xx schema cache, PGRST3xx JWT).  Every stage raises
these; only :mod:`pgrestd.response` turns them into HTTP.  Errors PostgreSQL
raises map here too (:func:`database_error`: the SQLSTATE to HTTP status
table and ``RAISE SQLSTATE 'PGRST'``), from plain fields, so this module
needs no database driver.
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = [
    "ApiError",
    "ConnectionError_",
    "ClientError",
    "NoSchemaCache",
    "PoolTimeout",
    "QueryParamError",
    "InvalidRpcMethod",
    "InvalidBody",
    "InvalidRange",
    "LimitNoOrderError",
    "PayloadTooLarge",
    "InvalidFilters",
    "UnacceptableSchema",
    "MediaTypeError",
    "NotEmbedded",
    "GucHeadersError",
    "GucStatusError",
    "PutLimitNotAllowed",
    "PutMatchingPk",
    "SingularityError",
    "UnsupportedMethod",
    "RelatedOrderNotToOne",
    "InvalidPreferences",
    "AggregatesNotAllowed",
    "PgrstParseError",
    "MaxAffectedViolation",
    "InvalidResourcePath",
    "MaxAffectedRpcViolation",
    "OpenAPIDisabled",
    "NotImplementedFeature",
    "NoRelBetween",
    "AmbiguousRelBetween",
    "NoRpc",
    "AmbiguousRpc",
    "ColumnNotFound",
    "TableNotFound",
    "JwtSecretMissing",
    "JwtInvalid",
    "AnonymousDisabled",
    "JwtClaimsInvalid",
    "DatabaseError",
    "database_error",
    "error_body",
    "raised_pgrst",
    "sqlstate_status",
]


class ApiError(Exception):
    """Base of every error that becomes an HTTP response."""

    code: str = "PGRSTX00"
    status: int = 500
    message: str = "Internal error"
    reason: str | None = None  # a custom reason phrase for the status line

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Any = None,
        hint: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if message is not None:
            self.message = message
        self.details = details
        self.hint = hint
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self, verbose: bool = True) -> bytes:
        return error_body(self.code, self.message, self.details, self.hint, verbose)


def error_body(code: str, message: str, details: Any, hint: Any, verbose: bool = True) -> bytes:
    """PostgREST's error JSON; ``client-error-verbosity = minimal`` drops details and hint."""
    if verbose:
        return orjson.dumps({"code": code, "details": details, "hint": hint, "message": message})
    return orjson.dumps({"code": code, "message": message})


# -- PGRST0xx: connection -------------------------------------------------------


class ConnectionError_(ApiError):
    code, status, message = "PGRST000", 503, "Database connection error. Retrying the connection."


class ClientError(ApiError):
    code, status, message = "PGRST001", 503, "Database client error. Retrying the connection."


class NoSchemaCache(ApiError):
    code, status, message = "PGRST002", 503, "Could not query the database for the schema cache. Retrying."


class PoolTimeout(ApiError):
    code, status, message = "PGRST003", 504, "Timed out acquiring connection from connection pool."


# -- PGRST1xx: the request ------------------------------------------------------


class QueryParamError(ApiError):
    """A malformed query string; ``details`` says where parsing failed."""

    code, status = "PGRST100", 400


class InvalidRpcMethod(ApiError):
    code, status = "PGRST101", 405

    def __init__(self, method: str) -> None:
        super().__init__(f"Cannot use the {method} method on RPC")


class InvalidBody(ApiError):
    code, status = "PGRST102", 400


class InvalidRange(ApiError):
    code, status, message = "PGRST103", 416, "Requested range not satisfiable"


class LimitNoOrderError(ApiError):
    """PostgREST 12's rule for a limited PATCH/DELETE: ``limit`` needs an explicit ``order``."""

    code, status = "PGRST109", 400
    message = "A 'limit' was applied without an explicit 'order'"

    def __init__(self) -> None:
        super().__init__(hint="Apply an 'order' using unique column(s)")


class InvalidFilters(ApiError):
    code, status = "PGRST105", 405
    message = "Filters must include all and only primary key columns with 'eq' operators"


class UnacceptableSchema(ApiError):
    code, status = "PGRST106", 406

    def __init__(self, schema: str, exposed: tuple[str, ...] | list[str]) -> None:
        super().__init__(
            f"Invalid schema: {schema}",
            hint="Only the following schemas are exposed: " + ", ".join(exposed),
        )


class MediaTypeError(ApiError):
    code, status = "PGRST107", 406

    def __init__(self, media_types: list[str]) -> None:
        super().__init__("None of these media types are available: " + ", ".join(media_types))


class NotEmbedded(ApiError):
    code, status = "PGRST108", 400

    def __init__(self, resource: str, name_alias: tuple[str, str] | None = None) -> None:
        if name_alias is None:
            super().__init__(
                f"'{resource}' is not an embedded resource in this request",
                hint=f"Verify that '{resource}' is included in the 'select' query parameter.",
            )
        else:
            name, alias = name_alias
            super().__init__(
                f"'{resource}' is not an embedded resource in this request",
                details="Target names are not allowed in filters if they have an alias",
                hint=f"Change '{name}' to '{alias}' in filters, orders or limits.",
            )


class GucHeadersError(ApiError):
    code, status = "PGRST111", 500
    message = "response.headers guc must be a JSON array composed of objects with a single key and a string value"


class GucStatusError(ApiError):
    code, status, message = "PGRST112", 500, "response.status guc must be a valid status code"


class PutLimitNotAllowed(ApiError):
    code, status = "PGRST114", 400
    message = "limit/offset querystring parameters are not allowed for PUT"


class PutMatchingPk(ApiError):
    code, status, message = "PGRST115", 400, "Payload values do not match URL in primary key column(s)"


class SingularityError(ApiError):
    code, status, message = "PGRST116", 406, "Cannot coerce the result to a single JSON object"

    def __init__(self, rows: int) -> None:
        super().__init__(details=f"The result contains {rows} rows")


class UnsupportedMethod(ApiError):
    code, status = "PGRST117", 405

    def __init__(self, method: str) -> None:
        super().__init__(f"Unsupported HTTP method: {method}")


class RelatedOrderNotToOne(ApiError):
    code, status = "PGRST118", 400

    def __init__(self, origin: str, target: str) -> None:
        super().__init__(
            f"A related order on '{target}' is not possible",
            details=f"'{origin}' and '{target}' do not form a many-to-one or one-to-one relationship",
        )


# PGRST120 (UnacceptableFilter, "Bad operator on the '...' embedded resource")
# is not raised: PostgREST stopped raising it in v11.2 (PostgREST#2862, #2880),
# a filter other than is.null / not.is.null on an embed's name filters the
# column of that name.


class InvalidPreferences(ApiError):
    code, status, message = "PGRST122", 400, "Invalid preferences given with handling=strict"

    def __init__(self, prefs: list[str]) -> None:
        super().__init__(details="Invalid preferences: " + ", ".join(prefs))


class PgrstParseError(ApiError):
    """A ``RAISE SQLSTATE 'PGRST'`` whose MESSAGE or DETAIL is not the JSON PostgREST expects."""

    code, status = "PGRST121", 500
    message = "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error"

    def __init__(self, *, details: str, message_error: bool = False) -> None:
        hint = ("MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: "
                "'details', 'hint'." if message_error else
                "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: "
                "'status_text'.")
        super().__init__(details=details, hint=hint)


class AggregatesNotAllowed(ApiError):
    code, status, message = "PGRST123", 400, "Use of aggregate functions is not allowed"


class MaxAffectedViolation(ApiError):
    code, status, message = "PGRST124", 400, "Query result exceeds max-affected preference constraint"

    def __init__(self, rows: int) -> None:
        super().__init__(details=f"The query affects {rows} rows")


class InvalidResourcePath(ApiError):
    code, status, message = "PGRST125", 404, "Invalid path specified in request URL"


class OpenAPIDisabled(ApiError):
    code, status, message = "PGRST126", 404, "Root endpoint metadata is disabled"


class NotImplementedFeature(ApiError):
    code, status, message = "PGRST127", 400, "Feature not implemented"


class PayloadTooLarge(ApiError):
    """A request body over ``server-max-body-size`` (RFC 9110 §15.5.14, 413 Content Too Large).

    PostgREST has no such limit (Warp has none either); pgrestd answers in
    PostgREST's error shape with a code of its own.
    """

    code, status, message = "PGRST413", 413, "Payload too large"

    def __init__(self, limit: int) -> None:
        super().__init__(details=f"The request body exceeds the limit of {limit} bytes (server-max-body-size)")


class PreconditionFailed(ApiError):
    """A conditional request whose If-Match or If-None-Match does not hold (RFC 9110 §13.1, 412).

    Only with ``server-etag-enabled``; PostgREST ignores both headers. A code of pgrestd's own,
    in PostgREST's error shape.
    """

    code, status, message = "PGRST412", 412, "Precondition failed"


class LiveUnavailable(ApiError):
    """A live stream (``Accept: text/event-stream``, pgrestd.live) that cannot be opened now: the stream
    process is not running, or holds ``live-max-streams`` streams. A code of pgrestd's own, in
    PostgREST's error shape; 503 (RFC 9110 §15.6.4) says to try again later."""

    code, status, message = "PGRST503", 503, "Live streams are unavailable"


class MaxAffectedRpcViolation(ApiError):
    """``max-affected`` with ``handling=strict`` needs a set-returning function."""

    code, status = "PGRST128", 400
    message = "Function must return SETOF or TABLE when max-affected preference is used with handling=strict"


# -- PGRST2xx: the schema cache -------------------------------------------------


class NoRelBetween(ApiError):
    code, status = "PGRST200", 400


class AmbiguousRelBetween(ApiError):
    code, status = "PGRST201", 300


class NoRpc(ApiError):
    code, status = "PGRST202", 404


class AmbiguousRpc(ApiError):
    code, status = "PGRST203", 300


class ColumnNotFound(ApiError):
    code, status = "PGRST204", 400

    def __init__(self, relation: str, column: str) -> None:
        super().__init__(f"Could not find the '{column}' column of '{relation}' in the schema cache")


class TableNotFound(ApiError):
    code, status = "PGRST205", 404

    def __init__(self, schema: str, name: str, suggestion: str | None = None) -> None:
        super().__init__(
            f"Could not find the table '{schema}.{name}' in the schema cache",
            hint=f"Perhaps you meant the table '{schema}.{suggestion}'" if suggestion else None,
        )


# -- PGRST3xx: JWT --------------------------------------------------------------


class JwtSecretMissing(ApiError):
    code, status, message = "PGRST300", 500, "Server lacks JWT secret"


class JwtInvalid(ApiError):
    """A token that cannot be decoded or verified (PostgREST's JwtDecodeError)."""

    code, status = "PGRST301", 401

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message, details=details, headers={"WWW-Authenticate": _bearer_error(message)})


class AnonymousDisabled(ApiError):
    code, status, message = "PGRST302", 401, "Anonymous access is disabled"

    def __init__(self) -> None:
        super().__init__(headers={"WWW-Authenticate": "Bearer"})


class JwtClaimsInvalid(ApiError):
    code, status = "PGRST303", 401

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": _bearer_error(message)})


def _bearer_error(message: str) -> str:
    # RFC 6750 §3: the challenge carries the reason.
    return f'Bearer error="invalid_token", error_description="{message}"'


# -- errors raised by PostgreSQL ------------------------------------------------


class DatabaseError(ApiError):
    """An error PostgreSQL raised while running the request's statements."""

    def __init__(
        self,
        code: str,
        status: int,
        message: str,
        *,
        details: Any = None,
        hint: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.status = status
        super().__init__(message, details=details, hint=hint, headers=headers)


# SQLSTATE -> HTTP status, from PostgREST's Error.hs (mapSQLtoHTTP).  Exact
# codes first, then two-character classes; anything else is a client error.
_STATUS_BY_CODE = {
    "23503": 409, "23505": 409, "25006": 405, "53400": 500, "57P01": 503,
    "P0001": 400, "42P01": 404, "42P17": 500, "42883": 404,
}
_STATUS_BY_CLASS = {
    "08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500,
    "38": 500, "39": 500, "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500,
    "57": 500, "58": 500, "F0": 500, "HV": 500, "P0": 500, "XX": 500,
}


def sqlstate_status(code: str, message: str, authenticated: bool = False) -> int:
    """The HTTP status of a PostgreSQL error (Error.mapSQLtoHTTP); ``message`` decides a few codes.

    ``authenticated``: the request carried a JWT, which turns 42501
    (insufficient privilege) from 401 into 403.
    """
    if code == "21000":
        # pg-safeupdate's "DELETE requires a WHERE clause" is the client's fault.
        return 400 if message.endswith("requires a WHERE clause") else 500
    if code == "22023":
        return 401 if message.startswith("role") and message.endswith("does not exist") else 400
    if code == "42501":
        return 403 if authenticated else 401
    if code == "42883" and message.startswith("function xmlagg("):
        return 406
    if code.startswith("PT"):
        # 'P':'T':n -> the status n when n reads as a number, else 500: RAISE 'PT4AB' is no status.
        digits = code[2:]
        return int(digits) if digits.isascii() and digits.isdigit() else 500
    status = _STATUS_BY_CODE.get(code) or _STATUS_BY_CLASS.get(code[:2])
    return status or 400


def raised_pgrst(message: str, detail: str | None) -> ApiError:
    """``RAISE SQLSTATE 'PGRST'``: the function chooses the whole response (PostgREST's parseRaisePGRST).

    MESSAGE is ``{"code", "message", "details"?, "hint"?}``; DETAIL is
    ``{"status", "status_text"?, "headers"?}``.  Anything else is PGRST121.
    """
    try:
        body = orjson.loads(message)
        if not (isinstance(body, dict) and isinstance(body.get("code"), str)
                and isinstance(body.get("message"), str)):
            raise ValueError
    except ValueError:
        return PgrstParseError(details=f"Invalid JSON value for MESSAGE: '{message}'", message_error=True)
    if detail is None:
        return PgrstParseError(details="DETAIL is missing in the RAISE statement")
    try:
        spec = orjson.loads(detail)
        status = spec["status"]
        headers = spec.get("headers") or {}
        if not isinstance(status, int) or not isinstance(headers, dict) or \
                not all(isinstance(v, str) for v in headers.values()):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return PgrstParseError(details=f"Invalid JSON value for DETAIL: '{detail}'")
    error = DatabaseError(body["code"], status, body["message"], details=body.get("details"),
                          hint=body.get("hint"), headers=headers)
    text = spec.get("status_text")
    error.reason = text if isinstance(text, str) else None
    return error


def database_error(code: str, message: str, detail: str | None, hint: str | None,
                   authenticated: bool = False) -> ApiError:
    """The API error for a PostgreSQL error's SQLSTATE, primary message, DETAIL and HINT.

    SQLSTATE ``PGRST`` is :func:`raised_pgrst`; any other code keeps its
    message, details and hint, with :func:`sqlstate_status`'s status (and
    ``WWW-Authenticate: Bearer`` on a 401).
    """
    if code == "PGRST":
        return raised_pgrst(message, detail)
    status = sqlstate_status(code, message, authenticated)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return DatabaseError(code, status, message, details=detail, hint=hint, headers=headers)
