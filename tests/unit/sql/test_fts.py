"""The fts language in SQL: always a bind parameter cast to regconfig, never read as an OID."""

from __future__ import annotations

import pytest

from pgrestd.catalog.model import Column, Table
from pgrestd.request.model import Field, Filter, FullTextSearch
from pgrestd.sql.read import ReadBuilder, regconfig_input


def _table() -> Table:
    columns = (Column("body", "tsvector", True, None, None, base_type="tsvector"),
               Column("body_text", "text", True, None, None, base_type="text"))
    return Table("api", "items", "r", None, columns, (), True, True, True,
                 column_index={c.name: c for c in columns})


def _render(column: str, language: str | None) -> tuple[str, list[object]]:
    b = ReadBuilder()
    sql = b.filter("t", _table(), Filter(Field(column), FullTextSearch("fts", "fox", language)))
    return sql, b.params


@pytest.mark.parametrize("language", ["0", "3748", "007", "4294967296"])
def test_all_digit_language_is_a_quoted_name(language):
    """regconfig input takes an all-digit string as an OID; a quoted one is looked up by name."""
    assert regconfig_input(language) == f'"{language}"'


@pytest.mark.parametrize("language", ["english", "English", "simple_2", "x1", "1x", "a b", "a$"])
def test_other_languages_pass_as_they_came(language):
    """Unquoted, so PostgreSQL case-folds them as it always has (``English`` is ``english``)."""
    assert regconfig_input(language) == language


def test_unicode_digits_are_not_an_oid():
    assert regconfig_input("\u0663") == "\u0663"


@pytest.mark.parametrize("column", ["body", "body_text"])
def test_language_is_bound_wherever_it_is_used(column):
    sql, params = _render(column, "0")
    assert "0" not in sql
    assert sql.count("%s::regconfig") == len(params) - 1
    assert params[:-1] == ['"0"'] * (len(params) - 1) and params[-1] == "fox"


def test_no_language_no_regconfig():
    sql, params = _render("body", None)
    assert "regconfig" not in sql and params == ["fox"]
