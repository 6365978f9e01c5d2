"""jwt-cookie-name against a real pgrestd: the token from a cookie, the Authorization header first."""

from __future__ import annotations

import time

import jwt
import pytest
import requests

from tests.jwks_support import WHOAMI_SETTINGS, WHOAMI_SQL
from tests.support import server_fixture

SECRET = "reallyreallyreallyreallyverysafe-cookie"

cookie_server = server_fixture(WHOAMI_SQL, {
    **WHOAMI_SETTINGS, "jwt-secret": SECRET, "jwt-cookie-name": "access_token", "server-workers": 1,
    "server-etag-enabled": True, "server-cors-allowed-origins": "https://app.example.com",
}, database="jwks", user="jk_auth")
header_server = server_fixture(WHOAMI_SQL, {**WHOAMI_SETTINGS, "jwt-secret": SECRET, "server-workers": 1},
                               database="jwks", user="jk_auth")


def token(sub: str = "alice", **claims: object) -> str:
    return jwt.encode({"role": "jk_user", "sub": sub, **claims}, SECRET, algorithm="HS256")


def whoami(server, **headers: str) -> requests.Response:
    return requests.get(server.url + "/rpc/whoami", headers=headers, timeout=10)


def test_the_token_comes_from_the_cookie(cookie_server):
    r = whoami(cookie_server, Cookie=f"theme=dark; access_token={token()}")
    assert r.status_code == 200 and r.json() == {"role": "jk_user", "sub": "alice"}
    assert whoami(cookie_server, Cookie="theme=dark").json()["role"] == "jk_anon"
    assert whoami(cookie_server, Cookie="access_token=").json()["role"] == "jk_anon"  # logged out


def test_junk_cookies_of_other_applications_do_not_hide_it(cookie_server):
    r = whoami(cookie_server, Cookie=f'prefs={{"a":"b c"}}; legacy="unterminated; access_token={token()}')
    assert r.json() == {"role": "jk_user", "sub": "alice"}


def test_the_authorization_header_wins(cookie_server):
    cookie = f"access_token={token('alice')}"
    assert whoami(cookie_server, Authorization=f"Bearer {token('bob')}", Cookie=cookie).json()["sub"] == "bob"
    r = whoami(cookie_server, Authorization="Bearer a.b.c", Cookie=cookie)
    assert r.status_code == 401 and r.json()["code"] == "PGRST301"


def test_cookies_are_not_read_without_the_setting(header_server):
    r = whoami(header_server, Cookie=f"access_token={token()}")
    assert r.status_code == 200 and r.json() == {"role": "jk_anon", "sub": None}


@pytest.mark.parametrize(("bad", "code"), [
    ("a.b.c", "PGRST301"),
    (jwt.encode({"role": "jk_user"}, "another-secret-another-secret-another", algorithm="HS256"), "PGRST301"),
    (token(exp=int(time.time()) - 3600), "PGRST303"),
])
def test_a_bad_cookie_token_gets_the_401_a_bad_header_token_gets(cookie_server, bad, code):
    from_cookie = whoami(cookie_server, Cookie=f"access_token={bad}")
    from_header = whoami(cookie_server, Authorization=f"Bearer {bad}")
    assert from_cookie.status_code == from_header.status_code == 401
    assert from_cookie.json() == from_header.json() and from_cookie.json()["code"] == code
    assert from_cookie.headers["WWW-Authenticate"] == from_header.headers["WWW-Authenticate"]


def test_credentials_and_caches(cookie_server):
    # A listed origin may send the cookie (Access-Control-Allow-Credentials); shared caches key on it.
    r = whoami(cookie_server, Origin="https://app.example.com", Cookie=f"access_token={token()}")
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Cookie" in [v.strip() for v in r.headers["Vary"].split(",")]
