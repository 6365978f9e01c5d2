"""map_database_error: psycopg's exception to an API error.

The mapping itself (the SQLSTATE table, RAISE SQLSTATE 'PGRST') is
pgrestd.errors.database_error, tested in test_errors.py; this reads the
exception's fields.
"""

from __future__ import annotations

import psycopg
from psycopg import errors as pg_errors

from pgrestd import errors
from pgrestd.execute import map_database_error


def test_sqlstate_and_message_are_read_from_the_exception():
    e = map_database_error(pg_errors.InsufficientPrivilege("permission denied for table t"))
    assert isinstance(e, errors.DatabaseError)
    assert (e.code, e.status, e.message, e.details, e.hint) == (
        "42501", 401, "permission denied for table t", None, None)
    assert e.headers == {"WWW-Authenticate": "Bearer"}
    assert map_database_error(pg_errors.InsufficientPrivilege("denied"), authenticated=True).status == 403


def test_client_side_data_error_is_22021():
    e = map_database_error(psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"))
    assert (e.code, e.status, e.message) == ("22021", 400, "PostgreSQL text fields cannot contain NUL (0x00) bytes")


def test_no_sqlstate_is_a_client_error():
    e = map_database_error(psycopg.OperationalError("connection refused\n"))
    assert isinstance(e, errors.ClientError)
    assert (e.code, e.status, e.details) == ("PGRST001", 503, "connection refused")
