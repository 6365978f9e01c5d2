"""jwt-jwks-url: the key set fetched from a URL (on loopback), refreshed, rate-limited, kept when down."""

from __future__ import annotations

import logging
import time

import pytest

from pgrestd.auth import jwks
from pgrestd.auth.jwks import KeySet, RemoteKeys, fetch_remote_keys, remote_keys
from pgrestd.auth.jwt import Authenticator
from pgrestd.config import config_from_mapping
from pgrestd.errors import JwtInvalid
from tests.jwks_support import JwksServer, SigningKey

SECRET = "reallyreallyreallyreallyverysafe"
RSA_A, RSA_B, EC_E, OKP_O = SigningKey("a"), SigningKey("b"), SigningKey("e", "EC"), SigningKey("o", "OKP")


class Clock:
    """time.monotonic, moved by the test: PyJWKClient's cache and pgrestd's rate limit both read it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(time, "monotonic", c)
    return c


@pytest.fixture()
def idp():
    with JwksServer() as server:
        server.serve(RSA_A, EC_E, OKP_O)
        yield server


def remote(server: JwksServer, refresh: float = 300, minimum: float = 30) -> RemoteKeys:
    keys = RemoteKeys(server.url, refresh_interval=refresh, min_refresh_interval=minimum)
    keys.fetch()
    return keys


def bearer(key: SigningKey, **kw) -> str:
    return "Bearer " + key.token(**kw)


# -- the set ----------------------------------------------------------------------------------------


def test_key_set_takes_the_asymmetric_signing_keys_pyjwt_can_use():
    oct_key = {"kty": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "kid": "s"}
    encryption = {**RSA_B.jwk, "use": "enc"}
    unnamed = {k: v for k, v in OKP_O.jwk.items() if k != "kid"}
    key_set = KeySet.from_document({"keys": [RSA_A.jwk, EC_E.jwk, unnamed, oct_key, encryption, 7,
                                             {"kty": "RSA", "kid": "broken"}]})
    assert len(key_set.keys) == 3 and key_set.skipped == 4
    assert key_set.kids == ("a", "e") and [len(v) for v in key_set.by_kid.values()] == [1, 1]
    assert key_set.by_kid["e"][0][1] == ("ES256", "ES384", "ES512")
    assert key_set.describe() == ("3 keys (kid a, e); 4 left out "
                                  "(not an RSA, EC or OKP signing key PyJWT can use)")


@pytest.mark.parametrize("document", [[], {"keys": "x"}, {"keys": []},
                                      {"keys": [{"kty": "oct", "k": "AAAA"}]}])
def test_key_set_refuses_a_document_without_a_usable_key(document):
    with pytest.raises(ValueError):
        KeySet.from_document(document)


# -- fetching ---------------------------------------------------------------------------------------


def test_unknown_kid_fetches_again_at_most_once_per_min_refresh_interval(idp, clock):
    keys = remote(idp, minimum=30)
    assert idp.fetches == 1 and keys.keys_with_kid("a")
    idp.serve(RSA_A, RSA_B)
    clock.now += 29
    for _ in range(20):
        assert keys.keys_with_kid("b") == ()  # within the interval: refused without a fetch
    assert idp.fetches == 1
    clock.now += 1
    assert keys.keys_with_kid("b") and idp.fetches == 2
    for kid in ("x", "y", "z"):
        assert keys.keys_with_kid(kid) == ()
    assert idp.fetches == 2
    assert keys.keys_with_kid("e") == ()  # the new set lacks it


def test_the_set_is_fetched_again_after_the_refresh_interval(idp, clock):
    keys = remote(idp, refresh=300, minimum=30)
    first = keys.generation
    clock.now += 299
    keys.key_set()
    assert idp.fetches == 1
    clock.now += 2  # past the lifespan (PyJWKClient's cache expires strictly after it)
    idp.serve(RSA_B)
    assert keys.key_set().kids == ("b",) and idp.fetches == 2 and keys.generation == first + 1


def test_the_last_keys_stay_while_the_url_is_down_and_one_line_says_so(idp, clock, caplog):
    keys = remote(idp, refresh=60, minimum=10)
    idp.stop()
    caplog.set_level(logging.INFO, "pgrestd.auth")
    for _ in range(10):
        clock.now += 61
        assert keys.key_set().kids == ("a", "e", "o")
        assert keys.keys_with_kid("a") and keys.keys_with_kid("new") == ()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].startswith(f"jwt-jwks-url: cannot fetch the JSON Web Key Set from {idp.url} again: "
                                "Connection refused. Still verifying with the 3 keys (kid a, e, o) "
                                "fetched 61 s ago")
    idp.serve(RSA_B)
    idp.start()
    clock.now += 10
    assert keys.keys_with_kid("b")
    assert f"jwt-jwks-url: fetched {idp.url} again: 1 key (kid b)" in caplog.messages


def test_a_set_never_fetched_is_tried_again_at_the_min_refresh_interval(clock, caplog):
    down = JwksServer()
    keys = RemoteKeys(down.url, refresh_interval=300, min_refresh_interval=5)
    assert keys.fetch() is False
    assert "Tokens signed by its keys get 401 until it can be fetched (tried again at most every 5 s): " \
           "check the URL and that this host can reach it." in caplog.text
    assert keys.key_set().keys == ()
    with down:
        down.serve(RSA_A)
        assert keys.keys_with_kid("a") == ()  # still within 5 s of the failure
        clock.now += 5
        assert keys.keys_with_kid("a") and down.fetches == 1


@pytest.mark.parametrize(("status", "body", "reason"), [
    (404, None, "HTTP status 404 Not Found"),
    (302, None, "HTTP status 302 Found (redirects are not followed: give the final URL)"),
    (200, b"<html>", "the answer is not JSON"),
    (200, b"[1]", "the answer is not a JSON Web Key Set"),
    (200, b'{"keys": [{"kty": "oct", "k": "AAAA"}]}',
     "the set holds no RSA, EC or OKP signing key PyJWT can use"),
])
def test_why_a_fetch_failed_is_said_in_a_few_words(idp, caplog, status, body, reason):
    idp.status, idp.body = status, body
    assert RemoteKeys(idp.url, refresh_interval=300, min_refresh_interval=30).fetch() is False
    assert f"from {idp.url}: {reason}" in caplog.text


def test_a_slow_server_is_given_up_on_after_the_timeout():
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts connections, never answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/jwks.json"
        started = time.monotonic()
        assert RemoteKeys(url, refresh_interval=300, min_refresh_interval=30, timeout=0.3).fetch() is False
        assert time.monotonic() - started < 2
    finally:
        listener.close()


# -- what the master fetches, the workers inherit ----------------------------------------------------


@pytest.fixture()
def config(idp, monkeypatch):
    """A configuration naming idp's set, in a process whose master has fetched nothing yet."""
    monkeypatch.setattr(jwks, "_shared", None)
    return config_from_mapping({"jwt-jwks-url": idp.url, "db-anon-role": "anon"})


