"""Resource embedding over HTTP: each relationship kind, hints, joins, spreads and the errors."""

from __future__ import annotations

from tests.support import FIXTURES, server_fixture

embed_server = server_fixture(FIXTURES / "embed.sql", {
    "db-schemas": "api", "db-anon-role": "e_anon", "server-workers": 1,
}, database="embed", user="e_auth")


def get(server, path):
    r = server.get(path)
    assert r.status_code == 200, r.text
    return r.json()


def test_many_to_one(embed_server):
    assert get(embed_server, "/projects?select=name,clients(name)&id=eq.3") == [
        {"name": "IOS", "clients": {"name": "Apple"}}]


def test_missing_parent_is_null(embed_server):
    assert get(embed_server, "/projects?select=name,clients(name)&id=eq.5") == [{"name": "Orphan", "clients": None}]


def test_one_to_many_with_filter_order_and_limit(embed_server):
    rows = get(embed_server, "/clients?select=name,projects(name)&projects.order=name.desc"
                             "&projects.limit=1&id=in.(1,3)&order=id")
    assert rows == [{"name": "Microsoft", "projects": [{"name": "Windows 7"}]},
                    {"name": "Nobody", "projects": []}]


def test_many_to_many(embed_server):
    rows = get(embed_server, "/users?select=name,tasks(name)&id=eq.1&tasks.order=id")
    assert rows == [{"name": "Angela", "tasks": [{"name": "Design"}, {"name": "Code"}]}]


def test_one_to_one_both_ways(embed_server):
    assert get(embed_server, "/clients?select=name,client_profiles(motto)&id=eq.2") == [
        {"name": "Apple", "client_profiles": {"motto": "Think different"}}]
    assert get(embed_server, "/client_profiles?select=motto,clients(name)&client_id=eq.1") == [
        {"motto": "Be what's next", "clients": {"name": "Microsoft"}}]


def test_self_reference_both_directions(embed_server):
    assert get(embed_server, "/employees?select=name,manager_id(name)&id=eq.3") == [
        {"name": "Dev", "manager_id": {"name": "Cto"}}]
    rows = get(embed_server, "/employees?select=name,reports:employees(name)&id=eq.2&reports.order=id")
    assert rows == [{"name": "Cto", "reports": [{"name": "Dev"}, {"name": "Ops"}]}]


def test_nested_three_levels(embed_server):
    rows = get(embed_server, "/clients?select=name,projects(name,tasks(name,users(name)))&id=eq.1"
                             "&projects.order=id&projects.tasks.order=id&projects.tasks.users.order=id")
    assert rows[0]["projects"][0] == {"name": "Windows 7", "tasks": [
        {"name": "Design", "users": [{"name": "Angela"}, {"name": "Dwight"}]},
        {"name": "Code", "users": [{"name": "Angela"}]}]}


def test_inner_join_filters_parents(embed_server):
    rows = get(embed_server, "/clients?select=name,projects!inner(name)&projects.name=eq.IOS")
    assert rows == [{"name": "Apple", "projects": [{"name": "IOS"}]}]


def test_null_filter_on_embed(embed_server):
    rows = get(embed_server, "/clients?select=name,projects(id)&projects=is.null")
    assert rows == [{"name": "Nobody", "projects": []}]
    rows = get(embed_server, "/clients?select=name,projects(id)&projects=not.is.null&order=id")
    assert [r["name"] for r in rows] == ["Microsoft", "Apple"]


def test_other_operators_on_an_embed_filter_the_column_not_pgrst120(embed_server):
    # Only is.null / not.is.null filter an embed itself.  Since v11.2
    # (PostgREST#2862) any other operator filters the column of that name
    # and PGRST120 is never answered.
    rows = get(embed_server, "/projects?select=name,client_id(name)&client_id=eq.2&order=id")
    assert rows == [{"name": "IOS", "client_id": {"name": "Apple"}}, {"name": "OSX", "client_id": {"name": "Apple"}}]
    r = embed_server.get("/projects?select=name,clients(name)&clients=eq.1")
    assert r.status_code == 400
    assert r.json()["code"] == "42703"  # PostgreSQL: column projects.clients does not exist


