"""Token sources and keys beyond jwt-secret: jwt-jwks-url (and its intervals), jwt-cookie-name."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgrestd.config import ConfigError, config_from_mapping, load_config
from pgrestd.config.settings import BY_NAME


@pytest.mark.parametrize("url", [
    "https://idp.example.com/.well-known/jwks.json",
    "https://login.example.com:8443/realms/app/protocol/openid-connect/certs?x=1",
    "http://127.0.0.1:8080/jwks.json", "http://localhost/jwks", "http://[::1]:9000/jwks", "HTTPS://IDP.EXAMPLE/k",
])
def test_jwks_url_accepts_https_and_loopback_http(url: str) -> None:
    assert config_from_mapping({"jwt-jwks-url": url}).jwt_jwks_url == url


def test_jwks_url_refuses_plain_http_to_another_host() -> None:
    with pytest.raises(ConfigError) as e:
        config_from_mapping({"jwt-jwks-url": "http://keycloak:8080/certs"})
    assert str(e.value) == ("mapping: jwt-jwks-url: must be an https URL (http is accepted for a loopback "
                            "host only: keys fetched over plain http could be replaced on the way), "
                            'got "http://keycloak:8080/certs"')


@pytest.mark.parametrize("url", ["idp.example.com/jwks", "ftp://idp/jwks", "file:///etc/jwks.json", "https://",
                                 "https://user:pw@idp/jwks", "https://idp:70000/jwks", "https://idp/a b"])
def test_jwks_url_refuses_what_is_not_an_http_url(url: str) -> None:
    with pytest.raises(ConfigError, match="^mapping: jwt-jwks-url: expected an https URL such as "
                                          "https://idp.example.com/.well-known/jwks.json, got "):
        config_from_mapping({"jwt-jwks-url": url})


def test_jwks_settings_from_the_file_and_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "pgrestd.conf"
    path.write_text('jwt-jwks-url = "https://idp.example.com/jwks"\njwt-jwks-refresh-interval = 600\n'
                    'jwt-cookie-name = "access_token"\n')
    config = load_config(str(path), {"PGRST_JWT_JWKS_MIN_REFRESH_INTERVAL": "5"})
    assert (config.jwt_jwks_url, config.jwt_jwks_refresh_interval, config.jwt_jwks_min_refresh_interval,
            config.jwt_cookie_name) == ("https://idp.example.com/jwks", 600, 5, "access_token")
    defaults = load_config(None, {})
    assert (defaults.jwt_jwks_url, defaults.jwt_jwks_refresh_interval, defaults.jwt_jwks_min_refresh_interval,
            defaults.jwt_cookie_name) == (None, 300, 30, None)


@pytest.mark.parametrize("name", ["jwt-jwks-refresh-interval", "jwt-jwks-min-refresh-interval"])
def test_jwks_intervals_are_at_least_a_second(name: str) -> None:
    with pytest.raises(ConfigError, match=f"^mapping: {name}: must be between 1 and "):
        config_from_mapping({name: 0})


def test_jwks_url_works_beside_jwt_secret() -> None:
    config = config_from_mapping({"jwt-jwks-url": "https://idp.example.com/jwks",
                                  "jwt-secret": "reallyreallyreallyreallyverysafe"})
    assert config.jwt_key == b"reallyreallyreallyreallyverysafe"


@pytest.mark.parametrize("name", ["jwt", "access_token", "__Host-jwt", "sb-abc-auth-token"])
def test_cookie_name_accepts_cookie_names(name: str) -> None:
    assert config_from_mapping({"jwt-cookie-name": name}).jwt_cookie_name == name


@pytest.mark.parametrize("name", ["a b", "jwt=", "a;b", '"jwt"', "jwt\n", "jöt"])
def test_cookie_name_refuses_what_no_cookie_is_called(name: str) -> None:
    with pytest.raises(ConfigError, match="^mapping: jwt-cookie-name: expected a cookie name"):
        config_from_mapping({"jwt-cookie-name": name})


def test_every_new_setting_is_documented_as_a_pgrestd_extension() -> None:
    names = ("jwt-jwks-url", "jwt-jwks-refresh-interval", "jwt-jwks-min-refresh-interval", "jwt-cookie-name")
    for name in names:
        assert BY_NAME[name].extension and len(BY_NAME[name].doc) > 80
    assert "SameSite" in BY_NAME["jwt-cookie-name"].doc
    assert "Access-Control-Allow-Credentials" in BY_NAME["jwt-cookie-name"].doc
