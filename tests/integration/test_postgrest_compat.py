"""Behaviours matched to PostgREST over HTTP: the default Vary header, RAISE with a 'PTxxx' code that
is not a status, a header named twice in ``response.headers``, relations left out of the schema cache
(partitions) or missing, counts with a null-embed filter, and full-text search on a tsvector domain."""

from __future__ import annotations

import json

import psycopg
import requests

from tests.support import FIXTURES, server_fixture

compat_server = server_fixture(FIXTURES / "compat.sql", {
    "db-schemas": "api", "db-anon-role": "c_anon", "server-workers": 1, "db-plan-enabled": True,
}, database="compat", user="c_auth")

# db-max-rows makes count=estimated fall back to the planner's estimate past it.
compat_max_rows_server = server_fixture(FIXTURES / "compat.sql", {
    "db-schemas": "api", "db-anon-role": "c_anon", "server-workers": 1, "db-plan-enabled": True, "db-max-rows": 2,
}, database="compat", user="c_auth")

DEFAULT_VARY = "Accept, Prefer, Range"


def lines(response, name):
    """Every header line of ``name`` as sent, not joined into one value."""
    return response.raw.headers.getlist(name)


# -- 1. the default Vary header (App.hs: toWaiResponse adds it unless a Vary is present) --------------


def test_successful_responses_carry_the_default_vary(compat_server):
    for response in (
        compat_server.get("/clients"),
        compat_server.get("/clients", headers={"Accept": "text/csv"}),
        requests.head(compat_server.url + "/clients", timeout=10),
        requests.options(compat_server.url + "/clients", timeout=10),
        compat_server.get("/"),
        compat_server.get("/rpc/raise_pt402", headers={"Accept": "application/vnd.pgrst.plan"}),
        requests.post(compat_server.url + "/rpc/header_twice", json={}, timeout=10),
    ):
        assert response.status_code == 200, (response.request.method, response.request.url, response.text)
        assert lines(response, "Vary") == [DEFAULT_VARY], response.request.url


def test_errors_carry_no_vary(compat_server):
    for response in (
        compat_server.get("/nonexistent"),
        compat_server.get("/clients?id=eq.nope"),
        compat_server.get("/rpc/raise_pt402"),
    ):
        assert response.status_code >= 400
        assert "Vary" not in response.headers, response.request.url


def test_cors_preflight_carries_no_vary(compat_server):
    response = requests.options(compat_server.url + "/clients", timeout=10, headers={
        "Origin": "http://example.com", "Access-Control-Request-Method": "POST"})
    assert response.status_code == 200
    assert "Vary" not in response.headers


def test_vary_set_by_response_headers_replaces_the_default(compat_server):
    response = compat_server.get("/rpc/custom_vary")
    assert response.status_code == 200
    assert lines(response, "Vary") == ["X-Test-Accept"]


# -- 2. RAISE SQLSTATE 'PTxxx' (Error.hs mapSQLtoHTTP: 'P':'T':n -> status n, else 500) -------------


def test_raise_pt_with_a_number_is_that_status(compat_server):
    response = compat_server.get("/rpc/raise_pt402")
    assert response.status_code == 402
    assert response.json() == {"code": "PT402", "message": "Payment Required", "details": "Quota exceeded",
                               "hint": "Upgrade"}


def test_raise_pt_not_followed_by_a_number_is_500(compat_server):
    response = compat_server.get("/rpc/raise_pt4ab")
    assert response.status_code == 500
    assert response.json() == {"code": "PT4AB", "message": "Mixed", "details": "Not a status", "hint": None}
    assert response.headers["Proxy-Status"] == "PostgREST; error=PT4AB"
    response = compat_server.get("/rpc/raise_ptabc")
    assert response.status_code == 500
    assert response.json() == {"code": "PTABC", "message": "Letters", "details": None, "hint": None}


# -- 3. a header named twice in response.headers (Response.hs addHeadersIfNotIncluded) -------------


def test_header_set_twice_is_sent_twice(compat_server):
    response = compat_server.get("/rpc/header_twice")
    assert response.status_code == 200
    assert lines(response, "X-A") == ["1", "2"]
    assert lines(response, "X-B") == ["b"]


def test_set_cookie_set_twice_is_sent_twice(compat_server):
    response = compat_server.get("/rpc/cookie_twice")
    assert response.status_code == 204
    assert lines(response, "Set-Cookie") == ["sessionid=38afes7a8; HttpOnly; Path=/", "id=a3fWa; Secure; HttpOnly"]


