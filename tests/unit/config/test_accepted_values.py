"""Values the parser accepts must be values the server can run with; the others are refused up front.

Each case here was once accepted by the parser and then broke the running server: unusable JSON Web
Keys stopped every worker at boot, timeouts past the thread timers' range crashed workers or the
pool's scheduler, a zero acquisition timeout answered every request with 504, a zero idle time kept
every worker spinning, and a NUL character reached PostgreSQL (which cannot store one).
tests/integration/test_config_accepted.py checks the same property against real servers.
"""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgrestd.auth.jwt import Authenticator
from pgrestd.config import SETTINGS, ConfigError, config_from_mapping, load_config, load_jwks
from pgrestd.config.dump import quote
from pgrestd.config.settings import BY_NAME, MAX_SECONDS

RAW_KEY = bytes(range(200, 232)) + b"\xff\xfe"  # 34 bytes: base64 pads it with one "="


# -- jwt-secret -------------------------------------------------------------------


def test_base64url_secret_with_dot_padding_verifies_tokens_signed_with_its_bytes() -> None:
    # PostgREST's decodeSecret maps "_" "-" "." to "/" "+" "=" before decoding.
    encoded = base64.urlsafe_b64encode(RAW_KEY).decode().replace("=", ".")
    assert encoded.endswith(".") and "_" in encoded
    config = config_from_mapping({"jwt-secret": encoded, "jwt-secret-is-base64": True})
    assert config.jwt_key == RAW_KEY
    auth = Authenticator.from_config(config)
    token = jwt.encode({"role": "web_user"}, RAW_KEY, algorithm="HS256")
    assert auth.authenticate("Bearer " + token).role == "web_user"


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ({"kty": "oct"}, 'JSON Web Key 1 lacks the "k" member'),
        ({"kty": "nope", "k": "AA"}, "JSON Web Key 1 is not usable: Unsupported kty: nope"),
        ({"keys": [1]}, "JSON Web Key 1 is not a JSON object"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}, {"kty": "RSA"}]}, "JSON Web Key 2 is not usable"),
        ({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}, "JSON Web Key 1 is not usable"),
        ({"kty": "oct", "k": "c2VjcmV0", "alg": "RS256"}, "JSON Web Key 1 is not usable: Not an RSA key"),
        ({"keys": [{"kty": "oct", "k": ""}]}, "JSON Web Key 1 is not usable: HMAC key must not be empty"),
        ({"kty": "oct", "k": 5}, "JSON Web Key 1 is not usable"),
        (json.loads(ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256K1()).public_key())),
         "JSON Web Key 1 is for ES256K, which pgrestd does not verify tokens with"),
    ],
)
def test_unusable_json_web_keys_are_refused(secret: dict[str, object], reason: str) -> None:
    with pytest.raises(ConfigError, match="^mapping: jwt-secret: " + reason):
        config_from_mapping({"jwt-secret": json.dumps(secret)})
    encoded = base64.b64encode(json.dumps(secret).encode()).decode()
    with pytest.raises(ConfigError, match=reason):
        config_from_mapping({"jwt-secret": encoded, "jwt-secret-is-base64": True})


def test_usable_json_web_keys_are_accepted() -> None:
    oct_key = {"kty": "oct", "k": base64.urlsafe_b64encode(RAW_KEY).decode().rstrip("="), "kid": "$1"}
    for secret in (oct_key, {"keys": [oct_key]}, {"keys": []}):
        config = config_from_mapping({"jwt-secret": json.dumps(secret)})
        Authenticator.from_config(config)
    token = jwt.encode({"role": "web_user"}, RAW_KEY, algorithm="HS256")
    auth = Authenticator.from_config(config_from_mapping({"jwt-secret": json.dumps(oct_key)}))
    assert auth.authenticate("Bearer " + token).role == "web_user"
    assert [k.key_type for k in load_jwks({"keys": [oct_key, oct_key]})] == ["oct", "oct"]


_jwk_members = st.fixed_dictionaries(
    {"kty": st.sampled_from(["oct", "RSA", "EC", "OKP", "x"])},
    optional={
        name: st.one_of(st.text(max_size=8), st.integers(), st.just("c2VjcmV0c2VjcmV0"))
        for name in ("k", "n", "e", "x", "y", "d", "crv", "alg", "use", "kid")
    },
)


