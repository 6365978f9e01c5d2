"""Tests for the pure part of pgrestd.catalog: catalog rows in, relationships and lookups out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import pytest

from pgrestd.catalog import Cardinality, Catalog, Relationship, build_catalog, dump_catalog
from pgrestd.catalog.relationships import relationship_sort_key

# -- row builders: the shapes the queries in pgrestd/catalog/queries return ----------------


def col(name: str, type_: str = "integer", **kw: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "base_type": kw.get("base_type", type_),
            "nullable": kw.get("nullable", True), "default": kw.get("default"),
            "description": kw.get("description"), "enum": kw.get("enum"),
            "max_length": kw.get("max_length"), "generated": kw.get("generated", False),
            "identity": kw.get("identity")}


def table(schema: str, name: str, cols: Sequence[str], pk: Sequence[str] = (), kind: str = "r",
          unique: Sequence[Sequence[str]] = ()) -> dict[str, Any]:
    keys = ([sorted(pk)] if pk else []) + [list(u) for u in unique]
    return {"schema": schema, "name": name, "kind": kind, "description": None,
            "primary_key": sorted(pk), "unique_keys": keys,
            "insertable": kind in ("r", "p"), "updatable": kind in ("r", "p"), "deletable": kind in ("r", "p"),
            "columns": [col(c) for c in cols]}


def fk(name: str, tbl: str, cols: list[str], ftbl: str, fcols: list[str], one_to_one: bool = False,
       schema: str = "api", fschema: str | None = None) -> dict[str, Any]:
    return {"name": name, "schema": schema, "table": tbl, "foreign_schema": fschema or schema,
            "foreign_table": ftbl, "columns": cols, "foreign_columns": fcols, "one_to_one": one_to_one}


def dep(table: tuple[str, str], view: tuple[str, str], cons: str, kind: str,
        cols: list[tuple[str, list[str]]]) -> dict[str, Any]:
    return {"table_schema": table[0], "table_name": table[1], "view_schema": view[0], "view_name": view[1],
            "constraint_name": cons, "constraint_type": kind,
            "column_dependencies": [[c, vs] for c, vs in cols]}


def function(schema: str, name: str, *, arg_table: tuple[str, str] | None = None, returns: str = "text",
             returns_set: bool = False, return_relation: tuple[str, str] | None = None,
             args: list[dict[str, Any]] | None = None, exposed: bool = True,
             callable_: bool = True) -> dict[str, Any]:
    return {"schema": schema, "name": name, "exposed": exposed, "callable": callable_, "description": None,
            "args": args if args is not None else [
                {"name": "", "type": f"{arg_table[0]}.{arg_table[1]}" if arg_table else "integer",
                 "type_max_length": "", "mode": "i", "has_default": False, "variadic": False}],
            "return_type": returns, "return_kind": "c" if return_relation else "b",
            "return_type_schema": return_relation[0] if return_relation else "pg_catalog",
            "return_type_name": return_relation[1] if return_relation else returns,
            "returns_set": returns_set, "return_composite": return_relation is not None,
            "return_composite_alias": False,
            "return_relation_schema": return_relation[0] if return_relation else None,
            "return_relation_name": return_relation[1] if return_relation else None,
            "row_arg_schema": arg_table[0] if arg_table else None,
            "row_arg_name": arg_table[1] if arg_table else None,
            "volatility": "s", "has_variadic": False, "isolation_level": None, "settings": []}


def build(tables: Sequence[dict[str, Any]], fks: Sequence[dict[str, Any]] = (),
          deps: Sequence[dict[str, Any]] = (), functions: Sequence[dict[str, Any]] = (),
          computed: Sequence[dict[str, Any]] = (),
          schemas: tuple[str, ...] = ("api",), extra: tuple[str, ...] = ()) -> Catalog:
    rows = {"tables": list(tables), "foreign_keys": list(fks), "view_key_dependencies": list(deps),
            "functions": list(functions), "computed_relationships": list(computed)}
    return build_catalog(schemas, rows, 150000, extra_search_path=extra)


def rels_to(catalog: Catalog, origin: str, target: str, schema: str = "api") -> list[Relationship]:
    return [r for r in catalog.relationships(schema, origin) if r.foreign_table == (schema, target)]


API = "api"
CLIENTS = table(API, "clients", ["id", "name"], pk=["id"])
PROJECTS = table(API, "projects", ["id", "name", "client_id"], pk=["id"])
CLIENT_FK = fk("projects_client_id_fkey", "projects", ["client_id"], "clients", ["id"])


# -- foreign keys ----------------------------------------------------------------------------


def test_many_to_one_and_its_inverse():
    cat = build([CLIENTS, PROJECTS], [CLIENT_FK])
    (m2o,) = rels_to(cat, "projects", "clients")
    assert m2o.cardinality is Cardinality.M2O and m2o.to_one
    assert m2o.constraint == "projects_client_id_fkey"
    assert m2o.columns == (("client_id", "id"),)
    assert not m2o.is_self and not m2o.table_is_view and not m2o.foreign_table_is_view
    (o2m,) = rels_to(cat, "clients", "projects")
    assert o2m.cardinality is Cardinality.O2M and not o2m.to_one
    assert o2m.columns == (("id", "client_id"),)
    assert o2m.constraint == "projects_client_id_fkey"


def test_one_to_one_both_directions_with_parent_flag():
    users = table(API, "users", ["id"], pk=["id"])
    profiles = table(API, "profiles", ["user_id"], pk=["user_id"])
    cat = build([users, profiles], [fk("profiles_user_id_fkey", "profiles", ["user_id"], "users", ["id"],
                                       one_to_one=True)])
    (child,) = rels_to(cat, "profiles", "users")
    (parent,) = rels_to(cat, "users", "profiles")
    assert child.cardinality is parent.cardinality is Cardinality.O2O
    assert (child.is_parent, parent.is_parent) == (False, True)
    assert child.to_one and parent.to_one
    assert parent.columns == (("id", "user_id"),)


def test_self_reference_gives_m2o_and_o2m_marked_self():
    family = table(API, "family", ["id", "parent_id"], pk=["id"])
    cat = build([family], [fk("family_parent_id_fkey", "family", ["parent_id"], "family", ["id"])])
    found = cat.relationships(API, "family")
    assert [r.cardinality for r in found] == [Cardinality.O2M, Cardinality.M2O]  # PostgREST's order
    assert all(r.is_self for r in found)


def test_composite_foreign_key_keeps_column_pairs_in_key_order():
    units = table(API, "units", ["a", "b"], pk=["a", "b"])
    shifts = table(API, "shifts", ["id", "unit_b", "unit_a"], pk=["id"])
    cat = build([units, shifts], [fk("shifts_unit_fkey", "shifts", ["unit_a", "unit_b"], "units", ["a", "b"])])
    (m2o,) = rels_to(cat, "shifts", "units")
    assert m2o.columns == (("unit_a", "a"), ("unit_b", "b"))
    (o2m,) = rels_to(cat, "units", "shifts")
    assert o2m.columns == (("a", "unit_a"), ("b", "unit_b"))


# -- many-to-many ------------------------------------------------------------------------------


USERS = table(API, "users", ["id"], pk=["id"])
TASKS = table(API, "tasks", ["id"], pk=["id"])
USER_FK = fk("users_tasks_user_id_fkey", "users_tasks", ["user_id"], "users", ["id"])
TASK_FK = fk("users_tasks_task_id_fkey", "users_tasks", ["task_id"], "tasks", ["id"])


def test_many_to_many_through_a_junction_whose_pk_holds_both_keys():
    junction = table(API, "users_tasks", ["user_id", "task_id"], pk=["task_id", "user_id"])
    cat = build([USERS, TASKS, junction], [USER_FK, TASK_FK])
    (m2m,) = [r for r in rels_to(cat, "users", "tasks")]
    assert m2m.cardinality is Cardinality.M2M and m2m.constraint is None and not m2m.to_one
    j = m2m.junction
    assert j is not None and j.table == (API, "users_tasks")
    assert (j.constraint1, j.constraint2) == ("users_tasks_user_id_fkey", "users_tasks_task_id_fkey")
    assert j.source_columns == (("id", "user_id"),)
    assert j.target_columns == (("id", "task_id"),)
    (back,) = rels_to(cat, "tasks", "users")
    assert back.junction is not None and back.junction.constraint1 == "users_tasks_task_id_fkey"
    # the junction itself relates to both sides as M2O
    assert {r.cardinality for r in cat.relationships(API, "users_tasks")} == {Cardinality.M2O}


def test_no_many_to_many_when_the_keys_are_not_in_the_junction_pk():
    junction = table(API, "users_tasks", ["id", "user_id", "task_id"], pk=["id"])
    cat = build([USERS, TASKS, junction], [USER_FK, TASK_FK])
    assert rels_to(cat, "users", "tasks") == []


def test_no_many_to_many_through_a_junction_in_a_private_schema():
    junction = table("private", "users_tasks", ["user_id", "task_id"], pk=["task_id", "user_id"])
    fks = [fk(f["name"], "users_tasks", f["columns"], f["foreign_table"], f["foreign_columns"],
              schema="private", fschema=API) for f in (USER_FK, TASK_FK)]
    cat = build([USERS, TASKS, junction], fks)
    assert rels_to(cat, "users", "tasks") == []
    assert cat.relationships("private", "users_tasks") == ()


def test_self_many_to_many():
    people = table(API, "people", ["id"], pk=["id"])
    follows = table(API, "follows", ["follower", "followed"], pk=["follower", "followed"])
    cat = build([people, follows], [
        fk("follows_follower_fkey", "follows", ["follower"], "people", ["id"]),
        fk("follows_followed_fkey", "follows", ["followed"], "people", ["id"]),
    ])
    m2m = [r for r in cat.relationships(API, "people") if r.cardinality is Cardinality.M2M]
    assert len(m2m) == 2 and all(r.is_self for r in m2m)


# -- views -------------------------------------------------------------------------------------


def test_view_primary_key_and_relationships_through_views():
    projects_v = table(API, "projects_v", ["pid", "cid"], kind="v")
    clients_v = table(API, "clients_v", ["key"], kind="v")
    deps = [
        dep((API, "projects"), (API, "projects_v"), "projects_pkey", "p", [("id", ["pid"])]),
        dep((API, "projects"), (API, "projects_v"), "projects_client_id_fkey", "f", [("client_id", ["cid"])]),
        dep((API, "clients"), (API, "clients_v"), "projects_client_id_fkey", "f_ref", [("id", ["key"])]),
    ]
    cat = build([CLIENTS, PROJECTS, projects_v, clients_v], [CLIENT_FK], deps)
    assert cat.table(API, "projects_v").primary_key == ("pid",)  # type: ignore[union-attr]
    (view_table,) = rels_to(cat, "projects_v", "clients")
    assert view_table.columns == (("cid", "id"),)
    assert (view_table.table_is_view, view_table.foreign_table_is_view) == (True, False)
    (table_view,) = rels_to(cat, "projects", "clients_v")
    assert table_view.columns == (("client_id", "key"),) and table_view.foreign_table_is_view
    (view_view,) = rels_to(cat, "projects_v", "clients_v")
    assert view_view.columns == (("cid", "key"),) and view_view.cardinality is Cardinality.M2O
    (inverse,) = rels_to(cat, "clients_v", "projects_v")
    assert inverse.cardinality is Cardinality.O2M and inverse.columns == (("key", "cid"),)


def test_a_key_column_shown_twice_gives_one_relationship_per_name():
    v = table(API, "projects_v", ["c1", "c2"], kind="v")
    deps = [dep((API, "projects"), (API, "projects_v"), "projects_client_id_fkey", "f",
                [("client_id", ["c1", "c2"])])]
    cat = build([CLIENTS, PROJECTS, v], [CLIENT_FK], deps)
    assert [r.columns for r in rels_to(cat, "projects_v", "clients")] == [(("c1", "id"),), (("c2", "id"),)]


def test_view_can_be_a_junction():
    v = table(API, "users_tasks_v", ["u", "t"], kind="v")
    deps = [
        dep(("private", "users_tasks"), (API, "users_tasks_v"), "users_tasks_pkey", "p",
            [("task_id", ["t"]), ("user_id", ["u"])]),
        dep(("private", "users_tasks"), (API, "users_tasks_v"), "users_tasks_user_id_fkey", "f", [("user_id", ["u"])]),
        dep(("private", "users_tasks"), (API, "users_tasks_v"), "users_tasks_task_id_fkey", "f", [("task_id", ["t"])]),
    ]
    junction = table("private", "users_tasks", ["user_id", "task_id"], pk=["task_id", "user_id"])
    fks = [fk(f["name"], "users_tasks", f["columns"], f["foreign_table"], f["foreign_columns"],
              schema="private", fschema=API) for f in (USER_FK, TASK_FK)]
    cat = build([USERS, TASKS, junction, v], fks, deps)
    (m2m,) = rels_to(cat, "users", "tasks")
    assert m2m.junction is not None and m2m.junction.table == (API, "users_tasks_v")
    assert m2m.junction.source_columns == (("id", "u"),)


# -- computed relationships and fields ---------------------------------------------------------


def test_computed_relationship_overrides_the_foreign_key_relationship_of_the_same_name():
    computed = [{"schema": API, "name": "clients", "table_schema": API, "table_name": "projects",
                 "foreign_table_schema": API, "foreign_table_name": "clients", "to_one": True}]
    cat = build([CLIENTS, PROJECTS], [CLIENT_FK], computed=computed)
    (only,) = rels_to(cat, "projects", "clients")
    assert only.is_computed and only.function == (API, "clients") and only.to_one
    assert only.cardinality is None and only.constraint == "clients"
    # the other direction is untouched
    assert [r.cardinality for r in rels_to(cat, "clients", "projects")] == [Cardinality.O2M]


def test_computed_relationships_sort_after_key_relationships():
    computed = [{"schema": API, "name": "aaa_related", "table_schema": API, "table_name": "projects",
                 "foreign_table_schema": API, "foreign_table_name": "clients", "to_one": False}]
    cat = build([CLIENTS, PROJECTS], [CLIENT_FK], computed=computed)
    found = cat.relationships(API, "projects")
    assert [r.is_computed for r in found] == [False, True]
    assert found == tuple(sorted(found, key=relationship_sort_key))


def test_computed_fields_follow_the_search_path():
    users = table(API, "users", ["id"], pk=["id"])
    fns = [
        function(API, "full_name", arg_table=(API, "users")),
        function("public", "full_name", arg_table=(API, "users"), exposed=False, callable_=False),
        function("public", "shout", arg_table=(API, "users"), exposed=False, callable_=False),
        function("elsewhere", "hidden", arg_table=(API, "users"), exposed=False, callable_=False),
        function(API, "tasks_of", arg_table=(API, "users"), returns="api.tasks", returns_set=True,
                 return_relation=(API, "tasks")),
        function(API, "manager", arg_table=(API, "users"), returns="api.users",
                 return_relation=(API, "users")),
    ]
    cat = build([users], functions=fns, extra=("public",))
    fields = cat.computed_fields(API, "users")
    assert sorted(fields) == ["full_name", "manager", "shout"]
    assert fields["full_name"].schema == API  # the exposed schema wins over the extra search path
    assert fields["shout"].schema == "public"
    assert cat.computed_fields(API, "nothing") == {}
    # only callable functions of the exposed schemas are RPCs
    assert set(cat.functions) == {(API, "full_name"), (API, "tasks_of"), (API, "manager")}


# -- lookups and dumps -------------------------------------------------------------------------


def test_relationships_filtered_by_target_schema():
    other = table("v2", "clients", ["id"], pk=["id"])
    cat = build([CLIENTS, PROJECTS, other],
                [CLIENT_FK, fk("projects_v2_fkey", "projects", ["client_id"], "clients", ["id"],
                               fschema="v2")], schemas=("api", "v2"))
    assert {r.foreign_table[0] for r in cat.relationships(API, "projects")} == {"api", "v2"}
    assert [r.foreign_table for r in cat.relationships(API, "projects", "v2")] == [("v2", "clients")]
    assert cat.relationships(API, "projects", "v3") == ()


def test_relationships_to_private_schemas_are_hidden_and_fks_listed_when_touching_exposed():
    secret = table("private", "secrets", ["id"], pk=["id"])
    cat = build([PROJECTS, secret], [fk("p_secret_fkey", "projects", ["client_id"], "secrets", ["id"],
                                        fschema="private")])
    assert cat.relationships(API, "projects") == ()
    assert [f.name for f in cat.foreign_keys] == ["p_secret_fkey"]


def test_dump_is_sorted_and_stable():
    junction = table(API, "users_tasks", ["user_id", "task_id"], pk=["task_id", "user_id"])
    fns = [function(API, "label", arg_table=(API, "users"))]
    rows = ([USERS, TASKS, junction], [TASK_FK, USER_FK])
    a = dump_catalog(build(*rows, functions=fns))
    b = dump_catalog(build(list(reversed(rows[0])), list(reversed(rows[1])), functions=fns))
    assert a == b
    doc = orjson.loads(a)
    assert [t["name"] for t in doc["tables"]] == ["tasks", "users", "users_tasks"]
    assert {r["cardinality"] for r in doc["relationships"]} == {"M2O", "O2M", "M2M"}
    m2m = next(r for r in doc["relationships"] if r["cardinality"] == "M2M")
    assert m2m["junction"]["table"] == ["api", "users_tasks"]
    assert doc["computed_fields"] == [{"table": ["api", "users"], "name": "label", "function": ["api", "label"]}]


@pytest.mark.parametrize("card", [Cardinality.O2M, Cardinality.M2O, Cardinality.O2O, Cardinality.M2M])
def test_cardinality_is_a_plain_string_in_json(card):
    assert orjson.loads(orjson.dumps(card)) == card.value
