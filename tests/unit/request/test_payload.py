"""The body of a write: PostgREST's getPayload rules, without a database."""

from __future__ import annotations

import orjson
import pytest

from pgrestd.errors import InvalidBody
from pgrestd.request.payload import Payload, parse_csv, parse_payload, parse_urlencoded

JSON = "application/json"
CSV = "text/csv"
FORM = "application/x-www-form-urlencoded"


def _error(body: bytes, content_type: str | None = JSON, **kw: object) -> InvalidBody:
    with pytest.raises(InvalidBody) as info:
        parse_payload(body, content_type, **kw)  # type: ignore[arg-type]
    assert info.value.code == "PGRST102" and info.value.status == 400
    return info.value


# -- JSON ------------------------------------------------------------------------


def test_object_is_passed_through_with_sorted_keys():
    body = b'{"b": 1, "a": {"nested": [1, 2]}}'
    assert parse_payload(body, JSON) == Payload(body, ("a", "b"), True)


def test_array_of_uniform_objects_keeps_the_body_bytes():
    body = b' [{"id": 1, "x": "a"}, {"x": "b", "id": 2}] '
    p = parse_payload(body, JSON)
    assert p.raw is body
    assert p.keys == ("id", "x")
    assert not p.is_object


def test_no_content_type_means_json():
    assert parse_payload(b'{"a": 1}', None).keys == ("a",)


def test_json_media_type_parameters_and_case_are_ignored():
    assert parse_payload(b'{"a": 1}', "Application/JSON; charset=utf-8").keys == ("a",)


def test_vendor_array_type_is_json():
    assert parse_payload(b'[{"a": 1}]', "application/vnd.pgrst.array+json").keys == ("a",)


@pytest.mark.parametrize("body", [b"", b"   ", b"}{ x = 2", b'{"a": 1', b"NaN", b'{"a": Infinity}', b"\xff"])
def test_invalid_json_is_pgrst102(body):
    assert _error(body).message == "Empty or invalid json"


@pytest.mark.parametrize("body", [
    b'[{"body": "x", "id": 100}, {"body": "y", "id": 111, "owner": "me"}]',
    b'[{"a": 1}, {"b": 1}]',
    b'[{"a": 1}, 2]',
    b"[1, 2]",
    b'[[{"a": 1}]]',
])
def test_keys_must_match_across_objects(body):
    err = _error(body)
    assert err.message == "All object keys must match"
    assert orjson.loads(err.body()) == {"code": "PGRST102", "details": None, "hint": None,
                                        "message": "All object keys must match"}


@pytest.mark.parametrize("body", [b"[]", b"5", b'"text"', b"null", b"true"])
def test_anything_but_objects_is_the_empty_array(body):
    assert parse_payload(body, JSON) == Payload(b"[]", (), False)


def test_empty_objects_have_no_keys():
    assert parse_payload(b"{}", JSON) == Payload(b"{}", (), True)
    assert parse_payload(b"[{}, {}]", JSON) == Payload(b"[{}, {}]", (), False)


def test_numbers_beyond_a_double_are_still_json():
    # orjson refuses 1e400; Aeson (and so PostgREST) reads it.
    body = b'{"n": 1e400, "big": 123456789012345678901234567890}'
    assert parse_payload(body, JSON).keys == ("big", "n")


def test_duplicate_keys_count_once():
    assert parse_payload(b'{"a": 1, "a": 2}', JSON).keys == ("a",)


def test_with_columns_the_body_is_not_read():
    # RawJSON: PostgreSQL's json_to_recordset judges it, even when it is not JSON.
    p = parse_payload(b' \n[{"a": 1}, 333, "x"]', JSON, columns=("a",))
    assert p == Payload(b' \n[{"a": 1}, 333, "x"]', None, False)
    assert parse_payload(b'\t{"a": 1}', JSON, columns=("a",)).is_object
    assert parse_payload(b"", JSON, columns=("a",)) == Payload(b"", None, False)


# -- CSV -------------------------------------------------------------------------


def test_csv_rows_become_a_json_array_of_strings():
    p = parse_payload(b"a,b\n1,hi\n2,bye\n", CSV)
    assert orjson.loads(p.raw) == [{"a": "1", "b": "hi"}, {"a": "2", "b": "bye"}]
    assert p.keys == ("a", "b") and not p.is_object


def test_csv_null_is_json_null_and_quotes_are_rfc4180():
    rows = parse_csv(b'a,b\r\nNULL,"x, ""quoted""\nline"\r\n"NULL",\n')
    assert rows == [{"a": None, "b": 'x, "quoted"\nline'}, {"a": None, "b": ""}]


def test_csv_blank_lines_are_skipped():
    assert parse_csv(b"a\n1\n\n2\n") == [{"a": "1"}, {"a": "2"}]


def test_csv_short_row_is_pgrst102():
    err = _error(b"a,b\nfoo,bar\nbaz", CSV)
    assert err.message == "All lines must have same number of fields"


def test_csv_header_only():
    assert parse_payload(b"a,b\n", CSV) == Payload(b"[]", (), False)


@pytest.mark.parametrize("body", [b"a,b", b'a,b\n"unterminated', b'a,b\nx"y,z\n', b"a\n\xff\n"])
def test_malformed_csv_is_pgrst102(body):
    _error(body, CSV)


# -- forms -------------------------------------------------------------------------


def test_form_fields_become_one_object_of_strings():
    body = b"integer=7&double=2.71828&varchar=forms+are+fun&boolean=false&money=$3.99&enc=%C3%A9%26"
    p = parse_payload(body, FORM)
    assert p.is_object
    assert orjson.loads(p.raw) == {"integer": "7", "double": "2.71828", "varchar": "forms are fun",
                                   "boolean": "false", "money": "$3.99", "enc": "é&"}
    assert p.keys == ("boolean", "double", "enc", "integer", "money", "varchar")


def test_form_parsing_as_http_types():
    assert parse_urlencoded(b"?a=1;b&c=&a=2&") == [("a", "1"), ("b", ""), ("c", ""), ("a", "2")]
    assert parse_urlencoded(b"") == []
    # the last of a repeated name wins in the payload
    assert orjson.loads(parse_payload(b"a=1&a=2", FORM).raw) == {"a": "2"}


def test_empty_form_is_an_empty_object():
    assert parse_payload(b"", FORM) == Payload(b"{}", (), True)


def test_form_with_bad_utf8_is_pgrst102():
    _error(b"a=%FF", FORM)


# -- other media types -------------------------------------------------------------


@pytest.mark.parametrize("content_type,mime", [
    ("text/plain", "text/plain"),
    ("application/octet-stream", "application/octet-stream"),
    ("text/xml", "text/xml"),
    ("application/xml", "application/xml"),
    ("application/vnd.pgrst.object+json", "application/vnd.pgrst.object+json"),
])
def test_other_media_types_are_not_acceptable(content_type, mime):
    assert _error(b"x", content_type).message == "Content-Type not acceptable: " + mime
