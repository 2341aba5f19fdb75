"""`NO_PROXY` networks (CIDR entries such as `127.0.0.0/8`) are honoured (issue 19 item 18): httpx does
not read them (its pattern for one matches nothing), so a request to an address in the network went
through the proxy anyway."""

from __future__ import annotations

import ipaddress

import pytest

from ddm_emulator import DEMO_PROJECT_ID
from ddm_resources.client import DdmClient
from ddm_resources.errors import TransportError
from ddm_resources.http_options import PROXY_VARIABLES, environment_proxies, no_proxy_networks
from ddm_resources.retry import RetryPolicy
from tests.conftest import SOURCE, TOKEN

pytestmark = pytest.mark.real_socket

DEAD_PROXY = "http://127.0.0.1:1"
"""Refuses every connection: a request that goes through it fails."""


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (name for names in PROXY_VARIABLES.values() for name in names):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", DEAD_PROXY)
    monkeypatch.setenv("HTTPS_PROXY", DEAD_PROXY)
    return monkeypatch


@pytest.mark.parametrize("no_proxy", ["127.0.0.0/8", "example.test, 127.0.0.1/32", "10.0.0.0/8,127.1.2.3/8",
                                      "::1/128,127.0.0.0/24"])
def test_an_address_in_a_no_proxy_network_is_reached_directly(env, emulator, no_proxy):
    env.setenv("NO_PROXY", no_proxy)
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN) as client:
        assert client.restorable_instances(SOURCE)


@pytest.mark.parametrize("no_proxy", ["10.0.0.0/8", "128.0.0.0/8", "localhost.example"])
def test_an_address_outside_the_networks_goes_through_the_proxy(env, emulator, no_proxy):
    env.setenv("no_proxy", no_proxy)
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN, retry_policy=RetryPolicy(max_attempts=1)) as client, \
            pytest.raises(TransportError, match="through the proxy of HTTP_PROXY"):
        client.restorable_instances(SOURCE)


def test_networks_are_read_as_curl_and_requests_read_them():
    environ = {"NO_PROXY": "127.0.0.0/8, fd00::/8,[::1]/128, 10.1.2.3/8, example.test, 1.2.3.4, http://x/1, bad/99"}
    assert no_proxy_networks(environ) == (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("fd00::/8"),
                                          ipaddress.ip_network("::1/128"), ipaddress.ip_network("10.0.0.0/8"))
    patterns = list(environment_proxies({**environ, "HTTP_PROXY": DEAD_PROXY}))
    assert patterns == ["http://", "all://*example.test", "all://1.2.3.4", "http://x/1", "all://*bad/99"]
