"""Validates a bearer JWT with PyJWT and extracts the role, as PostgREST's Auth module does.

The token comes from the Authorization header, or with jwt-cookie-name from that cookie when the
request has no Authorization header.  The keys are jwt-secret's and those fetched from jwt-jwks-url.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
import orjson

from .. import metrics
from ..config import load_jwks
from ..errors import AnonymousDisabled, JwtClaimsInvalid, JwtInvalid, JwtSecretMissing
from ..lru import LruCache
from .jwks import ASYMMETRIC, BY_KEY_TYPE, HMAC, RemoteKeys, VerifyingKey, remote_keys

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["AuthResult", "Authenticator", "parse_claim_path"]

@dataclass(frozen=True, slots=True)
class AuthResult:
    role: str
    claims_json: str  # what request.jwt.claims is set to
    authenticated: bool
    # The request sent a valid token, with or without a role: its claims reach SQL either way.
    from_token: bool = False


def parse_claim_path(spec: str) -> tuple[str | int, ...]:
    """``jwt-role-claim-key`` is a JSPath such as ``.role`` or ``."https://x".roles[0]``."""
    path: list[str | int] = []
    for m in re.finditer(r'\.(?:"((?:[^"\\]|\\.)*)"|([^."\[]+))|\[(\d+)\]', spec):
        if m.group(3) is not None:
            path.append(int(m.group(3)))
        else:
            path.append(m.group(1) if m.group(1) is not None else m.group(2))
    return tuple(path)


class Authenticator:
    __slots__ = ("_algorithms", "_anon", "_audience", "_cache", "_cache_entries", "_cookie", "_generation",
                 "_keys", "_max_lifetime", "_remote", "_role_path", "anon_role")

    def __init__(self, *, key: bytes | Mapping[str, Any] | None = None, audience: str | None = None,
                 role_claim_key: str = ".role", anon_role: str | None = None, cache_entries: int = 0,
                 cache_max_lifetime: int = 0, remote: RemoteKeys | None = None,
                 cookie_name: str | None = None) -> None:
        """``key`` is Config.jwt_key, the secret exactly as the configuration decoded it: the
        HMAC key's bytes, or a JWK Set ({"keys": [...]}); ``remote`` the keys at jwt-jwks-url.
        Without either every token is refused. ``cookie_name`` is jwt-cookie-name."""
        self.anon_role = anon_role
        self._audience = audience
        self._role_path = parse_claim_path(role_claim_key)
        # request.jwt.claims always carries the role in effect, as PostgREST sets it.
        self._anon = AuthResult(anon_role, orjson.dumps({"role": anon_role}).decode(), False) if anon_role else None
        self._keys, algorithms = _load_keys(key)
        self._remote = remote
        # Any asymmetric algorithm may meet a key the remote set has or will have after a refresh.
        self._algorithms = tuple(dict.fromkeys(algorithms + (ASYMMETRIC if remote is not None else ())))
        self._generation = remote.generation if remote is not None else 0
        self._cookie = cookie_name
        # jwt-cache-max-entries: validated tokens per worker, so a client that
        # sends the same token again skips the signature check.
        self._cache_entries = cache_entries
        self._cache = self._new_cache()
        self._max_lifetime = cache_max_lifetime

    @classmethod
    def from_config(cls, config: Config) -> Authenticator:
        """The authenticator a configuration describes: its decoded jwt-secret (Config.jwt_key),
        jwt-jwks-url's keys, jwt-aud, jwt-role-claim-key, db-anon-role, jwt-cookie-name and the
        jwt-cache-* settings."""
        return cls(key=config.jwt_key, audience=config.jwt_aud, role_claim_key=config.jwt_role_claim_key,
                   anon_role=config.db_anon_role, cache_entries=config.jwt_cache_max_entries,
                   cache_max_lifetime=config.jwt_cache_max_lifetime, remote=remote_keys(config),
                   cookie_name=config.jwt_cookie_name)

    def authenticate(self, authorization: str | None, cookies: Mapping[str, str] | None = None) -> AuthResult:
        """The role and claims of a request with this Authorization header and these cookies."""
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer":
                return self._anonymous()
            token = token.strip()
        elif self._cookie is not None and cookies and cookies.get(self._cookie):
            # jwt-cookie-name: only without an Authorization header, which wins when both come.
            token = cookies[self._cookie]
        else:
            return self._anonymous()
        if not self._keys and self._remote is None:
            raise JwtSecretMissing()
        if self._remote is not None:
            self._follow_remote()
        if self._cache is None:
            return self._authenticate_token(token)
        now = time.time()
        built = False

        def build() -> tuple[AuthResult, float | None]:
            nonlocal built
            built = True
            return self._cacheable(token, now)

        result, valid_until = self._cache.get_or_build(token, build)
        metrics.jwt_cache_lookup(hit=not built)
        if valid_until is not None and now > valid_until:
            # Expired since it was cached: decode again for PostgREST's error.
            self._cache.discard(token)
            return self._authenticate_token(token)
        return result

    def _anonymous(self) -> AuthResult:
        if self._anon is None:
            raise AnonymousDisabled()
        return self._anon

    def _new_cache(self) -> LruCache[str, tuple[AuthResult, float | None]] | None:
        if self._cache_entries <= 0:
            return None
        return LruCache(self._cache_entries, on_evict=metrics.jwt_cache_evicted)

    def _follow_remote(self) -> None:
        """Let a refresh that is due happen, cached token or not; a new key set empties the cache,
        so that tokens signed by a key the provider retired are verified again (and refused)."""
        assert self._remote is not None
        self._remote.key_set()
        if self._remote.generation != self._generation:
            self._generation = self._remote.generation
            self._cache = self._new_cache()

    def _cacheable(self, token: str, now: float) -> tuple[AuthResult, float | None]:
        result = self._authenticate_token(token)
        exp = orjson.loads(result.claims_json).get("exp")
        limits = [exp + _SKEW] if isinstance(exp, (int, float)) and not isinstance(exp, bool) else []
        if self._max_lifetime:
            limits.append(now + self._max_lifetime)
        return result, min(limits) if limits else None

    def _authenticate_token(self, token: str) -> AuthResult:
        claims = self._decode(token)
        role = _lookup(claims, self._role_path)
        if role is None:
            # A valid token without a role claim runs as the anonymous role and
            # counts as unauthenticated for 401/403 (PostgREST's AuthSpec).
            if not self.anon_role:
                raise AnonymousDisabled()
            return AuthResult(self.anon_role, orjson.dumps({**claims, "role": self.anon_role}).decode(), False, True)
        return AuthResult(str(role), orjson.dumps(claims).decode(), True, True)

    def _decode(self, token: str) -> dict[str, Any]:
        if not token:
            raise JwtInvalid("Empty JWT is sent in Authorization header")
        if token.count(".") != 2:
            raise JwtInvalid("Expected 3 parts in JWT; got " + str(token.count(".") + 1))
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise JwtInvalid("JWT cryptographic operation failed") from None
        alg = header.get("alg")
        if alg not in self._algorithms:
            raise JwtInvalid("Wrong or unsupported encoding algorithm",
                             details="JWT is unsecured but expected 'alg' was not 'none'")
        last: Exception | None = None
        claims: Any = None
        # Only keys of the token's algorithm's type: an HS256 token is never
        # checked against an RSA public key's bytes (key confusion).
        for key, algorithms in self._candidates(alg, header.get("kid")):
            if alg not in algorithms:
                continue
            try:
                # The signature only: the time and audience claims are checked
                # below with PostgREST's rules and messages.
                claims = jwt.decode(token, key, algorithms=[alg], options=_SIGNATURE_ONLY)
                break
            except jwt.InvalidTokenError as exc:
                last = exc
        else:
            if last is None or isinstance(last, jwt.InvalidSignatureError):
                raise JwtInvalid("No suitable key or wrong key type",
                                 details="None of the keys was able to decode the JWT")
            raise JwtInvalid("JWT cryptographic operation failed")
        if not isinstance(claims, dict):
            raise JwtInvalid("Parsing claims failed")
        self._validate_claims(claims)
        return claims

    def _candidates(self, alg: str, kid: str | None) -> Iterator[VerifyingKey]:
        """jwt-secret's keys, then, for an asymmetric algorithm, jwt-jwks-url's: those named by the
        token's kid (PostgREST's kid rule, docs: "kid verification"), or all for a token without one.
        Lazily: a token jwt-secret verifies never makes the remote set fetched."""
        yield from self._keys
        if self._remote is not None and alg in ASYMMETRIC:
            yield from self._remote.key_set().keys if kid is None else self._remote.keys_with_kid(kid)

    def _validate_claims(self, claims: dict[str, Any]) -> None:
        """PostgREST's claim checks, allowing 30 seconds of clock skew."""
        now = time.time()
        for name in ("exp", "nbf", "iat"):
            value = claims.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise JwtClaimsInvalid(f"The JWT '{name}' claim must be a number")
        exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
        if exp is not None and now - _SKEW > exp:
            raise JwtClaimsInvalid("JWT expired")
        if nbf is not None and now + _SKEW < nbf:
            raise JwtClaimsInvalid("JWT not yet valid")
        if iat is not None and now + _SKEW < iat:
            raise JwtClaimsInvalid("JWT issued at future")
        aud = claims.get("aud")
        if aud is None:
            return
        if isinstance(aud, list) and not all(isinstance(a, str) for a in aud) or not isinstance(aud, (str, list)):
            raise JwtClaimsInvalid("The JWT 'aud' claim must be a string or an array of strings")
        if self._audience is None or aud == []:
            return
        if (aud if isinstance(aud, list) else [aud]).count(self._audience) == 0:
            raise JwtClaimsInvalid("JWT not in audience")


_SIGNATURE_ONLY = {"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False,
                   "verify_iss": False, "require": []}
_SKEW = 30


def _lookup(claims: Any, path: tuple[str | int, ...]) -> Any:
    value = claims
    for step in path:
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value if isinstance(value, (str, int, float)) else None


def _load_keys(key: bytes | Mapping[str, Any] | None) -> tuple[list[VerifyingKey], tuple[str, ...]]:
    """Bytes are an HMAC key, used as they are; a JWK Set allows asymmetric keys too."""
    if key is None:
        return [], ()
    if isinstance(key, Mapping):
        # The configuration check loads them the same way, so a key PyJWT cannot use is refused
        # when the configuration is read rather than when every worker boots.
        jwks = load_jwks(key)
        return [(k.key, BY_KEY_TYPE[k.key_type]) for k in jwks], HMAC + ASYMMETRIC
    if not isinstance(key, (bytes, bytearray)):
        raise TypeError(f"an HMAC key is bytes, not {type(key).__name__}")
    return ([(bytes(key), HMAC)], HMAC) if key else ([], ())
