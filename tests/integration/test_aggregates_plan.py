"""Aggregates, application/vnd.pgrst.plan, Server-Timing, the trace header and Prefer: timezone on reads."""

from __future__ import annotations

import re

import requests

from tests.support import FIXTURES, server_fixture

SETTINGS = {"db-schemas": "api", "db-anon-role": "ag_anon", "server-workers": 1, "log-level": "info"}
server = server_fixture(FIXTURES / "aggregates.sql", {
    **SETTINGS, "db-aggregates-enabled": True, "db-plan-enabled": True,
    "server-timing-enabled": True, "server-trace-header": "X-Request-Id",
}, database="aggregates", user="ag_auth")
plain_server = server_fixture(FIXTURES / "aggregates.sql", SETTINGS, database="aggregates", user="ag_auth")


# -- aggregates ------------------------------------------------------------------------


def test_aggregates_group_by_the_other_fields(server):
    r = server.get("/orders?select=customer,total:amount.sum(),n:count()&order=customer")
    assert r.json() == [{"customer": "ann", "total": 31.25, "n": 3},
                        {"customer": "bob", "total": 5.50, "n": 1},
                        {"customer": "cid", "total": 3.00, "n": 1}]


def test_aggregate_casts_and_default_names(server):
    r = server.get("/orders?select=amount.max()::text,amount.avg()::int,count()")
    assert r.json() == [{"max": "20.00", "avg": 8, "count": 5}]


def test_aggregates_inside_an_embed(server):
    r = server.get("/categories?select=name,orders(amount.sum())&order=id")
    assert r.json() == [{"name": "books", "orders": [{"sum": 18.50}]},
                        {"name": "games", "orders": [{"sum": 21.25}]}]


def test_embed_grouped_by_its_output_name(server):
    r = server.get("/orders?select=customer,amount.sum(),categories(name)&customer=eq.ann&order=customer")
    assert sorted(r.json(), key=lambda row: row["sum"]) == [
        {"customer": "ann", "sum": 10.00, "categories": {"name": "books"}},
        {"customer": "ann", "sum": 21.25, "categories": {"name": "games"}},
    ]


def test_aggregates_in_a_to_one_spread_are_hoisted(server):
    r = server.get("/orders?select=total:amount.sum(),...categories(category:name)&order=categories(category)")
    assert r.json() == [{"total": 18.50, "category": "books"}, {"total": 21.25, "category": "games"}]


def test_count_in_a_to_one_spread_counts_parent_rows(server):
    r = server.get("/orders?select=...categories(name,orders:count())&order=categories(name)")
    assert r.json() == [{"name": "books", "orders": 3}, {"name": "games", "orders": 2}]


def test_aggregate_beside_a_spread_of_every_column_inside_nested_embeds(server):
    # count() next to ...category_details(*): the GROUP BY names each of the spread's columns.
    r = server.get("/categories?select=name,orders(categories(count(),...category_details(*)))&order=id")
    assert r.status_code == 200, r.text
    books = {"categories": {"count": 1, "category_id": 1, "shelf": "A1"}}
    games = {"categories": {"count": 1, "category_id": 2, "shelf": "B2"}}
    assert r.json() == [{"name": "books", "orders": [books] * 3}, {"name": "games", "orders": [games] * 2}]


def test_star_beside_an_aggregate_is_grouped_by_each_column(server):
    r = server.get("/category_details?select=*,n:count()&order=category_id")
    assert r.status_code == 200, r.text
    assert r.json() == [{"category_id": 1, "shelf": "A1", "n": 1}, {"category_id": 2, "shelf": "B2", "n": 1}]
    r = server.get("/orders?select=n:count(),...categories(...category_details(*))")
    assert r.status_code == 200, r.text
    assert sorted(r.json(), key=lambda row: row["category_id"]) == [
        {"n": 3, "category_id": 1, "shelf": "A1"}, {"n": 2, "category_id": 2, "shelf": "B2"}]


def test_cast_of_an_aggregate_input_applies_inside_the_aggregate(server):
    # sum("amount"::int) adds the rounded amounts: 10 + 6 + 20 + 1 + 3, not 39.75.
    assert server.get("/orders?select=amount::int.sum()").json() == [{"sum": 40}]
    # The aggregate is named after its function, not after the JSON key it sums.
    r = server.get("/meters?select=data->>kwh::integer.sum()")
    assert r.status_code == 200, r.text
    assert r.json() == [{"sum": 24}]
    assert server.get("/meters?select=s:data->>kwh::integer.sum()::text").json() == [{"s": "24"}]
    assert server.get("/meters?select=data->>kwh::int.max(),n:count()").json() == [{"max": 12, "n": 3}]


