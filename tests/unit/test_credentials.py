"""OTC's whole credential story (issue 23 items 5-7, 12): temporary access keys, the regions'
endpoints, a host that does not exist, the OTC Pulumi provider's config, mistyped keys."""

from __future__ import annotations

import httpx
import pytest

from ddm_emulator import DEMO_DOMAIN_NAME, DEMO_PASSWORD, DEMO_PROJECT_ID, DEMO_PROJECT_NAME, DEMO_USER_NAME
from ddm_resources.errors import AuthenticationError, ConfigurationError, TransportError, UnknownHostError
from ddm_resources.settings import provider_config, resolve_settings
from tests.conftest import SOURCE, TOKEN
from tests.unknown_hosts import refuse_invalid_names

AK, SK, SECURITY_TOKEN = "AKSESSION0000000", "sk-Example-0123456789abcdef", "st-Session-Token-0123456789abcdef"


def settings(config=None, env=None):
    config = config or {}
    return resolve_settings(config.get, env or {})


# item 5: temporary access keys (OS_SECURITY_TOKEN / ddm:securityToken) ---------------------------

@pytest.mark.parametrize("given, works", [
    ({"OS_SECURITY_TOKEN": SECURITY_TOKEN}, True),
    ({}, False),                                            # the token silently dropped (before issue 23)
    ({"OS_SECURITY_TOKEN": "st-some-other-token"}, False),
])
def test_a_temporary_access_key_signs_with_its_security_token(emulator, given, works):
    from ddm_resources.auth import AkSkSigner, token_source
    from ddm_resources.client import DdmClient

    emulator.backend.add_access_key(AK, SK, DEMO_PROJECT_ID, security_token=SECURITY_TOKEN)
    s = settings(env={"OS_ACCESS_KEY": AK, "OS_SECRET_KEY": SK, "OS_PROJECT_ID": DEMO_PROJECT_ID, **given})
    signer = token_source(s, timeout=httpx.Timeout(2.0))
    assert isinstance(signer, AkSkSigner) and SECURITY_TOKEN not in repr(signer) and SECURITY_TOKEN not in repr(s)
    with DdmClient(emulator.url, s.project_id, signer) as client:
        if works:
            assert client.restorable_instances(SOURCE) is not None
        else:
            with pytest.raises(AuthenticationError) as info:
                client.restorable_instances(SOURCE)
            text = str(info.value)
            assert "OS_SECURITY_TOKEN" in text and "access key from OS_ACCESS_KEY" in text
            assert SECURITY_TOKEN not in text and SK not in text
    (request,) = emulator.backend.requests()
    assert request.status == (200 if works else 401)
    if works:  # sent (signed: the emulator refuses it otherwise, see below), never logged in clear
        assert request.headers["X-Security-Token"] == "***"


def test_a_security_token_is_taken_from_stack_config_and_needs_its_key_pair():
    s = settings({"ddm:accessKey": AK, "ddm:secretKey": SK, "ddm:securityToken": SECURITY_TOKEN,
                  "ddm:projectId": DEMO_PROJECT_ID})
    assert s.security_token.get_secret_value() == SECURITY_TOKEN and s.origins["security_token"] == "ddm:securityToken"
    with pytest.raises(ConfigurationError, match="belongs to a temporary access key pair") as info:
        settings(env={"OS_SECURITY_TOKEN": SECURITY_TOKEN, "OS_TOKEN": "t", "OS_PROJECT_ID": "p"})
    assert SECURITY_TOKEN not in str(info.value)


def test_the_emulator_refuses_a_security_token_outside_the_signature(emulator):
    """A token added after signing could be swapped by anyone on the path: it must be signed."""
    from ddm_resources.auth import AkSkSigner
    from ddm_resources.client import DdmClient

    emulator.backend.add_access_key(AK, SK, DEMO_PROJECT_ID, security_token=SECURITY_TOKEN)
    from pydantic import SecretStr

    class Unsigned(AkSkSigner):  # signs without the token, then adds it
        def auth_flow(self, request):
            token, self._security_token = self._security_token, None
            try:
                yield from super().auth_flow(request)
            finally:
                self._security_token = token
            request.headers["X-Security-Token"] = SECURITY_TOKEN

    signer = Unsigned(AK, SecretStr(SK), security_token=SecretStr(SECURITY_TOKEN))
    with DdmClient(emulator.url, DEMO_PROJECT_ID, signer) as client, pytest.raises(AuthenticationError):
        client.restorable_instances(SOURCE)


# item 6 and 12: the regions' endpoints; a host that does not exist -----------------------------

