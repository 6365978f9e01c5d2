"""postgrest-py (PyPI ``postgrest``) against a real pgrestd over the demo database (conf/demo.sql).

Every test goes through the client library only, and checks the exact rows, counts, text and error
objects it hands back. The expected values are what PostgREST answers for the same requests.
Writes are made as the demo's ``web_user`` (JWTs for "alice" and "bob"); the rows they add are
removed again after each test.
"""

from __future__ import annotations

import json
import re

import pytest

postgrest = pytest.importorskip("postgrest", reason="postgrest-py is not installed: pip install postgrest")
from postgrest import APIError, SyncPostgrestClient

DATABASE = "clients_py"
ALL_FILMS = 12
ALL_ACTORS = 15
PUBLISHED_REVIEWS = 9


@pytest.fixture(scope="module")
def api(demo_api_factory):
    return demo_api_factory(DATABASE)


def _client(api, token: str | None = None) -> SyncPostgrestClient:
    client = SyncPostgrestClient(api.url, schema="api")
    if token:
        client.auth(token)
    return client


@pytest.fixture(scope="module")
def anon(api):
    client = _client(api)
    yield client
    client.aclose()


@pytest.fixture(scope="module")
def alice(api):
    client = _client(api, api.token("alice"))
    yield client
    client.aclose()


@pytest.fixture(scope="module")
def bob(api):
    client = _client(api, api.token("bob"))
    yield client
    client.aclose()


@pytest.fixture()
def cleanup(api):
    """Removes what a write test added: actors named "Test ...", and reviews beyond the demo's 11."""
    yield
    api.sql("DELETE FROM api.actors WHERE name LIKE 'Test %'")
    api.sql("DELETE FROM api.reviews WHERE id > 11")


def error_of(excinfo: pytest.ExceptionInfo[APIError]) -> dict:
    e = excinfo.value
    return {"code": e.code, "message": e.message, "details": e.details, "hint": e.hint}


def film_id(client, title: str) -> int:
    return client.from_("films").select("id").eq("title", title).single().execute().data["id"]


# -- select: embedding and spreading --------------------------------------------------------------


def test_embed_many_to_one(anon):
    r = anon.from_("films").select("title, directors(name, nationality)").eq("title", "Inception").execute()
    assert r.data == [
        {"title": "Inception", "directors": {"name": "Christopher Nolan", "nationality": "United Kingdom"}}
    ]
    assert r.count is None


def test_embed_one_to_many_with_embedded_order(anon):
    r = (
        anon.from_("directors")
        .select("name, films(title, year)")
        .eq("name", "Greta Gerwig")
        .order("year", desc=True, foreign_table="films")
        .execute()
    )
    assert r.data == [
        {
            "name": "Greta Gerwig",
            "films": [{"title": "Barbie", "year": 2023}, {"title": "Lady Bird", "year": 2017}],
        }
    ]


def test_embed_nested_through_the_junction_table(anon):
    r = (
        anon.from_("films")
        .select("title, roles(character, actors(name))")
        .eq("title", "Arrival")
        .order("character", foreign_table="roles")
        .execute()
    )
    assert r.data == [
        {
            "title": "Arrival",
            "roles": [
                {"character": "Ian Donnelly", "actors": {"name": "Jeremy Renner"}},
                {"character": "Louise Banks", "actors": {"name": "Amy Adams"}},
            ],
        }
    ]


def test_embed_many_to_many_with_embedded_limit(anon):
    r = (
        anon.from_("films")
        .select("title, cast:actors(name)")
        .eq("title", "Dune")
        .order("name", foreign_table="actors")
        .limit(2, foreign_table="actors")
        .execute()
    )
    assert r.data == [
        {"title": "Dune", "cast": [{"name": "Rebecca Ferguson"}, {"name": "Timothée Chalamet"}]}
    ]


def test_inner_embed_filters_the_parent(anon):
    r = (
        anon.from_("films")
        .select("title, directors!inner(name)")
        .eq("directors.name", "Bong Joon-ho")
        .order("year")
        .execute()
    )
    assert r.data == [
        {"title": "Memories of Murder", "directors": {"name": "Bong Joon-ho"}},
        {"title": "Parasite", "directors": {"name": "Bong Joon-ho"}},
    ]