def test_workers_take_the_set_the_master_fetched(idp, config):
    fetched = fetch_remote_keys(config)
    assert fetched is not None and idp.fetches == 1
    assert remote_keys(config) is fetched and idp.fetches == 1  # a worker's view: no fetch of its own
    assert fetch_remote_keys(config) is fetched and idp.fetches == 2  # a reload fetches again
    other = config.replace(jwt_jwks_min_refresh_interval=5)
    assert remote_keys(other) is not fetched and idp.fetches == 3
    assert fetch_remote_keys(config_from_mapping({})) is None and remote_keys(config_from_mapping({})) is None


def test_a_reload_while_the_url_is_down_keeps_the_keys(idp, config):
    keys = fetch_remote_keys(config)
    idp.stop()
    assert fetch_remote_keys(config) is keys and keys.key_set().kids == ("a", "e", "o")


# -- verifying tokens ----------------------------------------------------------------------------------


def test_tokens_signed_by_keys_of_the_set_are_accepted(idp):
    auth = Authenticator(remote=remote(idp), anon_role="anon")
    for key in (RSA_A, EC_E, OKP_O):
        assert auth.authenticate(bearer(key)).role == "jk_user"
    assert auth.authenticate(bearer(RSA_A, kid=None)).role == "jk_user"  # no kid: every key is tried
    assert auth.authenticate(None).role == "anon"


@pytest.mark.parametrize("kid", ["unknown", "e"])
def test_a_kid_names_the_only_keys_tried(idp, kid):
    # PostgREST's kid rule: RSA_A's signature under another kid (unknown, or an EC key's) is refused.
    auth = Authenticator(remote=remote(idp), anon_role="anon")
    with pytest.raises(JwtInvalid) as e:
        auth.authenticate(bearer(RSA_A, kid=kid))
    assert (e.value.code, e.value.status) == ("PGRST301", 401)
    assert e.value.message == "No suitable key or wrong key type"


def test_jwt_secret_and_the_set_verify_side_by_side(idp):
    import jwt

    keys = remote(idp)
    auth = Authenticator(key=SECRET.encode(), remote=keys, anon_role="anon")
    assert auth.authenticate(bearer(RSA_A)).role == "jk_user"
    hmac = jwt.encode({"role": "service"}, SECRET, algorithm="HS256", headers={"kid": "not-in-the-set"})
    assert auth.authenticate("Bearer " + hmac).role == "service"
    assert idp.fetches == 1  # an HMAC token never asks the identity provider
    with pytest.raises(JwtInvalid, match="No suitable key"):
        auth.authenticate("Bearer " + jwt.encode({"role": "x"}, "another-secret-another-secret-12"))


def test_without_a_secret_the_set_still_decides_and_the_algorithm_rules_hold(idp):
    import jwt

    auth = Authenticator(remote=remote(idp), anon_role="anon")
    with pytest.raises(JwtInvalid, match="Wrong or unsupported encoding algorithm"):
        auth.authenticate("Bearer " + jwt.encode({"role": "x"}, SECRET, algorithm="HS256"))


def test_a_new_key_set_empties_the_jwt_cache(idp, clock):
    keys = remote(idp, minimum=1)
    auth = Authenticator(remote=keys, anon_role="anon", cache_entries=10)
    token = bearer(RSA_A)
    first = auth.authenticate(token)
    assert auth.authenticate(token) is first  # cached
    idp.serve(RSA_B)  # the provider retires key a
    clock.now += 1
    assert auth.authenticate(bearer(RSA_B)).role == "jk_user"  # the unknown kid fetched the new set
    with pytest.raises(JwtInvalid, match="No suitable key"):
        auth.authenticate(token)


def test_from_config_uses_the_set_the_master_fetched(idp, config):
    fetch_remote_keys(config)
    auth = Authenticator.from_config(config)
    assert auth.authenticate(bearer(EC_E)).role == "jk_user"
    assert idp.fetches == 1
