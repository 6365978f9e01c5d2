"""PostgreSQL errors to API errors: the SQLSTATE -> HTTP table and RAISE SQLSTATE 'PGRST' parsing.

Expected statuses are PostgREST's Error.hs (mapSQLtoHTTP), case by case.
"""

from __future__ import annotations

import pytest

from pgrestd import errors
from pgrestd.errors import database_error, raised_pgrst, sqlstate_status


@pytest.mark.parametrize("code, status", [
    # exact codes
    ("23503", 409),  # foreign_key_violation
    ("23505", 409),  # unique_violation
    ("25006", 405),  # read_only_sql_transaction, not its class 25's 500
    ("53400", 500),  # configuration_limit_exceeded, not its class 53's 503
    ("57P01", 503),  # admin_shutdown, not its class 57's 500
    ("P0001", 400),  # raise_exception, not its class P0's 500
    ("42P01", 404),  # undefined_table
    ("42P17", 500),  # invalid_object_definition (infinite recursion)
    ("42883", 404),  # undefined_function
    # two-character classes
    ("08006", 503),  # connection exception
    ("09000", 500),  # triggered action exception
    ("0L000", 403),  # invalid grantor
    ("0P000", 403),  # invalid role specification
    ("25001", 500),  # invalid transaction state
    ("28000", 403),  # invalid authorization specification
    ("28P01", 403),
    ("2D000", 500),  # invalid transaction termination
    ("38000", 500),  # external routine exception
    ("39000", 500),  # external routine invocation exception
    ("3B000", 500),  # savepoint exception
    ("40001", 500),  # transaction rollback
    ("53100", 503),  # insufficient resources
    ("54000", 500),  # program limit exceeded
    ("55000", 500),  # object not in prerequisite state
    ("57014", 500),  # operator intervention
    ("58000", 500),  # system error
    ("F0000", 500),  # configuration file error
    ("HV000", 500),  # foreign data wrapper error
    ("P0002", 500),  # PL/pgSQL error
    ("XX000", 500),  # internal error
    # anything else is the client's fault
    ("22P02", 400),
    ("23502", 400),
    ("42703", 400),
    ("42P10", 400),
])
def test_sqlstate_status_table(code, status):
    assert sqlstate_status(code, "some message") == status
    assert sqlstate_status(code, "some message", authenticated=True) == status


@pytest.mark.parametrize("code, message, authenticated, status", [
    ("21000", "DELETE requires a WHERE clause", False, 400),  # pg-safeupdate
    ("21000", "UPDATE requires a WHERE clause", False, 400),
    ("21000", "more than one row returned by a subquery used as an expression", False, 500),
    ("22023", 'role "x" does not exist', False, 401),  # a JWT role that does not exist
    ("22023", "invalid value for parameter", False, 400),
    ("42501", "permission denied for table t", False, 401),
    ("42501", "permission denied for table t", True, 403),
    ("42883", "function xmlagg(integer) does not exist", False, 406),
    ("42883", "function f(integer) does not exist", False, 404),
    ("PT402", "Payment Required", False, 402),
    ("PT418", "I'm a teapot", True, 418),
])
def test_sqlstate_status_by_message_or_role(code, message, authenticated, status):
    assert sqlstate_status(code, message, authenticated) == status


def test_database_error_keeps_postgresql_fields():
    e = database_error("23505", "duplicate key value violates unique constraint", "Key (id)=(1) already exists.",
                       "a hint", authenticated=False)
    assert isinstance(e, errors.DatabaseError)
    assert (e.code, e.status, e.message, e.details, e.hint, e.headers) == (
        "23505", 409, "duplicate key value violates unique constraint", "Key (id)=(1) already exists.",
        "a hint", {})


def test_database_error_401_challenges_for_a_token():
    e = database_error("42501", "permission denied for table t", None, None, authenticated=False)
    assert (e.status, e.headers) == (401, {"WWW-Authenticate": "Bearer"})
    e = database_error("42501", "permission denied for table t", None, None, authenticated=True)
    assert (e.status, e.headers) == (403, {})