def test_spread_many_to_one(anon):
    r = (
        anon.from_("films")
        .select("title, ...directors(director:name, nationality)")
        .eq("year", 2023)
        .order("title")
        .execute()
    )
    assert r.data == [
        {"title": "Barbie", "director": "Greta Gerwig", "nationality": "United States"},
        {"title": "Oppenheimer", "director": "Christopher Nolan", "nationality": "United Kingdom"},
    ]


def test_spread_inside_an_embed(anon):
    r = (
        anon.from_("actors")
        .select("name, roles(character, ...films(title))")
        .eq("name", "Cillian Murphy")
        .order("character", foreign_table="roles")
        .execute()
    )
    assert r.data == [
        {
            "name": "Cillian Murphy",
            "roles": [
                {"character": "J. Robert Oppenheimer", "title": "Oppenheimer"},
                {"character": "Robert Fischer", "title": "Inception"},
            ],
        }
    ]


# -- filters ----------------------------------------------------------------------------------------


def titles(response) -> list[str]:
    return [row["title"] for row in response.data]


def test_eq_neq_and_comparisons(anon):
    r = (
        anon.from_("films")
        .select("title")
        .gt("year", 2015)
        .lte("year", 2019)
        .neq("title", "Lady Bird")
        .order("year")
        .execute()
    )
    assert titles(r) == ["Arrival", "Parasite"]
    r = anon.from_("films").select("title, year").eq("year", 2000).execute()
    assert r.data == [{"title": "Memento", "year": 2000}]


def test_in(anon):
    r = (
        anon.from_("films")
        .select("title")
        .in_("title", ["Dune", "Arrival", "Memories of Murder"])
        .order("year")
        .execute()
    )
    assert titles(r) == ["Memories of Murder", "Arrival", "Dune"]


def test_in_with_values_that_need_quoting(anon):
    r = (
        anon.from_("roles")
        .select("character")
        .in_("character", ['Christine "Lady Bird" McPherson', "Ken", "Nobody, really"])
        .order("character")
        .execute()
    )
    assert r.data == [{"character": 'Christine "Lady Bird" McPherson'}, {"character": "Ken"}]


def test_like_and_ilike(anon):
    assert titles(anon.from_("films").select("title").like("title", "Mem%").order("title").execute()) == [
        "Memento",
        "Memories of Murder",
    ]
    # PostgREST also takes * for %.
    assert titles(anon.from_("films").select("title").like("title", "*Ar*").execute()) == ["Arrival"]
    assert titles(anon.from_("films").select("title").ilike("title", "%AR%").order("title").execute()) == [
        "Arrival",
        "Barbie",
        "Parasite",
    ]


def test_is_null(anon):
    assert titles(anon.from_("films").select("title").is_("rated", None).execute()) == ["Memories of Murder"]
    assert titles(anon.from_("films").select("title").is_("box_office", "null").order("title").execute()) == [
        "Memories of Murder",
        "My Neighbor Totoro",
    ]


def test_not(anon):
    r = anon.from_("directors").select("name").not_.eq("nationality", "United States").order("name").execute()
    assert [row["name"] for row in r.data] == [
        "Bong Joon-ho",
        "Christopher Nolan",
        "Denis Villeneuve",
        "Hayao Miyazaki",
    ]
    r = anon.from_("films").select("title", count="exact").not_.is_("box_office", None).limit(1).execute()
    assert r.count == ALL_FILMS - 2
    r = (
        anon.from_("films")
        .select("title")
        .not_.in_("year", [2023, 2021, 2019, 2017, 2016, 2010, 2008])
        .order("year")
        .execute()
    )
    assert titles(r) == ["My Neighbor Totoro", "Memento", "Spirited Away", "Memories of Murder"]


def test_or(anon):
    r = anon.from_("films").select("title").or_("year.lt.1990,title.eq.Dune").order("year").execute()
    assert titles(r) == ["My Neighbor Totoro", "Dune"]
    r = (
        anon.from_("films")
        .select("title")
        .or_("and(year.gte.2020,rated.eq.R),title.like.Mem*")
        .order("title")
        .execute()
    )
    assert titles(r) == ["Memento", "Memories of Murder", "Oppenheimer"]


