"""Proxy credentials are held as secrets (issue 19 item 5): with `HTTP_PROXY=http://user:pass@host:port`,
a 407 page or a CONNECT refusal quoting `user`/`pass` or `Basic <base64(user:pass)>` reached
`pulumi preview` as is. The proxy here is a small server on 127.0.0.1 that answers every request
(a plain request or a CONNECT) with a 407 that quotes what it was sent."""

from __future__ import annotations

import base64
import socket
import threading
import urllib.parse

import pytest

from ddm_resources.client import DdmClient
from ddm_resources.errors import DdmError
from ddm_resources.http_options import PROXY_VARIABLES
from ddm_resources.retry import RetryPolicy
from tests.conftest import PROJECT_ID, SOURCE, TOKEN
from tests.unit import test_hostile_server

hostile = test_hostile_server.hostile

pytestmark = pytest.mark.real_socket

USER = "proxy-user"
PASSWORD = "Proxy-Pässwort/with@signs-77"
"""Needs percent-encoding in a URL (`/`, `@`, a non-ASCII letter)."""


def quoted(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def echo_407(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
    """A proxy's 407 quoting the credentials in every spelling it saw, in the reason and in the page."""
    pair = f"{USER}:{PASSWORD}"
    basic = base64.b64encode(pair.encode()).decode()
    page = (f"<html>Proxy login refused for {USER}/{PASSWORD} (sent as {quoted(PASSWORD)}), "
            f"Proxy-Authorization: Basic {basic} ; header was {head.decode('latin-1')!r}</html>").encode()
    reason = f"Proxy Authentication Required for {pair} {basic}".encode()
    conn.sendall(b"HTTP/1.1 407 " + reason + b"\r\nContent-Type: text/html\r\n"
                 + f"Content-Length: {len(page)}\r\nConnection: close\r\n\r\n".encode() + page)
    conn.close()


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch, hostile):
    for name in (name for names in PROXY_VARIABLES.values() for name in names):
        monkeypatch.delenv(name, raising=False)
    proxy = hostile(echo_407)
    port = proxy.url.rsplit(":", 1)[1]
    url = f"http://{quoted(USER)}:{quoted(PASSWORD)}@127.0.0.1:{port}"
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.setenv("HTTPS_PROXY", url)
    return proxy


def secrets_in(text: str) -> list[str]:
    pair = f"{USER}:{PASSWORD}"
    values = [PASSWORD, quoted(PASSWORD), pair, base64.b64encode(pair.encode()).decode(),
              base64.b64encode(f"{USER}:{quoted(PASSWORD)}".encode()).decode()]
    found = [value for value in values if value in text]
    found += [PASSWORD[i:i + 8] for i in range(len(PASSWORD) - 7) if PASSWORD[i:i + 8] in text]
    return found


@pytest.mark.parametrize("endpoint", ["http://ddm.example.test", "https://ddm.example.test"])
def test_a_407_quoting_the_proxy_credentials_shows_none_of_them(proxy_env, endpoint):
    """Plain http: the proxy answers the request itself (a page). https: it refuses the CONNECT (httpx's
    `ProxyError` quotes the status line)."""
    with DdmClient(endpoint, PROJECT_ID, TOKEN, retry_policy=RetryPolicy(max_attempts=1)) as client, \
            pytest.raises(DdmError) as info:
        client.restorable_instances(SOURCE)
    text = str(info.value)
    assert "407" in text
    assert secrets_in(text) == [], text
    assert len(proxy_env.requests) == 1