def test_order_by_to_one_embed(embed_server):
    rows = get(embed_server, "/projects?select=name,clients(name)&order=clients(name).desc.nullslast,id")
    assert [r["name"] for r in rows] == ["Windows 7", "Windows 10", "IOS", "OSX", "Orphan"]


def test_order_by_to_many_embed_is_pgrst118(embed_server):
    r = embed_server.get("/clients?select=name,projects(name)&order=projects(name)")
    assert r.status_code == 400
    assert r.json()["code"] == "PGRST118"


def test_spreads(embed_server):
    assert get(embed_server, "/projects?select=name,...clients(client:name)&id=eq.1") == [
        {"name": "Windows 7", "client": "Microsoft"}]
    rows = get(embed_server, "/clients?select=name,...projects(project:name)&id=eq.2&projects.order=id")
    assert rows == [{"name": "Apple", "project": ["IOS", "OSX"]}]


def test_view_embeds_like_its_table(embed_server):
    assert get(embed_server, "/active_projects?select=name,clients(name)&id=eq.1") == [
        {"name": "Windows 7", "clients": {"name": "Microsoft"}}]


def test_computed_relationship_and_field(embed_server):
    assert get(embed_server, "/clients?select=name,shout,top_project(name)&id=eq.1") == [
        {"name": "Microsoft", "shout": "MICROSOFT", "top_project": {"name": "Windows 7"}}]
    assert get(embed_server, "/clients?select=id&shout=eq.APPLE") == [{"id": 2}]


def test_ambiguous_embed_is_pgrst201_and_hints_resolve_it(embed_server):
    r = embed_server.get("/trips?select=id,places(name)")
    assert r.status_code == 300
    body = r.json()
    assert body["code"] == "PGRST201"
    assert "'places!trips_origin_fkey'" in body["hint"] and "'places!trips_destination_fkey'" in body["hint"]
    assert {d["cardinality"] for d in body["details"]} == {"many-to-one"}
    rows = get(embed_server, "/trips?select=from:places!trips_origin_fkey(name),to:places!destination_id(name)")
    assert rows == [{"from": {"name": "Lima"}, "to": {"name": "Quito"}}]


def test_unknown_relationship_is_pgrst200(embed_server):
    r = embed_server.get("/clients?select=name,users(name)")
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "PGRST200"
    assert body["message"] == "Could not find a relationship between 'clients' and 'users' in the schema cache"
    assert body["details"] == ("Searched for a foreign key relationship between 'clients' and 'users' "
                               "in the schema 'api', but no matches were found.")


def test_computed_relationship_of_another_schemas_function_neither_embeds_nor_hints(embed_server):
    # hidden.memo_tags(api.memo) returns api.tag rows, but PostgREST files it under the schema
    # "hidden": memo has no relationship in api, and the hint looks for a parent like "memo".
    r = embed_server.get("/memo?select=id,memo_tags(label)")
    assert r.status_code == 400, r.text
    assert r.json() == {
        "code": "PGRST200",
        "message": "Could not find a relationship between 'memo' and 'memo_tags' in the schema cache",
        "details": ("Searched for a foreign key relationship between 'memo' and 'memo_tags' in the schema 'api', "
                    "but no matches were found."),
        "hint": None,
    }
    r = embed_server.get("/memo?select=id,tags(label)")
    assert r.status_code == 400
    assert r.json()["hint"] is None


def test_filter_on_unselected_embed_is_pgrst108(embed_server):
    r = embed_server.get("/clients?select=name&projects.name=eq.IOS")
    assert r.status_code == 400
    assert r.json()["code"] == "PGRST108"