def test_or_on_an_embedded_resource(anon):
    r = (
        anon.from_("directors")
        .select("name, films(title)")
        .eq("name", "Christopher Nolan")
        .or_("year.eq.2000,year.eq.2023", reference_table="films")
        .order("year", foreign_table="films")
        .execute()
    )
    assert r.data == [
        {"name": "Christopher Nolan", "films": [{"title": "Memento"}, {"title": "Oppenheimer"}]}
    ]


def test_array_and_json_filters(anon):
    r = anon.from_("films").select("title").contains("genres", ["thriller", "drama"]).order("title").execute()
    assert titles(r) == ["Parasite", "The Hurt Locker"]
    r = (
        anon.from_("films")
        .select("title, metadata->>original_title")
        .eq("metadata->>language", "ko")
        .order("year")
        .execute()
    )
    assert r.data == [
        {"title": "Memories of Murder", "original_title": "살인의 추억"},
        {"title": "Parasite", "original_title": "기생충"},
    ]


def test_embedded_filter_keeps_parents_without_matches(anon):
    r = anon.from_("directors").select("name, films(title)").gte("films.year", 2020).order("name").execute()
    assert r.data == [
        {"name": "Bong Joon-ho", "films": []},
        {"name": "Christopher Nolan", "films": [{"title": "Oppenheimer"}]},
        {"name": "Denis Villeneuve", "films": [{"title": "Dune"}]},
        {"name": "Greta Gerwig", "films": [{"title": "Barbie"}]},
        {"name": "Hayao Miyazaki", "films": []},
        {"name": "Kathryn Bigelow", "films": []},
    ]


def test_text_search(anon):
    r = (
        anon.from_("films")
        .select("title")
        .text_search("title", "spirited away", {"type": "plain", "config": "english"})
        .execute()
    )
    assert titles(r) == ["Spirited Away"]
    r = anon.from_("films").select("title").fts("title", "murder | memento").order("title").execute()
    assert titles(r) == ["Memento", "Memories of Murder"]
    r = anon.from_("films").select("title").wfts("title", "neighbor -spirited").execute()
    assert titles(r) == ["My Neighbor Totoro"]


def test_view(anon):
    r = (
        anon.from_("film_summaries")
        .select("title, director, review_count, average_stars")
        .gte("review_count", 2)
        .order("title")
        .execute()
    )
    assert r.data == [
        {"title": "Inception", "director": "Christopher Nolan", "review_count": 2, "average_stars": 3.5},
        {"title": "Parasite", "director": "Bong Joon-ho", "review_count": 2, "average_stars": 5.0},
    ]


def test_strip_nulls(anon):
    r = (
        anon.from_("films")
        .select("title, rated, box_office")
        .in_("title", ["Memento", "Memories of Murder"])
        .order("title")
        .strip_nulls()
        .execute()
    )
    assert r.data == [
        {"title": "Memento", "rated": "R", "box_office": 40000000.00},
        {"title": "Memories of Murder"},
    ]


# -- order, range, limit, counts ----------------------------------------------------------------------


def test_order_desc_nulls_first_then_title(anon):
    r = (
        anon.from_("films")
        .select("title, box_office")
        .order("box_office", desc=True, nullsfirst=True)
        .order("title")
        .limit(3)
        .execute()
    )
    assert r.data == [
        {"title": "Memories of Murder", "box_office": None},
        {"title": "My Neighbor Totoro", "box_office": None},
        {"title": "Barbie", "box_office": 1446000000.00},
    ]


def test_range_with_exact_count(anon):
    r = anon.from_("actors").select("name", count="exact").order("name").range(4, 6).execute()
    assert r.data == [{"name": "Emily Blunt"}, {"name": "Guy Pearce"}, {"name": "Jeremy Renner"}]
    assert r.count == ALL_ACTORS


def test_limit_and_offset_with_exact_count(anon):
    r = (
        anon.from_("actors")
        .select("name", count="exact")
        .order("name", desc=True)
        .limit(2)
        .offset(1)
        .execute()
    )
    assert r.data == [{"name": "Timothée Chalamet"}, {"name": "Song Kang-ho"}]
    assert r.count == ALL_ACTORS


def test_exact_count_with_a_filter_and_head(anon):
    r = anon.from_("films").select("*", count="exact", head=True).gte("year", 2020).execute()
    assert r.data == []
    assert r.count == 3


