"""CORS as PostgREST configures wai-cors: any origin, or the ones in server-cors-allowed-origins."""

from __future__ import annotations

__all__ = ["cors_headers", "preflight_headers"]

_METHODS = "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD"
_EXPOSED = ("Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, "
            "Transfer-Encoding, Range-Unit")
# wai-cors adds the CORS-safelisted request headers to the ones asked for.
_SIMPLE_HEADERS = ("Accept", "Accept-Language", "Content-Language")
_MAX_AGE = str(60 * 60 * 24)


def _origin_headers(origin: str, allowed: tuple[str, ...]) -> dict[str, str] | None:
    if not allowed:
        return {"Access-Control-Allow-Origin": "*"}
    if origin in allowed:
        return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}
    return None  # failures are ignored: the response goes out without CORS headers


def cors_headers(origin: str | None, allowed: tuple[str, ...]) -> dict[str, str]:
    """Headers for an actual (non-preflight) request carrying Origin."""
    if origin is None:
        return {}
    headers = _origin_headers(origin, allowed)
    if headers is None:
        return {}
    headers["Access-Control-Expose-Headers"] = _EXPOSED
    return headers


def preflight_headers(origin: str, requested_headers: str | None, allowed: tuple[str, ...]) -> dict[str, str]:
    """The answer to ``OPTIONS`` with ``Access-Control-Request-Method``."""
    headers = _origin_headers(origin, allowed)
    if headers is None:
        return {}
    asked = [h.strip() for h in (requested_headers or "").split(",") if h.strip()]
    names = ["Authorization", *asked, *(h for h in _SIMPLE_HEADERS if h not in asked)]
    headers.update({
        "Access-Control-Allow-Methods": _METHODS,
        "Access-Control-Allow-Headers": ", ".join(names),
        "Access-Control-Max-Age": _MAX_AGE,
    })
    return headers
