"""Tests for pgrestd.caching: which Cache-Control a planned read or call sends."""

from __future__ import annotations

import pytest

from pgrestd.auth.jwt import AuthResult
from pgrestd.caching import call_cache_control, read_cache_control, with_cache_control
from pgrestd.catalog import Catalog, build_catalog
from pgrestd.config import config_from_mapping
from pgrestd.plan.call import plan_call
from pgrestd.plan.read import plan_read
from pgrestd.plan.settings import PlanSettings
from pgrestd.request.api import ApiRequest, build_api_request
from pgrestd.request.grammar import parse_query
from pgrestd.response import Response
from tests.unit.catalog.test_relationships import fk, function, table

SETTINGS = PlanSettings.from_config(config_from_mapping({}))
TOKEN = {"authorization": "Bearer x.y.z"}
ANONYMOUS = AuthResult("anon", '{"role":"anon"}', False)
USER = AuthResult("web_user", '{"role":"web_user","sub":"ann"}', True, True)


def _catalog(comments: dict[str, str], *, function_comment: str | None = None) -> Catalog:
    def commented(row: dict) -> dict:
        return {**row, "description": comments.get(row["name"])}

    rows = {
        "tables": [commented(t) for t in (
            table("api", "films", ["id", "director_id"], ["id"]),
            table("api", "directors", ["id"], ["id"]),
            table("api", "actors", ["id"], ["id"]),
            table("api", "roles", ["film_id", "actor_id"], ["film_id", "actor_id"]),
        )],
        "foreign_keys": [
            fk("films_director_fk", "films", ["director_id"], "directors", ["id"]),
            fk("roles_film_fk", "roles", ["film_id"], "films", ["id"]),
            fk("roles_actor_fk", "roles", ["actor_id"], "actors", ["id"]),
        ],
        "functions": [{**function("api", "top_films", args=[], returns="SETOF api.films", returns_set=True,
                                  return_relation=("api", "films")), "description": function_comment}],
    }
    return build_catalog(("api",), rows, 150000)


def _request(path: str, query: str, headers: dict[str, str] | None = None, method: str = "GET") -> ApiRequest:
    return build_api_request(method, path, query, headers or {}, b"", ("api",))


def _auth(headers: dict[str, str] | None) -> AuthResult:
    return USER if headers == TOKEN else ANONYMOUS


def _read(catalog: Catalog, query: str, headers: dict[str, str] | None = None, auth: AuthResult | None = None
          ) -> str | None:
    request = _request("/films", query, headers)
    plan = plan_read(request, parse_query(query), catalog, SETTINGS)
    return read_cache_control(catalog, request, auth or _auth(headers), plan.root)


def _call(catalog: Catalog, query: str = "", headers: dict[str, str] | None = None, method: str = "GET") -> str | None:
    request = _request("/rpc/top_films", query, headers, method)
    plan = plan_call(request, parse_query(query, rpc_read=method != "POST"), catalog, SETTINGS)
    return call_cache_control(catalog, request, _auth(headers), plan)


ALL_DECLARED = {
    "films": "Cache-Control: public, max-age=60",
    "directors": "Cache-Control: public, max-age=600",
    "actors": "Cache-Control: max-age=300",
    "roles": "Cache-Control: max-age=30, must-revalidate",
}


def test_a_read_sends_its_relations_policy():
    catalog = _catalog(ALL_DECLARED)
    assert _read(catalog, "select=id") == "public, max-age=60"
    assert _read(catalog, "select=id", TOKEN) == "public, max-age=60"  # public: shared caches may keep it


def test_authenticated_reads_become_private():
    catalog = _catalog({"films": "Cache-Control: max-age=60"})
    assert _read(catalog, "select=id") == "max-age=60"
    assert _read(catalog, "select=id", TOKEN) == "private, max-age=60"
    # Any credentials count, not only a JWT naming a role: its claims reach SQL.
    assert _read(catalog, "select=id", {"authorization": "Basic eDp5"}) == "private, max-age=60"
    cookie_token_without_role = AuthResult("anon", '{"sub":"ann","role":"anon"}', False, from_token=True)
    assert _read(catalog, "select=id", auth=cookie_token_without_role) == "private, max-age=60"


def test_embeds_take_the_most_restrictive_policy():
    catalog = _catalog(ALL_DECLARED)
    assert _read(catalog, "select=id,directors(id)") == "public, max-age=60"
    # Many-to-many: the junction counts too (its must-revalidate, its 30 s).
    assert _read(catalog, "select=id,actors(id)") == "max-age=30, must-revalidate"
    assert _read(catalog, "select=id,actors(id)", TOKEN) == "private, max-age=30, must-revalidate"


def test_an_embedded_relation_without_a_policy_sends_none():
    catalog = _catalog({k: v for k, v in ALL_DECLARED.items() if k != "roles"})
    assert _read(catalog, "select=id,directors(id)") == "public, max-age=60"
    assert _read(catalog, "select=id,actors(id)") is None  # roles, the junction, declares nothing
    assert _read(_catalog({"directors": ALL_DECLARED["directors"]}), "select=id,directors(id)") is None


def test_without_policies_nothing_is_sent():
    catalog = _catalog({})
    assert catalog.cache_policies == {}
    assert _read(catalog, "select=id,directors(id)") is None
    assert _call(catalog) is None


def test_a_call_sends_its_functions_policy_and_its_embeds():
    catalog = _catalog(ALL_DECLARED, function_comment="Top films.\nCache-Control: max-age=5")
    assert _call(catalog) == "max-age=5"  # not the films table's: the function decides what it returns
    assert _call(catalog, headers=TOKEN) == "private, max-age=5"
    assert _call(catalog, "select=id,directors(id)") == "max-age=5"
    assert _call(catalog, method="POST") is None
    assert _call(_catalog(ALL_DECLARED)) is None  # the function declares nothing


@pytest.mark.parametrize(("status", "headers", "sent"), [
    (200, {}, "max-age=60"),
    (206, {}, "max-age=60"),
    (204, {}, "max-age=60"),
    (404, {}, None),
    (200, {"cache-control": "no-store"}, "no-store"),  # response.headers from SQL wins
])
def test_only_successes_without_their_own_cache_control_get_it(status, headers, sent):
    response = with_cache_control(Response(status, dict(headers)), "max-age=60")
    values = [v for k, v in response.headers.items() if k.lower() == "cache-control"]
    assert values == ([] if sent is None else [sent])