def test_exact_count_follows_row_level_security(anon, alice):
    assert anon.from_("reviews").select("id", count="exact").limit(1).execute().count == PUBLISHED_REVIEWS
    r = (
        alice.from_("reviews")
        .select("author, published", count="exact")
        .eq("author", "alice")
        .order("published")
        .execute()
    )
    assert r.count == 4
    assert r.data == [{"author": "alice", "published": False}] + [{"author": "alice", "published": True}] * 3


# -- single and maybe_single -------------------------------------------------------------------------


def test_single(anon):
    r = anon.from_("films").select("title, year, directors(name)").eq("title", "Parasite").single().execute()
    assert r.data == {"title": "Parasite", "year": 2019, "directors": {"name": "Bong Joon-ho"}}


def test_single_with_many_rows_is_pgrst116(anon):
    with pytest.raises(APIError) as excinfo:
        anon.from_("films").select("title").single().execute()
    assert error_of(excinfo) == {
        "code": "PGRST116",
        "message": "Cannot coerce the result to a single JSON object",
        "details": f"The result contains {ALL_FILMS} rows",
        "hint": None,
    }


def test_single_with_no_rows_is_pgrst116(anon):
    with pytest.raises(APIError) as excinfo:
        anon.from_("films").select("title").eq("title", "Nope").single().execute()
    assert error_of(excinfo) == {
        "code": "PGRST116",
        "message": "Cannot coerce the result to a single JSON object",
        "details": "The result contains 0 rows",
        "hint": None,
    }


def test_maybe_single(anon):
    assert anon.from_("films").select("title").eq("title", "Nope").maybe_single().execute() is None
    r = anon.from_("films").select("title, year").eq("title", "Dune").maybe_single().execute()
    assert r.data == {"title": "Dune", "year": 2021}


# -- writes, returning the rows --------------------------------------------------------------------


def test_insert_returning_selected_columns(alice, api, cleanup):
    r = (
        alice.from_("actors")
        .insert({"name": "Test Actor One", "born": "2001-02-03"})
        .select("name, born")
        .execute()
    )
    assert r.data == [{"name": "Test Actor One", "born": "2001-02-03"}]
    assert api.sql("SELECT name, born::text FROM api.actors WHERE name = 'Test Actor One'") == [
        ("Test Actor One", "2001-02-03")
    ]


def test_bulk_insert_with_count_fills_missing_columns_with_null(alice, cleanup):
    r = (
        alice.from_("actors")
        .insert([{"name": "Test Actor B"}, {"name": "Test Actor C", "born": "1999-12-31"}], count="exact")
        .select("name, born")
        .execute()
    )
    assert r.data == [{"name": "Test Actor B", "born": None}, {"name": "Test Actor C", "born": "1999-12-31"}]
    assert r.count == 2


def test_insert_single_row(alice, cleanup):
    r = alice.from_("actors").insert({"name": "Test Single"}).select("name, born").single().execute()
    assert r.data == {"name": "Test Single", "born": None}


def test_upsert_merges_on_a_unique_column(alice, anon, cleanup):
    alice.from_("actors").insert({"name": "Test Upsert", "born": "1980-01-01"}).execute()
    r = (
        alice.from_("actors")
        .upsert(
            [
                {"name": "Test Upsert", "born": "1981-01-01"},
                {"name": "Test Upsert New", "born": "1982-01-01"},
            ],
            on_conflict="name",
        )
        .select("name, born")
        .execute()
    )
    assert r.data == [
        {"name": "Test Upsert", "born": "1981-01-01"},
        {"name": "Test Upsert New", "born": "1982-01-01"},
    ]
    r = anon.from_("actors").select("name", count="exact").like("name", "Test Upsert*").execute()
    assert r.count == 2


def test_upsert_ignoring_duplicates_returns_only_new_rows(alice, cleanup):
    alice.from_("actors").insert({"name": "Test Ignored", "born": "1980-01-01"}).execute()
    r = (
        alice.from_("actors")
        .upsert(
            [{"name": "Test Ignored", "born": "1990-01-01"}, {"name": "Test Fresh", "born": "1991-01-01"}],
            on_conflict="name",
            ignore_duplicates=True,
        )
        .select("name, born")
        .execute()
    )
    assert r.data == [{"name": "Test Fresh", "born": "1991-01-01"}]
    r = alice.from_("actors").select("born").eq("name", "Test Ignored").single().execute()
    assert r.data == {"born": "1980-01-01"}


