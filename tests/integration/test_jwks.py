"""jwt-jwks-url against a real pgrestd and a JWK Set on loopback: rotation, rate limit, outages, SIGHUP."""

from __future__ import annotations

import signal
import time
import uuid

import pytest
import requests

from tests.jwks_support import WHOAMI_SETTINGS, WHOAMI_SQL, JwksServer, SigningKey
from tests.support import until

SECRET = "reallyreallyreallyreallyverysafe-jwks"
RSA_A, RSA_B, EC_E = SigningKey("a"), SigningKey("b"), SigningKey("e", "EC")


@pytest.fixture()
def idp():
    with JwksServer() as server:
        server.serve(RSA_A, EC_E)
        yield server


@pytest.fixture()
def start(pgrestd_server_factory):
    """``start(url, **settings)``: pgrestd (one worker unless told) verifying with the set at ``url``."""
    started = []

    def start(url: str, wait_ok: bool = True, **settings: object):
        conf = {**WHOAMI_SETTINGS, "server-workers": 1, "jwt-jwks-url": url, **settings}
        server = pgrestd_server_factory(WHOAMI_SQL, conf, database="jwks", user="jk_auth", wait_ok=wait_ok)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def whoami(server, token: str | None = None) -> requests.Response:
    headers = {"Authorization": "Bearer " + token} if token else {}
    return requests.get(server.url + "/rpc/whoami", headers=headers, timeout=10)


def role(server, token: str | None = None) -> str | int:
    """The role a request with this token ran as, or the status of its refusal."""
    r = whoami(server, token)
    return r.json()["role"] if r.status_code == 200 else r.status_code


def fresh(key: SigningKey, kid: str | None = "same") -> str:
    """A token no JWT cache has seen: verified anew."""
    return key.token({"role": "jk_user", "sub": uuid.uuid4().hex, "exp": int(time.time()) + 600}, kid=kid)


def assert_unknown_key(r: requests.Response) -> None:
    assert r.status_code == 401, r.text
    assert r.json()["code"] == "PGRST301"
    assert r.json()["message"] == "No suitable key or wrong key type"
    assert r.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_tokens_signed_by_keys_of_the_set_are_accepted(idp, start):
    import jwt

    server = start(idp.url, **{"server-workers": 2, "jwt-secret": SECRET})
    for key in (RSA_A, EC_E):
        r = whoami(server, key.token())
        assert r.status_code == 200 and r.json() == {"role": "jk_user", "sub": "alice"}
    assert role(server, RSA_A.token(kid=None)) == "jk_user"  # no kid: every key is tried
    assert role(server, jwt.encode({"role": "jk_user"}, SECRET)) == "jk_user"  # jwt-secret's keys too
    assert role(server) == "jk_anon"
    assert_unknown_key(whoami(server, RSA_B.token()))
    assert_unknown_key(whoami(server, RSA_A.token(kid="e")))  # the kid names the only key tried
    # The master fetched the set before it forked both workers; within jwt-jwks-min-refresh-interval
    # (30 s by default) the unknown kid made no worker fetch it again.
    assert idp.fetches == 1


def test_a_rotated_key_is_used_without_a_restart_and_unknown_kids_are_rate_limited(idp, start):
    server = start(idp.url, **{"jwt-jwks-min-refresh-interval": 2})
    old = RSA_A.token()
    assert role(server, old) == "jk_user"  # and cached
    idp.serve(RSA_B, EC_E)  # the provider rotates: key a retired, key b new
    idp.wait_since_fetch(2.1)  # the master's fetch, which the worker inherited, is 2 s old
    assert role(server, RSA_B.token()) == "jk_user"
    assert idp.fetches == 2
    assert_unknown_key(whoami(server, old))  # the new set emptied the JWT cache, and lacks kid a

    session = requests.Session()
    before, sent = idp.fetches, time.monotonic()
    for _ in range(40):
        made_up = fresh(RSA_B, uuid.uuid4().hex)
        r = session.get(server.url + "/rpc/whoami", headers={"Authorization": f"Bearer {made_up}"}, timeout=9)
        assert_unknown_key(r)
    elapsed = time.monotonic() - sent
    assert idp.fetches - before <= 1 + int(elapsed / 2), (idp.fetches - before, elapsed)
    burst = idp.fetches
    idp.wait_since_fetch(2.1)
    assert_unknown_key(whoami(server, fresh(RSA_B, "another-unknown")))
    assert idp.fetches == burst + 1  # a limit, not a block: once the interval passed, a fetch again


