"""Cache-Control on reads: the schema cache's per-relation policies, applied to one request.

The policies themselves (declared in comments, inferred from statistics) are the catalog's
(:mod:`pgrestd.catalog.cache_policy`).  Here a read of tables and views, or a GET or HEAD call
of a function, gets the policy of what it reads:

- a read that embeds other relations takes the most restrictive policy of all of them (junction
  tables of many-to-many embeds included); if any of them has no policy, nothing is sent, since
  that relation's rows were never declared cacheable;
- a call takes its function's policy, and that of the relations it embeds;
- a request with credentials (an ``Authorization`` header, on which shared caches key their own
  rule, RFC 9111 §3.5; or a JWT from the jwt-cookie-name cookie), gets ``private`` added unless
  the policy says ``public``, ``private`` or ``no-store`` itself: a JWT's claims reach SQL even
  when it names no role;
- only a 2xx answer carries it, and a ``Cache-Control`` the SQL sets through ``response.headers``
  wins, as every header that setting names does.

Writes, POST calls, errors and EXPLAIN plans never get one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .auth.jwt import AuthResult
from .catalog import CachePolicy, Catalog, QualifiedName
from .catalog.cache_policy import combine_policies
from .plan.call import CallPlan
from .plan.read import ReadNode
from .request.api import ApiRequest
from .response import Response

__all__ = ["call_cache_control", "read_cache_control", "with_cache_control"]


def read_cache_control(catalog: Catalog, request: ApiRequest, auth: AuthResult, root: ReadNode) -> str | None:
    """The Cache-Control of a read of ``root``'s relation and its embeds, None for none."""
    policy = catalog.cache_policies.get((root.table.schema, root.table.name))
    if policy is None:
        return None
    return _with_embeds(catalog.cache_policies, policy, root, _has_credentials(request, auth))


def call_cache_control(catalog: Catalog, request: ApiRequest, auth: AuthResult, plan: CallPlan) -> str | None:
    """The Cache-Control of a GET or HEAD call: the function's policy, with its embeds'; None for a POST."""
    if request.method == "POST":
        return None
    policy = plan.function.cache_policy
    if policy is None:
        return None
    return _with_embeds(catalog.cache_policies, policy, plan.read.root, _has_credentials(request, auth))


def with_cache_control(response: Response, value: str) -> Response:
    """The response with ``Cache-Control: value`` when it is a 2xx and SQL set none."""
    if 200 <= response.status < 300 and response.header("cache-control") is None:
        response.headers["Cache-Control"] = value
    return response


def _has_credentials(request: ApiRequest, auth: AuthResult) -> bool:
    """An Authorization header, a JWT naming a role, or one bringing claims besides the anonymous role's."""
    return "authorization" in request.headers or auth.from_token


def _with_embeds(policies: Mapping[QualifiedName, CachePolicy], policy: CachePolicy, root: ReadNode,
                 authenticated: bool) -> str | None:
    if not root.children:
        return policy.header(authenticated)
    found = [policy]
    for name in _embedded(root.children):
        embedded = policies.get(name)
        if embedded is None:
            return None
        found.append(embedded)
    return combine_policies(found).header(authenticated)


def _embedded(nodes: Iterable[ReadNode]) -> Iterable[QualifiedName]:
    """Every relation the embeds read, depth first: each node's table and its junction."""
    for node in nodes:
        yield node.table.schema, node.table.name
        if node.junction is not None:
            yield node.junction
        yield from _embedded(node.children)
