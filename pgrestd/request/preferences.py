"""The Prefer header (RFC 7240) as PostgREST reads it, and the Preference-Applied it answers."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from ..errors import InvalidPreferences
from .ranges import read_integer

__all__ = [
    "ACTIONS",
    "Action",
    "Count",
    "Handling",
    "Missing",
    "Params",
    "Preferences",
    "Representation",
    "Resolution",
    "Transaction",
    "parse_prefer",
]


class Resolution(enum.StrEnum):
    """``resolution=``: how an insert treats rows that clash on a unique key (upsert)."""

    MERGE_DUPLICATES = "merge-duplicates"
    IGNORE_DUPLICATES = "ignore-duplicates"


class Representation(enum.StrEnum):
    """``return=``: what a mutation sends back."""

    FULL = "representation"
    MINIMAL = "minimal"
    HEADERS_ONLY = "headers-only"


class Count(enum.StrEnum):
    """``count=``: how the total in Content-Range is obtained."""

    EXACT = "exact"
    PLANNED = "planned"
    ESTIMATED = "estimated"


class Transaction(enum.StrEnum):
    """``tx=``: end the transaction by commit or rollback (needs db-tx-end = *-allow-override)."""

    COMMIT = "commit"
    ROLLBACK = "rollback"


class Missing(enum.StrEnum):
    """``missing=``: what fills columns named in ``columns=`` but absent from the body."""

    DEFAULT = "default"
    NULL = "null"


class Handling(enum.StrEnum):
    """``handling=``: whether unknown preferences are an error (strict) or ignored (lenient)."""

    STRICT = "strict"
    LENIENT = "lenient"


class Params(enum.StrEnum):
    """``params=``: PostgREST 12's legacy way to pass a POST body to a function as one argument."""

    SINGLE_OBJECT = "single-object"


# The registry: Preferences field, Prefer key, accepted values.  PostgREST's
# Preferences.fromHeaders matches each comma-separated item exactly
# (case-sensitive) against "key=value".
_ENUMERATED: tuple[tuple[str, str, type[enum.StrEnum]], ...] = (
    ("resolution", "resolution", Resolution),
    ("representation", "return", Representation),
    ("count", "count", Count),
    ("tx", "tx", Transaction),
    ("missing", "missing", Missing),
    ("handling", "handling", Handling),
    ("params", "params", Params),
)
_BY_TEXT: Mapping[str, tuple[str, enum.StrEnum]] = {
    f"{key}={member.value}": (field, member) for field, key, values in _ENUMERATED for member in values
}

# Data.ByteString.Char8.strip: ASCII whitespace and NBSP (headers arrive Latin-1 decoded).
_STRIP = " \t\n\v\f\r\xa0"

_TIMEZONE = "timezone="
_MAX_AFFECTED = "max-affected="

Action = Literal["read", "create", "update", "upsert", "delete", "call"]

# Response.responsePreferences: the preferences, beyond count, tx, handling and
# timezone, that each kind of request echoes in Preference-Applied.  resolution
# is only echoed when the insert has a conflict target (a primary key or
# on_conflict).
ACTIONS: Mapping[Action, frozenset[str]] = {
    "read": frozenset(),
    "create": frozenset(("resolution", "representation", "missing")),
    "update": frozenset(("representation", "missing", "max_affected")),
    "upsert": frozenset(("representation",)),
    "delete": frozenset(("representation", "max_affected")),
    "call": frozenset(("max_affected", "params")),
}


def _int64(value: int | None) -> int | None:
    """Haskell's ``read :: Int64`` wraps out-of-range numbers around."""
    if value is None:
        return None
    return (value + 2**63) % 2**64 - 2**63


