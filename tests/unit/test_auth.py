"""`auth`: credentials. A `PasswordToken` logs in to IAM and shows no password in any error,
whatever IAM answers, and refuses a project ID of odd shape rather than putting it in a path; a
token's life is IAM's (`expires_at - issued_at`), so a clock ahead of IAM logs in once; credentials
go over plain `http://` only where the IAM URL itself is `http://`, and one warning line per run
names a credential going to a non-loopback `http://` URL. Temporary access keys sign with
their security token; an IAM host that does not exist fails once, naming the setting it came
from. (Access-key signing as a whole: tests/unit/test_settings.py.)
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from ddm_emulator import DEMO_PROJECT_ID
from ddm_resources.auth import PasswordToken
from ddm_resources.client import DdmClient
from ddm_resources.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    DdmError,
    UnknownHostError,
)
from ddm_resources.http_options import HttpOptions
from ddm_resources.retry import RetryPolicy
from ddm_resources.sanitize import MASK
from ddm_resources.settings import resolve_settings
from tests.conftest import PROJECT_ID, SOURCE, TOKEN
from tests.hostile_server import ONE_POLICY, PASSWORD, answer
from tests.local_tls import LocalTlsServer, make_cert
from tests.unknown_hosts import refuse_invalid_names


@pytest.mark.real_socket
def test_iam_answer_with_the_password_shows_no_password(hostile):
    body = {"error": {"code": 401, "message": f"wrong password {PASSWORD!r} for user demo", "title": "x"}}
    server = hostile(answer(401, body))
    tokens = PasswordToken(auth_url=f"{server.url}/v3", username="demo", password=SecretStr(PASSWORD),
                           domain_name="d", project_name="eu-de", timeout=httpx.Timeout(2.0),
                           retry_policy=ONE_POLICY)
    with pytest.raises(ApiError) as info:
        tokens.get()
    assert PASSWORD not in str(info.value) and MASK in str(info.value)


@pytest.mark.real_socket
@pytest.mark.parametrize("project_id", ["../../other/\u202eevil", "p\u200bq", "a b", "x" * 65])
def test_an_iam_project_id_of_odd_shape_is_refused_not_put_in_paths(hostile, project_id):
    body = {"token": {"expires_at": "2999-01-01T00:00:00Z", "project": {"id": project_id}}}
    server = hostile(answer(201, body, {"X-Subject-Token": "MIIiamissued0123456789abcdef"}))
    tokens = PasswordToken(auth_url=f"{server.url}/v3", username="demo", password=SecretStr(PASSWORD),
                           domain_name="d", project_name="eu-de", timeout=httpx.Timeout(2.0),
                           retry_policy=ONE_POLICY)
    with pytest.raises(ApiError, match="IAM answered a project ID of unexpected shape") as info:
        tokens.get()
    assert project_id not in str(info.value)


# the token's life is IAM's (issue 19 item 19) ------------------------------------------------------------------


TWO_DAYS = 2 * 24 * 3600.0


def iam_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(epoch))


def iam(issued: bool):
    """An IAM answering every login with a 24-hour token issued now (on the real clock)."""
    def handler(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        now = time.time()
        token = {"expires_at": iam_time(now + 86400), "project": {"id": PROJECT_ID}}
        if issued:
            token["issued_at"] = iam_time(now)
        body = json.dumps({"token": token}).encode()
        conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Subject-Token: MIIlifetime"
                     + str(len(head)).encode() + b"0123456789abcdef\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    return handler


@pytest.mark.real_socket
@pytest.mark.parametrize("issued", [True, False], ids=["with-issued_at", "without-issued_at"])
def test_a_clock_two_days_ahead_of_iam_logs_in_once(hostile, issued):
    server = hostile(iam(issued))
    now = [time.time() + TWO_DAYS]
    tokens = PasswordToken(auth_url=f"{server.url}/v3", username="demo", password=SecretStr("lifetime-test-pw"),
                           domain_name="d", project_name="eu-de", timeout=httpx.Timeout(2.0),
                           retry_policy=RetryPolicy(max_attempts=1), clock=lambda: now[0])
    for _ in range(20):  # twenty DDM requests in a row
        tokens.get()
        now[0] += 1.0
    assert len(server.requests) == 1
    now[0] += 12 * 3600 if issued else 60  # half the token's life later / after the minimum interval
    tokens.get()
    assert len(server.requests) == (1 if issued else 2)


# credentials over plain http (issue 19 item 11) ----------------------------------------------------------------


def token_answer(ddm_url: str) -> tuple[dict, dict]:
    body = {"token": {"expires_at": "2999-01-01T00:00:00Z", "project": {"id": PROJECT_ID}, "catalog": [
        {"type": "ddmv3", "endpoints": [{"interface": "public", "region": "eu-de", "url": ddm_url}]}]}}
    return body, {"X-Subject-Token": "MIIplainhttptest0123456789abcdef"}


class TlsIam(LocalTlsServer):
    """IAM over TLS on 127.0.0.1, answering every request with a token whose catalog names `ddm_url`."""

    def __init__(self, cert: Path, key: Path, ddm_url: str) -> None:
        self.ddm_url = ddm_url
        super().__init__(cert, key)

    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(2.0)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                head = b""
                while b"\r\n\r\n" not in head:
                    head += tls.recv(65536)
                length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                                   if line.lower().startswith(b"content-length")), b"0"))
                body = head.split(b"\r\n\r\n", 1)[1]
                while len(body) < length:
                    body += tls.recv(65536)
                data, headers = token_answer(self.ddm_url)
                payload = json.dumps(data).encode()
                extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                tls.sendall(f"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: "
                            f"{len(payload)}\r\n{extra}Connection: close\r\n\r\n".encode() + payload)
        except OSError:
            pass


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_cert(tmp_path_factory.mktemp("tls"), "iam")


@pytest.fixture
def tls_iam(cert) -> Iterator:
    servers: list[TlsIam] = []

    def start(ddm_url: str) -> TlsIam:
        servers.append(TlsIam(*cert, ddm_url))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def login(auth_url: str, **kwargs) -> PasswordToken:
    return PasswordToken(auth_url=auth_url, username="demo", password=SecretStr("plain-http-test-pw"),
                         domain_name="d", project_name="eu-de", timeout=httpx.Timeout(2.0),
                         retry_policy=RetryPolicy(max_attempts=1), **kwargs)


@pytest.mark.real_socket
@pytest.mark.parametrize("ddm_url, taken", [("http://ddm.other-host.test", None),
                                            ("https://ddm.other-host.test", "https://ddm.other-host.test")])
def test_an_https_iam_catalog_may_not_send_the_token_to_plain_http(tls_iam, cert, ddm_url, taken):
    iam = tls_iam(ddm_url)
    tokens = login(f"{iam.url}/v3", http_options=HttpOptions(cacert=str(cert[0])))
    assert tokens.service_url(("ddmv3",), "eu-de") == taken


@pytest.mark.real_socket
def test_a_plain_http_iam_may_name_a_plain_http_endpoint(hostile):
    server = hostile(answer(201, *token_answer("http://127.0.0.1:9")))
    assert login(f"{server.url}/v3").service_url(("ddmv3",), "eu-de") == "http://127.0.0.1:9"


def warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if "over plain http://" in line]


@pytest.mark.real_socket
def test_one_warning_line_per_run_when_a_token_goes_to_a_non_loopback_http_url(capsys):
    for _ in range(3):
        DdmClient("http://ddm-plain-1.example.test", PROJECT_ID, TOKEN).close()
    DdmClient("http://127.0.0.1:9", PROJECT_ID, TOKEN).close()
    DdmClient("http://localhost:9", PROJECT_ID, TOKEN).close()
    DdmClient("https://ddm-plain-1.example.test", PROJECT_ID, TOKEN).close()
    assert warnings(capsys.readouterr().out) == [
        "ddm-resources: warning: the IAM token goes to http://ddm-plain-1.example.test over plain http://, "
        "unencrypted: anyone on the network path can read it; use an https:// URL"]


@pytest.mark.real_socket
def test_a_password_sent_to_a_non_loopback_http_iam_is_warned_about(capsys):
    tokens = login("http://iam-plain-2.example.test:1/v3")
    for _ in range(2):
        with pytest.raises(DdmError):
            tokens.get()
    assert [line.split(" goes to ")[0] for line in warnings(capsys.readouterr().out)] == [
        "ddm-resources: warning: the IAM password"]


# temporary access keys (issue 23 item 5) -----------------------------------------------------------------------


AK, SK, SECURITY_TOKEN = "AKSESSION0000000", "sk-Example-0123456789abcdef", "st-Session-Token-0123456789abcdef"


def settings(config=None, env=None):
    config = config or {}
    return resolve_settings(config.get, env or {})



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
    signer = token_source(s, timeout=httpx.Timeout(2.0), transport=emulator.transport)
    assert isinstance(signer, AkSkSigner) and SECURITY_TOKEN not in repr(signer) and SECURITY_TOKEN not in repr(s)
    with DdmClient(emulator.url, s.project_id, signer, transport=emulator.transport) as client:
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
    with DdmClient(emulator.url, DEMO_PROJECT_ID, signer,
                   transport=emulator.transport) as client, pytest.raises(AuthenticationError):
        client.restorable_instances(SOURCE)


# an IAM host that does not exist (issue 23 item 12) ------------------------------------------------------------


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
