"""Validates a bearer JWT with PyJWT and extracts the role, as PostgREST's Auth module does."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
import orjson

from .. import metrics
from ..config import load_jwks
from ..errors import AnonymousDisabled, JwtClaimsInvalid, JwtInvalid, JwtSecretMissing
from ..lru import LruCache

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["AuthResult", "Authenticator", "parse_claim_path"]

_HMAC = ["HS256", "HS384", "HS512"]
_ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"]
# The algorithms each JWK key type ("kty") verifies.
_BY_KEY_TYPE = {"oct": _HMAC, "RSA": ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
                "EC": ["ES256", "ES384", "ES512"], "OKP": ["EdDSA"]}


@dataclass(frozen=True, slots=True)
class AuthResult:
    role: str
    claims_json: str  # what request.jwt.claims is set to
    authenticated: bool


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
    __slots__ = ("anon_role", "_keys", "_algorithms", "_audience", "_role_path", "_anon", "_cache",
                 "_max_lifetime")

    def __init__(self, *, key: bytes | Mapping[str, Any] | None = None, audience: str | None = None,
                 role_claim_key: str = ".role", anon_role: str | None = None, cache_entries: int = 0,
                 cache_max_lifetime: int = 0) -> None:
        """``key`` is Config.jwt_key, the secret exactly as the configuration decoded it: the
        HMAC key's bytes, or a JWK Set ({"keys": [...]}); None refuses every token."""
        self.anon_role = anon_role
        self._audience = audience
        self._role_path = parse_claim_path(role_claim_key)
        # request.jwt.claims always carries the role in effect, as PostgREST sets it.
        self._anon = AuthResult(anon_role, orjson.dumps({"role": anon_role}).decode(), False) if anon_role else None
        self._keys, self._algorithms = _load_keys(key)
        # jwt-cache-max-entries: validated tokens per worker, so a client that
        # sends the same token again skips the signature check.
        self._cache: LruCache[str, tuple[AuthResult, float | None]] | None = (
            LruCache(cache_entries, on_evict=metrics.jwt_cache_evicted) if cache_entries > 0 else None)
        self._max_lifetime = cache_max_lifetime

    @classmethod
    def from_config(cls, config: Config) -> Authenticator:
        """The authenticator a configuration describes: its decoded jwt-secret (Config.jwt_key),
        jwt-aud, jwt-role-claim-key, db-anon-role and the jwt-cache-* settings."""
        return cls(key=config.jwt_key, audience=config.jwt_aud, role_claim_key=config.jwt_role_claim_key,
                   anon_role=config.db_anon_role, cache_entries=config.jwt_cache_max_entries,
                   cache_max_lifetime=config.jwt_cache_max_lifetime)

    def authenticate(self, authorization: str | None) -> AuthResult:
        if not authorization:
            if self._anon is None:
                raise AnonymousDisabled()
            return self._anon
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            if self._anon is None:
                raise AnonymousDisabled()
            return self._anon
        token = token.strip()
        if not self._keys:
            raise JwtSecretMissing()
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
            return AuthResult(self.anon_role, orjson.dumps({**claims, "role": self.anon_role}).decode(), False)
        return AuthResult(str(role), orjson.dumps(claims).decode(), True)

    def _decode(self, token: str) -> dict[str, Any]:
        if not token:
            raise JwtInvalid("Empty JWT is sent in Authorization header")
        if token.count(".") != 2:
            raise JwtInvalid("Expected 3 parts in JWT; got " + str(token.count(".") + 1))
        try:
            alg = jwt.get_unverified_header(token).get("alg")
        except jwt.InvalidTokenError:
            raise JwtInvalid("JWT cryptographic operation failed") from None
        if alg not in self._algorithms:
            raise JwtInvalid("Wrong or unsupported encoding algorithm",
                             details="JWT is unsecured but expected 'alg' was not 'none'")
        last: Exception | None = None
        claims: Any = None
        # Only keys of the token's algorithm's type: an HS256 token is never
        # checked against an RSA public key's bytes (key confusion).
        for key, algorithms in self._keys:
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


def _load_keys(key: bytes | Mapping[str, Any] | None) -> tuple[list[tuple[Any, list[str]]], list[str]]:
    """Bytes are an HMAC key, used as they are; a JWK Set allows asymmetric keys too."""
    if key is None:
        return [], []
    if isinstance(key, Mapping):
        # The configuration check loads them the same way, so a key PyJWT cannot use is refused
        # when the configuration is read rather than when every worker boots.
        jwks = load_jwks(key)
        return [(k.key, _BY_KEY_TYPE[k.key_type]) for k in jwks], _HMAC + _ASYMMETRIC
    if not isinstance(key, (bytes, bytearray)):
        raise TypeError(f"an HMAC key is bytes, not {type(key).__name__}")
    return ([(bytes(key), _HMAC)], _HMAC) if key else ([], [])