@dataclass(frozen=True, slots=True)
class Preferences:
    """What the Prefer headers asked for; ``None`` where nothing (valid) was asked.

    ``invalid`` lists every item PostgREST does not recognise, in order,
    duplicates and empty items included, exactly as PGRST122 reports them.
    """

    resolution: Resolution | None = None
    representation: Representation | None = None
    count: Count | None = None
    tx: Transaction | None = None
    missing: Missing | None = None
    handling: Handling | None = None
    timezone: str | None = None
    max_affected: int | None = None
    params: Params | None = None
    invalid: tuple[str, ...] = ()

    @property
    def should_count(self) -> bool:
        """Run an exact count (Preferences.shouldCount)."""
        return self.count is Count.EXACT or self.count is Count.ESTIMATED

    def validate(self) -> None:
        """Raise PGRST122 when ``handling=strict`` meets unrecognised preferences.

        Why a separate step: PostgREST checks this while planning, after some
        errors (unknown table, PGRST107) and before others, so the planner
        decides when to call it.
        """
        if self.invalid and self.handling is Handling.STRICT:
            raise InvalidPreferences(list(self.invalid))

    def applied(
        self,
        *,
        resolution: bool = False,
        missing: bool = False,
        representation: bool = False,
        params: bool = False,
        max_affected: bool = False,
    ) -> str | None:
        """The Preference-Applied value, or None when there is nothing to report.

        count, tx, handling and timezone are always echoed when given; the
        flags say which of the others this response honoured.  Order and
        format follow Preferences.prefAppliedHeader; max-affected is only
        echoed under handling=strict.
        """
        parts: list[str] = []
        if resolution and self.resolution is not None:
            parts.append(f"resolution={self.resolution.value}")
        if missing and self.missing is not None:
            parts.append(f"missing={self.missing.value}")
        if representation and self.representation is not None:
            parts.append(f"return={self.representation.value}")
        if params and self.params is not None:
            parts.append(f"params={self.params.value}")
        if self.count is not None:
            parts.append(f"count={self.count.value}")
        if self.tx is not None:
            parts.append(f"tx={self.tx.value}")
        if self.handling is not None:
            parts.append(f"handling={self.handling.value}")
        if self.timezone is not None:
            parts.append(_TIMEZONE + self.timezone)
        if max_affected and self.max_affected is not None and self.handling is Handling.STRICT:
            parts.append(f"{_MAX_AFFECTED}{self.max_affected}")
        return ", ".join(parts) if parts else None

    def applied_for(self, action: Action, *, has_conflict_target: bool = False) -> str | None:
        """Preference-Applied for one kind of request, per :data:`ACTIONS` (Response.responsePreferences)."""
        echoed = ACTIONS[action]
        return self.applied(
            resolution="resolution" in echoed and has_conflict_target,
            missing="missing" in echoed,
            representation="representation" in echoed,
            params="params" in echoed,
            max_affected="max_affected" in echoed,
        )


def parse_prefer(
    header_values: Iterable[str],
    *,
    allow_tx_override: bool = True,
    legacy_params: bool = False,
) -> Preferences:
    """Read every Prefer header value, each a comma-separated list; never raises.

    Follows Preferences.fromHeaders: items are stripped of whitespace and
    matched exactly; the first occurrence of each preference wins, across
    headers too; ``timezone=`` takes any value (PostgreSQL judges it) and
    ``max-affected=`` an Int64 (an unreadable one is ignored, not invalid).
    ``tx=`` is recognised but dropped unless ``allow_tx_override``
    (db-tx-end = *-allow-override).  ``params=single-object`` is recognised
    only with ``legacy_params`` (PostgREST 12; later versions call it invalid).
    Call :meth:`Preferences.validate` to enforce ``handling=strict``.
    """
    found: dict[str, enum.StrEnum] = {}
    invalid: list[str] = []
    timezone: str | None = None
    max_affected_text: str | None = None
    for value in header_values:
        if not value:
            # ByteString.split yields no items for an empty header.
            continue
        for raw in value.split(","):
            item = raw.strip(_STRIP)
            hit = _BY_TEXT.get(item)
            if hit is not None:
                field, member = hit
                if field == "params" and not legacy_params:
                    invalid.append(item)
                else:
                    found.setdefault(field, member)
            elif item.startswith(_TIMEZONE):
                if timezone is None:
                    timezone = item[len(_TIMEZONE) :]
            elif item.startswith(_MAX_AFFECTED):
                if max_affected_text is None:
                    max_affected_text = item[len(_MAX_AFFECTED) :]
            else:
                invalid.append(item)
    if not allow_tx_override:
        found.pop("tx", None)
    return Preferences(
        timezone=timezone,
        max_affected=None if max_affected_text is None else _int64(read_integer(max_affected_text)),
        invalid=tuple(invalid),
        **found,  # type: ignore[arg-type]
    )
