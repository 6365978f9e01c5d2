"""Tests for pgrestd.catalog.cache_policy: the Cache-Control line of a comment, combining, inferring."""

from __future__ import annotations

import logging

import orjson
import pytest

from pgrestd.catalog import build_catalog, dump_catalog
from pgrestd.catalog.cache_policy import (
    MAX_SECONDS,
    CachePolicy,
    DirectiveError,
    TableActivity,
    combine_policies,
    declared_policy,
    infer_policy,
    inferred_max_age,
    parse_cache_control,
    without_policy,
)
from tests.unit.catalog.test_relationships import function, table

# -- the directive's syntax -------------------------------------------------------------------


@pytest.mark.parametrize(("value", "directives"), [
    ("public, max-age=60", (("public", None), ("max-age", 60))),
    ("MAX-AGE=60,Public", (("public", None), ("max-age", 60))),  # any case, pgrestd's order
    ("max-age=\"30\", , stale-while-revalidate=5,", (("max-age", 30), ("stale-while-revalidate", 5))),
    ("no-store", (("no-store", None),)),
    ("private, no-cache, must-revalidate, s-maxage=0, immutable, no-transform, proxy-revalidate, stale-if-error=1",
     (("private", None), ("no-cache", None), ("s-maxage", 0), ("must-revalidate", None), ("proxy-revalidate", None),
      ("no-transform", None), ("immutable", None), ("stale-if-error", 1))),
])
def test_valid_directives(value, directives):
    assert parse_cache_control(value) == directives


@pytest.mark.parametrize(("value", "problem"), [
    ("max_age=60", "unknown directive 'max_age=60', perhaps 'max-age'"),
    ("max-age", "max-age needs a number of seconds, as in max-age=60"),
    ("max-age=1m", "max-age needs a number of seconds"),
    ("max-age=-1", "max-age needs a number of seconds"),
    ("max-age=60, max-age=30", "max-age is given twice"),
    ("public=yes", "public takes no value"),
    ('private="Set-Cookie"', "private takes no value"),
    ("public, private", "public and private contradict each other"),
    (" , ", "no directive"),
    (f"max-age={MAX_SECONDS + 1}", f"is more than {MAX_SECONDS} seconds"),
])
def test_invalid_directives(value, problem):
    with pytest.raises(DirectiveError, match=problem.replace("(", r"\(")):
        parse_cache_control(value)


def test_the_line_leaves_the_description():
    comment = "Feature films.\n\nThe whole catalogue.\nCache-Control: public, max-age=60\n"
    description, policy = declared_policy(comment, "COMMENT ON TABLE api.films")
    assert description == "Feature films.\n\nThe whole catalogue."
    assert policy == CachePolicy((("public", None), ("max-age", 60)), "declared in COMMENT ON TABLE api.films")
    assert policy.anonymous == policy.authenticated == "public, max-age=60"


def test_the_line_may_stand_first_or_alone_in_any_case():
    assert declared_policy("  cache-control :max-age=5\nSummary", "x")[0] == "Summary"
    description, policy = declared_policy("Cache-Control: max-age=5", "x")
    assert description is None and policy is not None and policy.anonymous == "max-age=5"


def test_comments_without_the_line_are_untouched():
    for comment in (None, "Films.", "Films.\nThey have a Cache-Control: header", "", "\n"):
        assert declared_policy(comment, "x") == (comment, None)


def test_descriptions_read_elsewhere_lose_the_line_the_same_way():
    assert without_policy("Headline.\nCache-Control: max-age=5") == "Headline."
    assert without_policy("Headline.\nCache-Control: max_age=5") == "Headline.\nCache-Control: max_age=5"
    assert without_policy(None) is None


def test_two_lines_are_an_error():
    with pytest.raises(DirectiveError, match="more than one"):
        declared_policy("Cache-Control: max-age=5\nCache-Control: no-store", "x")