def test_the_keys_fetched_last_keep_verifying_while_the_url_is_down(idp, start):
    server = start(idp.url, **{"jwt-jwks-refresh-interval": 1, "jwt-jwks-min-refresh-interval": 1})
    assert role(server, fresh(RSA_A)) == "jk_user"
    idp.stop()
    for _ in range(5):
        time.sleep(0.6)  # refreshes fall due, and fail
        assert role(server, fresh(RSA_A)) == "jk_user"
        assert role(server, fresh(EC_E)) == "jk_user"
        assert_unknown_key(whoami(server, fresh(RSA_B)))
    lines = [line for line in server.log().splitlines() if "jwt-jwks-url: cannot fetch" in line]
    assert len(lines) == 1, lines  # one line for the outage, not one per request or retry
    assert f"from {idp.url} again: Connection refused. Still verifying with the 2 keys (kid a, e)" in lines[0]
    assert "[ERROR]" in lines[0]

    idp.serve(RSA_A, RSA_B)
    idp.start()
    assert until(lambda: role(server, fresh(RSA_B)) == "jk_user", timeout=10)
    assert f"jwt-jwks-url: fetched {idp.url} again: 2 keys (kid a, b)" in server.log()


def test_sighup_fetches_the_set_again(idp, start):
    server = start(idp.url, **{"jwt-jwks-refresh-interval": 3600, "jwt-jwks-min-refresh-interval": 3600})
    idp.serve(RSA_A, RSA_B)
    assert_unknown_key(whoami(server, RSA_B.token()))  # the worker may not fetch for an hour
    assert idp.fetches == 1
    server.signal(signal.SIGHUP)
    assert until(lambda: role(server, RSA_B.token()) == "jk_user")
    assert idp.fetches == 2  # the master's, inherited by the new worker


@pytest.mark.parametrize("fault", ["refused", "404"])
def test_a_url_failing_at_start_is_logged_and_tried_again(start, fault):
    idp = JwksServer()
    if fault == "404":
        idp.status = 404
        idp.start()
    try:
        server = start(idp.url, **{"jwt-jwks-min-refresh-interval": 1, "jwt-secret": SECRET})
        reason = "Connection refused" if fault == "refused" else "HTTP status 404 Not Found"
        assert (f"jwt-jwks-url: cannot fetch the JSON Web Key Set from {idp.url}: {reason}. Tokens signed by "
                "its keys get 401 until it can be fetched (tried again at most every 1 s): check the URL and "
                "that this host can reach it.") in server.log()
        assert role(server) == "jk_anon"  # pgrestd started and serves
        assert_unknown_key(whoami(server, RSA_A.token()))
        idp.serve(RSA_A)
        idp.status = 200
        if fault == "refused":
            idp.start()
        assert until(lambda: role(server, fresh(RSA_A)) == "jk_user", timeout=10)
    finally:
        idp.stop()


def test_plain_http_to_another_host_stops_pgrestd_at_start(pgrestd_server_factory):
    with pytest.raises(RuntimeError) as e:
        pgrestd_server_factory(WHOAMI_SQL, {**WHOAMI_SETTINGS, "jwt-jwks-url": "http://idp.example.com/jwks.json"},
                               database="jwks", user="jk_auth")
    assert "pgrestd exited with 1" in str(e.value)
    assert ': jwt-jwks-url: must be an https URL (http is accepted for a loopback host only' in str(e.value)
