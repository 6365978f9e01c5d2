"""What a description covers (pgrestd/describe/model.py): the target's part of the schema, as the role sees it."""

from __future__ import annotations

import re

from pgrestd.catalog import Cardinality
from pgrestd.describe import describe
from pgrestd.describe.model import path_of, server_url, unique_keys
from pgrestd.openapi import Access, Routine, Server
from pgrestd.request.api import Target

from .schema import subject


def _edges(description) -> list[tuple[str, str, str]]:
    return [(e.source.name, e.target.name, str(e.relationship.cardinality or "computed")) for e in description.edges]


def test_the_root_describes_every_relation_and_function_and_each_relationship_once():
    d = describe(subject())
    assert d.whole
    assert [t.name for t in d.tables] == ["actors", "directors", "film details", "films", "roles", "string",
                                          "summaries"]
    assert [r.name for r in d.routines] == ["add", "cast_of", "reset", "tags"]
    # Each foreign key once from the side holding it; the M2M once although both ends list it.
    assert sorted(_edges(d)) == [
        ("actors", "films", "M2M"), ("film details", "films", "O2O"), ("films", "actors", "computed"),
        ("films", "directors", "M2O"), ("roles", "actors", "M2O"), ("roles", "films", "M2O"),
    ]


def test_a_table_is_described_with_the_relations_it_relates_to():
    d = describe(subject(Target("relation", "directors")))
    assert not d.whole
    assert [t.name for t in d.tables] == ["directors"]
    assert [t.name for t in d.entities] == ["directors", "films"]
    assert _edges(d) == [("films", "directors", "M2O")]
    assert d.routines == ()


def test_a_function_is_described_alone():
    d = describe(subject(Target("rpc", "add")))
    assert [r.name for r in d.routines] == ["add"]
    assert d.tables == d.entities == d.edges == ()


def test_follow_privileges_shows_only_what_the_role_may_use():
    routine = Routine("add", None, "i", ())
    access = Access(None, frozenset(("films", "directors", "roles")), (routine,))
    d = describe(subject(access=access, follow=True))
    assert [t.name for t in d.tables] == ["directors", "films", "roles"]
    assert d.routines == (routine,)
    # actors is hidden: neither its FK from roles nor the M2M through roles is drawn.
    assert sorted(_edges(d)) == [("films", "directors", "M2O"), ("roles", "films", "M2O")]
    assert describe(subject(Target("relation", "actors"), access=access, follow=True)).tables == ()


def test_many_to_many_needs_its_junction_visible():
    access = Access(None, frozenset(("films", "actors")), ())
    d = describe(subject(access=access, follow=True))
    assert [e.relationship.cardinality for e in d.edges] == [None]  # only the computed cast_of
    assert all(e.relationship.cardinality is not Cardinality.M2M for e in d.edges)


def test_unique_keys_keep_valid_names_and_spell_the_others_apart():
    invalid = re.compile(r"[^A-Za-z0-9._-]")
    keys = unique_keys([(1, "my table"), (2, "my_table"), (3, "my.table"), (4, "my table!"), (5, "x")],
                       invalid, reserved=("x",))
    assert keys == {1: "my_table_2", 2: "my_table", 3: "my.table", 4: "my_table_", 5: "x_2"}


def test_paths_and_server_urls():
    assert path_of("rpc", "my fn") == "/rpc/my%20fn"
    assert path_of("a{b}/c") == "/a%7Bb%7D%2Fc"
    assert path_of("ünï") == "/%C3%BCn%C3%AF"
    assert server_url(Server("http", "0.0.0.0", 3000, "/")) == "http://0.0.0.0:3000"
    assert server_url(Server("https", "films.example.com", 443, "/api")) == "https://films.example.com/api"
    assert server_url(Server("http", "[::1]", 80, "/v1/")) == "http://[::1]/v1"