@pytest.mark.parametrize("region, auth_url, endpoint", [
    ("eu-de", "https://iam.eu-de.otc.t-systems.com/v3", "https://ddm.eu-de.otc.t-systems.com"),
    ("eu-nl", "https://iam.eu-nl.otc.t-systems.com/v3", "https://ddm.eu-nl.otc.t-systems.com"),
    ("eu-ch2", "https://iam-pub.eu-ch2.sc.otc.t-systems.com/v3", "https://ddm.eu-ch2.sc.otc.t-systems.com"),
])
def test_each_documented_region_has_its_endpoints(region, auth_url, endpoint):
    s = settings(env={"OS_USERNAME": "u", "OS_PASSWORD": "p", "OS_DOMAIN_NAME": "d", "OS_PROJECT_NAME": f"{region}_x"})
    assert (s.region, s.auth_url, s.endpoint) == (region, auth_url, endpoint)
    assert "auth_url" not in s.origins and "endpoint" not in s.origins


def test_an_iam_host_that_does_not_exist_fails_once_naming_the_setting(monkeypatch):
    from ddm_resources.auth import token_source
    from ddm_resources.preflight import preflight_unavailable

    asked = refuse_invalid_names(monkeypatch)
    sleeps: list[float] = []
    s = settings({"ddm:region": "eu-zz"}, {"OS_AUTH_URL": "https://iam.eu-zz.invalid/v3", "OS_USERNAME": "u",
                                           "OS_PASSWORD": "secret-Pw", "OS_DOMAIN_NAME": "d", "OS_PROJECT_ID": "p"})
    tokens = token_source(s, timeout=httpx.Timeout(2.0))
    tokens._sleep = sleeps.append
    with pytest.raises(UnknownHostError) as info:
        tokens.get()
    text = str(info.value)
    assert asked == ["iam.eu-zz.invalid"] and sleeps == []  # one lookup, no retry
    assert "this host does not exist (iam.eu-zz.invalid does not resolve" in text
    assert "ddm:authUrl" in text and "OS_AUTH_URL" in text and "this one: OS_AUTH_URL" in text
    assert "secret-Pw" not in text
    reason = preflight_unavailable(info.value).reason
    assert "this host does not exist" in reason and "preflight false" not in reason and "Retry" not in reason


def test_a_derived_iam_host_says_where_it_came_from(monkeypatch):
    from ddm_resources.auth import token_source

    refuse_invalid_names(monkeypatch)
    s = settings(env={"OS_USERNAME": "u", "OS_PASSWORD": "pw", "OS_DOMAIN_NAME": "d", "OS_PROJECT_ID": "p",
                      "OS_REGION_NAME": "eu-zz.invalid"})
    with pytest.raises(UnknownHostError, match="derived from region 'eu-zz.invalid', which the OTC documentation "
                                               "does not name"):
        token_source(s, timeout=httpx.Timeout(2.0)).get()


def test_a_ddm_host_that_does_not_exist_fails_once_naming_ddm_endpoint(monkeypatch):
    from ddm_resources.client import DdmClient
    from ddm_resources.preflight import preflight_unavailable

    asked = refuse_invalid_names(monkeypatch)
    sleeps: list[float] = []
    with DdmClient("https://ddm.eu-zz.invalid", DEMO_PROJECT_ID, TOKEN, sleep=sleeps.append) as client:
        with pytest.raises(UnknownHostError) as info:
            client.restorable_instances(SOURCE)
    text = str(info.value)
    assert asked == ["ddm.eu-zz.invalid"] and sleeps == []
    assert text.startswith("GET /v3/") and "this host does not exist" in text
    assert "ddm:endpoint" in text and "DDM_ENDPOINT" in text and text.endswith("not retried")
    assert not info.value.request_sent  # a restore POST may be sent elsewhere safely
    reason = preflight_unavailable(info.value).reason
    assert "ddm:endpoint" in reason and "ddm:preflight false" not in reason


