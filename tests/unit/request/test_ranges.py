"""Tests for pgrestd.request.ranges: Range header, limit/offset, max-rows, Content-Range, status."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgrestd.errors import ApiError, InvalidRange, PutLimitNotAllowed
from pgrestd.request.ranges import (
    ALL,
    LIMIT_ZERO,
    RowRange,
    apply_max_rows,
    content_range,
    effective_range,
    out_of_bounds,
    parse_range_header,
    query_range,
    range_status,
    read_integer,
)

LOWER_GT_UPPER = "The lower boundary must be lower than or equal to the upper boundary in the Range header."
NEGATIVE_LIMIT = "Limit should be greater than or equal to zero."


def _details(error: ApiError) -> dict[str, object]:
    return orjson.loads(error.body())


# -- read_integer: Haskell's readMaybe :: Maybe Integer ------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("10", 10),
        ("007", 7),
        ("-4", -4),
        ("- 4", -4),
        (" 12 ", 12),
        ("\t3\n", 3),
        ("(5)", 5),
        ("( (5) )", 5),
        ("(-5)", -5),
        ("0x1A", 26),
        ("0X1a", 26),
        ("0o17", 15),
        ("0O17", 15),
        ("-0x10", -16),
        ("123456789012345678901234567890", 123456789012345678901234567890),
    ],
)
def test_read_integer_accepts_what_haskell_reads(text: str, expected: int) -> None:
    assert read_integer(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "abc",
        "+5",
        "1.0",
        "1e3",
        "1_000",
        "5)",
        "(5",
        "-(5)",
        "--5",
        "-",
        "0x",
        "0b101",
        "1 2",
        "٣",
        "5x",
    ],
)
def test_read_integer_rejects_what_haskell_rejects(text: str) -> None:
    assert read_integer(text) is None


def test_read_integer_has_no_size_limit() -> None:
    digits = "9" * 6000
    assert read_integer(digits) == 10**6000 - 1


# -- RowRange -----------------------------------------------------------------


def test_row_range_basics() -> None:
    assert ALL == RowRange(0, None)
    assert ALL.limit is None and not ALL.is_empty
    assert RowRange(3, 7).limit == 5
    assert RowRange(1, 0).is_empty
    assert LIMIT_ZERO.is_empty and LIMIT_ZERO.has_limit_zero and LIMIT_ZERO.limit == 0
    assert RowRange(5, 4).is_empty and not RowRange(5, 4).has_limit_zero


def test_row_range_intersect_and_restrict() -> None:
    assert RowRange(0, 9).intersect(RowRange(3, None)) == RowRange(3, 9)
    assert ALL.intersect(RowRange(-4, None)) == ALL
    assert RowRange(10, None).restrict(5) == RowRange(10, 14)
    assert RowRange(10, 12).restrict(5) == RowRange(10, 12)
    assert RowRange(10, 12).restrict(None) == RowRange(10, 12)


# -- Range header ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ALL),
        ("0-24", RowRange(0, 24)),
        ("0-0", RowRange(0, 0)),
        ("1-1", RowRange(1, 1)),
        ("100-199", RowRange(100, 199)),
        ("0-", RowRange(0, None)),
        ("10-", RowRange(10, None)),
        ("1-0", RowRange(1, 0)),  # empty: effective_range turns it into a 416
        # Not PostgREST's ^([0-9]+)-([0-9]*)$: ignored, every row.
        ("", ALL),
        ("-5", ALL),
        ("items=0-5", ALL),
        ("bytes=0-5", ALL),
        (" 0-5", ALL),
        ("0-5 ", ALL),
        ("0-5,7-9", ALL),
        ("a-b", ALL),
        ("0 - 5", ALL),
        ("+1-2", ALL),
        # regex-tdfa is multiline: one matching line counts, two cancel out.
        ("junk\n0-5", RowRange(0, 5)),
        ("0-5\n7-9", ALL),
    ],
)
def test_parse_range_header(value: str | None, expected: RowRange) -> None:
    assert parse_range_header(value) == expected


# -- limit / offset -------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "offset", "expected"),
    [
        (None, None, ALL),
        ("3", None, RowRange(0, 2)),
        ("1", None, RowRange(0, 0)),
        ("0", None, LIMIT_ZERO),
        ("-2", None, RowRange(0, -3)),
        ("abc", None, ALL),
        ("", None, ALL),
        (None, "5", RowRange(5, None)),
        (None, "0", ALL),
        (None, "-4", RowRange(-4, None)),
        (None, "abc", ALL),
        ("2", "3", RowRange(3, 4)),
        ("0", "5", RowRange(5, 4)),
        ("2", "abc", RowRange(0, 1)),
        # A limit Haskell cannot read still counts as zero next to an offset.
        ("abc", "5", RowRange(5, 4)),
        ("abc", "0", LIMIT_ZERO),
        ("-3", "3", RowRange(3, -1)),  # upper -1: treated as limit=0 downstream
    ],
)
def test_query_range(limit: str | None, offset: str | None, expected: RowRange) -> None:
    assert query_range(limit, offset) == expected


# -- effective_range: ApiRequest.getRanges + treeRestrictRange --------------------


@pytest.mark.parametrize(
    ("method", "header", "limit", "offset", "max_rows", "expected"),
    [
        ("GET", None, None, None, None, ALL),
        ("GET", "0-1", None, None, None, RowRange(0, 1)),
        ("GET", "0-", None, None, None, ALL),
        ("GET", "0-9", "5", None, None, RowRange(0, 4)),
        ("GET", "0-9", None, "3", None, RowRange(3, 9)),
        ("GET", "2-9", "3", "4", None, RowRange(4, 6)),
        ("GET", None, None, "-4", None, ALL),  # RangeSpec: negative offset is a no-op
        ("GET", None, None, "0", None, ALL),
        ("GET", None, "3", None, None, RowRange(0, 2)),
        ("GET", None, "0", None, None, LIMIT_ZERO),
        ("GET", "1-0", "0", None, None, LIMIT_ZERO),  # limit=0 bypasses the range checks
        ("GET", None, "abc", "0", None, LIMIT_ZERO),
        ("GET", None, "-3", "3", None, LIMIT_ZERO),  # hasLimitZero only looks at the upper bound
        # db-max-rows (QueryLimitedSpec)
        ("GET", None, None, None, 2, RowRange(0, 1)),
        ("GET", "0-0", None, None, 2, RowRange(0, 0)),
        ("GET", None, "0", None, 2, LIMIT_ZERO),
        ("GET", None, "10", "5", 2, RowRange(5, 6)),
        ("GET", None, None, None, 0, RowRange(0, -1)),
        # The Range header only counts for GET (RFC 9110 §14.2).
        ("HEAD", "1-0", None, None, None, ALL),
        ("HEAD", "0-1", None, None, None, ALL),
        ("POST", "5-9", None, None, None, ALL),
        ("DELETE", None, "2", None, None, RowRange(0, 1)),
        ("PUT", "0-1", None, None, None, ALL),
        ("PUT", None, None, "0", None, ALL),
        ("PUT", None, None, "-3", None, ALL),
    ],
)
def test_effective_range(
    method: str,
    header: str | None,
    limit: str | None,
    offset: str | None,
    max_rows: int | None,
    expected: RowRange,
) -> None:
    assert effective_range(parse_range_header(header), limit, offset, max_rows, method=method) == expected


@pytest.mark.parametrize(
    ("method", "header", "limit", "offset", "details"),
    [
        ("GET", "1-0", None, None, LOWER_GT_UPPER),  # RangeSpec: offside range
        ("GET", "5-3", None, None, LOWER_GT_UPPER),
        ("GET", "1-0", "3", None, LOWER_GT_UPPER),
        ("GET", None, "-1", None, NEGATIVE_LIMIT),
        ("GET", None, "-2", "3", NEGATIVE_LIMIT),
        ("GET", None, "0", "5", NEGATIVE_LIMIT),
        ("GET", "10-20", "5", "30", NEGATIVE_LIMIT),
        ("HEAD", None, "-1", None, NEGATIVE_LIMIT),
        ("POST", "1-0", "-1", None, NEGATIVE_LIMIT),
    ],
)
def test_effective_range_rejects_empty_ranges(
    method: str, header: str | None, limit: str | None, offset: str | None, details: str
) -> None:
    with pytest.raises(InvalidRange) as caught:
        effective_range(parse_range_header(header), limit, offset, method=method)
    assert caught.value.status == 416
    assert _details(caught.value) == {
        "code": "PGRST103",
        "message": "Requested range not satisfiable",
        "details": details,
        "hint": None,
    }


@pytest.mark.parametrize(("limit", "offset"), [("1", None), (None, "1"), ("0", None), ("10", "0")])
def test_put_refuses_limit_and_offset(limit: str | None, offset: str | None) -> None:
    with pytest.raises(PutLimitNotAllowed) as caught:
        effective_range(ALL, limit, offset, method="PUT")
    assert caught.value.code == "PGRST114" and caught.value.status == 400


def test_apply_max_rows() -> None:
    assert apply_max_rows(ALL, None) == ALL
    assert apply_max_rows(ALL, 1000) == RowRange(0, 999)
    assert apply_max_rows(RowRange(20, None), 10) == RowRange(20, 29)
    assert apply_max_rows(RowRange(20, 22), 10) == RowRange(20, 22)
    assert apply_max_rows(LIMIT_ZERO, 10) == LIMIT_ZERO


# -- Content-Range and status ---------------------------------------------------


@pytest.mark.parametrize(
    ("lower", "upper", "total", "expected"),
    [
        (0, 24, None, "0-24/*"),
        (0, 24, 3573, "0-24/3573"),
        (0, -1, None, "*/*"),
        (0, -1, 0, "*/0"),
        (100, 99, 15, "*/15"),
        (0, 14, 0, "*/0"),  # a zero total hides the range
        (1, 0, None, "*/*"),  # POST/DELETE use contentRangeH 1 0
        (1, 0, 3, "*/3"),
        (3, 4, 15, "3-4/15"),
    ],
)
def test_content_range(lower: int, upper: int, total: int | None, expected: str) -> None:
    assert content_range(lower, upper, total) == expected


@pytest.mark.parametrize(
    ("range_", "query_total", "table_total", "expected"),
    [
        # RangeSpec expectations
        (ALL, 15, None, (200, "0-14/*")),
        (RowRange(0, 2), 3, None, (200, "0-2/*")),
        (RowRange(0, 0), 1, None, (200, "0-0/*")),
        (ALL, 0, None, (200, "*/*")),
        (ALL, 0, 0, (200, "*/0")),
        (RowRange(1, None), 0, 0, (416, "*/0")),
        (RowRange(100, None), 0, 15, (416, "*/15")),
        (RowRange(100, 199), 0, 15, (416, "*/15")),
        (ALL, 7, 8, (206, "0-6/8")),
        (ALL, 2, 673, (206, "0-1/673")),
        (ALL, 15, 15, (200, "0-14/15")),
        (ALL, 5, 2019, (206, "0-4/2019")),
        (RowRange(3, 4), 2, 15, (206, "3-4/15")),
        (LIMIT_ZERO, 0, None, (200, "*/*")),
        # An offset equal to the total is not out of bounds, just an empty page.
        (RowRange(15, None), 0, 15, (206, "*/15")),
        # A planned total may be lower than what came back.
        (ALL, 20, 15, (200, "0-19/15")),
    ],
)
def test_range_status(
    range_: RowRange, query_total: int, table_total: int | None, expected: tuple[int, str]
) -> None:
    assert range_status(range_, query_total, table_total) == expected


def test_out_of_bounds_matches_rangespec() -> None:
    error = out_of_bounds(RowRange(1, None), 0, 0)
    assert error.status == 416
    assert error.headers == {"Content-Range": "*/0"}
    body = error.body()
    assert orjson.loads(body) == {
        "message": "Requested range not satisfiable",
        "code": "PGRST103",
        "details": "An offset of 1 was requested, but there are only 0 rows.",
        "hint": None,
    }
    assert len(body) == 144  # RangeSpec checks Content-Length: 144
    error = out_of_bounds(RowRange(100, None), 0, 15)
    assert _details(error)["details"] == "An offset of 100 was requested, but there are only 15 rows."
    assert error.headers == {"Content-Range": "*/15"}


def test_huge_numbers_format() -> None:
    big = 10**6000
    assert content_range(big, big, None) == f"{'1' + '0' * 6000}-{'1' + '0' * 6000}/*"
    assert effective_range(parse_range_header("9" * 5000 + "-"), None, None).offset == 10**5000 - 1


# -- properties -------------------------------------------------------------------

_NUMBERISH = st.text(alphabet="0123456789-+xXoOabcdef() .e\t", max_size=12)


@given(st.one_of(st.none(), st.text()))
def test_parse_range_header_never_fails(value: str | None) -> None:
    result = parse_range_header(value)
    assert result.offset >= 0


@given(
    st.sampled_from(["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"]),
    st.one_of(st.none(), st.text(), st.from_regex(r"\A[0-9]{1,3}-[0-9]{0,3}\Z")),
    st.one_of(st.none(), _NUMBERISH, st.text()),
    st.one_of(st.none(), _NUMBERISH, st.text()),
    st.one_of(st.none(), st.integers(min_value=0, max_value=10_000)),
)
def test_effective_range_only_raises_catalogue_errors(
    method: str, header: str | None, limit: str | None, offset: str | None, max_rows: int | None
) -> None:
    try:
        result = effective_range(parse_range_header(header), limit, offset, max_rows, method=method)
    except ApiError as error:
        assert isinstance(error, (InvalidRange, PutLimitNotAllowed))
        return
    # A valid top-level range starts at a row and is either non-empty or limit=0.
    assert result.offset >= 0
    assert result == LIMIT_ZERO or not result.is_empty or max_rows == 0


@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6),
    st.one_of(st.none(), st.integers(min_value=0, max_value=10**6)),
)
def test_range_status_is_consistent(offset: int, query_total: int, table_total: int | None) -> None:
    status, header = range_status(RowRange(offset, None), query_total, table_total)
    assert status in (200, 206, 416)
    assert header.endswith("/*" if table_total is None else f"/{table_total}")
    if table_total is None:
        assert status == 200


@given(st.text(alphabet=" \t-()0123456789xo", max_size=10))
def test_read_integer_agrees_with_int_on_plain_decimals(text: str) -> None:
    value = read_integer(text)
    stripped = text.strip(" \t")
    if stripped.isdigit():
        assert value == int(stripped)