def test_database_error_pgrst_is_raised_pgrst():
    e = database_error("PGRST", '{"code":"123","message":"ABC"}', '{"status":409,"headers":{}}', "ignored")
    assert (e.code, e.status, e.message, e.hint) == ("123", 409, "ABC", None)
    e = database_error("PGRST", "INVALID", None, None)
    assert isinstance(e, errors.PgrstParseError)


# -- RAISE SQLSTATE 'PGRST' -------------------------------------------------------


def test_raise_pgrst_chooses_the_response():
    e = raised_pgrst('{"code":"123","message":"ABC","details":"DEF","hint":"XYZ"}',
                     '{"status":404,"status_text":"My Not Found","headers":{"X-Header":"str"}}')
    assert isinstance(e, errors.DatabaseError)
    assert (e.code, e.status, e.message, e.details, e.hint) == ("123", 404, "ABC", "DEF", "XYZ")
    assert e.headers == {"X-Header": "str"} and e.reason == "My Not Found"


def test_raise_pgrst_optional_keys():
    e = raised_pgrst('{"code":"PT1","message":"m"}', '{"status":332}')
    assert (e.code, e.status, e.message, e.details, e.hint) == ("PT1", 332, "m", None, None)
    assert e.headers == {} and e.reason is None


def test_raise_pgrst_ignores_a_status_text_that_is_not_a_string():
    e = raised_pgrst('{"code":"1","message":"m"}', '{"status":400,"status_text":7,"headers":{}}')
    assert (e.status, e.reason) == (400, None)


_MESSAGE_HINT = ("MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: "
                 "'details', 'hint'.")
_DETAIL_HINT = ("DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: "
                "'status_text'.")


@pytest.mark.parametrize("message, detail, details, hint", [
    # MESSAGE: not JSON, not an object, code or message missing or not a string
    ("INVALID", '{"status":332}', "Invalid JSON value for MESSAGE: 'INVALID'", _MESSAGE_HINT),
    ('["code","message"]', '{"status":332}', "Invalid JSON value for MESSAGE: '[\"code\",\"message\"]'",
     _MESSAGE_HINT),
    ('{"code":"1"}', '{"status":332}', "Invalid JSON value for MESSAGE: '{\"code\":\"1\"}'", _MESSAGE_HINT),
    ('{"message":"m"}', '{"status":332}', "Invalid JSON value for MESSAGE: '{\"message\":\"m\"}'", _MESSAGE_HINT),
    ('{"code":1,"message":"m"}', '{"status":332}', "Invalid JSON value for MESSAGE: '{\"code\":1,\"message\":\"m\"}'",
     _MESSAGE_HINT),
    # DETAIL missing
    ('{"code":"1","message":"m"}', None, "DETAIL is missing in the RAISE statement", _DETAIL_HINT),
    # DETAIL: not JSON, not an object, status missing or not an integer, bad headers
    ('{"code":"1","message":"m"}', "INVALID", "Invalid JSON value for DETAIL: 'INVALID'", _DETAIL_HINT),
    ('{"code":"1","message":"m"}', "[404]", "Invalid JSON value for DETAIL: '[404]'", _DETAIL_HINT),
    ('{"code":"1","message":"m"}', '{"headers":{}}', "Invalid JSON value for DETAIL: '{\"headers\":{}}'",
     _DETAIL_HINT),
    ('{"code":"1","message":"m"}', '{"status":"404"}', "Invalid JSON value for DETAIL: '{\"status\":\"404\"}'",
     _DETAIL_HINT),
    ('{"code":"1","message":"m"}', '{"status":404,"headers":"X"}',
     "Invalid JSON value for DETAIL: '{\"status\":404,\"headers\":\"X\"}'", _DETAIL_HINT),
    ('{"code":"1","message":"m"}', '{"status":404,"headers":{"X":1}}',
     "Invalid JSON value for DETAIL: '{\"status\":404,\"headers\":{\"X\":1}}'", _DETAIL_HINT),
])
def test_raise_pgrst_with_bad_json_is_pgrst121(message, detail, details, hint):
    e = raised_pgrst(message, detail)
    assert isinstance(e, errors.PgrstParseError)
    assert (e.code, e.status, e.details, e.hint) == ("PGRST121", 500, details, hint)
    assert e.message == "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error"
