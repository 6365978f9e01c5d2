"""JSON Web Keys: the algorithms each key type verifies, and the key set fetched from jwt-jwks-url.

The remote set follows the process model (DESIGN.md §2): the master fetches it before it forks, so
every worker starts with the same keys and a wrong URL is reported once, at start; each worker then
fetches it again on its own, when its copy is older than jwt-jwks-refresh-interval or when a token
names a key ID (kid) the copy lacks, never more than once per jwt-jwks-min-refresh-interval.  A
reload fetches it again in the master.  When a fetch fails the keys fetched last stay in use.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import urllib.error
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt

from .. import __version__
from ..config.parse import HMAC_ALGORITHMS, JWK_ALGORITHMS

if TYPE_CHECKING:
    from ..config import Config

__all__ = [
    "ASYMMETRIC",
    "BY_KEY_TYPE",
    "FETCH_TIMEOUT",
    "HMAC",
    "KeySet",
    "RemoteKeys",
    "VerifyingKey",
    "fetch_remote_keys",
    "remote_keys",
]

log = logging.getLogger("pgrestd.auth")

HMAC = HMAC_ALGORITHMS
ASYMMETRIC = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA")
# The algorithms each JWK key type ("kty") verifies: the configuration's table, so that a key the
# configuration accepts is one the authenticator can use.
BY_KEY_TYPE = JWK_ALGORITHMS

# A key as PyJWT verifies with it, and the algorithms it may verify: a token is only checked
# against keys of its algorithm's type, so an HS256 token never meets an RSA key's bytes.
VerifyingKey = tuple[Any, tuple[str, ...]]

# Seconds one fetch may wait on the network (PyJWKClient's timeout, per connect and read), so that
# a slow identity provider holds the request that found the keys due for a few seconds at most.
FETCH_TIMEOUT = 5.0

# Key types taken from a fetched set: a symmetric ("oct") key published at a URL is a secret anyone
# can read, and with it sign any token.
_REMOTE_TYPES = frozenset(("RSA", "EC", "OKP"))

_FETCH_ERRORS = (jwt.PyJWTError, ValueError, OSError)


@dataclass(frozen=True, slots=True)
class KeySet:
    """The signing keys of one fetched JWK Set: all of them, and by kid; ``skipped`` counts the rest."""

    keys: tuple[VerifyingKey, ...] = ()
    by_kid: Mapping[str, tuple[VerifyingKey, ...]] = field(default_factory=dict)
    skipped: int = 0

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self.by_kid)

    @classmethod
    def from_document(cls, document: Any) -> KeySet:
        """The RSA, EC and OKP signing keys PyJWT can use; ValueError when there is none."""
        members = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(members, list):  # a value fetched, not a caller's mistake: ValueError
            raise ValueError('the answer is not a JSON Web Key Set (no "keys" array)')  # noqa: TRY004
        try:
            parsed = jwt.PyJWKSet(members).keys  # PyJWT leaves out the members it cannot use
        except jwt.PyJWKSetError:
            parsed = []
        keys: list[VerifyingKey] = []
        by_kid: dict[str, list[VerifyingKey]] = {}
        for jwk in parsed:
            # RFC 7517 §4.2: a key whose "use" is not "sig" is not for signatures.
            if (jwk.key_type not in _REMOTE_TYPES or jwk.public_key_use not in ("sig", None)
                    or jwk.algorithm_name not in BY_KEY_TYPE[jwk.key_type]):
                continue
            entry = (jwk.key, BY_KEY_TYPE[jwk.key_type])
            keys.append(entry)
            if isinstance(jwk.key_id, str):
                by_kid.setdefault(jwk.key_id, []).append(entry)
        skipped = len(members) - len(keys)
        if not keys:
            raise ValueError("the set holds no RSA, EC or OKP signing key PyJWT can use "
                             f"({_keys(len(members))} left out)")
        return cls(tuple(keys), {kid: tuple(found) for kid, found in by_kid.items()}, skipped)

    def describe(self) -> str:
        text = _keys(len(self.keys))
        if self.kids:
            text += " (kid " + ", ".join(self.kids) + ")"
        if self.skipped:
            text += f"; {self.skipped} left out (not an RSA, EC or OKP signing key PyJWT can use)"
        return text


_NO_KEYS = KeySet()


def _keys(count: int) -> str:
    return f"{count} key" if count == 1 else f"{count} keys"


class RemoteKeys:
    """The JWK Set at jwt-jwks-url as one process knows it.

    PyJWT's PyJWKClient fetches it (with FETCH_TIMEOUT, refusing redirects and schemes other than
    http and https) and times it out after ``refresh_interval`` (its ``lifespan``).  Its lookup by
    kid (get_signing_key) is not used: once the set is due, a failed fetch makes it raise instead of
    answering with the keys it had, and it leaves out keys without a kid, which a token without a
    kid is checked against here.  The rate limit is pgrestd's too, because PyJWKClient's cooldown
    counts successful fetches only: a URL that is down would be asked on every request.
    """

    __slots__ = ("_client", "_failing", "_fetched_at", "_lock", "_set", "_tried_at", "generation",
                 "min_refresh_interval", "refresh_interval", "url")

    def __init__(self, url: str, *, refresh_interval: float, min_refresh_interval: float,
                 timeout: float = FETCH_TIMEOUT) -> None:
        self.url = url
        self.refresh_interval = refresh_interval
        self.min_refresh_interval = min_refresh_interval
        # Counts the successful fetches: the authenticator empties its JWT cache when it changes, so
        # that a token signed by a key the provider retired is not served from the cache.
        self.generation = 0
        self._client = jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=refresh_interval, timeout=timeout,
                                       cooldown_duration=min_refresh_interval,
                                       headers={"User-Agent": f"pgrestd/{__version__}"})
        self._set = _NO_KEYS
        self._fetched_at: float | None = None  # time.monotonic() of the last successful fetch
        self._tried_at = -math.inf
        self._failing = False
        self._lock = threading.Lock()  # one fetch at a time in a gthread worker

    @property
    def identity(self) -> tuple[str, float, float]:
        return (self.url, self.refresh_interval, self.min_refresh_interval)

    def key_set(self) -> KeySet:
        """The keys, fetched again first when they are older than the refresh interval (rate-limited)."""
        if self._stale() and self._may_fetch():
            with self._lock:
                if self._stale() and self._may_fetch():
                    self._fetch()
        return self._set

    def keys_with_kid(self, kid: str) -> tuple[VerifyingKey, ...]:
        """The keys named ``kid``; a kid the set lacks makes it fetched again, unless it was just now."""
        found = self.key_set().by_kid.get(kid)
        if found is None and self._may_fetch():
            with self._lock:
                if kid not in self._set.by_kid and self._may_fetch():
                    self._fetch()
            found = self._set.by_kid.get(kid)
        return found or ()

    def fetch(self) -> bool:
        """Fetch the set now, rate limit or not (at start-up and on reload); whether it worked."""
        with self._lock:
            return self._fetch()

    def _stale(self) -> bool:
        cache = self._client.jwk_set_cache
        return cache is None or cache.get() is None  # never fetched, failed last, or past its lifespan

    def _may_fetch(self) -> bool:
        return time.monotonic() - self._tried_at >= self.min_refresh_interval

    def _fetch(self) -> bool:
        self._tried_at = time.monotonic()
        try:
            key_set = KeySet.from_document(self._client.fetch_data())
        except _FETCH_ERRORS as exc:
            if self._client.jwk_set_cache is not None:
                self._client.jwk_set_cache.put(None)  # stale: tried again after min_refresh_interval
            self._failed(_reason(exc, self._client.timeout))
            return False
        if self._failing:
            log.warning("jwt-jwks-url: fetched %s again: %s", self.url, key_set.describe())
        elif key_set.kids != self._set.kids or self._fetched_at is None:
            log.info("jwt-jwks-url: %s from %s", key_set.describe(), self.url)
        self._set = key_set
        self._fetched_at = self._tried_at
        self._failing = False
        self.generation += 1
        return True

    def _failed(self, reason: str) -> None:
        """One line when fetching starts failing, none while it goes on."""
        if self._failing:
            return
        self._failing = True
        every = f"tried again at most every {self.min_refresh_interval:g} s"
        if self._fetched_at is None:
            log.error("jwt-jwks-url: cannot fetch the JSON Web Key Set from %s: %s. Tokens signed by its "
                      "keys get 401 until it can be fetched (%s): check the URL and that this host can "
                      "reach it.", self.url, reason, every)
        else:
            age = time.monotonic() - self._fetched_at
            log.error("jwt-jwks-url: cannot fetch the JSON Web Key Set from %s again: %s. Still verifying "
                      "with the %s fetched %.0f s ago (%s).",
                      self.url, reason, self._set.describe(), age, every)


def _reason(exc: BaseException, timeout: float) -> str:
    """What went wrong, in a few words: the network's error rather than PyJWT's wrapping of it."""
    cause = exc.__cause__ if isinstance(exc, jwt.PyJWKClientConnectionError) and exc.__cause__ else exc
    if isinstance(cause, urllib.error.HTTPError):
        hint = " (redirects are not followed: give the final URL)" if 300 <= cause.code < 400 else ""
        return f"HTTP status {cause.code} {cause.reason}{hint}"
    if isinstance(cause, urllib.error.URLError):
        cause = cause.reason  # the socket's error (refused, unknown host, TLS, timeout), or a text
    if isinstance(cause, (jwt.PyJWKSetError, jwt.PyJWKClientError)):
        return "the answer is not a JSON Web Key Set with a key PyJWT can use"
    if isinstance(cause, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror  # "Connection refused", not "[Errno 111] Connection refused"
    if isinstance(cause, json.JSONDecodeError):
        return "the answer is not JSON"
    if isinstance(cause, UnicodeDecodeError):
        return "the answer is not UTF-8 JSON"
    text = cause if isinstance(cause, str) else str(cause)
    return " ".join(text.split()) or type(cause).__name__


# -- the set a process verifies with ---------------------------------------------------------------

# Fetched by the master before it forks (fetch_remote_keys), inherited by every worker.
_shared: RemoteKeys | None = None


def _identity(config: Config) -> tuple[str | None, float, float]:
    return (config.jwt_jwks_url, config.jwt_jwks_refresh_interval, config.jwt_jwks_min_refresh_interval)


def fetch_remote_keys(config: Config) -> RemoteKeys | None:
    """At start-up and on reload, before forking: fetch jwt-jwks-url (again) for the workers to inherit.

    The same URL keeps its keys should the fetch fail; another URL starts afresh.
    """
    global _shared
    if config.jwt_jwks_url is None:
        _shared = None
        return None
    if _shared is None or _shared.identity != _identity(config):
        _shared = RemoteKeys(config.jwt_jwks_url, refresh_interval=config.jwt_jwks_refresh_interval,
                             min_refresh_interval=config.jwt_jwks_min_refresh_interval)
    _shared.fetch()
    return _shared


def remote_keys(config: Config) -> RemoteKeys | None:
    """The set a worker verifies with: the one its master fetched, or, without such a master
    (``gunicorn pgrestd.wsgi`` without --preload), one fetched now."""
    if config.jwt_jwks_url is None:
        return None
    if _shared is not None and _shared.identity == _identity(config):
        return _shared
    return fetch_remote_keys(config)
