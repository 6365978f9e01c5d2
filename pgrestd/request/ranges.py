"""Row ranges: the Range header, limit/offset, max-rows, Content-Range and the 200/206/416 rule."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from ..errors import InvalidRange, PutLimitNotAllowed

__all__ = [
    "ALL",
    "LIMIT_ZERO",
    "RowRange",
    "apply_max_rows",
    "content_range",
    "effective_range",
    "out_of_bounds",
    "parse_range_header",
    "query_range",
    "range_status",
    "read_integer",
]

# PostgREST's RangeError details (Error.hs).
_LOWER_GT_UPPER = "The lower boundary must be lower than or equal to the upper boundary in the Range header."
_NEGATIVE_LIMIT = "Limit should be greater than or equal to zero."

# Haskell's isSpace below U+0378: what `read` skips around a number.
_HS_SPACE = " \t\n\v\f\r\xa0"

# Text.Read.Lex: hexadecimal and octal win over decimal (`lexHexOct <++ lexDecNumber`);
# a fraction or exponent makes a number that is not an Integer.
_HS_INTEGER = re.compile(r"0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|([0-9]+)")

# RangeQuery.rangeParse; regex-tdfa compiles with multiline on, so ^ and $ also
# match at line breaks, and only a header with exactly one match counts.
_RANGE = re.compile(r"^([0-9]+)-([0-9]*)$", re.MULTILINE)


def read_integer(text: str) -> int | None:
    """Haskell's ``readMaybe :: Maybe Integer``, which PostgREST applies to limit, offset and max-affected.

    Why not ``int()``: Haskell accepts ``0x1A``, ``0o17``, ``(5)`` and ``- 5``
    but not ``+5``, ``1_000`` or ``1e3``; a value it cannot read is ignored, not
    an error.
    """
    s = text.strip(_HS_SPACE)
    while s.startswith("("):
        if not s.endswith(")"):
            return None
        s = s[1:-1].strip(_HS_SPACE)
    negative = s.startswith("-")
    if negative:
        s = s[1:].lstrip(_HS_SPACE)
    match = _HS_INTEGER.fullmatch(s)
    if match is None:
        return None
    hexa, octal, decimal = match.groups()
    if hexa is not None:
        value = int(hexa, 16)
    elif octal is not None:
        value = int(octal, 8)
    else:
        value = _decimal(decimal)
    return -value if negative else value


# Haskell's Integer has no size limit; Python refuses to convert very long
# decimal strings (sys.int_max_str_digits), so long ones go by chunks.
_CHUNK = 1000


def _decimal(digits: str) -> int:
    if len(digits) < sys.get_int_max_str_digits() or not sys.get_int_max_str_digits():
        return int(digits)
    value = 0
    for start in range(0, len(digits), _CHUNK):
        chunk = digits[start : start + _CHUNK]
        value = value * 10 ** len(chunk) + int(chunk)
    return value


def _text(number: int) -> str:
    """``show`` for an Integer of any size."""
    try:
        return str(number)
    except ValueError:
        pass
    sign, rest, chunks = ("-" if number < 0 else ""), abs(number), []
    while rest:
        rest, low = divmod(rest, 10**_CHUNK)
        chunks.append(str(low).zfill(_CHUNK))
    return sign + "".join(reversed(chunks)).lstrip("0")


@dataclass(frozen=True, slots=True)
class RowRange:
    """Rows ``offset`` to ``upper`` (both inclusive) of a result; ``upper=None`` is unbounded.

    Mirrors PostgREST's ``NonnegRange``: a range whose ``upper`` is below its
    ``offset`` is empty, and ``0..-1`` is the special empty range ``limit=0``
    asks for (PostgREST issue #1121).
    """

    offset: int = 0
    upper: int | None = None

    @property
    def limit(self) -> int | None:
        """The row count the range allows (RangeQuery.rangeLimit); None when unbounded."""
        return None if self.upper is None else self.upper - self.offset + 1

    @property
    def is_empty(self) -> bool:
        return self.upper is not None and self.upper < self.offset

    @property
    def has_limit_zero(self) -> bool:
        """RangeQuery.hasLimitZero: only the upper bound is compared."""
        return self.upper == -1

    def intersect(self, other: RowRange) -> RowRange:
        if self.upper is None:
            upper = other.upper
        elif other.upper is None:
            upper = self.upper
        else:
            upper = min(self.upper, other.upper)
        return RowRange(max(self.offset, other.offset), upper)

    def restrict(self, limit: int | None) -> RowRange:
        """At most ``limit`` rows from the same offset (RangeQuery.restrictRange)."""
        if limit is None:
            return self
        return self.intersect(RowRange(self.offset, self.offset + limit - 1))


ALL = RowRange()
LIMIT_ZERO = RowRange(0, -1)


def parse_range_header(value: str | None) -> RowRange:
    """The rows a ``Range: 0-24`` header asks for; anything unparsable means all rows.

    PostgREST never reads ``Range-Unit`` (RangeQuery.rangeRequested looks at
    ``Range`` only).  ``1-0`` parses to an empty range, which
    :func:`effective_range` rejects.
    """
    if value is None:
        return ALL
    matches = _RANGE.findall(value)
    if len(matches) != 1:
        return ALL
    lower, upper = matches[0]
    return RowRange(_decimal(lower), _decimal(upper) if upper else None)


def query_range(limit: str | None, offset: str | None) -> RowRange:
    """The rows ``limit=``/``offset=`` ask for, for the top level or one embedding path.

    Follows PostgREST's QueryParams: a value Haskell cannot read is ignored; a
    present ``limit`` that cannot be read still counts as a zero limit once an
    ``offset`` is given; a negative limit yields an empty range, which
    :func:`effective_range` reports.  Pass the last value of a repeated
    parameter, as PostgREST's ``HM.fromList`` keeps it.
    """
    limit_range = ALL if limit is None else ALL.restrict(read_integer(limit))
    if offset is None:
        return limit_range
    start = read_integer(offset)
    offset_range = ALL if start is None else RowRange(start, None)
    if limit is None:
        return offset_range
    count = limit_range.limit or 0
    return RowRange(offset_range.offset, offset_range.offset + count - 1)


def effective_range(
    header_range: RowRange,
    limit: str | None,
    offset: str | None,
    max_rows: int | None = None,
    *,
    method: str = "GET",
) -> RowRange:
    """The top-level rows a request reads: Range header ∩ limit/offset, capped by ``max_rows``.

    PostgREST's ApiRequest.getRanges then Plan.treeRestrictRange: the Range
    header only counts for GET (RFC 9110 §14.2); an empty result is a 416
    unless ``limit=0`` asked for it; PUT refuses any limit or offset
    (PGRST114).  ``max_rows`` never changes the offset, so the result also
    serves :func:`range_status`.  Pass ``max_rows=None`` for mutations, which
    PostgREST does not cap.
    """
    header = header_range if method == "GET" else ALL
    requested = query_range(limit, offset)
    combined = header.intersect(requested)
    top = LIMIT_ZERO if requested.has_limit_zero else combined
    if top.is_empty and not requested.has_limit_zero:
        raise InvalidRange(details=_LOWER_GT_UPPER if header.is_empty else _NEGATIVE_LIMIT)
    if method == "PUT" and top != ALL:
        raise PutLimitNotAllowed()
    return apply_max_rows(top, max_rows)


def apply_max_rows(range_: RowRange, max_rows: int | None) -> RowRange:
    """Cap a read's range at ``db-max-rows`` while keeping ``limit=0`` intact (Plan.treeRestrictRange)."""
    if range_.has_limit_zero:
        return LIMIT_ZERO
    return range_.restrict(max_rows)


def content_range(lower: int, upper: int, total: int | None) -> str:
    """The Content-Range value: ``0-24/3573``, ``0-24/*``, ``*/0``, ``*/3573`` (RangeQuery.contentRangeH)."""
    rows = f"{_text(lower)}-{_text(upper)}" if total != 0 and lower <= upper else "*"
    return f"{rows}/{'*' if total is None else _text(total)}"


def range_status(range_: RowRange, query_total: int, table_total: int | None) -> tuple[int, str]:
    """The status and Content-Range of a read returning ``query_total`` rows (RangeQuery.rangeStatusHeader).

    Without a count the status is always 200; with one, an offset past the
    total is 416 and a page smaller than the total is 206.
    """
    lower = range_.offset
    upper = lower + query_total - 1
    header = content_range(lower, upper, table_total)
    if table_total is None:
        return 200, header
    if lower > table_total:
        return 416, header
    if query_total < table_total:
        return 206, header
    return 200, header


def out_of_bounds(range_: RowRange, query_total: int, table_total: int | None) -> InvalidRange:
    """The PGRST103 error PostgREST sends as the body of a 416 from :func:`range_status`.

    Its ``headers`` carry the same Content-Range the 416 response has.
    """
    total = 0 if table_total is None else table_total
    return InvalidRange(
        details=f"An offset of {_text(range_.offset)} was requested, but there are only {_text(total)} rows.",
        headers={"Content-Range": range_status(range_, query_total, table_total)[1]},
    )