def test_update_returning_rows(alice, cleanup):
    alice.from_("actors").insert([{"name": "Test U1"}, {"name": "Test U2"}, {"name": "Test Other"}]).execute()
    r = (
        alice.from_("actors")
        .update({"born": "2000-01-01"}, count="exact")
        .like("name", "Test U*")
        .select("name, born")
        .order("name")
        .execute()
    )
    assert r.data == [{"name": "Test U1", "born": "2000-01-01"}, {"name": "Test U2", "born": "2000-01-01"}]
    assert r.count == 2


def test_delete_returning_rows(alice, anon, cleanup):
    alice.from_("actors").insert([{"name": "Test D1", "born": "1970-01-01"}, {"name": "Test D2"}]).execute()
    r = (
        alice.from_("actors")
        .delete(count="exact")
        .like("name", "Test D*")
        .select("name, born")
        .order("name")
        .execute()
    )
    assert r.data == [{"name": "Test D1", "born": "1970-01-01"}, {"name": "Test D2", "born": None}]
    assert r.count == 2
    assert anon.from_("actors").select("*", count="exact", head=True).execute().count == ALL_ACTORS


def test_insert_with_embedded_return_and_row_level_security(alice, bob, anon, cleanup):
    barbie = film_id(anon, "Barbie")
    r = (
        alice.from_("reviews")
        .insert({"film_id": barbie, "stars": 4, "body": "Second viewing done.", "published": False})
        .select("author, stars, published, films(title)")
        .execute()
    )
    assert r.data == [{"author": "alice", "stars": 4, "published": False, "films": {"title": "Barbie"}}]
    # A draft: its author reads it, nobody else does.
    query = "body"
    assert alice.from_("reviews").select(query).eq("body", "Second viewing done.").execute().data == [
        {"body": "Second viewing done."}
    ]
    assert bob.from_("reviews").select(query).eq("body", "Second viewing done.").execute().data == []
    assert anon.from_("reviews").select(query).eq("body", "Second viewing done.").execute().data == []
    # Bob can neither change nor delete it: no row matches for him.
    assert bob.from_("reviews").update({"stars": 1}).eq("body", "Second viewing done.").execute().data == []
    assert bob.from_("reviews").delete().eq("body", "Second viewing done.").execute().data == []
    r = (
        alice.from_("reviews")
        .update({"published": True})
        .eq("body", "Second viewing done.")
        .select("author, published")
        .execute()
    )
    assert r.data == [{"author": "alice", "published": True}]
    assert anon.from_("reviews").select("author").eq("body", "Second viewing done.").execute().data == [
        {"author": "alice"}
    ]


def test_bulk_insert_with_missing_default(alice, cleanup):
    rows = [
        {"film_id": 1, "stars": 2, "body": "Test default published"},
        {"film_id": 1, "stars": 3, "body": "Test explicit published", "published": True},
    ]
    # Missing keys are null by default (the request's columns are the union of the rows' keys) ...
    with pytest.raises(APIError) as excinfo:
        alice.from_("reviews").insert(rows).execute()
    assert error_of(excinfo) == {
        "code": "23502",
        "message": 'null value in column "published" of relation "reviews" violates not-null constraint',
        # PostgreSQL leaves the failing row out of the detail on a table with row-level security.
        "details": None,
        "hint": None,
    }
    # ... and take the column's default with default_to_null=False (Prefer: missing=default).
    r = (
        alice.from_("reviews")
        .insert(rows, default_to_null=False)
        .select("author, stars, published")
        .order("stars")
        .execute()
    )
    assert r.data == [
        {"author": "alice", "stars": 2, "published": False},
        {"author": "alice", "stars": 3, "published": True},
    ]


