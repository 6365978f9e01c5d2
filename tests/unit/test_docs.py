"""Docs are a tested contract: every error code of the catalogue is explained in the README."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from pgrestd import errors

README = Path(__file__).resolve().parents[2] / "README.md"


def _catalogue_codes() -> set[str]:
    return {cls.code for _, cls in inspect.getmembers(errors, inspect.isclass)
            if issubclass(cls, errors.ApiError) and cls.code.startswith("PGRST") and cls.code != "PGRSTX00"}


def test_every_error_code_is_in_the_readme():
    text = README.read_text()
    missing = sorted(code for code in _catalogue_codes() if f"| {code} |" not in text)
    assert missing == []


def test_the_readme_lists_no_code_pgrestd_never_answers():
    listed = set(re.findall(r"^\| (PGRST\d+) \|", README.read_text(), re.MULTILINE))
    assert sorted(listed - _catalogue_codes()) == []


def test_readme_shows_the_two_commands():
    text = README.read_text()
    assert "make run" in text and "make test" in text
