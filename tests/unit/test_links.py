"""RFC 8288 page links of a read (pgrestd.links.page_links)."""

from __future__ import annotations

from pgrestd.links import page_links
from pgrestd.request.ranges import RowRange


def links(query: str, offset: int, limit: int | None, rows: int, total: int | None) -> dict[str, str]:
    upper = None if limit is None else offset + limit - 1
    value = page_links("", "/t", query, RowRange(offset, upper), rows, total)
    if value is None:
        return {}
    out = {}
    for part in value.split(", "):
        url, rel = part.split("; ")
        out[rel.removeprefix('rel="').removesuffix('"')] = url.strip("<>")
    return out


def test_no_limit_no_page_links():
    assert links("select=a", 0, None, 10, 10) == {}
    assert links("limit=0", 0, 0, 0, 10) == {}


def test_middle_page_with_total():
    assert links("select=a&limit=10&offset=20&order=a", 20, 10, 10, 45) == {
        "first": "/t?select=a&order=a&limit=10&offset=0",
        "prev": "/t?select=a&order=a&limit=10&offset=10",
        "next": "/t?select=a&order=a&limit=10&offset=30",
        "last": "/t?select=a&order=a&limit=10&offset=40",
    }


def test_embedded_limits_and_encoded_keys_stay():
    got = links("select=a,b(*)&b.limit=2&%6Cimit=5", 0, 5, 5, None)
    assert got["next"] == "/t?select=a,b(*)&b.limit=2&limit=5&offset=5"


def test_edges():
    assert set(links("", 0, 10, 10, 10)) == {"first", "last"}  # one full page, nothing more
    assert links("", 0, 10, 0, 0)["last"] == "/t?limit=10&offset=0"
    assert set(links("", 0, 10, 4, None)) == {"first"}  # a short page ends it
    assert links("", 3, 10, 10, None)["prev"] == "/t?limit=10&offset=0"
