"""Functions as endpoints (/rpc/{function}) against a real database, as PostgREST serves them."""

from __future__ import annotations

import pytest
import requests

from tests.support import FIXTURES, Server, server_fixture

# pgrestd over tests/fixtures/rpc.sql; transactions commit unless Prefer: tx=rollback.
rpc = server_fixture(FIXTURES / "rpc.sql", {
    "db-schemas": "rpc", "db-anon-role": "rpc_anon", "db-tx-end": "commit-allow-override",
    "server-workers": 2, "log-level": "info",
}, database="rpc", user="rpc_auth")


def call(server: Server, method: str, path: str, **kw: object) -> requests.Response:
    return requests.request(method, server.url + path, timeout=10, **kw)  # type: ignore[arg-type]


def ok(r: requests.Response, status: int = 200) -> requests.Response:
    assert r.status_code == status, (r.status_code, r.text)
    return r


# -- arguments: query string, JSON body, form fields ----------------------------------


def test_get_arguments_from_the_query_string(rpc):
    r = ok(rpc.get("/rpc/add_them?a=3&b=4"))
    assert r.json() == 7
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert r.headers["Content-Range"] == "0-0/*"
    assert "Content-Location" not in r.headers


def test_post_arguments_from_a_json_object(rpc):
    assert ok(call(rpc, "POST", "/rpc/add_them", json={"a": 3, "b": 4})).json() == 7
    assert ok(call(rpc, "POST", "/rpc/sayhello", json={"name": "wörld"})).json() == "Hello, wörld"


def test_same_shaped_bodies_get_their_own_values(rpc):
    # The plan is cached by the body's keys; every request binds its own body.
    with requests.Session() as session:
        for a in range(8):
            r = session.post(rpc.url + "/rpc/add_them", json={"a": a, "b": 100}, timeout=10)
            assert ok(r).json() == a + 100
            r = session.post(rpc.url + "/rpc/unnamed_text", data=f"t{a}", headers={"Content-Type": "text/plain"},
                             timeout=10)
            assert ok(r).json() == f"T{a}"
            r = session.post(rpc.url + "/rpc/unnamed_bytea", data=b"x" * a,
                             headers={"Content-Type": "application/octet-stream"}, timeout=10)
            assert ok(r).json() == a


def test_post_arguments_from_the_first_object_of_an_array(rpc):
    r = call(rpc, "POST", "/rpc/add_them", json=[{"a": 1, "b": 2}, {"a": 10, "b": 20}])
    assert ok(r).json() == 3


