"""The Mermaid ER diagram (pgrestd/describe/mermaid.py): entities, keys, relationship lines, safe names."""

from __future__ import annotations

import pytest

from pgrestd.describe import describe, mermaid
from pgrestd.request.api import Target

from .schema import subject


def test_a_table_and_its_relationships():
    assert mermaid.render(describe(subject(Target("relation", "directors")))) == """\
erDiagram
  "directors" {
    integer id PK
    text name "Full name"
    text code UK
  }
  "films" {
    bigint id PK
    character_varying(80) title "The 'title'"
    integer director_id FK
    api.rating rated
    text[] genres
    jsonb extra
    text select
    text slug
  }
  "films" }o--o| "directors" : "director_id"
"""


def test_every_kind_of_relationship_is_a_line():
    lines = mermaid.render(describe(subject())).splitlines()
    relations = [line.strip() for line in lines if " : " in line]
    assert relations == [
        '"actors" }o..o{ "films" : "via roles"',  # many-to-many: dashed, through the junction
        '"film details" |o--|| "films" : "film_id"',  # one-to-one, the key NOT NULL
        '"films" }o--o| "directors" : "director_id"',  # many-to-one, the key nullable
        '"films" }o..o{ "actors" : "cast_of()"',  # computed: dashed, named after its function
        '"roles" }o--|| "actors" : "actor_id"',
        '"roles" }o--|| "films" : "film_id"',
    ]
    entity = lines.index('  "film details" {')
    assert lines[entity + 1:entity + 4] == [
        "    bigint film_id PK, FK",
        '    text _pk "pk"',  # PK/FK/UK are key markers wherever they stand
        '    interval _1st_cut "1st cut"',  # a word starts with a letter or _
    ]


def test_a_function_has_an_empty_diagram():
    assert mermaid.render(describe(subject(Target("rpc", "add")))) == "erDiagram\n"


@pytest.mark.parametrize("text, word", [
    ("id", "id"), ("character varying(80)", "character_varying(80)"), ("timestamp with time zone",
                                                                        "timestamp_with_time_zone"),
    ("1st", "_1st"), ("PK", "_PK"), ("uk", "_uk"), ("pkey", "pkey"), ("ünï", "ünï"), ('a"b%c{d}', "a_b_c_d_"),
    ("", "_"), ("-x", "_-x"),
])
def test_attribute_words(text, word):
    assert mermaid.attribute_word(text) == word
