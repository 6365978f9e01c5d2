"""JWT validation: PostgREST's messages for bad tokens and claims; the key as the configuration decoded it."""

from __future__ import annotations

import base64
import time

import jwt
import orjson
import pytest

from pgrestd.auth.jwt import Authenticator, parse_claim_path
from pgrestd.config import config_from_mapping
from pgrestd.errors import AnonymousDisabled, JwtClaimsInvalid, JwtInvalid, JwtSecretMissing

SECRET = "reallyreallyreallyreallyverysafe"
# 34 bytes whose base64url form has "-" and "_" and, padded the PostgREST way, ends in "..".
BINARY_KEY = b"\xfb\xef\xbe\xff\xff\xff" * 5 + b"\x00\x01\x02\x03"
BINARY_SECRET = base64.urlsafe_b64encode(BINARY_KEY).decode().replace("=", ".")


def auth(**kw):
    defaults = {"key": SECRET.encode(), "audience": None, "role_claim_key": ".role", "anon_role": "anon"}
    defaults.update(kw)
    return Authenticator(**defaults)


def bearer(claims, secret=SECRET, alg="HS256"):
    return "Bearer " + jwt.encode(claims, secret, algorithm=alg)


def test_anonymous_without_header():
    r = auth().authenticate(None)
    assert (r.role, r.authenticated) == ("anon", False)
    assert orjson.loads(r.claims_json) == {"role": "anon"}


def test_anonymous_disabled():
    with pytest.raises(AnonymousDisabled):
        auth(anon_role=None).authenticate(None)


def test_role_from_claim():
    r = auth().authenticate(bearer({"role": "web_user", "sub": "x"}))
    assert (r.role, r.authenticated) == ("web_user", True)
    assert orjson.loads(r.claims_json) == {"role": "web_user", "sub": "x"}


def test_nested_role_claim_path():
    assert parse_claim_path('."https://x".roles[1]') == ("https://x", "roles", 1)
    a = auth(role_claim_key='."https://x".roles[1]')
    r = a.authenticate(bearer({"https://x": {"roles": ["a", "b"]}}))
    assert (r.role, r.authenticated) == ("b", True)


def test_token_without_role_is_anonymous():
    r = auth().authenticate(bearer({"sub": "x"}))
    assert (r.role, r.authenticated) == ("anon", False)
    assert orjson.loads(r.claims_json) == {"sub": "x", "role": "anon"}


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
    assert e.value.details == "None of the keys was able to decode the JWT"
    assert (e.value.code, e.value.status) == ("PGRST301", 401)


def test_no_key_refuses_tokens_but_not_anonymous_requests():
    a = auth(key=None)
    assert a.authenticate(None).role == "anon"
    with pytest.raises(JwtSecretMissing):
        a.authenticate(bearer({"role": "x"}))


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
    assert (e.value.code, e.value.status) == ("PGRST303", 401)


def test_clock_skew_of_30_seconds_is_allowed():
    r = auth().authenticate(bearer({"exp": time.time() - 10, "role": "r"}))
    assert (r.role, r.authenticated) == ("r", True)


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
    for _ in range(2):
        with pytest.raises(JwtInvalid, match="JWT cryptographic operation failed"):
            a.authenticate("Bearer a.b.c")
    assert len(a._cache) == 0
    a.authenticate(bearer({"role": "r"}))
    assert len(a._cache) == 1  # what it does keep: valid tokens


# -- the key as the configuration decoded it -------------------------------------------------------


def test_base64url_secret_with_dot_padding_from_config():
    # jwt-secret-is-base64 takes base64url with "." padding (PostgREST's decodeSecret); the config
    # accepted this secret, and the authenticator once decoded it again another way: binascii.Error.
    assert "-" in BINARY_SECRET and "_" in BINARY_SECRET and BINARY_SECRET.endswith("..")
    config = config_from_mapping({"jwt-secret": BINARY_SECRET, "jwt-secret-is-base64": True,
                                  "db-anon-role": "anon"})
    assert config.jwt_key == BINARY_KEY
    a = Authenticator.from_config(config)
    r = a.authenticate(bearer({"role": "web_user"}, secret=BINARY_KEY))
    assert (r.role, r.authenticated) == ("web_user", True)
    with pytest.raises(JwtInvalid, match="No suitable key"):
        a.authenticate(bearer({"role": "web_user"}, secret=BINARY_SECRET.encode()))


def test_base64_encoded_jwk_set_from_config():
    # The decoded secret is a JWK Set, not an HMAC key made of its JSON text.
    oct_key = b"k" * 32
    jwks = {"keys": [{"kty": "oct", "k": base64.urlsafe_b64encode(oct_key).decode().rstrip("=")}]}
    config = config_from_mapping({"jwt-secret": base64.b64encode(orjson.dumps(jwks)).decode(),
                                  "jwt-secret-is-base64": True})
    assert config.jwt_key == jwks
    assert Authenticator.from_config(config).authenticate(bearer({"role": "r"}, secret=oct_key)).role == "r"


def test_plain_secret_is_used_byte_for_byte():
    # PostgREST does not strip a plain secret; the configuration validated it with its spaces.
    secret = " " + SECRET + " "
    a = Authenticator.from_config(config_from_mapping({"jwt-secret": secret}))
    assert a.authenticate(bearer({"role": "r"}, secret=secret)).role == "r"
    with pytest.raises(JwtInvalid, match="No suitable key"):
        a.authenticate(bearer({"role": "r"}, secret=SECRET))


