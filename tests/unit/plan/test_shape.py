"""Request shapes: which filter values the plan cache may swap, and how Content-Location is rebuilt."""

from __future__ import annotations

from pgrestd.plan.shape import encode_canonical_value, query_shape, sentinel


def test_simple_filter_values_are_swapped():
    a, b = query_shape("id=eq.1&select=id"), query_shape("id=eq.2&select=id")
    assert a is not None and b is not None
    assert a.key == b.key == f"id=eq.{sentinel(0)}&select=id"
    assert (a.values, b.values) == (("1",), ("2",))


def test_decoding_and_like():
    shape = query_shape("name=not.like.a%2Ab+c")
    assert shape is not None
    assert shape.values == ("a*b c",) and shape.like == (True,)
    assert encode_canonical_value(shape.raw_values[0]) == "a%2Ab%20c"


def test_syntax_is_never_swapped():
    # select, order, limit, logic trees and in-lists keep their text in the key.
    assert query_shape("select=id&order=id&limit=5") is None
    assert query_shape("or=(id.eq.1,id.eq.2)") is None
    assert query_shape("id=in.(1,2)&tags=cs.{a}").key == f"id=in.(1,2)&tags=cs.{sentinel(0)}"
    assert query_shape("actors.order=name&actors.name=eq.x").key == f"actors.order=name&actors.name=eq.{sentinel(0)}"


def test_invalid_utf8_is_not_shaped():
    assert query_shape("name=eq.%FF") is None