def test_authenticated_reads_are_private_unless_the_policy_says_who_stores():
    assert _policy("max-age=60").authenticated == "private, max-age=60"
    assert _policy("max-age=60, s-maxage=600").authenticated == "private, max-age=60, s-maxage=600"
    for says in ("public, max-age=60", "private, max-age=60", "no-store"):
        assert _policy(says).authenticated == _policy(says).anonymous == says
    assert _policy("max-age=60").header(False) == "max-age=60"
    assert _policy("max-age=60").header(True) == "private, max-age=60"


# -- combining the relations of one read ------------------------------------------------------


def _policy(value: str) -> CachePolicy:
    return CachePolicy(parse_cache_control(value), value)


@pytest.mark.parametrize(("values", "combined"), [
    (("public, max-age=60", "public, max-age=300"), "public, max-age=60"),
    (("public, max-age=60", "max-age=300"), "max-age=60"),  # public only when all say it
    (("max-age=60", "private, max-age=300"), "private, max-age=60"),
    (("max-age=60", "no-cache"), "no-cache, max-age=60"),
    (("public, max-age=60, immutable", "no-store, max-age=600"), "no-store"),
    (("max-age=60", "max-age=600, s-maxage=600"), "max-age=60, s-maxage=60"),  # shared: 60 is the shortest
    (("max-age=60, s-maxage=30", "max-age=10"), "max-age=10, s-maxage=10"),
    (("max-age=60, stale-while-revalidate=30", "max-age=60"), "max-age=60"),
    (("max-age=60, stale-while-revalidate=30", "max-age=60, stale-while-revalidate=5"),
     "max-age=60, stale-while-revalidate=5"),
    (("max-age=60, must-revalidate", "max-age=60, immutable"), "max-age=60, must-revalidate"),
])
def test_the_most_restrictive_policy_wins(values, combined):
    assert combine_policies([_policy(v) for v in values]).anonymous == combined
    assert combine_policies([_policy(v) for v in reversed(values)]).anonymous == combined


def test_one_policy_combines_to_itself():
    p = _policy("max-age=60")
    assert combine_policies([p, p, p]) is p


# -- inferring from statistics ----------------------------------------------------------------


@pytest.mark.parametrize(("writes", "reads", "max_age"), [
    (0, 0, 60),  # nothing known: never written
    (0, 5000, 60),
    (1, 999, 59),  # write share 0.1 %: 60 × 0.99 = 59.4
    (5, 95, 30),  # 5 %: half the cap
    (10, 90, 0),  # 10 %: no-cache
    (500, 10, 0),
])
def test_inferred_max_age(writes, reads, max_age):
    assert inferred_max_age(TableActivity("api", "t", writes, reads), 60) == max_age


def test_inferred_policy_explains_itself():
    cold = infer_policy([TableActivity("api", "cold", 0, 1234)], 120)
    assert cold is not None and cold.inferred and cold.anonymous == "max-age=120"
    assert cold.reason == ("inferred from the statistics: 0 writes and 1234 reads since the statistics were "
                           "reset, a write share of 0.0%; max-age = 120 × (1 − 0.0% / 10%) = 120")
    hot = infer_policy([TableActivity("api", "hot", 900, 100)], 120)
    assert hot is not None and hot.anonymous == "no-cache" and hot.authenticated == "private, no-cache"
    assert hot.reason.endswith("a write share of 90.0%; no-cache from a write share of 10%")


def test_a_view_takes_its_most_written_table():
    view = infer_policy([TableActivity("api", "a", 0, 100), TableActivity("private", "b", 5, 95)], 60, view=True)
    assert view is not None and view.anonymous == "max-age=30"
    assert view.reason.startswith("inferred from the statistics of private.b, the most written of the 2 tables")
    assert infer_policy([], 60) is None


# -- in the catalog -----------------------------------------------------------------------------


def _commented(row: dict, comment: str | None) -> dict:
    return {**row, "description": comment}


