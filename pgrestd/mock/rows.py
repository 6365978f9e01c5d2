"""Rows for one table: values for every column, keys that stay unique, references to rows that exist.

A row is a dict of column name to text input (None for NULL) over the
columns the mock fills: identity, generated and serial columns are left to
their defaults, and so is a column of a type no value can be made for when
it has a default.  Unique keys are kept distinct here (PostgreSQL would
refuse a duplicate anyway, but a row made again here costs less than one
refused there); a foreign key whose columns are a key of their own (one to
one) deals its targets out like cards, so that no two rows take the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .model import Column, ForeignKey, Table, UniqueKey
from .names import uniquify
from .order import self_reference_inline
from .values import ValueMaker

__all__ = ["Row", "RowMaker"]

Row = dict[str, "str | None"]
Key = tuple["str | None", ...]

_NULLS = 0.1  # the share of NULLs in a column that allows them
_ATTEMPTS = 30  # tries at a row whose keys are all taken, before the table counts as full
_FRESH = 5  # tries with new values before a text key gets a number appended
_INTEGERS = ("int2", "int4", "int8")


class RowMaker:
    """Makes rows for ``table``; ``targets`` holds, by foreign key name, the key values of the rows
    each foreign key may point at (text, sorted); ``deferred`` names keys to leave NULL for now."""

    def __init__(self, table: Table, values: ValueMaker, targets: dict[str, Sequence[Key]],
                 deferred: Iterable[str] = ()) -> None:
        self.table = table
        self.values = values
        self.random = values.fake.random
        self.columns = [c for c in table.columns
                        if not c.defaulted and (c.default is None or values.supported(c.type_oid))]
        supplied = {c.name for c in self.columns}
        self.keys = [k for k in table.unique_keys if set(k.columns) <= supplied]
        self.seen: dict[str, set[Key]] = {k.name: set() for k in self.keys}
        deferred = set(deferred)
        self.deferred = [fk for fk in table.foreign_keys if fk.name in deferred]
        self.inline = [fk for fk in table.foreign_keys
                       if fk.name not in deferred and self_reference_inline(table, fk)]
        self.referencing = [fk for fk in table.foreign_keys
                            if fk.name not in deferred and fk not in self.inline]
        self.targets = targets
        self.decks = {fk.name: self._shuffled(targets.get(fk.name, ()))
                      for fk in self.referencing if self._one_to_one(fk)}
        self.pool: dict[str, list[Key]] = {fk.name: [] for fk in self.inline}
        self.sequence_column, self.counter = self._sequence()
        self.suffix = 1

    def _shuffled(self, targets: Sequence[Key]) -> list[Key]:
        return self.random.sample(list(targets), len(targets))

    def _one_to_one(self, fk: ForeignKey) -> bool:
        return any(set(k.columns) <= set(fk.columns) for k in self.table.unique_keys)

    def _sequence(self) -> tuple[str | None, int | None]:
        """A single integer primary key that nothing else fills, and its first value: it counts 1, 2, 3."""
        pk = next((k for k in self.keys if k.primary and len(k.columns) == 1), None)
        if pk is None or any(pk.columns[0] in fk.columns for fk in self.table.foreign_keys):
            return None, None
        column = self.table.column(pk.columns[0])
        resolved = self.values.resolve(column.type_oid)
        if resolved.type.name not in _INTEGERS or column.hints.choices:
            return None, None
        low = column.hints.merge(resolved.hints).low
        return column.name, int(low[0]) + int(low[1]) if low else 1

    # -- making rows ---------------------------------------------------------------------------------

    def make(self, count: int) -> list[Row]:
        """Up to ``count`` new rows; fewer when the keys have run out."""
        rows = []
        for _ in range(count):
            attempts = (self._attempt(suffix=i >= _FRESH) for i in range(_ATTEMPTS))
            row = next((r for r in attempts if r is not None), None)
            if row is None:
                break
            self._remember(row)
            rows.append(row)
        return rows

    def forget(self, row: Row) -> None:
        """Forget a row PostgreSQL refused: its keys are free again, and nothing may point at it."""
        for key in self.keys:
            self.seen[key.name].discard(self._key(row, key))
        for fk in self.inline:
            target = tuple(row.get(c) for c in fk.target_columns)
            if target in self.pool[fk.name]:
                self.pool[fk.name].remove(target)

    def _remember(self, row: Row) -> None:
        for key in self.keys:
            self.seen[key.name].add(self._key(row, key))
        for fk in self.inline:
            self.pool[fk.name].append(tuple(row.get(c) for c in fk.target_columns))
        if self.counter is not None:
            self.counter += 1

    def _attempt(self, suffix: bool) -> Row | None:
        row: Row = {}
        for fk in self.referencing:
            if not self._refer(row, fk):
                return None
        for column in self.columns:
            if column.name not in row:
                row[column.name] = self._value(column)
        for fk in self.inline:
            self._refer_back(row, fk)
        for fk in self.deferred:
            for c in fk.columns:
                if not self.table.column(c).not_null:
                    row[c] = None
        return row if self._unique(row, suffix) else None

    def _value(self, column: Column) -> str | None:
        if column.name == self.sequence_column:
            return str(self.counter)
        if not self.values.not_null(column) and self.random.random() < _NULLS:
            return None
        return self.values.value(self.table.name, column)

    def _nullable(self, fk: ForeignKey) -> bool:
        return all(not self.values.not_null(self.table.column(c)) for c in fk.columns)

    def _refer(self, row: Row, fk: ForeignKey) -> bool:
        """Point ``fk`` at a target row; False when no target fits and NULL is not allowed."""
        if self._nullable(fk) and self.random.random() < _NULLS:
            for c in fk.columns:
                row.setdefault(c, None)
            return True
        fixed = {i: row[c] for i, c in enumerate(fk.columns) if c in row}
        if fk.name in self.decks:
            deck = self.decks[fk.name]
            target = deck.pop() if deck else None
            if target is not None and any(target[i] != v for i, v in fixed.items()):
                deck.insert(0, target)
                target = None
        else:
            choices = self.targets.get(fk.name, ())
            if fixed:  # columns shared with a key set before: only targets that agree
                choices = [t for t in choices if all(t[i] == v for i, v in fixed.items())]
            target = self.random.choice(choices) if choices else None
        if target is None:
            if not self._nullable(fk):
                return False
            target = tuple(None for _ in fk.columns)
        for c, v in zip(fk.columns, target):
            row[c] = v
        return True

    def _refer_back(self, row: Row, fk: ForeignKey) -> None:
        """A self-reference: to a row made before (or, for the first row of a NOT NULL key, itself)."""
        pool = self.pool[fk.name]
        own = tuple(row.get(c) for c in fk.target_columns)
        if self._nullable(fk) and (not pool or self.random.random() < 0.2):
            target: Key = tuple(None for _ in fk.columns)
        else:
            target = self.random.choice(pool) if pool else own
        for c, v in zip(fk.columns, target):
            row[c] = v

    def _key(self, row: Row, key: UniqueKey) -> Key | None:
        values = tuple(row.get(c) for c in key.columns)
        if None in values and not key.nulls_not_distinct:
            return None  # NULLs are distinct: never a duplicate
        return values

    def _unique(self, row: Row, suffix: bool) -> bool:
        """Whether the row's keys are all new; with ``suffix``, a text key of one column is made new
        with a number ("Ann Lee 2"), when new values have failed to come."""
        for key in self.keys:
            value = self._key(row, key)
            if value is None or value not in self.seen[key.name]:
                continue
            column = self.table.column(key.columns[0])
            if (not suffix or len(key.columns) > 1 or not self.values.textual(column)
                    or row[column.name] is None):
                return False
            limit = self.values.max_length(column)
            while value in self.seen[key.name]:
                self.suffix += 1
                row[column.name] = uniquify(str(row[column.name]), self.suffix, limit)
                value = (row[column.name],)
        return all(self._key(row, k) is None or self._key(row, k) not in self.seen[k.name] for k in self.keys)