def test_a_resolver_that_does_not_answer_is_still_retried(monkeypatch):
    """EAI_AGAIN ("temporary failure in name resolution") is an outage, not a missing host."""
    import socket

    from ddm_resources.client import DdmClient
    from ddm_resources.retry import RetryPolicy

    def getaddrinfo(*args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    sleeps: list[float] = []
    with DdmClient("https://ddm.eu-zz.invalid", DEMO_PROJECT_ID, TOKEN, sleep=sleeps.append,
                   retry_policy=RetryPolicy(max_attempts=3)) as client:
        with pytest.raises(TransportError) as info:
            client.restorable_instances(SOURCE)
    assert not isinstance(info.value, UnknownHostError) and len(sleeps) == 2


# item 7: the OTC Pulumi provider's config, below ddm:* -----------------------------------------

OTC_LOGIN = {
    "opentelekomcloud:authUrl": "https://iam.eu-nl.otc.t-systems.com/v3",
    "opentelekomcloud:userName": "otc-user",
    "opentelekomcloud:password": "otc-Passw0rd",
    "opentelekomcloud:domainName": "OTC00000000001000000001",
    "opentelekomcloud:tenantName": "eu-nl_dr",
}


def test_the_otc_provider_config_is_read_below_ddm_keys_and_above_the_environment():
    s = settings({**OTC_LOGIN, "ddm:username": "ddm-user"}, {"OS_USERNAME": "env-user", "OS_PASSWORD": "env-Pw"})
    assert (s.username, s.origins["username"]) == ("ddm-user", "ddm:username")
    assert (s.password.get_secret_value(), s.origins["password"]) == ("otc-Passw0rd", "opentelekomcloud:password")
    assert (s.project_name, s.origins["project_name"]) == ("eu-nl_dr", "opentelekomcloud:tenantName")
    assert (s.domain_name, s.region) == ("OTC00000000001000000001", "eu-nl")
    assert (s.auth_url, s.origins["auth_url"]) == ("https://iam.eu-nl.otc.t-systems.com/v3", "opentelekomcloud:authUrl")


@pytest.mark.parametrize("key, field, value", [
    ("accessKey", "access_key", AK), ("secretKey", "secret_key", SK), ("securityToken", "security_token", "st"),
    ("tenantId", "project_id", "p1"), ("region", "region", "eu-ch2"), ("cacertFile", "cacert", None),
    ("insecure", "insecure", None), ("token", "token", None), ("domainId", "domain_id", "d1"),
])
def test_every_otc_provider_key_reaches_its_setting(key, field, value):
    from ddm_resources.settings import _OTC_KEYS

    assert _OTC_KEYS[field] == key
    if value is not None:
        config = {"opentelekomcloud:accessKey": AK, "opentelekomcloud:secretKey": SK,
                  "opentelekomcloud:tenantId": "p0", f"opentelekomcloud:{key}": value}
        s = settings(config)
        got = getattr(s, field)
        assert (got.get_secret_value() if hasattr(got, "get_secret_value") else got) == value
        assert s.origins[field] == f"opentelekomcloud:{key}"


def test_iam_login_from_the_otc_provider_config_names_where_each_value_came_from(emulator):
    from ddm_resources.auth import token_source

    emulator_login = {"opentelekomcloud:authUrl": f"{emulator.url}/v3", "opentelekomcloud:userName": DEMO_USER_NAME,
                      "opentelekomcloud:password": "wrong-Passw0rd", "opentelekomcloud:domainName": DEMO_DOMAIN_NAME,
                      "opentelekomcloud:tenantName": DEMO_PROJECT_NAME}
    s = settings(emulator_login)
    with pytest.raises(AuthenticationError) as info:
        token_source(s, timeout=httpx.Timeout(2.0)).get()
    text = str(info.value)
    assert "user from opentelekomcloud:userName" in text and "password from opentelekomcloud:password" in text
    assert "wrong-Passw0rd" not in text
    good = settings({**emulator_login, "opentelekomcloud:password": DEMO_PASSWORD})
    assert token_source(good, timeout=httpx.Timeout(2.0)).project_id == DEMO_PROJECT_ID


def test_provider_config_keeps_both_namespaces_and_warns_about_a_mistyped_key(capsys):
    raw = {"ddm:projectID": "p", "ddm:endpont": "http://x", "ddm:token": "t", "ddm:zzzz": "1",
           "opentelekomcloud:userName": "otc-user", "proj:sourceInstanceId": SOURCE}
    config = provider_config(raw.get, raw)
    assert config == {"token": "t", "opentelekomcloud:userName": "otc-user"}
    out = capsys.readouterr().out
    assert "ddm:projectID is not a setting of ddm-resources and is ignored; did you mean ddm:projectId?" in out
    assert "ddm:endpont is not a setting" in out and "did you mean ddm:endpoint?" in out
    assert "ddm:zzzz is not a setting" in out and "configuration table" in out
    assert "http://x" not in out and out.count("ddm:projectID is not") == 1
    provider_config(raw.get, raw)
    assert capsys.readouterr().out == ""  # once per process


def test_create_against_a_host_that_does_not_exist_says_to_fix_the_endpoint(monkeypatch):
    """Item 12 at `up`: the advice matches the cause: set the endpoint, not just "run again"."""
    from pulumi.dynamic import Config, ConfigureRequest

    from ddm_resources.errors import RecoveryError
    from ddm_resources.provider import MetadataRecoveryProvider
    from tests.conftest import BACKUP, DATA_NODE, TARGET

    asked = refuse_invalid_names(monkeypatch)
    provider = MetadataRecoveryProvider()
    provider.configure(ConfigureRequest(Config({"ddm:endpoint": "https://ddm.eu-ch2.sc.otc.t-systems.invalid",
                                                "ddm:projectId": DEMO_PROJECT_ID, "ddm:token": TOKEN}, "p")))
    with pytest.raises(RecoveryError) as info:
        provider.create({"source_instance_id": SOURCE, "source": {"backup_id": BACKUP}, "resource_name": "r",
                         "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}})
    text = str(info.value)
    assert "this host does not exist" in text and "ddm:endpoint" in text and "nothing was submitted" in text
    assert text.endswith("Fix that, then run `pulumi up` again.") and asked == ["ddm.eu-ch2.sc.otc.t-systems.invalid"]