def _rows(statistics: list[dict] | None = None) -> dict:
    rows = {
        "tables": [
            _commented(table("api", "films", ["id"], ["id"]), "Feature films.\nCache-Control: public, max-age=60"),
            _commented(table("api", "bad", ["id"]), "Bad.\nCache-Control: max_age=60"),
            table("api", "hot", ["id"]),
            table("api", "cold", ["id"]),
            table("api", "summary", ["id"], kind="v"),
        ],
        "foreign_keys": [],
        "functions": [_commented(function("api", "headline", args=[]), "Headline.\nCache-Control: max-age=5")],
    }
    if statistics is not None:
        rows["cache_statistics"] = statistics
    return rows


def _stats(hot_writes: int) -> list[dict]:
    return [
        {"schema": "api", "name": "cold", "is_view": False, "sources": [["api", "cold", 0, 50]]},
        {"schema": "api", "name": "films", "is_view": False, "sources": [["api", "films", 100, 0]]},
        {"schema": "api", "name": "hot", "is_view": False, "sources": [["api", "hot", hot_writes, 10]]},
        {"schema": "api", "name": "summary", "is_view": True,
         "sources": [["api", "cold", 0, 50], ["api", "hot", hot_writes, 10]]},
    ]


def test_declared_policies_are_in_the_catalog(caplog):
    with caplog.at_level(logging.WARNING, "pgrestd.catalog"):
        catalog = build_catalog(("api",), _rows(), 150000)
    films = catalog.tables[("api", "films")]
    assert films.description == "Feature films."
    assert films.cache_policy is not None and films.cache_policy.anonymous == "public, max-age=60"
    assert catalog.cache_policies == {("api", "films"): films.cache_policy}
    (headline,) = catalog.functions[("api", "headline")]
    assert headline.description == "Headline." and headline.cache_policy.anonymous == "max-age=5"
    # A line that does not validate stays in the comment, and says so.
    assert catalog.tables[("api", "bad")].description == "Bad.\nCache-Control: max_age=60"
    assert ("COMMENT ON TABLE api.bad: the Cache-Control line is ignored: unknown directive 'max_age=60', "
            "perhaps 'max-age'") in caplog.messages


def test_no_directive_and_no_inference_is_no_policy():
    rows = _rows()
    rows["tables"] = [table("api", "films", ["id"])]
    rows["functions"] = []
    catalog = build_catalog(("api",), rows, 150000, infer_max_age=None)
    assert catalog.cache_policies == {}
    assert all(fn.cache_policy is None for overloads in catalog.functions.values() for fn in overloads)
    assert "cache_policy" not in dump_catalog(catalog).decode()


def test_statistics_count_only_with_inference():
    assert ("api", "hot") not in build_catalog(("api",), _rows(_stats(500)), 150000).cache_policies


def test_inference_fills_in_what_comments_do_not_declare():
    catalog = build_catalog(("api",), _rows(_stats(500)), 150000, infer_max_age=120)
    policies = {name: p.anonymous for (_, name), p in catalog.cache_policies.items()}
    # films was written often, but its comment says otherwise and wins.
    assert policies == {"films": "public, max-age=60", "cold": "max-age=120", "hot": "no-cache",
                        "summary": "no-cache"}
    dumped = {t["name"]: t.get("cache_policy") for t in orjson.loads(dump_catalog(catalog))["tables"]}
    assert dumped["cold"] == {"cache_control": "max-age=120", "authenticated": "private, max-age=120",
                              "source": "statistics", "reason": catalog.cache_policies[("api", "cold")].reason}
    assert dumped["films"]["source"] == "comment"
    assert dumped["films"]["reason"] == "declared in COMMENT ON TABLE api.films"
    assert dumped["bad"] is None


def test_statistics_do_not_make_two_loads_differ():
    # The listener compares catalogs to tell whether the schema changed while the database was away.
    quiet = build_catalog(("api",), _rows(_stats(0)), 150000, infer_max_age=120)
    busy = build_catalog(("api",), _rows(_stats(500)), 150000, infer_max_age=120)
    assert quiet.cache_policies != busy.cache_policies
    assert quiet == busy
    # A changed declaration is a schema change.
    rows = _rows(_stats(0))
    rows["tables"][0] = _commented(rows["tables"][0], "Feature films.\nCache-Control: max-age=5")
    assert build_catalog(("api",), rows, 150000, infer_max_age=120) != quiet