@given(st.one_of(_jwk_members, st.lists(_jwk_members | st.integers(), max_size=3).map(lambda ks: {"keys": ks})))
def test_every_accepted_json_web_key_builds_the_workers_authenticator(secret: dict[str, object]) -> None:
    """What the parser accepts, a worker can load: no worker dies at boot on its jwt-secret."""
    try:
        config = config_from_mapping({"jwt-secret": json.dumps(secret)})
    except ConfigError:
        return
    Authenticator.from_config(config)


# -- integers -------------------------------------------------------------------------

SECONDS = [s.name for s in SETTINGS if s.maximum == MAX_SECONDS]


def test_the_seconds_settings_are_bounded() -> None:
    assert set(SECONDS) == {
        "db-pool-acquisition-timeout", "db-pool-max-lifetime", "db-pool-max-idletime", "db-read-replicas-max-lag",
        "db-cache-infer-max-age",
        "jwt-cache-max-lifetime", "server-timeout", "server-graceful-timeout",
        "jwt-jwks-refresh-interval", "jwt-jwks-min-refresh-interval",
        "live-retention",
    }


@pytest.mark.parametrize("name", SECONDS)
def test_seconds_beyond_the_timers_range_are_refused(name: str) -> None:
    assert config_from_mapping({name: MAX_SECONDS}).values()[name] == MAX_SECONDS
    low = BY_NAME[name].minimum
    with pytest.raises(ConfigError, match=f"^mapping: {name}: must be between {low} and {MAX_SECONDS}, got 10{'0' * 30}$"):
        config_from_mapping({name: 10**31})
    with pytest.raises(ConfigError, match="must be between"):
        config_from_mapping({name: str(MAX_SECONDS + 1)})


@pytest.mark.parametrize("key", ["db-pool-acquisition-timeout", "db-pool-max-idletime", "db-pool-timeout"])
def test_zero_pool_waits_are_refused(key: str) -> None:
    # 0 s to acquire: the pool refuses every request at once; 0 s idle: the pool's idle check spins.
    with pytest.raises(ConfigError, match=f"^mapping: {key}: must be between 1 and {MAX_SECONDS}, got 0$"):
        config_from_mapping({key: 0})
    assert config_from_mapping({key: 1}).values()[BY_NAME[key].name] == 1


# -- NUL characters ---------------------------------------------------------------------


@pytest.mark.parametrize("name", [s.name for s in SETTINGS if s.kind in ("str", "list")])
def test_nul_characters_are_refused_where_text_goes(name: str) -> None:
    with pytest.raises(ConfigError, match=rf"^mapping: {name}: must not contain a NUL character \(\\u0000\)$"):
        config_from_mapping({name: "a\x00b"})


def test_nul_in_app_settings_is_refused_and_in_the_secret_kept(tmp_path: Path) -> None:
    path = tmp_path / "f.conf"
    path.write_text('app.settings.x = "a\\u0000b"\n')
    with pytest.raises(ConfigError, match=rf"^{path}:1: app.settings.x: must not contain a NUL"):
        load_config(str(path), {})
    secret = "x" * 32 + "\x00"
    assert config_from_mapping({"jwt-secret": secret}).jwt_key == secret.encode()


def test_an_at_file_name_with_nul_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r'^mapping: jwt-secret: cannot read "@/tmp/a\\u0000b": a file name'):
        config_from_mapping({"jwt-secret": "@/tmp/a\x00b"})


# -- the parser's only failure is ConfigError ---------------------------------------------

_values = st.one_of(st.text(max_size=12), st.integers(), st.booleans(), st.sampled_from(["@", "@/", "@\x00", "1e3"]))


@given(st.dictionaries(st.sampled_from([*BY_NAME, "app.settings.a"]), _values, max_size=6))
def test_any_mapping_is_accepted_or_refused_with_a_config_error(values: dict[str, object]) -> None:
    try:
        config_from_mapping(values)
    except ConfigError:
        pass


@given(st.dictionaries(st.sampled_from([*BY_NAME, "app.settings.a"]), _values, max_size=6))
def test_any_file_is_accepted_or_refused_with_a_config_error(values: dict[str, object]) -> None:
    lines = [f"{k} = {quote(v) if isinstance(v, str) else str(v).lower()}" for k, v in values.items()]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "f.conf")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        try:
            load_config(str(path), {})
        except ConfigError:
            pass
