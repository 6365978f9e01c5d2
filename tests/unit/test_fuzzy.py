"""pgrestd.fuzzy against the suggestions PostgREST gives.

Expected answers come from PostgREST itself: the doctests of Error.hs
(noRelBetweenHint, noRpcHint) and the conformance cases that show a
"Perhaps you meant" hint (ErrorSpec, QuerySpec, RpcSpec), with the names of
PostgREST's test fixture.
"""

from __future__ import annotations

import pytest

from pgrestd.fuzzy import DEFAULT_MIN_SCORE, NAME_HINT_MIN_SCORE, closest, matches

# Relations of the conformance fixture's ``test`` schema near the ones asked for.
TABLES = ["projects", "projects_view", "projects_view_alt", "project_invoices", "clients", "tasks",
          "items", "items2", "complex_items", "compound_projects", "entities", "users_projects"]
# Functions of the conformance fixture's ``test`` schema (unnamed_int_param takes an
# unnamed int, so it is not callable and not in the schema cache).
FUNCTIONS = ["sayhello", "sayhello_variadic", "overloaded", "overloaded_default", "overloaded_html_form",
             "overloaded_same_args", "overloaded_unnamed_param", "overloaded_unnamed_json_jsonb_param",
             "unnamed_bytea_param", "unnamed_json_param", "unnamed_text_param", "unnamed_xml_param",
             "getallprojects", "getproject", "get_projects_below"]


def test_the_settings_postgrest_uses():
    assert DEFAULT_MIN_SCORE == 0.33  # Fuzzy.get / Fuzzy.getOne
    assert NAME_HINT_MIN_SCORE == 0.75  # Error.getFuzzyHint for tables and functions


# -- PGRST205, Error.tableNotFoundHint (ErrorSpec "show hint on PGRST205 table not found error")


@pytest.mark.parametrize("name, hint", [
    ("projectx", "projects"),
    ("projecxx", "projects"),  # "show hint when similarity score is at least 75%": exactly 0.75
    ("projxxxx", None),  # "don't show hint when similarity score is less than 75%"
])
def test_table_hint(name, hint):
    assert closest(TABLES, name, NAME_HINT_MIN_SCORE) == hint


def test_the_table_hint_threshold_is_inclusive():
    assert matches(["projects"], "projecxx", NAME_HINT_MIN_SCORE) == [(0.75, "projects")]


# -- PGRST202, Error.noRpcHint ---------------------------------------------------------


@pytest.mark.parametrize("name, hint", [
    ("sayhell", "sayhello"),  # RpcSpec "hint the closest proc on unknown proc name"
    ("unnamed_int_param", "unnamed_text_param"),  # RpcSpec single unnamed json parameter
    ("noclosealternative", None),
])
def test_function_name_hint(name, hint):
    assert closest(FUNCTIONS, name, NAME_HINT_MIN_SCORE) == hint


@pytest.mark.parametrize("candidates, query, hint", [
    # Error.hs doctests: procs test, another (api) and other (private).
    (["test", "another"], "testt", "test"),
    (["test", "another"], "other", None),
    (["test", "another"], "noclosealternative", None),
])
def test_function_name_hint_doctests(candidates, query, hint):
    assert closest(candidates, query, NAME_HINT_MIN_SCORE) == hint


@pytest.mark.parametrize("lists, query, hint", [
    # Error.hs doctests: overloads (name, param, val) and (attr, id).
    (["(name, param, val)", "(attr, id)"], "(nam, pqaram, vall)", "(name, param, val)"),
    (["(name, param, val)", "(attr, id)"], "(param, val)", "(name, param, val)"),
    (["(name, param, val)", "(attr, id)"], "(attrs, id)", "(attr, id)"),
    (["(name, param, val)", "(attr, id)"], "(id)", "(attr, id)"),
    (["(name, param, val)", "(attr, id)"], "(noclosealternative)", None),
    # RpcSpec: sayhello(name) called with nam.
    (["(name)"], "(nam)", "(name)"),
    # RpcSpec: test.overloaded has (), (json) unnamed, (a, b) and (a, b, c).
    (["()", "()", "(a, b)", "(a, b, c)"], "(a, b, wrong_arg)", "(a, b, c)"),
    (["()", "()", "(a, b)", "(a, b, c)"], "(wrong_arg)", None),
    # RpcSpec: overloaded_unnamed_param (json), (bytea), (text), () and (x, y), called as text/csv with a, b.
    (["()", "()", "()", "()", "(x, y)"], "(a, b)", "(x, y)"),
])
def test_parameter_list_hint(lists, query, hint):
    assert closest(lists, query, DEFAULT_MIN_SCORE) == hint
    assert closest(lists, query) == hint  # Fuzzy.getOne's default


# -- PGRST200, Error.noRelBetweenHint --------------------------------------------------


def test_relationship_hint_doctests():
    children = ["directors", "roles", "actors"]  # the foreign tables of films' relationships
    assert closest(["films"], "film") == "films"  # parent suggestion
    assert closest(children, "role") == "roles"  # child suggestion
    assert closest(["films"], "noclosealternative") is None
    assert closest(children, "noclosealternative") is None


def test_a_known_child_scores_one_and_alone():
    # noRelBetweenHint drops a score of 1.0: the child exists, the embed hint is wrong.
    assert matches(["directors", "roles", "actors"], "actors") == [(1.0, "actors")]
    assert matches(["directors", "roles", "actors"], "ACTORS") == [(1.0, "actors")]


def test_partition_names_suggest_their_partitioned_table():
    # QuerySpec "cannot request partitions as children from a partitioned table":
    # the relationships of car_models lead to these relations.
    children = ["car_brands", "car_model_sales", "car_racers", "car_dealers", "car_models_car_dealers"]
    assert matches(children, "car_model_sales_202101")[0][1] == "car_model_sales"
    # ... "cannot request a partition as parent from a partitioned table".
    assert closest(["car_models"], "car_models_default") == "car_models"


# -- Data.FuzzySet itself ---------------------------------------------------------------


def test_exact_match_is_case_insensitive_and_keeps_the_first_spelling():
    assert matches(["Projects", "projects"], "PROJECTS") == [(1.0, "Projects")]
    assert closest(["Projects"], "projectx", NAME_HINT_MIN_SCORE) == "Projects"


def test_results_are_best_first_and_above_the_minimum():
    found = matches(["car_brands", "car_model_sales", "car_racers"], "car_model_sales_202101")
    scores = [score for score, _ in found]
    assert scores == sorted(scores, reverse=True)
    assert all(score >= DEFAULT_MIN_SCORE for score in scores)


def test_scores_are_levenshtein_similarity():
    # 1 - distance / longer length: "sayhell" is one insertion from "sayhello" (8 letters).
    assert matches(["sayhello"], "sayhell", 0) == [(1 - 1 / 8, "sayhello")]


def test_punctuation_only_counts_for_levenshtein():
    # Grams drop everything but letters, digits, spaces and commas, so "a_b" and
    # "ab" share all their grams; Levenshtein still sees the underscore.
    assert matches(["ab"], "a_b", 0) == [(pytest.approx(2 / 3), "ab")]


def test_no_shared_gram_is_no_match():
    assert matches(["xyz"], "abc", 0) == []
    assert closest([], "abc") is None
