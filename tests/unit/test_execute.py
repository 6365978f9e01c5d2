"""PostgreSQL errors to HTTP: the SQLSTATE table and RAISE SQLSTATE 'PGRST' parsing."""

from __future__ import annotations

import pytest

from pgrestd import errors
from pgrestd.execute import _raised_pgrst, sqlstate_status


@pytest.mark.parametrize("code, message, authenticated, status", [
    ("23505", "duplicate key", False, 409),
    ("23503", "fk", False, 409),
    ("25006", "read only", False, 405),
    ("42P01", "no table", False, 404),
    ("42883", "no function", False, 404),
    ("42883", "function xmlagg(integer) does not exist", False, 406),
    ("42501", "permission denied", False, 401),
    ("42501", "permission denied", True, 403),
    ("22023", 'role "x" does not exist', False, 401),
    ("22023", "invalid value", False, 400),
    ("21000", "DELETE requires a WHERE clause", False, 400),
    ("21000", "more than one row returned by a subquery", False, 500),
    ("PT402", "Payment Required", False, 402),
    ("P0001", "raised", False, 400),
    ("08006", "connection failure", False, 503),
    ("57P01", "terminating connection", False, 503),
    ("53400", "config limit", False, 500),
    ("53100", "disk full", False, 503),
    ("XX000", "internal", False, 500),
    ("22P02", "invalid input syntax", False, 400),
])
def test_sqlstate_status(code, message, authenticated, status):
    assert sqlstate_status(code, message, authenticated) == status


def test_raise_pgrst_chooses_the_response():
    e = _raised_pgrst('{"code":"123","message":"ABC","details":"DEF","hint":"XYZ"}',
                      '{"status":404,"status_text":"My Not Found","headers":{"X-Header":"str"}}')
    assert (e.code, e.status, e.message, e.details, e.hint) == ("123", 404, "ABC", "DEF", "XYZ")
    assert e.headers == {"X-Header": "str"} and e.reason == "My Not Found"


@pytest.mark.parametrize("message, detail, details", [
    ("INVALID", '{"status":332}', "Invalid JSON value for MESSAGE: 'INVALID'"),
    ('{"code":"1"}', '{"status":332}', "Invalid JSON value for MESSAGE: '{\"code\":\"1\"}'"),
    ('{"code":"1","message":"m"}', None, "DETAIL is missing in the RAISE statement"),
    ('{"code":"1","message":"m"}', "INVALID", "Invalid JSON value for DETAIL: 'INVALID'"),
    ('{"code":"1","message":"m"}', '{"headers":{}}', "Invalid JSON value for DETAIL: '{\"headers\":{}}'"),
])
def test_raise_pgrst_with_bad_json_is_pgrst121(message, detail, details):
    e = _raised_pgrst(message, detail)
    assert isinstance(e, errors.PgrstParseError)
    assert (e.code, e.status, e.details) == ("PGRST121", 500, details)