def test_header_set_twice_replaces_the_one_pgrestd_would_send(compat_server):
    # Names compare case-insensitively: both values replace application/json.
    response = compat_server.get("/rpc/content_type_twice")
    assert response.status_code == 200
    assert lines(response, "Content-Type") == ["application/x-one", "application/x-two"]


# -- 4. embedding from a partition or from a relation the schema cache lacks (Plan.hs findTable) ------


def test_embedding_from_a_partition_is_table_not_found(compat_server):
    # No hint: 'car_model_sales' is too far from the name (Levenshtein similarity 0.68 < 0.75).
    response = compat_server.get("/car_model_sales_202101?select=id,dealers(name)")
    assert response.status_code == 404
    assert response.json() == {
        "code": "PGRST205", "details": None, "hint": None,
        "message": "Could not find the table 'api.car_model_sales_202101' in the schema cache"}


def test_a_partition_with_a_foreign_key_of_its_own_can_be_embedded(compat_server):
    # The partition is not a relation of the schema cache, but its own foreign key is a
    # relationship: PostgREST embeds it (findRel does not look the target up among the tables).
    response = compat_server.get("/dealers?select=name,car_model_sales_202101(id,quantity)&order=id")
    assert response.status_code == 200, response.text
    assert response.json() == [{"name": "Doc", "car_model_sales_202101": [{"id": 1, "quantity": 7}]},
                               {"name": "Marty", "car_model_sales_202101": []}]
    response = compat_server.get("/dealers?select=name,car_model_sales_202101!inner(id)&order=id",
                                 headers={"Prefer": "count=exact"})
    assert response.status_code == 200, response.text
    assert response.json() == [{"name": "Doc", "car_model_sales_202101": [{"id": 1}]}]
    assert response.headers["Content-Range"] == "0-0/1"


def test_the_partitioned_table_does_not_have_its_partitions_keys(compat_server):
    response = compat_server.get("/dealers?select=name,car_model_sales(id)")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "PGRST200"
    assert body["message"] == "Could not find a relationship between 'dealers' and 'car_model_sales' in the schema cache"


def test_embedding_from_a_missing_relation_is_table_not_found(compat_server):
    response = compat_server.get("/nonexistent?select=*,clients(*)&clients=not.is.null")
    assert response.status_code == 404
    assert response.json() == {
        "code": "PGRST205", "details": None, "hint": None,
        "message": "Could not find the table 'api.nonexistent' in the schema cache"}


def test_embedding_a_partition_from_a_partitioned_table_is_no_relationship(compat_server):
    response = compat_server.get("/car_models?select=name,car_model_sales_202101(id)")
    assert response.status_code == 400
    assert response.json() == {
        "code": "PGRST200",
        "details": "Searched for a foreign key relationship between 'car_models' and 'car_model_sales_202101'"
                   " in the schema 'api', but no matches were found.",
        "hint": "Perhaps you meant 'car_model_sales' instead of 'car_model_sales_202101'.",
        "message": "Could not find a relationship between 'car_models' and 'car_model_sales_202101' in the schema cache"}


def test_partitioned_tables_embed_each_other(compat_server):
    response = compat_server.get("/car_model_sales?select=id,car_models(name,year)&order=id")
    assert response.status_code == 200, response.text
    assert response.json() == [{"id": 1, "car_models": {"name": "DeLorean", "year": 1981}},
                               {"id": 2, "car_models": {"name": "Veneno", "year": 2021}}]


# -- 5. Prefer: count=estimated with a null filter on an embed (MainTx, QueryBuilder.readPlanToCountQuery) --
# The estimate EXPLAINs the count query, where the null filter on the embed is an EXISTS (or NOT
# EXISTS) over the embedded relation.  The total is the larger of the exact count and that estimate
# once the exact count passes db-max-rows, and always without db-max-rows: MainTx compares
# `tableTotal > maxRows` on Maybe values, and `Just n > Nothing` holds.  (The tables are never
# analyzed here, so the planner overestimates the count query.)

COUNT_NOT_NULL = ('SELECT 1 FROM "api"."projects" WHERE EXISTS (SELECT 1 FROM "api"."clients" AS "clients_1"'
                  ' WHERE "clients_1"."id" = "projects"."client_id")')
COUNT_NULL = ('SELECT 1 FROM "api"."projects" WHERE NOT EXISTS (SELECT 1 FROM "api"."clients" AS "clients_1"'
              ' WHERE "clients_1"."id" = "projects"."client_id")')


def planned_rows(cluster, sql):
    with psycopg.connect(cluster.uri("postgres", "compat")) as conn:
        plan = conn.execute("EXPLAIN (FORMAT JSON) " + sql).fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return plan[0]["Plan"]["Plan Rows"]