def test_aggregate_in_a_spread_is_named_after_its_function(server):
    # The spread selects category_id twice: as the aggregate's input and as it is.
    r = server.get("/categories?select=name,...category_details(category_id.sum(),category_id)&order=name")
    assert r.status_code == 200, r.text
    assert r.json() == [{"name": "books", "sum": 1, "category_id": 1},
                        {"name": "games", "sum": 2, "category_id": 2}]


def test_aggregates_in_a_to_many_spread_are_not_implemented(server):
    r = server.get("/categories?select=name,...orders(amount.sum())")
    assert r.status_code == 400
    assert r.json()["code"] == "PGRST127"


def test_aggregates_disabled_is_pgrst123(plain_server):
    r = plain_server.get("/orders?select=amount.sum()")
    assert r.status_code == 400
    assert r.json()["code"] == "PGRST123"


# -- application/vnd.pgrst.plan ---------------------------------------------------------


def test_plan_of_a_read_as_json(server):
    r = server.get("/orders?id=eq.1", headers={"Accept": "application/vnd.pgrst.plan+json"})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == 'application/vnd.pgrst.plan+json; for="application/json"; charset=utf-8'
    plan = r.json()[0]["Plan"]
    assert plan["Total Cost"] > 0


def test_plan_text_with_options_for_an_object(server):
    accept = 'application/vnd.pgrst.plan; for="application/vnd.pgrst.object"; options=analyze|verbose'
    r = server.get("/orders?id=eq.1", headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == ('application/vnd.pgrst.plan+text; for="application/vnd.pgrst.object+json"; '
                                         'options=analyze|verbose; charset=utf-8')
    assert "Execution Time" in r.text and "Output:" in r.text


def test_plan_of_a_write_and_of_a_call(server):
    accept = {"Accept": "application/vnd.pgrst.plan+json"}
    r = requests.delete(server.url + "/orders?id=eq.1", headers=accept, timeout=10)
    assert r.status_code == 200 and r.json()[0]["Plan"]["Node Type"]
    assert server.get("/orders?id=eq.1").json() != []  # EXPLAIN without analyze wrote nothing
    r = server.get("/rpc/add?a=1&b=2", headers=accept)
    assert r.status_code == 200 and r.json()[0]["Plan"]


def test_plan_disabled_is_not_acceptable(plain_server):
    r = plain_server.get("/orders", headers={"Accept": "application/vnd.pgrst.plan+json"})
    assert r.status_code == 406


# -- Server-Timing and the trace header ----------------------------------------------------


def test_server_timing_names_each_stage(server):
    r = server.get("/orders?id=eq.1")
    names = re.findall(r"(\w+);dur=\d+\.\d", r.headers["Server-Timing"])
    assert names == ["jwt", "parse", "plan", "transaction", "response"]
    r = requests.options(server.url + "/orders", timeout=10)
    assert [n for n in re.findall(r"(\w+);dur=", r.headers["Server-Timing"])] == ["jwt", "parse", "response"]


def test_no_server_timing_by_default(plain_server):
    assert "Server-Timing" not in plain_server.get("/orders").headers


def test_trace_header_is_echoed(server, plain_server):
    assert server.get("/orders", headers={"X-Request-Id": "abc"}).headers["X-Request-Id"] == "abc"
    assert server.get("/nope", headers={"X-Request-Id": "e1"}).headers["X-Request-Id"] == "e1"
    assert "X-Request-Id" not in plain_server.get("/orders", headers={"X-Request-Id": "abc"}).headers


# -- Prefer: timezone on reads ----------------------------------------------------------------


def test_prefer_timezone_on_a_read(server):
    r = server.get("/stamps", headers={"Prefer": "timezone=America/New_York"})
    assert r.json() == [{"id": 1, "t": "2024-01-01T07:00:00-05:00"}]
    assert r.headers["Preference-Applied"] == "timezone=America/New_York"


def test_invalid_timezone_is_22023(server):
    r = server.get("/stamps", headers={"Prefer": "timezone=Nowhere/Else"})
    assert r.status_code == 400
    assert r.json()["code"] == "22023"