def test_max_affected(alice, cleanup):
    alice.from_("actors").insert([{"name": "Test M1"}, {"name": "Test M2"}]).execute()
    with pytest.raises(APIError) as excinfo:
        alice.from_("actors").update({"born": "2000-01-01"}).like("name", "Test M*").max_affected(1).execute()
    assert error_of(excinfo) == {
        "code": "PGRST124",
        "message": "Query result exceeds max-affected preference constraint",
        "details": "The query affects 2 rows",
        "hint": None,
    }
    r = alice.from_("actors").select("name, born").like("name", "Test M*").order("name").execute()
    assert r.data == [{"name": "Test M1", "born": None}, {"name": "Test M2", "born": None}]
    r = (
        alice.from_("actors")
        .update({"born": "2000-01-01"})
        .eq("name", "Test M1")
        .max_affected(1)
        .select("name, born")
        .execute()
    )
    assert r.data == [{"name": "Test M1", "born": "2000-01-01"}]


# -- RPC ---------------------------------------------------------------------------------------------


def test_rpc_scalar_by_post_and_get(anon):
    assert anon.rpc("add", {"a": 1, "b": 2}).execute().data == 3
    assert anon.rpc("add", {"a": 40, "b": 2}, get=True).execute().data == 42


def test_rpc_set_with_select_filter_order(anon):
    r = anon.rpc("films_by_year", {"year": 2023}).select("title, year").order("title", desc=True).execute()
    assert r.data == [{"title": "Oppenheimer", "year": 2023}, {"title": "Barbie", "year": 2023}]
    r = anon.rpc("films_by_year", {"year": 2023}, get=True).select("title").eq("title", "Barbie").execute()
    assert r.data == [{"title": "Barbie"}]


def test_rpc_with_exact_count_and_embed(anon):
    r = (
        anon.rpc("films_by_year", {"year": 2023}, count="exact")
        .select("title, directors(name)")
        .order("title")
        .limit(1)
        .execute()
    )
    assert r.data == [{"title": "Barbie", "directors": {"name": "Greta Gerwig"}}]
    assert r.count == 2


def test_rpc_single(anon):
    r = anon.rpc("films_by_year", {"year": 2016}, get=True).select("title").single().execute()
    assert r.data == {"title": "Arrival"}


# -- CSV and explain --------------------------------------------------------------------------------


def test_csv(anon):
    r = anon.from_("films").select("title, year").lte("year", 2001).order("year").csv().execute()
    assert r.data == 'title,year\n"My Neighbor Totoro",1988\nMemento,2000\n"Spirited Away",2001'
    r = anon.from_("films").select("title, rated").is_("box_office", None).order("title").csv().execute()
    assert r.data == 'title,rated\n"Memories of Murder",\n"My Neighbor Totoro",G'


def test_explain_text(anon):
    plan = anon.from_("films").select("title").eq("title", "Dune").explain().execute()
    assert isinstance(plan, str)
    first = plan.splitlines()[0]
    assert first.startswith("Aggregate  (cost="), plan
    assert " on films" in plan, plan


def _nodes(plan: dict) -> list[dict]:
    return [plan] + [n for child in plan.get("Plans", []) for n in _nodes(child)]


def test_explain_json_with_analyze(anon):
    r = anon.from_("films").select("title").eq("title", "Dune").explain(analyze=True, format="json").execute()
    assert isinstance(r.data, list) and len(r.data) == 1, r.data
    top = r.data[0]["Plan"]
    assert top["Node Type"] == "Aggregate"
    assert top["Actual Rows"] == 1 and top["Actual Loops"] == 1
    scans = [n for n in _nodes(top) if n.get("Relation Name") == "films"]
    assert len(scans) == 1 and scans[0]["Actual Rows"] == 1, json.dumps(r.data)


# -- error objects ----------------------------------------------------------------------------------


def test_missing_table_is_pgrst205(anon):
    with pytest.raises(APIError) as excinfo:
        anon.from_("nope").select("*").execute()
    assert error_of(excinfo) == {
        "code": "PGRST205",
        "message": "Could not find the table 'api.nope' in the schema cache",
        "details": None,
        "hint": None,
    }


def test_misspelled_table_is_pgrst205_with_a_hint(anon):
    with pytest.raises(APIError) as excinfo:
        anon.from_("film").select("*").execute()
    assert error_of(excinfo) == {
        "code": "PGRST205",
        "message": "Could not find the table 'api.film' in the schema cache",
        "details": None,
        "hint": "Perhaps you meant the table 'api.films'",
    }