def test_estimated_count_with_null_embed_filters(compat_server, cluster):
    estimate = planned_rows(cluster, COUNT_NOT_NULL)
    response = compat_server.get("/projects?select=*,clients(*)&clients=not.is.null&order=id",
                                 headers={"Prefer": "count=estimated"})
    assert [row["id"] for row in response.json()] == [1, 2, 3, 4]
    total = max(4, estimate)
    assert response.status_code == (206 if total > 4 else 200), response.text
    assert response.headers["Content-Range"] == f"0-3/{total}"
    assert response.headers["Preference-Applied"] == "count=estimated"

    estimate = planned_rows(cluster, COUNT_NULL)
    response = compat_server.get("/projects?select=id,clients(*)&clients=is.null&order=id",
                                 headers={"Prefer": "count=estimated"})
    assert response.json() == [{"id": 5, "clients": None}, {"id": 6, "clients": None}]
    assert response.headers["Content-Range"] == f"0-1/{max(2, estimate)}"


def test_planned_count_with_null_embed_filter(compat_server, cluster):
    estimate = planned_rows(cluster, COUNT_NOT_NULL)
    response = compat_server.get("/projects?select=id,clients()&clients=not.is.null&order=id",
                                 headers={"Prefer": "count=planned"})
    assert response.json() == [{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}]
    assert response.headers["Content-Range"] == f"0-3/{estimate}"


def test_estimated_count_with_null_embed_filter_and_max_rows(compat_max_rows_server, cluster):
    # Past db-max-rows (2): the larger of the count (limited to max-rows + 1) and the estimate.
    estimate = planned_rows(cluster, COUNT_NOT_NULL)
    response = compat_max_rows_server.get("/projects?select=*,clients(*)&clients=not.is.null&order=id",
                                          headers={"Prefer": "count=estimated"})
    assert [row["id"] for row in response.json()] == [1, 2]
    assert response.headers["Content-Range"] == f"0-1/{max(3, estimate)}"
    # Within it, the exact count.
    response = compat_max_rows_server.get("/projects?select=id,clients(*)&clients=is.null&id=eq.5",
                                          headers={"Prefer": "count=estimated"})
    assert response.json() == [{"id": 5, "clients": None}]
    assert response.headers["Content-Range"] == "0-0/1"


# -- 6. phfts on a domain over tsvector (Plan.hs resolveTypeOrUnknown: cfBaseType "tsvector") --------


def test_phfts_on_a_tsvector_domain_searches_the_column(compat_server):
    for column in ("vec", "plain"):
        response = compat_server.get(f"/documents?select=id&{column}=phfts.The%20Fat%20Cats")
        assert response.status_code == 200, response.text
        assert response.json() == [{"id": 1}], column
        response = compat_server.get(f"/documents?select=id&{column}=phfts(english).fat%20rats&order=id")
        assert response.json() == [{"id": 1}], column
        response = compat_server.get(f"/documents?select=id&{column}=not.phfts.fat%20cats&order=id")
        assert response.json() == [{"id": 2}], column


def test_fts_operators_on_a_tsvector_domain_skip_to_tsvector(compat_server):
    response = compat_server.get("/documents?select=id&vec=phfts.fat%20cats",
                                 headers={"Accept": "application/vnd.pgrst.plan+text; options=verbose"})
    assert response.status_code == 200, response.text
    assert "to_tsvector" not in response.text
    assert "phraseto_tsquery" in response.text


def test_phfts_on_a_function_result_of_unknown_column_types(compat_server):
    # A function returning TABLE (...) has no relation in the schema cache: its columns are of
    # unknown type (unknownField), searched as they are, not through to_tsvector.
    for column in ("vec", "plain"):
        response = compat_server.get(f"/rpc/documents_table?select=id&{column}=phfts.The%20Fat%20Cats")
        assert response.status_code == 200, response.text
        assert response.json() == [{"id": 1}], column
        response = compat_server.get(f"/rpc/documents_table?select=id&{column}=not.phfts(english).fat%20cats")
        assert response.json() == [{"id": 2}], column


def test_phfts_on_other_tsvector_domains_views_and_functions(compat_server):
    for path in ("/documents?select=id&vec_nn=phfts.fat%20cats",
                 "/documents?select=id&vec_other=phfts(english).fat%20cats",
                 "/documents?select=id&or=(vec.phfts.fat%20cats,id.eq.5)",
                 "/documents_view?select=id&vec=phfts.fat%20cats",
                 "/rpc/documents_setof?select=id&vec=phfts.fat%20cats"):
        response = compat_server.get(path)
        assert response.status_code == 200, (path, response.text)
        assert response.json() == [{"id": 1}], path
