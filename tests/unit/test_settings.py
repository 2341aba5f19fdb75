"""Provider settings from stack config, OS_* variables and clouds.yaml; IAM token handling."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from ddm_emulator import DEMO_DOMAIN_NAME, DEMO_PASSWORD, DEMO_PROJECT_ID, DEMO_PROJECT_NAME, DEMO_USER_NAME
from ddm_resources.auth import PasswordToken
from ddm_resources.errors import AuthenticationError, ConfigurationError
from ddm_resources.settings import resolve_settings

PASSWORD = "s3cr3t-Passw0rd!"

CLOUDS = """
clouds:
  otc:
    auth:
      auth_url: https://iam.eu-nl.otc.t-systems.com/v3
      username: alice
      user_domain_name: OTC00000000001000000001
      project_name: eu-nl_dr
    region_name: eu-nl
  other:
    auth: {token: abc}
"""
SECURE = f"""
clouds:
  otc:
    auth:
      password: {PASSWORD}
"""


def settings(config=None, env=None):
    config = config or {}
    return resolve_settings(config.get, env or {})


def test_ready_token_with_project_id():
    s = settings(env={"OS_TOKEN": "gAAAAA-ready-token", "OS_PROJECT_ID": "p1"})
    assert (s.token.get_secret_value(), s.project_id) == ("gAAAAA-ready-token", "p1")
    assert (s.region, s.endpoint) == ("eu-de", "https://ddm.eu-de.otc.t-systems.com")
    assert "gAAAAA" not in repr(s)


def test_stack_config_wins_over_environment():
    s = settings({"ddm:token": "from-config", "ddm:projectId": "p-config", "ddm:endpoint": "http://127.0.0.1:1/"},
                 {"OS_TOKEN": "from-env", "OS_PROJECT_ID": "p-env", "DDM_ENDPOINT": "http://elsewhere"})
    assert (s.token.get_secret_value(), s.project_id, s.endpoint) == ("from-config", "p-config", "http://127.0.0.1:1")


def test_password_login_from_os_variables():
    env = {"OS_AUTH_URL": "https://iam.eu-de.otc.t-systems.com/v3", "OS_USERNAME": "bob", "OS_PASSWORD": PASSWORD,
           "OS_USER_DOMAIN_NAME": "OTC0001", "OS_PROJECT_NAME": "eu-de", "OS_REGION_NAME": "eu-de"}
    s = settings(env=env)
    assert s.token is None and (s.username, s.domain_name, s.project_name) == ("bob", "OTC0001", "eu-de")
    assert s.project_id is None
    assert PASSWORD not in repr(s) and PASSWORD not in str(s)


def test_clouds_yaml_and_secure_yaml(tmp_path, monkeypatch):
    (tmp_path / "clouds.yaml").write_text(CLOUDS)
    (tmp_path / "secure.yaml").write_text(SECURE)
    monkeypatch.chdir(tmp_path)
    s = settings(env={"OS_CLOUD": "otc"})
    assert (s.username, s.domain_name) == ("alice", "OTC00000000001000000001")
    assert (s.project_name, s.region) == ("eu-nl_dr", "eu-nl")
    assert s.password.get_secret_value() == PASSWORD
    assert s.auth_url == "https://iam.eu-nl.otc.t-systems.com/v3"
    assert s.endpoint == "https://ddm.eu-nl.otc.t-systems.com"
    overridden = settings({"ddm:username": "carol"}, {"OS_CLOUD": "otc", "OS_REGION_NAME": "eu-de"})
    assert (overridden.username, overridden.region) == ("carol", "eu-de")


def test_unknown_cloud_names_the_known_ones(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(CLOUDS)
    with pytest.raises(ConfigurationError, match="clouds there: otc, other"):
        settings({"ddm:cloud": "prod"}, {"OS_CLIENT_CONFIG_FILE": str(path)})


def test_region_defaults_from_project_name():
    s = settings(env={"OS_USERNAME": "u", "OS_PASSWORD": "p", "OS_DOMAIN_NAME": "d", "OS_PROJECT_NAME": "eu-nl_sub"})
    assert s.region == "eu-nl" and s.auth_url == "https://iam.eu-nl.otc.t-systems.com/v3"


@pytest.mark.parametrize(
    "env, words",
    [
        ({}, ["ddm:token", "OS_TOKEN", "OS_USERNAME", "OS_PASSWORD", "OS_DOMAIN_NAME", "OS_PROJECT_NAME"]),
        ({"OS_TOKEN": "t"}, ["OS_PROJECT_ID"]),
        ({"OS_USERNAME": "u", "OS_PASSWORD": PASSWORD, "OS_DOMAIN_NAME": "d"}, ["OS_PROJECT_NAME"]),
    ],
)
def test_incomplete_credentials_say_what_to_set_without_secrets(env, words):
    with pytest.raises(ConfigurationError) as info:
        settings(env=env)
    for word in words:
        assert word in str(info.value)
    assert PASSWORD not in str(info.value)


def test_bad_poll_interval_is_named():
    with pytest.raises(ConfigurationError, match="poll_interval"):
        settings({"ddm:pollInterval": "0"}, {"OS_TOKEN": "t", "OS_PROJECT_ID": "p"})


def manager(emulator, password=DEMO_PASSWORD):
    return PasswordToken(auth_url=f"{emulator.url}/v3", username=DEMO_USER_NAME, password=SecretStr(password),
                           domain_name=DEMO_DOMAIN_NAME, project_name=DEMO_PROJECT_NAME, timeout=httpx.Timeout(2.0))


def test_iam_login_caches_the_token_and_learns_the_project(emulator):
    tokens = manager(emulator)
    assert tokens.project_id == DEMO_PROJECT_ID
    assert tokens.get() == tokens.get()
    [login] = emulator.backend.requests(method="POST", path_contains="/auth/tokens")
    assert DEMO_PASSWORD not in str(login.body)
    assert DEMO_PASSWORD not in repr(tokens)


def test_iam_wrong_password_is_an_authentication_error_without_the_password(emulator):
    with pytest.raises(AuthenticationError) as info:
        manager(emulator, password=PASSWORD).get()
    assert info.value.status_code == 401
    assert PASSWORD not in str(info.value)
