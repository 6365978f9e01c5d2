"""The YAML writer (pgrestd/describe/yaml_text.py): what it writes reads back as the same data."""

from __future__ import annotations

import yaml
from hypothesis import given
from hypothesis import strategies as st

from pgrestd.describe import yaml_text

_TEXT = st.text(st.characters(exclude_categories=("Cs",)))
_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63 - 1), _TEXT, st.lists(st.one_of(st.none(), _TEXT), max_size=3))
_DATA = st.recursive(st.dictionaries(_TEXT, _LEAF, max_size=4),
                     lambda inner: st.dictionaries(_TEXT, st.one_of(_LEAF, inner), max_size=4), max_leaves=12)


def test_keys_and_texts_that_yaml_would_misread():
    data = {"on": "no", "200": "1", 200: {"x": True}, "#x": "- y", "a b": "one\ntwo\n", "t": "\ttab\nx",
            "e": {}, "l": ["G", None]}
    text = yaml_text.dump(data, "#%RAML 1.0")
    assert text.startswith("#%RAML 1.0\n")
    assert '"on": "no"' in text and "a b" in text and "|\n" in text  # one trailing newline: a clipped block
    assert yaml.safe_load(text) == data


@given(_DATA)
def test_any_data_reads_back(data):
    assert yaml.safe_load(yaml_text.dump(data)) == data
