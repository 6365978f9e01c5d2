"""The Mermaid entity-relationship diagram (``erDiagram``) of a description.

Each relation is an entity with its columns (type, name, ``PK``/``FK``/``UK``
and the first line of its comment); each relationship PostgREST can embed
is a line: solid for a foreign key (many-to-one, or one-to-one when the key
is also unique), dashed for what PostgREST derives (many-to-many through a
junction table, computed relationships).  Names Mermaid's grammar cannot
take raw are quoted (entities, labels) or spelled with ``_`` (columns and
types, whose real name then opens the comment).
"""

from __future__ import annotations

import re

from ..catalog import Cardinality, Catalog, Column, Table
from .model import Description, Edge, unique_keys

__all__ = ["attribute_word", "encode", "render"]

# erDiagram's lexer (mermaid 9 to 12): an entity name in double quotes takes any character but these.
_NOT_IN_QUOTES = re.compile(r'["%\\\x00-\x1f\x7f]')
# ... an attribute's type and name are ATTRIBUTE_WORDs: a letter or _, then letters, digits, -_[]().,
_NOT_IN_WORD = re.compile(r"[^A-Za-z0-9\-_\[\]().,\u00C0-\U0010FFFF]")
_WORD_START = re.compile(r"[A-Za-z_\u00C0-\U0010FFFF]")
_KEY_WORDS = frozenset(("pk", "fk", "uk"))  # lexed as key markers wherever they stand


def attribute_word(text: str) -> str:
    """``text`` as an ATTRIBUTE_WORD: other characters become ``_``; never a key marker."""
    word = _NOT_IN_WORD.sub("_", text)
    if not word or not _WORD_START.match(word) or word.lower() in _KEY_WORDS:
        word = "_" + word
    return word


def _quoted(text: str) -> str:
    """A label or comment in double quotes (``"[^"]*"``), on one line."""
    return '"' + " ".join(text.replace('"', "'").split()) + '"'


def _foreign_key_columns(catalog: Catalog, table: Table) -> frozenset[str]:
    """The columns of the foreign keys ``table`` holds (to any relation, seen or not)."""
    return frozenset(column for rel in catalog.relationships(table.schema, table.name)
                     if rel.cardinality is Cardinality.M2O or (rel.cardinality is Cardinality.O2O and not rel.is_parent)
                     for column, _ in rel.columns)


def _attribute(column: Column, keys: list[str]) -> str:
    name = attribute_word(column.name)
    line = f"    {attribute_word(column.type)} {name}"
    if keys:
        line += " " + ", ".join(keys)
    comment = (column.description or "").strip().partition("\n")[0]
    if name != column.name:
        comment = f"{column.name}: {comment}" if comment else column.name
    if comment:
        line += " " + _quoted(comment)
    return line


def _entity(catalog: Catalog, table: Table, name: str) -> list[str]:
    primary = frozenset(table.primary_key)
    foreign = _foreign_key_columns(catalog, table)
    unique = frozenset(key[0] for key in table.unique_keys if len(key) == 1) - primary
    lines = [f"  {name} {{"]
    for column in table.columns:
        keys = [marker for marker, columns in (("PK", primary), ("FK", foreign), ("UK", unique))
                if column.name in columns]
        lines.append(_attribute(column, keys))
    lines.append("  }")
    return lines


def _line(edge: Edge, names: dict[str, str]) -> str:
    """One relationship: ``<source> <its cardinality><line><the target's> <target> : <label>``."""
    rel, source = edge.relationship, edge.source
    left, right = names[source.name], names[edge.target.name]
    if rel.is_computed:
        assert rel.function is not None
        ends = "}o..o|" if rel.to_one else "}o..o{"
        return f"  {left} {ends} {right} : {_quoted(rel.function[1] + '()')}"
    if rel.cardinality is Cardinality.M2M:
        assert rel.junction is not None
        return f"  {left} }}o..o{{ {right} : {_quoted('via ' + rel.junction.table[1])}"
    columns = [column for column, _ in rel.columns]
    nullable = {column.name: column.nullable for column in source.columns}
    required = all(nullable.get(column) is False for column in columns)  # every child has a parent
    many = "|o" if rel.cardinality is Cardinality.O2O else "}o"
    return f"  {left} {many}--{'||' if required else 'o|'} {right} : {_quoted(', '.join(columns))}"


def render(description: Description) -> str:
    """The diagram's text: ``erDiagram``, the entities by name, then the relationships."""
    labels = unique_keys(((t.name, t.name) for t in description.entities), _NOT_IN_QUOTES)
    names = {name: '"' + label + '"' for name, label in labels.items()}
    lines = ["erDiagram"]
    for table in description.entities:
        lines += _entity(description.catalog, table, names[table.name])
    lines += [_line(edge, names) for edge in description.edges]
    return "\n".join(lines) + "\n"


def encode(description: Description) -> bytes:
    return render(description).encode()
