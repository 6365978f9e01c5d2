"""Tests for pgrestd.media: decoding, Accept ordering, negotiation, Content-Type strings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgrestd.errors import MediaTypeError
from pgrestd.media import (
    ANY,
    ARRAY_STRIPPED,
    BUILTIN_HANDLERS,
    CSV,
    GEOJSON,
    JSON,
    OBJECT,
    OBJECT_STRIPPED,
    OCTET_STREAM,
    OPENAPI,
    ROOT_HANDLERS,
    TEXT_PLAIN,
    TEXT_XML,
    URLENCODED,
    MediaKind,
    MediaType,
    Negotiated,
    decode_media_type,
    negotiate,
    other,
    parse_accept,
    parse_content_type,
    plan,
)

# -- decoding -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # MediaType.hs doctests
        ("application/json", JSON),
        ("application/vnd.pgrst.plan;", plan(JSON, "text")),
        ('application/vnd.pgrst.plan;for="application/json"', plan(JSON, "text")),
        (
            'application/vnd.pgrst.plan ; for="text/xml" ; options=analyze',
            plan(TEXT_XML, "text", ["analyze"]),
        ),
        ('application/vnd.pgrst.plan+json;for="text/csv"', plan(CSV, "json")),
        ("application/vnd.pgrst.array+json;nulls=stripped", ARRAY_STRIPPED),
        ("application/vnd.pgrst.array+json", JSON),
        ("application/vnd.pgrst.object+json;nulls=stripped", OBJECT_STRIPPED),
        ("application/vnd.pgrst.object+json", OBJECT),
        ("ApplicatIon/vnd.PgRsT.object+json", OBJECT),  # issue #3478
        ("application/vnd.twkb", other("application/vnd.twkb")),
        # the rest of the named types
        ("application/geo+json", GEOJSON),
        ("text/csv", CSV),
        ("text/csv; version=1", CSV),
        ("TEXT/CSV", CSV),
        ("text/plain", TEXT_PLAIN),
        ("text/xml", TEXT_XML),
        ("application/openapi+json", OPENAPI),
        ("application/x-www-form-urlencoded", URLENCODED),
        ("application/octet-stream", OCTET_STREAM),
        ("*/*", ANY),
        ("application/json; charset=utf-8", JSON),
        ("application/json junk after the type", JSON),
        ("application/vnd.pgrst.object", OBJECT),
        ("application/vnd.pgrst.object;nulls=stripped", OBJECT_STRIPPED),
        ("application/vnd.pgrst.array;nulls=stripped", ARRAY_STRIPPED),
        ("application/vnd.pgrst.object+json; NULLS=stripped", OBJECT_STRIPPED),  # names are case-insensitive
        ('application/vnd.pgrst.object+json; nulls="stripped"', OBJECT_STRIPPED),
        ("application/vnd.pgrst.object+json; nulls=STRIPPED", OBJECT),  # values are not
        ("application/vnd.pgrst.object+json;nulls=stripped;nulls=kept", OBJECT),  # the last one wins
        ("application/vnd.pgrst.object+json;nulls=kept;nulls=stripped", OBJECT_STRIPPED),
        ("application/vnd.pgrst.plan+text", plan(JSON, "text")),
        (
            'application/vnd.pgrst.plan+json; for="application/vnd.pgrst.object"; options=verbose',
            plan(OBJECT, "json", ["verbose"]),
        ),
        (
            "application/vnd.pgrst.plan+json; options=wal|analyze|bogus",
            plan(JSON, "json", ["analyze", "wal"]),
        ),
        (
            'application/vnd.pgrst.plan+json; for="application/vnd.twkb"',
            plan(other("application/vnd.twkb"), "json"),
        ),
        ('application/vnd.pgrst.plan;wat="application/json;text/csv"', plan(JSON, "text")),
        # unknown or unparsable: kept verbatim
        ("application/*", other("application/*")),
        ("image/png", other("image/png")),
        ("Text/HTML", other("Text/HTML")),
        ("application/vnd.twkb;x=1", other("application/vnd.twkb;x=1")),
        ("", other("")),
        ("json", other("json")),
        ("/json", other("/json")),
        ("application/", other("application/")),
        ("application/xml;q=0.9", other("application/xml;q=0.9")),
    ],
)
def test_decode_media_type(text: str, expected: MediaType) -> None:
    assert decode_media_type(text) == expected


def test_plan_options_keep_postgrest_order() -> None:
    assert plan(JSON, "json", ["wal", "buffers", "settings", "verbose", "analyze"]).plan_options == (
        "analyze",
        "verbose",
        "settings",
        "buffers",
        "wal",
    )


# -- mime and Content-Type --------------------------------------------------------


@pytest.mark.parametrize(
    ("media", "mime", "content_type"),
    [
        (JSON, "application/json", "application/json; charset=utf-8"),
        (GEOJSON, "application/geo+json", "application/geo+json; charset=utf-8"),
        (CSV, "text/csv", "text/csv; charset=utf-8"),
        (TEXT_PLAIN, "text/plain", "text/plain; charset=utf-8"),
        (TEXT_XML, "text/xml", "text/xml; charset=utf-8"),
        (OPENAPI, "application/openapi+json", "application/openapi+json; charset=utf-8"),
        (OCTET_STREAM, "application/octet-stream", "application/octet-stream"),
        (URLENCODED, "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8"),
        (ANY, "*/*", "*/*; charset=utf-8"),
        (OBJECT, "application/vnd.pgrst.object+json", "application/vnd.pgrst.object+json; charset=utf-8"),
        (
            OBJECT_STRIPPED,
            "application/vnd.pgrst.object+json;nulls=stripped",
            "application/vnd.pgrst.object+json;nulls=stripped; charset=utf-8",
        ),
        (
            ARRAY_STRIPPED,
            "application/vnd.pgrst.array+json;nulls=stripped",
            "application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8",
        ),
        (other("application/vnd.twkb"), "application/vnd.twkb", "application/vnd.twkb"),
        (other("pg/outfunc"), "pg/outfunc", "pg/outfunc"),
        (
            plan(JSON, "json"),
            'application/vnd.pgrst.plan+json; for="application/json"',
            'application/vnd.pgrst.plan+json; for="application/json"; charset=utf-8',
        ),
        (
            plan(JSON, "text"),
            'application/vnd.pgrst.plan+text; for="application/json"',
            'application/vnd.pgrst.plan+text; for="application/json"; charset=utf-8',
        ),
        (
            plan(JSON, "json", ["analyze", "wal"]),
            'application/vnd.pgrst.plan+json; for="application/json"; options=analyze|wal',
            'application/vnd.pgrst.plan+json; for="application/json"; options=analyze|wal; charset=utf-8',
        ),
        (
            plan(other("application/vnd.twkb"), "json", ["verbose"]),
            'application/vnd.pgrst.plan+json; for="application/vnd.twkb"; options=verbose',
            'application/vnd.pgrst.plan+json; for="application/vnd.twkb"; options=verbose; charset=utf-8',
        ),
    ],
)
def test_mime_and_content_type(media: MediaType, mime: str, content_type: str) -> None:
    assert media.mime == mime
    assert media.content_type_header == content_type


# Accept header -> Content-Type, as the conformance cases (PlanSpec, SingularSpec,
# NullsStripSpec, QuerySpec, CustomMediaSpec) expect them, for a table with the
# builtin handlers and application/vnd.twkb, text/xml added.
_TABLE_HANDLERS: Mapping[MediaType, MediaType] = {
    **BUILTIN_HANDLERS,
    other("application/vnd.twkb"): other("application/vnd.twkb"),
    TEXT_XML: TEXT_XML,
}


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        (None, "application/json; charset=utf-8"),
        ("*/*", "application/json; charset=utf-8"),
        ("application/json", "application/json; charset=utf-8"),
        ("text/csv", "text/csv; charset=utf-8"),
        ("text/csv, */*", "text/csv; charset=utf-8"),
        ("text/csv; version=1", "text/csv; charset=utf-8"),
        ("image/png, */*", "application/json; charset=utf-8"),
        ("application/geo+json", "application/geo+json; charset=utf-8"),
        ("application/vnd.twkb", "application/vnd.twkb"),
        ("application/vnd.pgrst.object+json", "application/vnd.pgrst.object+json; charset=utf-8"),
        ("application/vnd.pgrst.object", "application/vnd.pgrst.object+json; charset=utf-8"),
        (
            "application/vnd.pgrst.object+json;nulls=stripped",
            "application/vnd.pgrst.object+json;nulls=stripped; charset=utf-8",
        ),
        (
            "application/vnd.pgrst.array+json;nulls=stripped",
            "application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8",
        ),
        (
            "application/vnd.pgrst.plan",
            'application/vnd.pgrst.plan+text; for="application/json"; charset=utf-8',
        ),
        (
            "application/vnd.pgrst.plan+text",
            'application/vnd.pgrst.plan+text; for="application/json"; charset=utf-8',
        ),
        (
            "application/vnd.pgrst.plan+json",
            'application/vnd.pgrst.plan+json; for="application/json"; charset=utf-8',
        ),
        (
            'application/vnd.pgrst.plan+json; for="application/json"; options=analyze;',
            'application/vnd.pgrst.plan+json; for="application/json"; options=analyze; charset=utf-8',
        ),
        (
            "application/vnd.pgrst.plan+json; options=analyze|wal",
            'application/vnd.pgrst.plan+json; for="application/json"; options=analyze|wal; charset=utf-8',
        ),
        (
            "application/vnd.pgrst.plan+json; options=buffers",
            'application/vnd.pgrst.plan+json; for="application/json"; options=buffers; charset=utf-8',
        ),
        (
            'application/vnd.pgrst.plan+json; for="application/vnd.pgrst.object"; options=verbose',
            'application/vnd.pgrst.plan+json; for="application/vnd.pgrst.object+json"; options=verbose; charset=utf-8',
        ),
        (
            'application/vnd.pgrst.plan+json; for="application/vnd.twkb"; options=verbose',
            'application/vnd.pgrst.plan+json; for="application/vnd.twkb"; options=verbose; charset=utf-8',
        ),
        (
            'application/vnd.pgrst.plan+json; for="text/xml"; options=verbose',
            'application/vnd.pgrst.plan+json; for="text/xml"; options=verbose; charset=utf-8',
        ),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "application/json; charset=utf-8",
        ),
    ],
)
def test_negotiated_content_type(accept: str | None, content_type: str) -> None:
    chosen = negotiate(parse_accept(accept), builtin=_TABLE_HANDLERS, plan_enabled=True).media
    assert chosen.content_type_header == content_type


_JSON_ONLY: Mapping[MediaType, MediaType] = {ANY: JSON, JSON: JSON}


@pytest.mark.parametrize(
    ("accept", "message"),
    [
        ("text/plain", "None of these media types are available: text/plain"),  # CustomMediaSpec
        ("text/unknowntype", "None of these media types are available: text/unknowntype"),  # QuerySpec
        ("text/plain, image/png", "None of these media types are available: text/plain, image/png"),
        ("text/plain;q=0.5, image/png", "None of these media types are available: image/png, text/plain"),
        ("application/*", "None of these media types are available: application/*"),
        ("text/csv;q=0.5 , text/plain", "None of these media types are available: text/plain, text/csv"),
        ("text/csv; version=1", "None of these media types are available: text/csv"),
        ("", "None of these media types are available: "),
    ],
)
def test_negotiation_failure_message(accept: str, message: str) -> None:
    with pytest.raises(MediaTypeError) as caught:
        negotiate(parse_accept(accept), builtin=_JSON_ONLY)
    error = caught.value
    assert error.status == 406
    assert orjson.loads(error.body()) == {
        "code": "PGRST107",
        "details": None,
        "hint": None,
        "message": message,
    }


def test_plain_array_type_is_json() -> None:
    assert negotiate(parse_accept("application/vnd.pgrst.array+json"), builtin=_JSON_ONLY).media == JSON


def test_plan_types_need_db_plan_enabled() -> None:
    accepted = parse_accept("application/vnd.pgrst.plan+json")
    with pytest.raises(MediaTypeError) as caught:
        negotiate(accepted, plan_enabled=False)
    assert caught.value.message == (
        'None of these media types are available: application/vnd.pgrst.plan+json; for="application/json"'
    )
    assert negotiate(accepted, plan_enabled=True).media == plan(JSON, "json")


def test_plan_needs_a_handler_for_its_target() -> None:
    accepted = parse_accept('application/vnd.pgrst.plan+json; for="text/xml"')
    with pytest.raises(MediaTypeError):
        negotiate(accepted, plan_enabled=True)
    for_object = parse_accept(
        'application/vnd.pgrst.plan; for="application/vnd.pgrst.object+json;nulls=stripped"'
    )
    assert negotiate(for_object, builtin={}, plan_enabled=True).media == plan(OBJECT_STRIPPED, "text")


def test_vendor_types_are_always_producible_for_tables_only() -> None:
    accepted = parse_accept("application/vnd.pgrst.object+json")
    assert negotiate(accepted, builtin={}).media == OBJECT
    with pytest.raises(MediaTypeError):
        negotiate(accepted, builtin=ROOT_HANDLERS, vendor_types=False)


@pytest.mark.parametrize(
    ("accept", "ok"),
    [
        (None, True),
        ("*/*", True),
        ("application/json", True),
        ("application/openapi+json", True),
        ("text/csv, application/json;q=0.1", True),
        ("text/csv", False),
        ("application/vnd.pgrst.object+json", False),
    ],
)
def test_root_endpoint_negotiation(accept: str | None, ok: bool) -> None:
    # Plan.inspectPlan: OpenAPI for */*, application/json or application/openapi+json.
    if ok:
        chosen = negotiate(parse_accept(accept), builtin=ROOT_HANDLERS, vendor_types=False).media
        assert chosen == OPENAPI
        assert chosen.content_type_header == "application/openapi+json; charset=utf-8"
    else:
        with pytest.raises(MediaTypeError):
            negotiate(parse_accept(accept), builtin=ROOT_HANDLERS, vendor_types=False)


def test_negotiate_follows_accept_order_over_the_builtin_table() -> None:
    assert negotiate([ANY], builtin={ANY: CSV, CSV: CSV, JSON: JSON}).media == CSV
    assert negotiate([JSON], builtin={ANY: CSV, CSV: CSV, JSON: JSON}).media == JSON
    assert negotiate([TEXT_PLAIN, ANY], builtin={ANY: OCTET_STREAM}).media == OCTET_STREAM
    with pytest.raises(MediaTypeError):
        negotiate([ANY], builtin={})


@dataclass(frozen=True)
class _Handler:
    produces: MediaType


def test_a_relation_any_handler_answers_every_type_with_the_default_select() -> None:
    # Plan.Negotiate looks up (relation, */*) first when the select is the default one.
    png = other("image/png")
    handlers = {("films", ANY): _Handler(OCTET_STREAM)}
    chosen = negotiate([png], handlers, "films")
    assert chosen.media == OCTET_STREAM and chosen.handler == _Handler(OCTET_STREAM)
    with pytest.raises(MediaTypeError):
        negotiate([png], handlers, "films", default_select=False)


def test_an_anyelement_handler_overrides_the_builtin_one_for_any_select() -> None:
    handlers = {(None, CSV): _Handler(CSV)}
    chosen = negotiate([CSV], handlers, "films", default_select=False)
    assert chosen.handler == _Handler(CSV)
    assert negotiate([CSV], {}, "films").handler is None


def test_own_entries_come_before_the_catalog_handlers() -> None:
    own = {TEXT_PLAIN: ("text", TEXT_PLAIN)}
    chosen = negotiate([TEXT_PLAIN], {("fn", TEXT_PLAIN): _Handler(TEXT_PLAIN)}, "fn", own=own)
    assert chosen == Negotiated(TEXT_PLAIN, None, "text")
    planned = negotiate(parse_accept('application/vnd.pgrst.plan; for="text/plain"'), {}, "fn",
                        own=own, plan_enabled=True)
    assert planned.media.kind is MediaKind.PLAN and planned.own == "text"


# -- Accept ordering --------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, [ANY]),
        ("", []),
        ("application/json", [JSON]),
        ("text/csv, application/json", [CSV, JSON]),  # equal q: header order
        ("text/plain, application/json", [TEXT_PLAIN, JSON]),
        ("text/csv;q=0.5, application/json", [JSON, CSV]),
        ("text/csv;q=0.5, application/json;q=0.9", [JSON, CSV]),
        ("*/*, text/csv", [CSV, ANY]),  # more specific first
        ("*/*;q=1, text/csv;q=0.1", [ANY, CSV]),
        ("text/csv;q=0, */*", [ANY, CSV]),  # q=0 is kept, last
        ("application/json, text/csv;version=1", [CSV, JSON]),  # a parameter raises specificity
        ("text/csv;q=0.9;version=1", [CSV]),  # everything from ;q= on is cut off
        ("a/b;q=abc, c/d;q=0.5", [other("a/b"), other("c/d")]),  # unreadable q counts as 1
        ("a/b;q=.5, c/d;q=0.6", [other("a/b"), other("c/d")]),  # ".5" is not a Haskell Double
        ("a/b;q=0.5junk, c/d;q=0.6", [other("c/d"), other("a/b")]),  # a leading number is enough
        ("a/b;q=1e-3, c/d;q=0.01", [other("c/d"), other("a/b")]),
        ("a/b;q=-1, c/d;q=0", [other("c/d"), other("a/b")]),
        ("a/b;q=2, c/d", [other("a/b"), other("c/d")]),
        ("a/b;q=Infinity, c/d;q=9", [other("a/b"), other("c/d")]),
        ("a/b;q=0x10, c/d;q=9", [other("a/b"), other("c/d")]),
        ("a/b;q=(0.5), c/d;q=0.6", [other("c/d"), other("a/b")]),
        ("a/b;q=(0.5, c/d;q=0.6", [other("a/b"), other("c/d")]),
        ("a/b;q=--1, c/d;q=0.6", [other("a/b"), other("c/d")]),
        (" text/csv , application / json ", [CSV, JSON]),  # spaces are dropped everywhere
        ("application/json,", [JSON, other("")]),
        ("application/vnd.pgrst.object+json; nulls=stripped", [OBJECT_STRIPPED]),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3",
            [
                other("application/signed-exchange;v=b3"),
                other("text/html"),
                other("application/xhtml+xml"),
                other("image/webp"),
                other("image/apng"),
                other("application/xml"),
                ANY,
            ],
        ),
    ],
)
def test_parse_accept(accept: str | None, expected: list[MediaType]) -> None:
    assert list(parse_accept(accept)) == expected


def test_parse_accept_survives_deeply_nested_q_values() -> None:
    deep = "(" * 5000 + "0.5" + ")" * 5000
    assert parse_accept(f"a/b;q={deep}, c/d;q=0.6") == (other("c/d"), other("a/b"))
    assert parse_accept("a/b;q=" + "(" * 5000 + ", c/d;q=0.6") == (other("a/b"), other("c/d"))


def test_repr_shows_the_mime() -> None:
    assert repr(OBJECT_STRIPPED) == "MediaType('application/vnd.pgrst.object+json;nulls=stripped')"


def test_parse_accept_nan_quality_does_not_break_sorting() -> None:
    result = parse_accept("a/b;q=NaN, c/d;q=0.5, e/f")
    assert sorted(m.name for m in result) == ["a/b", "c/d", "e/f"]


# -- Content-Type ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, JSON),
        ("application/json", JSON),
        ("application/json; charset=utf-8", JSON),
        ("application/x-www-form-urlencoded", URLENCODED),
        ("text/csv", CSV),
        ("text/plain", TEXT_PLAIN),
        ("text/xml", TEXT_XML),
        ("application/octet-stream", OCTET_STREAM),
        ("application/vnd.pgrst.object+json", OBJECT),
        ("", other("")),
        ("image/png", other("image/png")),
    ],
)
def test_parse_content_type(header: str | None, expected: MediaType) -> None:
    assert parse_content_type(header) == expected


# -- properties -------------------------------------------------------------------

_MEDIA_ALPHABET = st.sampled_from(
    list('abcjnos/*+-.;="| ,qtxpv0189')
    + [
        "json",
        "application/",
        "vnd.pgrst.",
        "plan",
        "object",
        "array",
        "nulls=stripped",
        "for=",
        "options=",
        "q=",
        "\t",
        "\xa0",
        "é",
    ]
)
_MEDIA_TEXT = st.one_of(st.text(), st.lists(_MEDIA_ALPHABET, max_size=25).map("".join))


@given(_MEDIA_TEXT)
def test_decoding_never_fails_and_mime_round_trips(text: str) -> None:
    media = decode_media_type(text)
    assert isinstance(media, MediaType)
    assert isinstance(media.content_type_header, str)
    nested = (
        media.kind is MediaKind.PLAN and media.plan_for is not None and media.plan_for.kind is MediaKind.PLAN
    )
    if not nested:
        assert decode_media_type(media.mime) == media


@given(st.one_of(st.none(), _MEDIA_TEXT))
def test_parse_accept_never_fails(header: str | None) -> None:
    result = parse_accept(header)
    assert all(isinstance(media, MediaType) for media in result)
    if header:
        assert len(result) == header.count(",") + 1


@given(
    st.one_of(st.none(), _MEDIA_TEXT),
    st.booleans(),
    st.booleans(),
)
def test_negotiation_only_raises_pgrst107(header: str | None, vendor_types: bool, plan_enabled: bool) -> None:
    accepted = parse_accept(header)
    try:
        chosen = negotiate(accepted, vendor_types=vendor_types, plan_enabled=plan_enabled).media
    except MediaTypeError as error:
        assert error.code == "PGRST107"
        return
    assert chosen in BUILTIN_HANDLERS.values() or chosen in accepted


@pytest.mark.parametrize("text, mime, content_type", [
    ("application/openapi+json", "application/openapi+json", "application/openapi+json; charset=utf-8"),
    ("application/openapi+json;version=2.0", "application/openapi+json; version=2.0",
     "application/openapi+json; version=2.0; charset=utf-8"),  # pgrestd.describe sends 2.0 without the version
    ("application/openapi+json;charset=utf-8", "application/openapi+json", "application/openapi+json; charset=utf-8"),
    ("application/openapi+json; Version=3.1", "application/openapi+json; version=3.1",
     "application/openapi+json; version=3.1; charset=utf-8"),
    ('application/openapi+json;version="3.1.0"', "application/openapi+json; version=3.1",
     "application/openapi+json; version=3.1; charset=utf-8"),
    ("application/openapi+json;version=3.0", "application/openapi+json; version=3.0",
     "application/openapi+json; version=3.0; charset=utf-8"),
    # pgrestd's descriptions; as PostgREST's MTOther they had no charset, which a custom handler keeps.
    ("Text/Vnd.Mermaid", "text/vnd.mermaid", "text/vnd.mermaid"),
    ("application/raml+yaml", "application/raml+yaml", "application/raml+yaml"),
])
def test_description_media_types(text: str, mime: str, content_type: str) -> None:
    media = decode_media_type(text)
    assert (media.mime, media.content_type_header) == (mime, content_type)
    assert decode_media_type(media.mime) == media