def test_post_form_fields_and_an_empty_body(rpc):
    r = call(rpc, "POST", "/rpc/add_them", data="a=1&b=2",
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert ok(r).json() == 3
    assert ok(call(rpc, "POST", "/rpc/ret_point")).json() == {"x": 10, "y": 5}


def test_columns_picks_the_arguments_out_of_the_body(rpc):
    r = call(rpc, "POST", "/rpc/sayhello?columns=name", json={"name": "John", "other": 1})
    assert ok(r).json() == "Hello, John"


def test_argument_values_are_cast_to_the_parameter_types(rpc):
    r = ok(rpc.get("/rpc/echo_types?i=42&d=20240229&arr=%7B1,2%7D&j=%7B%22k%22:%5B1%5D%7D"))
    assert r.json() == {"i": 42, "d": "2024-02-29", "arr": [1, 2], "j": {"k": [1]}, "q": "x"}
    r = call(rpc, "POST", "/rpc/echo_types",
              json={"i": 1, "d": "2024-01-01", "arr": [3], "j": {"a": None}, "quoted Name": "q%s'; --"})
    assert ok(r).json() == {"i": 1, "d": "2024-01-01", "arr": [3], "j": {"a": None}, "q": "q%s'; --"}


def test_values_are_bind_parameters_not_sql(rpc):
    r = ok(rpc.get("/rpc/sayhello", params={"name": "x'); DROP TABLE rpc.items; --"}))
    assert r.json() == "Hello, x'); DROP TABLE rpc.items; --"
    assert len(ok(rpc.get("/rpc/getallprojects")).json()) == 5


def test_variadic_parameter(rpc):
    assert ok(rpc.get("/rpc/variadic_param?v=hi")).json() == ["hi"]
    assert ok(rpc.get("/rpc/variadic_param?v=hi&v=there")).json() == ["hi", "there"]
    assert ok(rpc.get("/rpc/variadic_param")).json() == []
    assert ok(call(rpc, "POST", "/rpc/variadic_param", json={"v": ["a", "b"]})).json() == ["a", "b"]
    r = call(rpc, "POST", "/rpc/variadic_param", data="v=x&v=y",
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert ok(r).json() == ["x", "y"]


# -- a single unnamed parameter takes the whole body -----------------------------------


def test_single_unnamed_json_and_jsonb(rpc):
    body = {"A": 1, "B": [2, 3]}
    assert ok(call(rpc, "POST", "/rpc/unnamed_json", json=body)).json() == body
    assert ok(call(rpc, "POST", "/rpc/unnamed_jsonb", json=body)).json() == {**body, "seen": True}


def test_single_unnamed_text_xml_and_bytea(rpc):
    r = call(rpc, "POST", "/rpc/unnamed_text", data="some text", headers={"Content-Type": "text/plain"})
    assert ok(r).json() == "SOME TEXT"
    r = call(rpc, "POST", "/rpc/unnamed_xml", data="<a>b</a>", headers={"Content-Type": "text/xml"})
    assert ok(r).json() == "<a>b</a>"
    r = call(rpc, "POST", "/rpc/unnamed_bytea", data=b"\x00\x01\xff",
             headers={"Content-Type": "application/octet-stream"})
    assert ok(r).json() == 3


def test_media_type_domains_answer_in_their_own_type(rpc):
    r = ok(rpc.get("/rpc/plain_text?name=x", headers={"Accept": "text/plain"}))
    assert r.text == "plain x"
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert ok(rpc.get("/rpc/plain_text?name=x")).json() == "plain x"  # */* is JSON
    r = call(rpc, "POST", "/rpc/raw_bytes", data=b"\x89PNG\x00",
             headers={"Content-Type": "application/octet-stream", "Accept": "application/octet-stream"})
    assert ok(r).content == b"\x89PNG\x00"
    assert r.headers["Content-Type"] == "application/octet-stream"


# -- return shapes --------------------------------------------------------------------


def test_scalar_and_null_results(rpc):
    assert ok(rpc.get("/rpc/sayhello?name=a")).json() == "Hello, a"
    assert ok(rpc.get("/rpc/ret_null")).text == "null"


def test_setof_scalar(rpc):
    r = ok(rpc.get("/rpc/ret_setof_int", headers={"Prefer": "count=exact"}))
    assert r.json() == [1, 2, 3]
    assert r.headers["Content-Range"] == "0-2/3"


def test_void_is_204_without_body_or_content_type(rpc):
    r = call(rpc, "POST", "/rpc/ret_void")
    assert r.status_code == 204
    assert r.content == b""
    assert "Content-Type" not in r.headers


def test_composite_result_is_an_object(rpc):
    assert ok(rpc.get("/rpc/ret_point?x=1&y=2")).json() == {"x": 1, "y": 2}
    assert ok(rpc.get("/rpc/single_project?id=2")).json() == {
        "id": 2, "name": "Windows 10", "client_id": 1, "notes": "big"}


def test_table_and_out_parameters(rpc):
    assert ok(rpc.get("/rpc/ret_table")).json() == [{"a": "A", "b": 1}, {"a": "B", "b": None}, {"a": "C", "b": 3}]
    assert ok(rpc.get("/rpc/out_params?num=4")).json() == {"num": 4, "doubled": 8}


def test_setof_table(rpc):
    assert ok(rpc.get("/rpc/getitemrange?min=2&max=4")).json() == [{"id": 3}, {"id": 4}]


# -- the read machinery over the result ---------------------------------------------------


def test_select_filter_order_and_paging(rpc):
    r = ok(rpc.get("/rpc/getallprojects?select=id,title:name&id=gt.1&order=id.desc&limit=2&offset=1"))
    assert r.json() == [{"id": 4, "title": "OSX"}, {"id": 3, "title": "IOS"}]
    assert r.headers["Content-Range"] == "1-2/*"
    r = ok(rpc.get("/rpc/getallprojects?select=id&or=(name.eq.IOS,notes.eq.cats)&client_id=not.is.null"))
    assert r.json() == [{"id": 3}, {"id": 4}]


def test_order_on_a_column_left_out_of_select(rpc):
    assert ok(rpc.get("/rpc/getallprojects?select=id&order=name")).json() == [
        {"id": 3}, {"id": 4}, {"id": 5}, {"id": 2}, {"id": 1}]


def test_get_argument_and_filter_on_the_same_name(rpc):
    r = ok(rpc.get("/rpc/getproject?id=2&id=gt.1&select=id"))
    assert r.json() == [{"id": 2}]
    assert ok(rpc.get("/rpc/getproject?id=2&id=gt.2&select=id")).json() == []


def test_range_header_counts_on_get_and_is_ignored_on_post(rpc):
    r = rpc.get("/rpc/getitemrange?min=0&max=10", headers={"Range": "2-4", "Prefer": "count=exact"})
    assert r.status_code == 206
    assert r.json() == [{"id": 3}, {"id": 4}, {"id": 5}]
    assert r.headers["Content-Range"] == "2-4/10"
    r = call(rpc, "POST", "/rpc/getitemrange", json={"min": 0, "max": 10},
             headers={"Range": "2-4", "Prefer": "count=exact"})
    assert ok(r).headers["Content-Range"] == "0-9/10"


def test_out_of_range_offset_is_416(rpc):
    r = rpc.get("/rpc/getitemrange?min=0&max=5&offset=10", headers={"Prefer": "count=exact"})
    assert r.status_code == 416
    assert r.json()["code"] == "PGRST103"
    assert r.headers["Content-Range"] == "*/5"


def test_head_has_headers_and_no_body(rpc):
    r = ok(call(rpc, "HEAD", "/rpc/getitemrange?min=2&max=5&limit=1", headers={"Prefer": "count=exact"}), 206)
    assert r.content == b""
    assert r.headers["Content-Range"] == "0-0/3"
    assert "Content-Length" not in r.headers


def test_csv_object_and_stripped_nulls(rpc):
    r = ok(rpc.get("/rpc/getitemrange?min=0&max=2", headers={"Accept": "text/csv"}))
    assert r.text == "id\n1\n2"
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    r = ok(rpc.get("/rpc/getproject?id=1", headers={"Accept": "application/vnd.pgrst.object+json"}))
    assert r.json() == {"id": 1, "name": "Windows 7", "client_id": 1, "notes": None}
    r = ok(rpc.get("/rpc/getproject?id=1", headers={"Accept": "application/vnd.pgrst.object+json;nulls=stripped"}))
    assert r.json() == {"id": 1, "name": "Windows 7", "client_id": 1}
    r = ok(rpc.get("/rpc/ret_table", headers={"Accept": "application/vnd.pgrst.array+json;nulls=stripped"}))
    assert r.json() == [{"a": "A", "b": 1}, {"a": "B"}, {"a": "C", "b": 3}]
    r = ok(rpc.get("/rpc/sayhello?name=z", headers={"Accept": "application/vnd.pgrst.object+json"}))
    assert r.json() == "Hello, z"


def test_unavailable_media_type_is_406(rpc):
    r = rpc.get("/rpc/getallprojects", headers={"Accept": "text/plain"})
    assert r.status_code == 406
    assert r.json()["code"] == "PGRST107"


def test_embedding_from_a_setof_table_function(rpc):
    r = ok(rpc.get("/rpc/getallprojects?select=name,client:clients(name),tasks(name)&id=lt.3"))
    assert r.json() == [
        {"name": "Windows 7", "client": {"name": "Microsoft"}, "tasks": [{"name": "Design w7"}, {"name": "Code w7"}]},
        {"name": "Windows 10", "client": {"name": "Microsoft"}, "tasks": []},
    ]
    r = ok(rpc.get("/rpc/getallusers?select=name,tasks(name)&id=gt.1&tasks.order=name.desc"))
    assert r.json() == [{"name": "Michael", "tasks": [{"name": "Design w7"}, {"name": "Design IOS"}]},
                        {"name": "Dwight", "tasks": [{"name": "Code OSX"}]}]


def test_inner_join_embed_filters_the_result_and_the_count(rpc):
    r = call(rpc, "GET", "/rpc/getallprojects?select=id,clients!inner(id)&clients.id=eq.2",
             headers={"Prefer": "count=exact"})
    assert ok(r).json() == [{"id": 3, "clients": {"id": 2}}, {"id": 4, "clients": {"id": 2}}]
    assert r.headers["Content-Range"] == "0-1/2"


def test_embedding_an_unrelated_table_is_pgrst200(rpc):
    r = rpc.get("/rpc/getallprojects?select=*,items(*)")
    assert r.status_code == 400
    assert r.json()["code"] == "PGRST200"


# -- finding the function ------------------------------------------------------------------


def test_overloads_are_chosen_by_argument_names(rpc):
    assert ok(rpc.get("/rpc/overloaded")).json() == [1, 2]
    assert ok(rpc.get("/rpc/overloaded?a=1&b=2")).json() == 3
    assert ok(rpc.get("/rpc/overloaded?a=x&b=y&c=z")).json() == "xyz"
    assert ok(call(rpc, "POST", "/rpc/overloaded", json={"a": 5, "b": 6})).json() == 11


def test_unknown_function_hints_the_closest_name(rpc):
    r = rpc.get("/rpc/sayhell")
    assert r.status_code == 404
    assert r.json() == {
        "code": "PGRST202",
        "message": "Could not find the function rpc.sayhell without parameters in the schema cache",
        "details": "Searched for the function rpc.sayhell without parameters, but no matches were found in the "
                   "schema cache.",
        "hint": "Perhaps you meant to call the function rpc.sayhello",
    }


def test_unknown_arguments_hint_the_closest_parameters(rpc):
    r = rpc.get("/rpc/overloaded?a=1&b=2&d=3")
    assert r.status_code == 404
    assert r.json() == {
        "code": "PGRST202",
        "message": "Could not find the function rpc.overloaded(a, b, d) in the schema cache",
        "details": "Searched for the function rpc.overloaded with parameters a, b, d, but no matches were found "
                   "in the schema cache.",
        "hint": "Perhaps you meant to call the function rpc.overloaded(a, b, c)",
    }
    r = call(rpc, "POST", "/rpc/sayhello", json={"nam": "x"})
    assert r.json()["details"] == ("Searched for the function rpc.sayhello with parameter nam or with a single "
                                   "unnamed json/jsonb parameter, but no matches were found in the schema cache.")
    assert r.json()["hint"] == "Perhaps you meant to call the function rpc.sayhello(name)"


def test_no_single_unnamed_parameter_for_that_content_type(rpc):
    r = call(rpc, "POST", "/rpc/add_them", data="text", headers={"Content-Type": "text/plain"})
    assert r.status_code == 404
    assert r.json() == {
        "code": "PGRST202",
        "message": "Could not find the function rpc.add_them in the schema cache",
        "details": "Searched for the function rpc.add_them with a single unnamed text parameter, but no matches "
                   "were found in the schema cache.",
        "hint": None,
    }


def test_unexposed_function_is_not_found(rpc):
    assert rpc.get("/rpc/hidden").status_code == 404


def test_ambiguous_overloads_are_pgrst203(rpc):
    r = rpc.get("/rpc/same_args?arg=1")
    assert r.status_code == 300
    assert r.json() == {
        "code": "PGRST203",
        "message": "Could not choose the best candidate function between: rpc.same_args(arg => integer), "
                   "rpc.same_args(arg => text)",
        "details": None,
        "hint": "Try renaming the parameters or the function itself in the database so function overloading "
                "can be resolved",
    }


def test_ambiguous_overloads_are_listed_in_postgrests_order(rpc):
    # The schema cache's order of overloads: the fewest parameters first, then by the parameters
    # (name, then type), whatever order the functions were created in.
    r = rpc.get("/rpc/ambiguous_order?x=1")
    assert r.status_code == 300
    assert r.json()["message"] == (
        "Could not choose the best candidate function between: rpc.ambiguous_order(x => integer), "
        "rpc.ambiguous_order(x => text), rpc.ambiguous_order(x => text, y => integer)")


# -- transactions ----------------------------------------------------------------------------


def test_get_and_stable_functions_run_read_only(rpc):
    info = ok(rpc.get("/rpc/tx_info")).json()
    assert info["read_only"] == "on"
    assert info["isolation"] == "read committed"
    assert info["role"] == "rpc_anon"
    assert info["method"] == "GET" and info["path"] == "/rpc/tx_info"
    assert ok(call(rpc, "POST", "/rpc/tx_info")).json()["read_only"] == "on"
    assert ok(rpc.get("/rpc/tx_info_volatile")).json()["read_only"] == "on"
    assert ok(call(rpc, "POST", "/rpc/tx_info_volatile")).json()["read_only"] == "off"


def test_a_volatile_function_that_writes_needs_post(rpc):
    r = rpc.get("/rpc/bump")
    assert r.status_code == 405
    assert r.json()["code"] == "25006"
    before = ok(rpc.get("/rpc/hits")).json()
    assert ok(call(rpc, "POST", "/rpc/bump", json={"by": 2})).json() == before + 2
    assert ok(rpc.get("/rpc/hits")).json() == before + 2


def test_prefer_tx_rollback_leaves_no_trace(rpc):
    before = ok(rpc.get("/rpc/hits")).json()
    r = call(rpc, "POST", "/rpc/bump", json={}, headers={"Prefer": "tx=rollback"})
    assert ok(r).json() == before + 1
    assert r.headers["Preference-Applied"] == "tx=rollback"
    assert ok(rpc.get("/rpc/hits")).json() == before


def test_a_refused_singular_result_is_rolled_back(rpc):
    r = call(rpc, "POST", "/rpc/rename_projects", json={"lo": 1, "hi": 2, "new_name": "changed"},
             headers={"Accept": "application/vnd.pgrst.object+json"})
    assert r.status_code == 406
    assert r.json()["details"] == "The result contains 2 rows"
    assert ok(rpc.get("/rpc/getproject?id=1&select=name")).json() == [{"name": "Windows 7"}]


def test_max_affected_bounds_the_rows_of_a_call(rpc):
    prefer = {"Prefer": "handling=strict, max-affected=1"}
    r = call(rpc, "POST", "/rpc/rename_projects", json={"lo": 1, "hi": 2, "new_name": "changed"}, headers=prefer)
    assert r.status_code == 400
    assert r.json()["code"] == "PGRST124"
    assert ok(rpc.get("/rpc/getproject?id=2&select=name")).json() == [{"name": "Windows 10"}]
    r = call(rpc, "POST", "/rpc/add_them", json={"a": 1, "b": 1}, headers=prefer)
    assert r.status_code == 400
    assert r.json()["code"] == "PGRST128"


def test_function_isolation_level_and_hoisted_settings(rpc):
    assert ok(rpc.get("/rpc/serializable_info")).json() == "serializable"
    assert ok(rpc.get("/rpc/with_timeout")).json() == "4s"
    assert ok(rpc.get("/rpc/tx_info")).json()["timeout"] == "0"


def test_functions_set_response_status_and_headers(rpc):
    r = rpc.get("/rpc/with_headers")
    assert r.status_code == 202
    assert r.headers["X-Custom"] == "yes"
    assert r.headers["Cache-Control"] == "no-cache"


# -- request errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
def test_other_methods_are_pgrst101(rpc, method):
    r = call(rpc, method, "/rpc/sayhello")
    assert r.status_code == 405
    assert r.json()["code"] == "PGRST101"
    assert r.json()["message"] == f"Cannot use the {method} method on RPC"


def test_malformed_json_body_is_pgrst102(rpc):
    r = call(rpc, "POST", "/rpc/sayhello", data="{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["code"] == "PGRST102"


def test_post_filters_must_be_operators(rpc):
    r = call(rpc, "POST", "/rpc/sayhello?name=John", json={"name": "John"})
    assert r.status_code == 400
    assert r.json()["code"] == "PGRST100"


def test_database_errors_keep_their_detail_and_hint(rpc):
    r = call(rpc, "POST", "/rpc/problem")
    assert r.status_code == 400
    assert r.json() == {"code": "P0001", "message": "bad thing", "details": "it broke", "hint": "fix it"}


def test_bad_argument_value_is_a_database_error(rpc):
    r = rpc.get("/rpc/add_them?a=one&b=2")
    assert r.status_code == 400
    assert r.json()["code"] == "22P02"
