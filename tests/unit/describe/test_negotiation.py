"""Which description the root and OPTIONS answer (pgrestd/describe/__init__.py), by Accept."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgrestd import errors
from pgrestd import media as mt
from pgrestd.describe import FORMATS, for_options, for_root


@pytest.mark.parametrize("accept, sent", [
    (None, mt.OPENAPI_20),
    ("*/*", mt.OPENAPI_20),
    ("application/json", mt.OPENAPI_20),
    ("application/openapi+json", mt.OPENAPI),  # 3.1, with the Content-Type PostgREST sends for it
    ("application/openapi+json;version=2.0", mt.OPENAPI_20),
    ("application/openapi+json; version=3.1", mt.OPENAPI_31),
    ('application/openapi+json;version="3.1.0"', mt.OPENAPI_31),
    ("application/openapi+json;version=3", mt.OPENAPI_31),
    ("text/vnd.mermaid", mt.MERMAID),
    ("application/raml+yaml", mt.RAML),
    ("text/csv, application/raml+yaml", mt.RAML),
    ("application/openapi+json;version=4, text/vnd.mermaid", mt.MERMAID),
    # wai-extra's order: more parameters first, then the list's order.
    ("application/openapi+json, application/openapi+json;version=3.1", mt.OPENAPI_31),
    ("text/vnd.mermaid;q=0.5, application/json", mt.OPENAPI_20),
])
def test_the_root_answers_the_first_accepted_format(accept, sent):
    assert for_root(mt.parse_accept(accept)).media == sent


@pytest.mark.parametrize("accept", ["text/csv", "application/openapi+json;version=3.0", "text/*", ""])
def test_the_root_refuses_what_it_cannot_produce(accept):
    with pytest.raises(errors.MediaTypeError):
        for_root(mt.parse_accept(accept))


@pytest.mark.parametrize("accept, sent", [
    (None, None),
    ("*/*", None),
    ("application/json", None),
    ("application/openapi+json", mt.OPENAPI),
    ("application/openapi+json;version=2.0", None),
    ("text/csv", None),
    ("application/openapi+json;version=3.1", mt.OPENAPI_31),
    ("application/json, text/vnd.mermaid", mt.MERMAID),
    ("application/raml+yaml", mt.RAML),
])
def test_options_answers_a_description_only_when_accept_names_one(accept, sent):
    found = for_options(mt.parse_accept(accept))
    assert (found and found.media) == sent


def test_content_types():
    assert {f.media.mime: f.content_type for f in FORMATS} == {
        "application/openapi+json; version=2.0": "application/openapi+json; charset=utf-8",
        "application/openapi+json": "application/openapi+json; charset=utf-8",
        "application/openapi+json; version=3.1": "application/openapi+json; version=3.1; charset=utf-8",
        "text/vnd.mermaid": "text/vnd.mermaid; charset=utf-8",
        "application/raml+yaml": "application/raml+yaml; charset=utf-8",
    }


def test_every_format_is_in_the_readme_with_an_example():
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    for fmt in FORMATS:
        bare = fmt.media.mime.replace("; ", ";")
        assert f"`{bare}" in readme, bare
        if fmt.by_options:
            assert f"-H 'Accept: {bare}'" in readme, bare  # a curl example
