"""Cache-Control policies of the schema cache: declared in a comment, or inferred from table statistics.

A table's, view's or function's comment declares its policy on a line of its own::

    COMMENT ON TABLE api.films IS 'Feature films.
    Cache-Control: public, max-age=60';

The line is read when the schema cache loads, validated, and taken out of
the description (so the OpenAPI document does not show it).  A line that
does not validate is left in the comment and ignored (the loader logs why).

With ``db-cache-infer``, a table or view without a declared policy gets a
``max-age`` from how often PostgreSQL's statistics say its table is
written, relative to how often it is read (:func:`infer_policy`).

Which relations a request reads, and whether its role is anonymous, decide
what is sent: that is :mod:`pgrestd.caching`'s part.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache

from ..config.settings import MAX_SECONDS
from ..fuzzy import closest

__all__ = [
    "MAX_SECONDS", "NO_CACHE_WRITE_SHARE", "CachePolicy", "DirectiveError", "TableActivity",
    "combine_policies", "declared_policy", "infer_policy", "inferred_max_age", "parse_cache_control",
    "without_policy",
]

# The largest delta-seconds a directive may give is the configuration's bound for seconds, 2^31 - 1:
# RFC 9111 §1.2.2 has caches treat anything larger as 2^31.

# With inference, a table whose writes are this share of its writes and reads, or more, gets no-cache.
NO_CACHE_WRITE_SHARE = 0.1


class _Merge(Enum):
    """How one directive of the policies of all the relations a read touches becomes the most restrictive."""

    ANY = "set when any policy sets it"
    ALL = "set only when every policy sets it"
    MIN = "the smallest value given"
    MIN_OF_ALL = "the smallest value, only when every policy gives one"
    SHARED = "the smallest shared lifetime (s-maxage, else max-age), when any policy gives s-maxage"


@dataclass(frozen=True, slots=True)
class _Directive:
    name: str
    seconds: bool  # takes delta-seconds (max-age=60) rather than standing alone (public)
    merge: _Merge


# The response directives of RFC 9111 §5.2.2, RFC 8246 (immutable) and RFC 5861 (stale-*), in the
# order pgrestd sends them.  The field-name forms private="..." and no-cache="..." are not accepted:
# pgrestd cannot honour them per field.
_DIRECTIVES: dict[str, _Directive] = {d.name: d for d in (
    _Directive("public", False, _Merge.ALL),
    _Directive("private", False, _Merge.ANY),
    _Directive("no-store", False, _Merge.ANY),
    _Directive("no-cache", False, _Merge.ANY),
    _Directive("max-age", True, _Merge.MIN),
    _Directive("s-maxage", True, _Merge.SHARED),
    _Directive("must-revalidate", False, _Merge.ANY),
    _Directive("proxy-revalidate", False, _Merge.ANY),
    _Directive("no-transform", False, _Merge.ANY),
    _Directive("immutable", False, _Merge.ALL),
    _Directive("stale-while-revalidate", True, _Merge.MIN_OF_ALL),
    _Directive("stale-if-error", True, _Merge.MIN_OF_ALL),
)}
_ORDER = {name: i for i, name in enumerate(_DIRECTIVES)}

# A response that says any of these needs no "private" added for an authenticated request.
_SAYS_WHO_STORES = frozenset(("public", "private", "no-store"))

Directives = tuple[tuple[str, int | None], ...]  # (name, seconds or None), in _DIRECTIVES order


class DirectiveError(ValueError):
    """A Cache-Control line that does not validate; the message says why."""


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """One Cache-Control policy and why it was chosen, with the two header values it sends."""

    directives: Directives
    reason: str
    inferred: bool = False  # from statistics (db-cache-infer) rather than declared in a comment
    # Rendered once: the value for anonymous reads, and the one for authenticated reads, which adds
    # "private" unless the policy itself says public, private or no-store.
    anonymous: str = field(init=False, repr=False)
    authenticated: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        value = ", ".join(name if seconds is None else f"{name}={seconds}" for name, seconds in self.directives)
        says = any(name in _SAYS_WHO_STORES for name, _ in self.directives)
        object.__setattr__(self, "anonymous", value)
        object.__setattr__(self, "authenticated", value if says else "private, " + value)

    def header(self, authenticated: bool) -> str:
        return self.authenticated if authenticated else self.anonymous


# -- declared: a line of the comment -------------------------------------------------------

_LINE = re.compile(r"^[ \t]*cache-control[ \t]*:(.*)$", re.IGNORECASE | re.MULTILINE)
_DIGITS = re.compile(r"[0-9]+")


def parse_cache_control(value: str) -> Directives:
    """A Cache-Control field value as a policy's directives, in pgrestd's order; DirectiveError if invalid.

    Names are case-insensitive (RFC 9111 §5.2); each may appear once; delta-seconds are digits,
    optionally quoted; empty list members are skipped (RFC 9110 §5.6.1).
    """
    given: dict[str, int | None] = {}
    for member in value.split(","):
        member = member.strip()
        if not member:
            continue
        name, eq, argument = (part.strip() for part in member.partition("="))
        name = name.lower()
        directive = _DIRECTIVES.get(name)
        if directive is None:
            suggestion = closest(_DIRECTIVES, name)
            raise DirectiveError(f"unknown directive {member!r}"
                                 + (f", perhaps {suggestion!r}" if suggestion else ""))
        if name in given:
            raise DirectiveError(f"{name} is given twice")
        if not directive.seconds:
            if eq:
                raise DirectiveError(f"{name} takes no value")
            given[name] = None
            continue
        if len(argument) > 1 and argument[0] == argument[-1] == '"':
            argument = argument[1:-1]
        if not eq or not _DIGITS.fullmatch(argument):
            raise DirectiveError(f"{name} needs a number of seconds, as in {name}=60")
        seconds = int(argument)
        if seconds > MAX_SECONDS:
            raise DirectiveError(f"{name}={seconds} is more than {MAX_SECONDS} seconds")
        given[name] = seconds
    if not given:
        raise DirectiveError("no directive")
    if "public" in given and "private" in given:
        raise DirectiveError("public and private contradict each other")
    return tuple(sorted(given.items(), key=lambda item: _ORDER[item[0]]))


def declared_policy(comment: str | None, subject: str) -> tuple[str | None, CachePolicy | None]:
    """The comment without its ``Cache-Control:`` line, and the policy that line declares.

    ``subject`` names the object in the reason, as in ``COMMENT ON TABLE api.films``.  Raises
    DirectiveError (the caller keeps the comment whole and logs it) when the line does not
    validate or when there are several.
    """
    if comment is None:
        return None, None
    lines = list(_LINE.finditer(comment))
    if not lines:
        return comment, None
    if len(lines) > 1:
        raise DirectiveError("more than one Cache-Control line")
    line = lines[0]
    directives = parse_cache_control(line.group(1))
    rest = (comment[:line.start()] + comment[line.end() + 1:]).split("\n")
    # The line goes, and with it the blank lines it leaves at either end.
    while rest and not rest[0].strip():
        rest.pop(0)
    while rest and not rest[-1].strip():
        rest.pop()
    return "\n".join(rest) or None, CachePolicy(directives, f"declared in {subject}")


def without_policy(comment: str | None) -> str | None:
    """A comment as the schema cache describes its object: without its Cache-Control line, if valid.

    For descriptions read outside the schema cache (the OpenAPI document's per-request query).
    """
    try:
        return declared_policy(comment, "")[0]
    except DirectiveError:
        return comment


# -- combined: the relations of one read ---------------------------------------------------


def combine_policies(policies: Sequence[CachePolicy]) -> CachePolicy:
    """The most restrictive of the policies of all the relations one read touches.

    Each directive merges as ``_DIRECTIVES`` says: the smallest max-age, no-store and no-cache
    when any policy has them, public only when every policy has it.  With no-store nothing else
    is sent: there is nothing left to be fresh.
    """
    first = policies[0]
    if all(p is first for p in policies):
        return first
    return _combine(tuple(policies))


@lru_cache(maxsize=256)
def _combine(policies: tuple[CachePolicy, ...]) -> CachePolicy:
    given = [dict(p.directives) for p in policies]
    merged: dict[str, int | None] = {}
    for name, directive in _DIRECTIVES.items():
        values = [g[name] for g in given if name in g]
        if not values:
            continue
        seconds = [v for v in values if v is not None]
        everyone = len(values) == len(given)
        match directive.merge:
            case _Merge.ANY:
                merged[name] = None
            case _Merge.ALL if everyone:
                merged[name] = None
            case _Merge.MIN:
                merged[name] = min(seconds)
            case _Merge.MIN_OF_ALL if everyone:
                merged[name] = min(seconds)
            case _Merge.SHARED:
                shared = (g.get(name, g.get("max-age")) for g in given)
                merged[name] = min(v for v in shared if v is not None)
    if "no-store" in merged:
        merged = {"no-store": None}
    directives = tuple(sorted(merged.items(), key=lambda item: _ORDER[item[0]]))
    return CachePolicy(directives, "the most restrictive of: " + "; ".join(p.reason for p in policies))


# -- inferred: from pg_stat_user_tables ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableActivity:
    """A table's counters since the statistics were reset: rows written and scans that read it.

    ``writes`` is pg_stat_user_tables' n_tup_ins + n_tup_upd + n_tup_del and ``reads`` its
    seq_scan + idx_scan (of a partitioned table: summed over its partitions).
    """

    schema: str
    name: str
    writes: int
    reads: int

    @property
    def write_share(self) -> float:
        total = self.writes + self.reads
        return self.writes / total if total else 0.0


def inferred_max_age(activity: TableActivity, cap: int) -> int:
    """``cap × (1 − write share / NO_CACHE_WRITE_SHARE)``, rounded down: 0 (no-cache) from that share on.

    A table never written gets the cap; every write, relative to the reads, takes some of it away.
    """
    return max(0, math.floor(cap * (1 - activity.write_share / NO_CACHE_WRITE_SHARE)))


def infer_policy(sources: Sequence[TableActivity], cap: int, *, view: bool = False) -> CachePolicy | None:
    """The policy of a table (one source) or of a view (the tables it reads): the shortest max-age.

    Returns None without sources (a foreign table, a view that reads no table).
    """
    if not sources:
        return None
    age, activity = min(((inferred_max_age(a, cap), a) for a in sources), key=lambda pair: pair[0])
    share = activity.write_share
    counts = (f"{activity.writes} writes and {activity.reads} reads since the statistics were reset, "
              f"a write share of {share:.1%}")
    if age == 0:
        outcome = f"no-cache from a write share of {NO_CACHE_WRITE_SHARE:.0%}"
    else:
        outcome = f"max-age = {cap} × (1 − {share:.1%} / {NO_CACHE_WRITE_SHARE:.0%}) = {age}"
    whose = ""
    if view:
        whose = f" of {activity.schema}.{activity.name}"
        if len(sources) > 1:
            whose += f", the most written of the {len(sources)} tables the view reads"
    directives: Directives = (("max-age", age),) if age else (("no-cache", None),)
    return CachePolicy(directives, f"inferred from the statistics{whose}: {counts}; {outcome}", inferred=True)