def test_unique_violation_is_23505(alice):
    with pytest.raises(APIError) as excinfo:
        alice.from_("actors").insert({"name": "Guy Pearce"}).execute()
    assert error_of(excinfo) == {
        "code": "23505",
        "message": 'duplicate key value violates unique constraint "actors_name_key"',
        "details": "Key (name)=(Guy Pearce) already exists.",
        "hint": None,
    }


def test_foreign_key_violation_is_23503(alice):
    with pytest.raises(APIError) as excinfo:
        alice.from_("roles").insert({"film_id": 999, "actor_id": 1, "character": "Nobody"}).execute()
    assert error_of(excinfo) == {
        "code": "23503",
        "message": 'insert or update on table "roles" violates foreign key constraint "roles_film_id_fkey"',
        "details": 'Key (film_id)=(999) is not present in table "films".',
        "hint": None,
    }


def test_check_violation_is_23514(alice):
    with pytest.raises(APIError) as excinfo:
        alice.from_("actors").insert({"name": "", "born": "2000-01-01"}).execute()
    err = error_of(excinfo)
    assert err["code"] == "23514"
    assert err["message"] == 'new row for relation "actors" violates check constraint "actors_name_check"'
    assert re.fullmatch(r"Failing row contains \(\d+, , 2000-01-01\)\.", err["details"]), err["details"]
    assert err["hint"] is None


def test_anonymous_write_is_42501(anon):
    with pytest.raises(APIError) as excinfo:
        anon.from_("actors").insert({"name": "Test Anonymous"}).execute()
    assert error_of(excinfo) == {
        "code": "42501",
        "message": "permission denied for table actors",
        "details": None,
        "hint": None,
    }


def test_write_without_the_privilege_is_42501(alice):
    with pytest.raises(APIError) as excinfo:
        alice.from_("films").insert({"title": "Test Film", "year": 2000, "director_id": 1}).execute()
    assert error_of(excinfo) == {
        "code": "42501",
        "message": "permission denied for table films",
        "details": None,
        "hint": None,
    }


def test_expired_jwt_is_pgrst303(api):
    with _client(api, api.token("alice", expires_in=-60)) as expired, pytest.raises(APIError) as excinfo:
        expired.from_("films").select("title").execute()
    assert error_of(excinfo) == {"code": "PGRST303", "message": "JWT expired", "details": None, "hint": None}


def test_schema_not_exposed_is_pgrst106(api):
    with SyncPostgrestClient(api.url, schema="public") as public, pytest.raises(APIError) as excinfo:
        public.from_("films").select("title").execute()
    assert error_of(excinfo) == {
        "code": "PGRST106",
        "message": "Invalid schema: public",
        "details": None,
        "hint": "Only the following schemas are exposed: api",
    }


def test_unknown_column_in_payload_is_pgrst204(alice):
    with pytest.raises(APIError) as excinfo:
        alice.from_("actors").insert({"nam": "Test Typo"}).execute()
    assert error_of(excinfo) == {
        "code": "PGRST204",
        "message": "Could not find the 'nam' column of 'actors' in the schema cache",
        "details": None,
        "hint": None,
    }


def test_unknown_embed_is_pgrst200(anon):
    with pytest.raises(APIError) as excinfo:
        anon.from_("films").select("title, actor(name)").execute()
    assert error_of(excinfo) == {
        "code": "PGRST200",
        "message": "Could not find a relationship between 'films' and 'actor' in the schema cache",
        "details": "Searched for a foreign key relationship between 'films' and 'actor' in the schema 'api', "
        "but no matches were found.",
        "hint": "Perhaps you meant 'actors' instead of 'actor'.",
    }


def test_rpc_with_unknown_arguments_is_pgrst202(anon):
    with pytest.raises(APIError) as excinfo:
        anon.rpc("add", {"a": 1, "c": 2}).execute()
    assert error_of(excinfo) == {
        "code": "PGRST202",
        "message": "Could not find the function api.add(a, c) in the schema cache",
        "details": "Searched for the function api.add with parameters a, c or with a single unnamed json/jsonb "
        "parameter, but no matches were found in the schema cache.",
        "hint": "Perhaps you meant to call the function api.add(a, b)",
    }
