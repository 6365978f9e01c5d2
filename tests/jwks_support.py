"""An identity provider in miniature for the jwt-jwks-url tests: signing keys, a JWK Set on loopback."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from tests.support import api_roles, free_port

# A database whose function tells who the request ran as: the role and the token's sub.
WHOAMI_SQL = api_roles("jk_anon", "jk_auth") + """
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jk_user') THEN CREATE ROLE jk_user NOLOGIN; END IF;
END $$;
GRANT jk_user TO jk_auth;
GRANT USAGE ON SCHEMA api TO jk_user;
CREATE FUNCTION api.whoami() RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_build_object('role', current_user,
                           'sub', current_setting('request.jwt.claims', true)::json->>'sub')
$$;
GRANT EXECUTE ON FUNCTION api.whoami() TO jk_anon, jk_user;
"""
WHOAMI_SETTINGS = {"db-schemas": "api", "db-anon-role": "jk_anon", "log-level": "info"}

_ALGORITHMS = {"RSA": "RS256", "EC": "ES256", "OKP": "EdDSA"}


class SigningKey:
    """A private key of an identity provider, its public JWK, and tokens signed with it."""

    def __init__(self, kid: str | None, kind: str = "RSA") -> None:
        self.kid = kid
        self.alg = _ALGORITHMS[kind]
        if kind == "RSA":
            self.private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            jwk = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        elif kind == "EC":
            self.private = ec.generate_private_key(ec.SECP256R1())
            jwk = ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        else:
            self.private = ed25519.Ed25519PrivateKey.generate()
            jwk = OKPAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwk: dict[str, Any] = {**jwk, "use": "sig", "alg": self.alg}
        if kid is not None:
            self.jwk["kid"] = kid

    def token(self, claims: dict[str, Any] | None = None, kid: str | None = "same") -> str:
        """A token with these claims (a jk_user role by default), its header naming ``kid``
        (this key's own by default, None for no kid)."""
        headers = {"kid": self.kid if kid == "same" else kid}
        if headers["kid"] is None:
            headers = {}
        if claims is None:
            claims = {"role": "jk_user", "sub": "alice", "exp": int(time.time()) + 3600}
        return jwt.encode(claims, self.private, algorithm=self.alg, headers=headers)


class JwksServer:
    """A JWK Set on http://127.0.0.1:PORT/jwks.json that a test changes, stops and starts again.

    ``keys`` is what it serves (JWKs), ``fetches`` how many GETs it answered (the last at
    ``fetched_at``, time.monotonic()), ``status`` and ``body`` override the answer when set.
    """

    def __init__(self, keys: list[dict[str, Any]] | None = None, port: int | None = None) -> None:
        self.keys = list(keys or [])
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/jwks.json"
        self.fetches = 0
        self.fetched_at = 0.0
        self.status = 200
        self.body: bytes | None = None
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    def serve(self, *keys: SigningKey) -> None:
        """Serve the public keys of these keys from now on."""
        self.keys = [k.jwk for k in keys]

    def wait_since_fetch(self, seconds: float) -> None:
        """Sleep until the last fetch is ``seconds`` old: a rate limit counted from it has passed."""
        time.sleep(max(0.0, self.fetched_at + seconds - time.monotonic()))

    def start(self) -> JwksServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with owner._lock:
                    owner.fetches += 1
                    owner.fetched_at = time.monotonic()
                body = owner.body if owner.body is not None else json.dumps({"keys": owner.keys}).encode()
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until ``start`` again."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