def test_from_config_takes_every_auth_setting():
    config = config_from_mapping({
        "jwt-secret": SECRET, "jwt-aud": "mine", "jwt-role-claim-key": ".app.role", "db-anon-role": "nobody",
        "jwt-cache-max-entries": 5,
    })
    a = Authenticator.from_config(config)
    assert a.anon_role == "nobody"
    assert a.authenticate(None).role == "nobody"
    token = bearer({"app": {"role": "r"}, "aud": "mine"})
    first = a.authenticate(token)
    assert first.role == "r"
    assert a.authenticate(token) is first  # cached
    with pytest.raises(JwtClaimsInvalid, match="JWT not in audience"):
        a.authenticate(bearer({"app": {"role": "r"}, "aud": "other"}))
    uncached = Authenticator.from_config(config.replace(jwt_cache_max_entries=0))
    assert uncached.authenticate(token) is not uncached.authenticate(token)


def test_from_config_cache_lifetime(monkeypatch):
    config = config_from_mapping({"jwt-secret": SECRET, "jwt-cache-max-entries": 5, "jwt-cache-max-lifetime": 10})
    a = Authenticator.from_config(config)
    now = time.time()
    token = bearer({"role": "r", "exp": now + 3600})
    first = a.authenticate(token)
    assert a.authenticate(token) is first
    monkeypatch.setattr(time, "time", lambda: now + 11)
    again = a.authenticate(token)
    assert again is not first and again == first  # checked anew once jwt-cache-max-lifetime passed


def test_from_config_without_secret_or_anonymous_role():
    a = Authenticator.from_config(config_from_mapping({}))
    assert a.anon_role is None
    with pytest.raises(AnonymousDisabled):
        a.authenticate(None)
    with pytest.raises(JwtSecretMissing):
        a.authenticate(bearer({"role": "r"}))


def test_hmac_token_against_an_rsa_key_is_refused_not_confused():
    """Key confusion: an HS256 token "signed" with the RSA public key's bytes is a wrong key, never a crash."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = orjson.loads(RSAAlgorithm.to_jwk(private.public_key()))
    auth = Authenticator(key={"keys": [jwk]}, anon_role="anon")
    pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(b'{"role":"admin"}').rstrip(b"=").decode()
    import hashlib
    import hmac
    signature = base64.urlsafe_b64encode(hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    forged = f"{header}.{payload}.{signature.rstrip(b'=').decode()}"
    with pytest.raises(JwtInvalid, match="No suitable key"):
        auth.authenticate("Bearer " + forged)
    assert auth.authenticate("Bearer " + jwt.encode({"role": "admin"}, private, algorithm="RS256")).role == "admin"


# -- jwt-cookie-name ---------------------------------------------------------------------------------


def test_token_from_the_cookie_when_there_is_no_authorization_header():
    a = auth(cookie_name="jwt")
    r = a.authenticate(None, {"jwt": jwt.encode({"role": "web_user"}, SECRET), "other": "x"})
    assert (r.role, r.authenticated) == ("web_user", True)
    assert a.authenticate(None, {"other": "x"}).role == "anon"
    assert a.authenticate(None, {"jwt": ""}).role == "anon"  # an emptied cookie is no token
    assert a.authenticate("", {"jwt": jwt.encode({"role": "web_user"}, SECRET)}).role == "web_user"


def test_the_authorization_header_wins_over_the_cookie():
    a = auth(cookie_name="jwt")
    cookies = {"jwt": jwt.encode({"role": "from_cookie"}, SECRET)}
    assert a.authenticate(bearer({"role": "from_header"}), cookies).role == "from_header"
    # A header of another scheme still decides: anonymous, not the cookie's role.
    assert a.authenticate("Basic dXNlcjpwdw==", cookies).role == "anon"
    with pytest.raises(JwtInvalid):
        a.authenticate("Bearer a.b.c", cookies)


def test_cookies_are_not_read_without_jwt_cookie_name():
    cookies = {"jwt": jwt.encode({"role": "web_user"}, SECRET)}
    assert auth().authenticate(None, cookies).role == "anon"
    with pytest.raises(AnonymousDisabled):
        auth(anon_role=None).authenticate(None, cookies)


@pytest.mark.parametrize("token, error", [
    ("a.b.c", JwtInvalid),
    (jwt.encode({"role": "x"}, "another-secret-another-secret-another"), JwtInvalid),
    (jwt.encode({"role": "x", "exp": 1}, SECRET), JwtClaimsInvalid),
])
def test_a_bad_cookie_token_is_refused_like_a_bad_header_token(token, error):
    a = auth(cookie_name="jwt", cache_entries=10)
    with pytest.raises(error) as from_cookie:
        a.authenticate(None, {"jwt": token})
    with pytest.raises(error) as from_header:
        a.authenticate("Bearer " + token)
    assert (from_cookie.value.code, from_cookie.value.status, from_cookie.value.message) == \
        (from_header.value.code, from_header.value.status, from_header.value.message)


def test_from_config_reads_jwt_cookie_name():
    config = config_from_mapping({"jwt-secret": SECRET, "jwt-cookie-name": "__Host-jwt"})
    a = Authenticator.from_config(config)
    assert a.authenticate(None, {"__Host-jwt": jwt.encode({"role": "r"}, SECRET)}).role == "r"
