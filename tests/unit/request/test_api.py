"""ApiRequest's pieces: the Cookie header, read pair by pair as PostgREST does."""

from __future__ import annotations

import pytest

from pgrestd.request.api import parse_cookies


@pytest.mark.parametrize(("header", "cookies"), [
    (None, {}),
    ("", {}),
    ("acookie=cookievalue;secondcookie=anothervalue",
     {"acookie": "cookievalue", "secondcookie": "anothervalue"}),
    ('jwt="a.b.c"', {"jwt": "a.b.c"}),
    ("a=1; a=2", {"a": "2"}),
    ("flag; x=1=2", {"flag": "", "x": "1=2"}),
])
def test_cookie_pairs(header, cookies):
    assert parse_cookies(header) == cookies


@pytest.mark.parametrize("junk", ['c={"x":1}', "c=b c", 'c="unterminated', "c=\\054", ";;", "=orphan"])
def test_junk_in_one_cookie_costs_only_that_cookie(junk):
    # A site's other applications set cookies a strict parser (SimpleCookie) gives up on, dropping
    # every cookie after them: the token of jwt-cookie-name among them.
    cookies = parse_cookies(f"theme=dark; {junk}; jwt=aaa.bbb.ccc")
    assert cookies["theme"] == "dark" and cookies["jwt"] == "aaa.bbb.ccc"
