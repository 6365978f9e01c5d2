"""Entity tags and the evaluation of If-Match / If-None-Match (RFC 9110 §13.1)."""

from __future__ import annotations

import pytest

from pgrestd.conditional import Conditions, entity_tag, read_conditionally
from pgrestd.errors import PreconditionFailed
from pgrestd.response import Response

TAG = entity_tag("application/json; charset=utf-8", b"[]")


def test_entity_tag_is_strong_and_depends_on_type_and_body():
    assert TAG.startswith('"') and TAG.endswith('"') and len(TAG) == 34
    assert entity_tag("text/csv", b"[]") != TAG
    assert entity_tag("application/json; charset=utf-8", b"[1]") != TAG


def test_lists_are_parsed_with_commas_inside_tags():
    c = Conditions.of({"if-match": ' "a,b" , W/"c",junk, "d"'})
    assert c is not None and c.if_match == ('"a,b"', 'W/"c"', '"d"') and c.if_none_match is None
    assert Conditions.of({}) is None
    assert Conditions.of({"if-none-match": "*"}).if_none_match == ("*",)


def test_if_match_uses_strong_comparison():
    c = Conditions.of({"if-match": f'W/{TAG}'})
    assert not c.if_match_holds(TAG)
    assert Conditions.of({"if-match": TAG}).if_match_holds(TAG)
    assert not Conditions.of({"if-match": TAG}).if_match_holds("W/" + TAG)


def test_if_none_match_uses_weak_comparison():
    assert not Conditions.of({"if-none-match": f"W/{TAG}"}).if_none_match_holds(TAG)
    assert Conditions.of({"if-none-match": '"x"'}).if_none_match_holds(TAG)


def test_star_is_about_existence_for_writes():
    star = Conditions.of({"if-match": "*"})
    star.check_write(TAG, exists=True)
    with pytest.raises(PreconditionFailed):
        star.check_write(TAG, exists=False)
    none_star = Conditions.of({"if-none-match": "*"})
    none_star.check_write(TAG, exists=False)
    with pytest.raises(PreconditionFailed):
        none_star.check_write(TAG, exists=True)


def test_read_keeps_only_validators_and_cache_headers_on_304():
    headers = {"Content-Type": "application/json; charset=utf-8", "Content-Range": "0-0/*", "Vary": "Accept",
               "Content-Location": "/t", "Cache-Control": "max-age=5"}
    response = read_conditionally(Response(200, dict(headers), b"[]"), {})
    tag = response.headers["ETag"]
    assert tag == TAG
    not_modified = read_conditionally(Response(200, dict(headers), b"[]"), {"if-none-match": tag})
    assert not_modified.status == 304 and not_modified.body == b""
    assert set(not_modified.headers) == {"ETag", "Vary", "Content-Location", "Cache-Control"}


def test_a_functions_own_etag_is_compared():
    response = Response(200, {"etag": 'W/"v1"', "Content-Type": "text/plain"}, b"x")
    assert read_conditionally(response, {"if-none-match": '"v1"'}).status == 304
    assert "ETag" not in read_conditionally(Response(200, {"etag": 'W/"v1"'}, b"x"), {}).headers
