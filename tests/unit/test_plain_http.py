"""Credentials over plain `http://` (issue 19 item 11): an IAM catalog whose `ddmv3` endpoint is
`http://other-host` received the token in clear, and `OS_AUTH_URL=http://...` sent the password in
clear, without a word. An `http://` catalog endpoint is taken only when the IAM URL itself is
`http://`, and one warning line per run names a credential going to a non-loopback `http://` URL."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from ddm_resources.auth import PasswordToken
from ddm_resources.client import DdmClient
from ddm_resources.errors import DdmError
from ddm_resources.http_options import HttpOptions
from ddm_resources.retry import RetryPolicy
from tests.conftest import PROJECT_ID, TOKEN
from tests.local_tls import LocalTlsServer, make_cert
from tests.unit import test_hostile_server
from tests.unit.test_hostile_server import answer

pytestmark = pytest.mark.real_socket
hostile = test_hostile_server.hostile


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


@pytest.mark.parametrize("ddm_url, taken", [("http://ddm.other-host.test", None),
                                            ("https://ddm.other-host.test", "https://ddm.other-host.test")])
def test_an_https_iam_catalog_may_not_send_the_token_to_plain_http(tls_iam, cert, ddm_url, taken):
    iam = tls_iam(ddm_url)
    tokens = login(f"{iam.url}/v3", http_options=HttpOptions(cacert=str(cert[0])))
    assert tokens.service_url(("ddmv3",), "eu-de") == taken


def test_a_plain_http_iam_may_name_a_plain_http_endpoint(hostile):
    server = hostile(answer(201, *token_answer("http://127.0.0.1:9")))
    assert login(f"{server.url}/v3").service_url(("ddmv3",), "eu-de") == "http://127.0.0.1:9"


def warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if "over plain http://" in line]


def test_one_warning_line_per_run_when_a_token_goes_to_a_non_loopback_http_url(capsys):
    for _ in range(3):
        DdmClient("http://ddm-plain-1.example.test", PROJECT_ID, TOKEN).close()
    DdmClient("http://127.0.0.1:9", PROJECT_ID, TOKEN).close()
    DdmClient("http://localhost:9", PROJECT_ID, TOKEN).close()
    DdmClient("https://ddm-plain-1.example.test", PROJECT_ID, TOKEN).close()
    assert warnings(capsys.readouterr().out) == [
        "ddm-resources: warning: the IAM token goes to http://ddm-plain-1.example.test over plain http://, "
        "unencrypted: anyone on the network path can read it; use an https:// URL"]


def test_a_password_sent_to_a_non_loopback_http_iam_is_warned_about(capsys):
    tokens = login("http://iam-plain-2.example.test:1/v3")
    for _ in range(2):
        with pytest.raises(DdmError):
            tokens.get()
    assert [line.split(" goes to ")[0] for line in warnings(capsys.readouterr().out)] == [
        "ddm-resources: warning: the IAM password"]
