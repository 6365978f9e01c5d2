"""JWT validation: PostgREST's messages for bad tokens and claims."""

from __future__ import annotations

import time

import jwt
import pytest

from pgrestd.auth.jwt import Authenticator, parse_claim_path
from pgrestd.errors import AnonymousDisabled, JwtClaimsInvalid, JwtInvalid

SECRET = "reallyreallyreallyreallyverysafe"


def auth(**kw):
    defaults = dict(secret=SECRET, secret_is_base64=False, audience=None, role_claim_key=".role", anon_role="anon")
    defaults.update(kw)
    return Authenticator(**defaults)


def bearer(claims, secret=SECRET, alg="HS256"):
    return "Bearer " + jwt.encode(claims, secret, algorithm=alg)


def test_anonymous_without_header():
    r = auth().authenticate(None)
    assert (r.role, r.authenticated) == ("anon", False)


def test_anonymous_disabled():
    with pytest.raises(AnonymousDisabled):
        auth(anon_role=None).authenticate(None)


def test_role_from_claim():
    r = auth().authenticate(bearer({"role": "web_user", "sub": "x"}))
    assert (r.role, r.authenticated) == ("web_user", True)
    assert '"sub":"x"' in r.claims_json


def test_nested_role_claim_path():
    assert parse_claim_path('."https://x".roles[1]') == ("https://x", "roles", 1)
    a = auth(role_claim_key='."https://x".roles[1]')
    assert a.authenticate(bearer({"https://x": {"roles": ["a", "b"]}})).role == "b"


def test_token_without_role_is_anonymous():
    r = auth().authenticate(bearer({"sub": "x"}))
    assert (r.role, r.authenticated) == ("anon", False)


@pytest.mark.parametrize("header, message", [
    ("Bearer ", "Empty JWT is sent in Authorization header"),
    ("Bearer abc.def", "Expected 3 parts in JWT; got 2"),
    ("Bearer a.b.c", "JWT cryptographic operation failed"),
])
def test_malformed_tokens(header, message):
    with pytest.raises(JwtInvalid) as e:
        auth().authenticate(header)
    assert e.value.message == message
    assert e.value.status == 401


def test_wrong_secret():
    with pytest.raises(JwtInvalid) as e:
        auth().authenticate(bearer({"role": "x"}, secret="another-secret-another-secret-another"))
    assert e.value.message == "No suitable key or wrong key type"


@pytest.mark.parametrize("claims, message", [
    ({"exp": "soon"}, "The JWT 'exp' claim must be a number"),
    ({"exp": -60}, "JWT expired"),
    ({"nbf": 60}, "JWT not yet valid"),
    ({"iat": 60}, "JWT issued at future"),
    ({"aud": [1, "x"]}, "The JWT 'aud' claim must be a string or an array of strings"),
])
def test_claim_errors(claims, message):
    # Numeric times are offsets from now, taken when the test runs.
    claims = {k: time.time() + v if isinstance(v, int) else v for k, v in claims.items()}
    with pytest.raises(JwtClaimsInvalid) as e:
        auth().authenticate(bearer(claims))
    assert e.value.message == message
    assert e.value.code == "PGRST303"


def test_clock_skew_of_30_seconds_is_allowed():
    auth().authenticate(bearer({"exp": time.time() - 10, "role": "r"}))


@pytest.mark.parametrize("aud, ok", [("mine", True), ("other", False), ("", False), (["x", "mine"], True),
                                     (["x"], False), ([], True), (None, True)])
def test_audience(aud, ok):
    claims = {"role": "r"} if aud is None else {"role": "r", "aud": aud}
    a = auth(audience="mine")
    if ok:
        assert a.authenticate(bearer(claims)).role == "r"
    else:
        with pytest.raises(JwtClaimsInvalid, match="JWT not in audience"):
            a.authenticate(bearer(claims))


def test_cache_returns_the_same_result_and_honours_exp():
    a = auth(cache_entries=10)
    token = bearer({"role": "r", "exp": time.time() + 3600})
    first = a.authenticate(token)
    assert a.authenticate(token) is first
    expired = bearer({"role": "r", "exp": time.time() - 10})  # within the 30 s skew: valid now
    assert a.authenticate(expired).role == "r"


def test_cache_does_not_keep_a_token_past_its_expiry(monkeypatch):
    a = auth(cache_entries=10)
    now = time.time()
    token = bearer({"role": "r", "exp": now + 5})
    assert a.authenticate(token).role == "r"
    monkeypatch.setattr(time, "time", lambda: now + 60)
    with pytest.raises(JwtClaimsInvalid, match="JWT expired"):
        a.authenticate(token)


def test_cache_does_not_keep_errors():
    a = auth(cache_entries=10)
    with pytest.raises(JwtInvalid):
        a.authenticate("Bearer a.b.c")
    with pytest.raises(JwtInvalid):
        a.authenticate("Bearer a.b.c")
