"""Tests for pgrestd.request.preferences: reading Prefer, validating it, echoing Preference-Applied."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgrestd.errors import ApiError, InvalidPreferences
from pgrestd.request.preferences import (
    ACTIONS,
    Action,
    Count,
    Handling,
    Missing,
    Params,
    Preferences,
    Representation,
    Resolution,
    Transaction,
    parse_prefer,
)

# -- parsing (Preferences.hs doctests and more) -----------------------------------


def test_one_header_with_several_preferences() -> None:
    prefs = parse_prefer(
        ["resolution=ignore-duplicates, count=exact, timezone=America/Los_Angeles, max-affected=100"]
    )
    assert prefs == Preferences(
        resolution=Resolution.IGNORE_DUPLICATES,
        count=Count.EXACT,
        timezone="America/Los_Angeles",
        max_affected=100,
    )


def test_several_headers() -> None:
    prefs = parse_prefer(
        [
            "resolution=ignore-duplicates",
            "count=exact",
            "missing=null",
            "handling=lenient",
            "invalid",
            "max-affected=5999",
        ]
    )
    assert prefs == Preferences(
        resolution=Resolution.IGNORE_DUPLICATES,
        count=Count.EXACT,
        missing=Missing.NULL,
        handling=Handling.LENIENT,
        max_affected=5999,
        invalid=("invalid",),
    )


def test_first_occurrence_wins() -> None:
    assert parse_prefer(["tx=commit, tx=rollback"]).tx is Transaction.COMMIT
    assert parse_prefer(["resolution=ignore-duplicates", "resolution=merge-duplicates"]).resolution is (
        Resolution.IGNORE_DUPLICATES
    )
    assert parse_prefer(["timezone=UTC, timezone=America/Lima"]).timezone == "UTC"
    assert parse_prefer(["max-affected=1", "max-affected=2"]).max_affected == 1
    # Only the first max-affected counts, even when it cannot be read.
    assert parse_prefer(["max-affected=x, max-affected=2"]).max_affected is None


def test_whitespace_and_unknown_items() -> None:
    prefs = parse_prefer(
        ["count=exact,    tx=commit   ,return=representation , missing=default, handling=strict, anything"]
    )
    assert prefs == Preferences(
        representation=Representation.FULL,
        count=Count.EXACT,
        tx=Transaction.COMMIT,
        missing=Missing.DEFAULT,
        handling=Handling.STRICT,
        invalid=("anything",),
    )
    assert parse_prefer(["\tcount=planned\xa0"]).count is Count.PLANNED


@pytest.mark.parametrize(
    ("item", "field", "value"),
    [
        ("return=representation", "representation", Representation.FULL),
        ("return=minimal", "representation", Representation.MINIMAL),
        ("return=headers-only", "representation", Representation.HEADERS_ONLY),
        ("count=exact", "count", Count.EXACT),
        ("count=planned", "count", Count.PLANNED),
        ("count=estimated", "count", Count.ESTIMATED),
        ("resolution=merge-duplicates", "resolution", Resolution.MERGE_DUPLICATES),
        ("resolution=ignore-duplicates", "resolution", Resolution.IGNORE_DUPLICATES),
        ("missing=default", "missing", Missing.DEFAULT),
        ("missing=null", "missing", Missing.NULL),
        ("handling=strict", "handling", Handling.STRICT),
        ("handling=lenient", "handling", Handling.LENIENT),
        ("tx=commit", "tx", Transaction.COMMIT),
        ("tx=rollback", "tx", Transaction.ROLLBACK),
        ("timezone=America/Los_Angeles", "timezone", "America/Los_Angeles"),
        ("timezone=-4", "timezone", "-4"),
        ("timezone=Invalid/Timezone", "timezone", "Invalid/Timezone"),  # PostgreSQL rejects it (22023)
        ("timezone=", "timezone", ""),
        ("max-affected=10", "max_affected", 10),
        ("max-affected=0", "max_affected", 0),
        ("max-affected=-1", "max_affected", -1),
        ("max-affected=0x10", "max_affected", 16),
        ("max-affected=9223372036854775808", "max_affected", -9223372036854775808),  # Int64 wraps
    ],
)
def test_each_recognised_preference(item: str, field: str, value: object) -> None:
    prefs = parse_prefer([item])
    assert getattr(prefs, field) == value
    assert prefs.invalid == ()


@pytest.mark.parametrize(
    "header",
    [
        "count=none",
        "COUNT=EXACT",
        "count = exact",
        "return=representation;foo",
        "Return=minimal",
        "handling",
        "strict",
        "something",
        "params=multiple-objects",
        "params=single-object",  # gone since PostgREST 13
        "tz=UTC",
    ],
)
def test_unrecognised_preferences_are_invalid(header: str) -> None:
    prefs = parse_prefer([header])
    assert prefs.invalid == (header,)
    assert prefs == Preferences(invalid=(header,))


def test_unreadable_max_affected_is_ignored_not_invalid() -> None:
    for header in ("max-affected=abc", "max-affected=", "max-affected=1.5", "max-affected=+3"):
        assert parse_prefer([header]) == Preferences()


def test_empty_items_are_reported() -> None:
    # ByteString.split ',' keeps empty items between and after commas ...
    assert parse_prefer(["count=exact,"]).invalid == ("",)
    assert parse_prefer(["a,,b"]).invalid == ("a", "", "b")
    assert parse_prefer([" , "]).invalid == ("", "")
    # ... but an empty header yields none.
    assert parse_prefer([""]) == Preferences()
    assert parse_prefer([]) == Preferences()


def test_invalid_items_keep_order_and_duplicates() -> None:
    assert parse_prefer(["handling=strict", "something, else, something"]).invalid == (
        "something",
        "else",
        "something",
    )


def test_tx_needs_db_tx_end_override() -> None:
    prefs = parse_prefer(["tx=rollback"], allow_tx_override=False)
    assert prefs.tx is None
    assert prefs.invalid == ()  # recognised, just not honoured


def test_legacy_params_single_object() -> None:
    prefs = parse_prefer(["params=single-object, count=exact"], legacy_params=True)
    assert prefs.params is Params.SINGLE_OBJECT
    assert prefs.invalid == ()
    assert prefs.applied_for("call") == "params=single-object, count=exact"
    assert prefs.applied_for("read") == "count=exact"
    assert parse_prefer(["params=multiple-objects"], legacy_params=True).invalid == (
        "params=multiple-objects",
    )


def test_count_helpers() -> None:
    assert parse_prefer(["count=exact"]).should_count
    assert parse_prefer(["count=estimated"]).should_count
    assert not parse_prefer(["count=planned"]).should_count
    assert not Preferences().should_count


# -- handling=strict (HandlingSpec) -----------------------------------------------


@pytest.mark.parametrize(
    ("headers", "details"),
    [
        (["handling=strict, anything"], "Invalid preferences: anything"),
        (["handling=strict", "something, else"], "Invalid preferences: something, else"),
        (["return=representation, handling=strict, anything"], "Invalid preferences: anything"),
        (["handling=strict, foo, bar"], "Invalid preferences: foo, bar"),
        (["anything", "handling=strict"], "Invalid preferences: anything"),
        (["handling=strict, count=exact,"], "Invalid preferences: "),
    ],
)
def test_strict_handling_rejects_unknown_preferences(headers: list[str], details: str) -> None:
    prefs = parse_prefer(headers)
    with pytest.raises(InvalidPreferences) as caught:
        prefs.validate()
    error = caught.value
    assert error.status == 400
    assert orjson.loads(error.body()) == {
        "code": "PGRST122",
        "message": "Invalid preferences given with handling=strict",
        "details": details,
        "hint": None,
    }


@pytest.mark.parametrize(
    "headers",
    [
        ["handling=lenient, anything"],
        ["return=representation, handling=lenient, anything"],
        ["anything"],
        ["handling=strict, count=exact"],
        ["handling=strict, timezone=Invalid/Timezone"],  # PostgreSQL judges the zone, not us
        ["handling=lenient, handling=strict, anything"],  # the first handling wins
        ["handling=strict, max-affected=nope"],
    ],
)
def test_validate_lets_these_through(headers: list[str]) -> None:
    parse_prefer(headers).validate()


# -- Preference-Applied -----------------------------------------------------------


def test_applied_order_and_format() -> None:
    prefs = parse_prefer(
        [
            (
                "max-affected=5, timezone=UTC, handling=strict, tx=rollback, count=exact, "
                "return=representation, missing=default, resolution=merge-duplicates"
            )
        ]
    )
    assert prefs.applied(resolution=True, missing=True, representation=True, max_affected=True) == (
        "resolution=merge-duplicates, missing=default, return=representation, count=exact, "
        "tx=rollback, handling=strict, timezone=UTC, max-affected=5"
    )
    assert prefs.applied() == "count=exact, tx=rollback, handling=strict, timezone=UTC"


def test_applied_is_none_when_nothing_to_report() -> None:
    assert Preferences().applied() is None
    assert parse_prefer(["return=minimal, anything"]).applied() is None
    assert parse_prefer(["return=minimal"]).applied_for("read") is None


def test_max_affected_is_echoed_only_under_strict_handling() -> None:
    # MaxAffectedSpec
    assert (
        parse_prefer(["handling=strict, max-affected=10"]).applied_for("delete")
        == "handling=strict, max-affected=10"
    )
    assert parse_prefer(["handling=lenient, max-affected=1"]).applied_for("delete") == "handling=lenient"
    assert parse_prefer(["max-affected=1"]).applied_for("update") is None
    assert parse_prefer(["handling=strict, max-affected=10"]).applied_for("upsert") == "handling=strict"


@pytest.mark.parametrize(
    ("headers", "action", "has_conflict_target", "expected"),
    [
        # conformance cases (InsertSpec, UpsertSpec, UpdateSpec, DeleteSpec, TimezoneSpec, RollbackSpec ...)
        (["return=representation"], "create", False, "return=representation"),
        (["return=minimal"], "create", False, "return=minimal"),
        (["return=headers-only"], "create", False, "return=headers-only"),
        (["return=representation", "count=exact"], "create", False, "return=representation, count=exact"),
        (
            ["missing=default", "return=representation"],
            "create",
            False,
            "missing=default, return=representation",
        ),
        (
            ["return=representation, resolution=merge-duplicates, missing=default"],
            "create",
            True,
            "resolution=merge-duplicates, missing=default, return=representation",
        ),
        (
            ["resolution=ignore-duplicates", "return=representation"],
            "create",
            True,
            "resolution=ignore-duplicates, return=representation",
        ),
        (["resolution=merge-duplicates", "return=representation"], "create", False, "return=representation"),
        (["resolution=merge-duplicates", "return=representation"], "upsert", True, "return=representation"),
        (
            ["missing=default", "return=representation"],
            "update",
            False,
            "missing=default, return=representation",
        ),
        (["missing=default", "return=representation"], "upsert", False, "return=representation"),
        (["missing=default", "return=representation"], "delete", False, "return=representation"),
        (["return=representation"], "read", False, None),
        (["return=representation"], "call", False, None),
        (["timezone=America/Los_Angeles"], "read", False, "timezone=America/Los_Angeles"),
        (["timezone=-4"], "read", False, "timezone=-4"),
        (["tx=commit"], "call", False, "tx=commit"),
        (["handling=lenient, anything"], "read", False, "handling=lenient"),
        (["count=planned"], "read", False, "count=planned"),
        (["handling=strict, max-affected=20"], "call", False, "handling=strict, max-affected=20"),
    ],
)
def test_applied_for(
    headers: list[str], action: Action, has_conflict_target: bool, expected: str | None
) -> None:
    assert parse_prefer(headers).applied_for(action, has_conflict_target=has_conflict_target) == expected


def test_actions_table_covers_every_request_kind() -> None:
    assert set(ACTIONS) == {"read", "create", "update", "upsert", "delete", "call"}


# -- properties -------------------------------------------------------------------

_ITEMS = st.sampled_from(
    [
        "return=representation",
        "return=minimal",
        "return=headers-only",
        "count=exact",
        "count=planned",
        "count=estimated",
        "resolution=merge-duplicates",
        "resolution=ignore-duplicates",
        "missing=default",
        "missing=null",
        "handling=strict",
        "handling=lenient",
        "tx=commit",
        "tx=rollback",
        "timezone=UTC",
        "max-affected=3",
        "params=single-object",
        "anything",
        "",
        " ",
    ]
)
_HEADER = st.one_of(st.text(), st.lists(st.one_of(_ITEMS, st.text(max_size=8)), max_size=6).map(", ".join))


@given(st.lists(_HEADER, max_size=4), st.booleans(), st.booleans())
def test_parse_prefer_never_fails_and_only_raises_pgrst122(
    headers: list[str], allow_tx_override: bool, legacy_params: bool
) -> None:
    prefs = parse_prefer(headers, allow_tx_override=allow_tx_override, legacy_params=legacy_params)
    try:
        prefs.validate()
    except ApiError as error:
        assert isinstance(error, InvalidPreferences)
        assert prefs.handling is Handling.STRICT and prefs.invalid
    for action in ACTIONS:
        for target in (False, True):
            applied = prefs.applied_for(action, has_conflict_target=target)
            assert applied is None or applied.strip() == applied


@given(st.lists(_ITEMS, max_size=8))
def test_every_item_is_either_recognised_or_invalid(items: list[str]) -> None:
    header = ", ".join(items)
    prefs = parse_prefer([header])
    unknown = {"", "anything", "params=single-object"}
    # An empty header has no items at all (ByteString.split).
    expected = [item.strip() for item in items if item.strip() in unknown] if header else []
    assert list(prefs.invalid) == expected
