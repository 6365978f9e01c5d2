"""``--rows``: a default and per-table numbers, resolved against the tables being filled; the README
documents every option of ``pgrestd mock``."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgrestd.cli import build_mock_parser
from pgrestd.mock import MockError, RowCounts
from pgrestd.mock.model import MockSchema, Table

README = Path(__file__).resolve().parents[3] / "README.md"


def schema(*names: tuple[str, str]) -> MockSchema:
    return MockSchema({n: Table(*n, ()) for n in names}, {}, tuple(n for n in names if n[0] == "api"))


def test_rows_parse_and_resolve():
    counts = RowCounts.parse(["50", "films=10", "private.films=3"])
    resolved = counts.resolve(schema(("api", "films"), ("private", "films"), ("api", "actors")), ["api"])
    assert resolved == {("api", "films"): 10, ("private", "films"): 3, ("api", "actors"): 50}
    assert RowCounts.parse([]).default == 20


@pytest.mark.parametrize("spec", ["x", "films=", "=3", "-1", "films=-2"])
def test_bad_rows(spec):
    with pytest.raises(MockError, match="--rows"):
        RowCounts.parse([spec])


def test_an_unknown_table_is_named_with_the_known_ones():
    with pytest.raises(MockError, match=r"no table 'flims'.*api\.films"):
        RowCounts.parse(["flims=3"]).resolve(schema(("api", "films")), ["api"])


def test_the_readme_documents_every_option():
    text = README.read_text()
    assert "pgrestd mock" in text
    for action in build_mock_parser()._actions:
        for option in action.option_strings:
            if option not in ("-h", "--help"):
                assert option in text, option
