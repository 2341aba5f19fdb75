"""`http_options`: TLS and proxy settings for httpx. The proxy environment is read once, as httpx
reads it (`environment_proxies`), the settings check at preview judges the variables httpx uses,
and the checked client has the mounts of the real ones; proxy credentials are held as secrets, so
no 407 page or CONNECT refusal shows them; a CA file or directory that cannot work is named with
the setting it came from and the next step.
`NO_PROXY` networks (CIDR entries) are honoured, as curl and requests read them.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import socket
import threading
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx._utils import get_environment_proxies  # the reference: what the real clients read

from ddm_emulator import DEMO_PROJECT_ID
from ddm_resources.client import DdmClient
from ddm_resources.errors import ConfigurationError, DdmError, TransportError
from ddm_resources.http_options import HttpOptions, environment_proxies, no_proxy_networks
from ddm_resources.retry import RetryPolicy
from ddm_resources.settings import resolve_settings
from tests.conftest import PROJECT_ID, SOURCE, TOKEN
from tests.local_tls import make_cert

# one reading of the proxy environment --------------------------------------------------------------------------


READY = {"OS_TOKEN": "t", "OS_PROJECT_ID": "p"}


BAD = "ftp://user:proxy-pass@bad.test:21"  # a scheme httpx refuses; the password must never be shown


GOOD = "http://127.0.0.1:3128"


# environment -> {URL pattern: (variable, proxy URL or None)} that httpx makes of it
CASES: list[tuple[dict[str, str], dict[str, tuple[str, str | None]]]] = [
    ({"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2"}, {"https://": ("https_proxy", "http://lower:2")}),
    ({"https_proxy": "http://lower:2", "HTTPS_PROXY": "http://upper:1"}, {"https://": ("https_proxy", "http://lower:2")}),
    ({"HTTPS_PROXY": "http://upper:1", "https_proxy": ""}, {}),  # an empty lower-case name unsets it
    ({"Https_Proxy": "http://mixed:3"}, {"https://": ("Https_Proxy", "http://mixed:3")}),
    ({"HTTP_PROXY": "bare:3128"}, {"http://": ("HTTP_PROXY", "http://bare:3128")}),
    ({"HTTP_PROXY": "http://cgi:1", "REQUEST_METHOD": "GET"}, {}),  # urllib's CGI rule
    ({"HTTP_PROXY": "http://cgi:1", "http_proxy": "http://lower:2", "REQUEST_METHOD": "GET"},
     {"http://": ("http_proxy", "http://lower:2")}),
    ({"ALL_PROXY": "socks5://s:1080", "NO_PROXY": "localhost, 127.0.0.1,::1,.example.com,example.org,http://x.test"},
     {"all://": ("ALL_PROXY", "socks5://s:1080"), "all://localhost": ("NO_PROXY", None),
      "all://127.0.0.1": ("NO_PROXY", None), "all://[::1]": ("NO_PROXY", None),
      "all://*.example.com": ("NO_PROXY", None), "all://*example.org": ("NO_PROXY", None),
      "http://x.test": ("NO_PROXY", None)}),
    ({"HTTPS_PROXY": "http://upper:1", "no_proxy": "a.test, *", "NO_PROXY": "b.test"}, {}),  # `*`: no proxy at all
]


@pytest.mark.parametrize("env, expected", CASES)
def test_environment_proxies_read_a_mapping_as_httpx_reads_the_environment(clean_env, env, expected):
    """Lower-case names win, an empty one unsets, `HTTP_PROXY` is ignored under CGI, `NO_PROXY`
    makes httpx's patterns: the same mounts as httpx's own reading of the same variables."""
    for name, value in env.items():
        clean_env.setenv(name, value)
    found = environment_proxies(env)
    assert {pattern: (m.variable, m.url) for pattern, m in found.items()} == expected
    assert {pattern: m.url for pattern, m in found.items()} == get_environment_proxies()


@pytest.mark.parametrize("env, refused", [
    ({"HTTPS_PROXY": BAD, "https_proxy": GOOD}, None),            # httpx uses https_proxy
    ({"HTTPS_PROXY": GOOD, "https_proxy": BAD}, "https_proxy"),
    ({"HTTPS_PROXY": BAD, "https_proxy": ""}, None),              # unset by the empty lower-case name
    ({"HTTP_PROXY": BAD, "REQUEST_METHOD": "GET"}, None),         # ignored under CGI
    ({"HTTPS_PROXY": BAD, "NO_PROXY": "*"}, None),                # no proxy at all
    ({"Https_Proxy": BAD}, "Https_Proxy"),                        # any case counts
    ({"ALL_PROXY": GOOD, "all_proxy": BAD}, "all_proxy"),
])
def test_the_settings_check_judges_the_variable_httpx_uses(env, refused):
    if refused is None:
        assert resolve_settings(lambda key: None, {**READY, **env}).http.verify
        return
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(lambda key: None, {**READY, **env})
    text = str(info.value)
    assert text.startswith(f"{refused} is not a proxy URL httpx supports") and "proxy-pass" not in text
    assert [name for name in env if name != refused and name in text] == []


def test_a_client_that_cannot_be_set_up_names_only_the_variables_httpx_uses():
    """An unparsable `NO_PROXY` entry breaks the client: the message names it and the proxy used,
    not the upper-case twin httpx ignores."""
    env = {**READY, "HTTPS_PROXY": GOOD, "https_proxy": GOOD, "no_proxy": "example.com,:bad"}
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(lambda key: None, env)
    assert str(info.value).startswith("the HTTP client cannot be set up from https_proxy, no_proxy: ")


def _mounts(kwargs: dict[str, Any]) -> dict[str, Any]:
    """{pattern: None, or (proxy URL, context of the TLS to the proxy, context to the endpoint)}
    of the `httpx.Client` made with `kwargs` (httpx and httpcore keep these private)."""
    with httpx.Client(**kwargs) as client:
        return {str(pattern.pattern): None if transport is None else (
            bytes(transport._pool._proxy_url).decode(), getattr(transport._pool, "_proxy_ssl_context", None),
            transport._pool._ssl_context) for pattern, transport in client._mounts.items()}


@pytest.mark.parametrize("env, tls_proxies", [
    ({"HTTPS_PROXY": "https://upper.test:1", "https_proxy": "https://lower.test:2", "HTTP_PROXY": "plain.test:3",
      "NO_PROXY": "127.0.0.1,.example.com"}, ["https://lower.test:2/"]),
    ({"ALL_PROXY": "socks5://s.test:1080", "http_proxy": "https://h.test:4", "HTTP_PROXY": "http://cgi.test:5",
      "REQUEST_METHOD": "GET"}, ["https://h.test:4/"]),
    ({"HTTPS_PROXY": "https://upper.test:1", "no_proxy": "*"}, []),
])
def test_the_checked_client_has_the_mounts_of_the_real_ones(clean_env, tmp_path: Path, env, tls_proxies):
    """For the same environment, `client_kwargs` for os.environ (httpx reads it, an https:// proxy's
    transport is ours) and for `environment_proxies` of a copy of it (what the check builds) give
    the same mounts: patterns, proxy URLs, and the configured CA for the TLS to an https:// proxy."""
    for name, value in env.items():
        clean_env.setenv(name, value)
    options = HttpOptions(cacert=str(make_cert(tmp_path, "ca")[0]))
    real = _mounts(options.client_kwargs())
    assert real == _mounts(options.client_kwargs(proxies=environment_proxies(dict(os.environ))))
    over_tls = {mount[0]: mount[1] for mount in real.values() if mount and mount[0].startswith("https://")}
    assert over_tls == dict.fromkeys(tls_proxies, options.ssl_context())


# proxy credentials are held as secrets (issue 19 item 5) -------------------------------------------------------


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


@pytest.mark.real_socket
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


# a CA file or directory that cannot work (trial of main, 30 Nov, item 3) ---------------------------------------


READY_WITH_ENDPOINT = {"OS_TOKEN": "gAAAAA-ready-token", "OS_PROJECT_ID": "p1", "DDM_ENDPOINT": "https://127.0.0.1:8080"}


def settings_error(env: dict[str, str]) -> str:
    with pytest.raises(ConfigurationError) as info:
        resolve_settings({}.get, {**READY_WITH_ENDPOINT, **env})
    return str(info.value)


@pytest.mark.parametrize("name", ["OS_CACERT", "SSL_CERT_FILE"])
def test_a_directory_given_as_the_ca_file_is_called_a_directory(tmp_path, name):
    assert settings_error({name: str(tmp_path)}) == (
        f"{name} names {tmp_path} as a CA file, but it is a directory, not a file (a directory of hashed "
        f"certificates is set with SSL_CERT_DIR); fix the path or unset {name}")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_given_as_the_ca_file_is_not_read():
    assert settings_error({"OS_CACERT": "/dev/zero"}) == (
        "OS_CACERT names /dev/zero as a CA file, but it is not a regular file (a device, a pipe or a socket); "
        "fix the path or unset OS_CACERT")


def test_a_file_given_as_the_ca_directory_is_called_no_directory(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    assert settings_error({"SSL_CERT_DIR": str(bundle)}) == (
        f"SSL_CERT_DIR names {bundle} as a CA directory, but it is not a directory (a bundle file is set with "
        "ddm:cacert, OS_CACERT or SSL_CERT_FILE); fix the path or unset SSL_CERT_DIR")


def test_a_missing_ca_file_says_which_setting_to_fix(tmp_path):
    missing = tmp_path / "missing.pem"
    assert settings_error({"OS_CACERT": str(missing)}) == (
        f"OS_CACERT names a CA file that does not exist: {missing}; fix the path or unset OS_CACERT")


@pytest.mark.parametrize("text, why", [
    ("not a certificate\n", "it holds no PEM certificate"),
    ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
     "it is not a bundle of PEM certificates (SSLError"),
])
def test_a_ca_file_that_is_no_certificate_names_its_setting_and_the_next_step(tmp_path, text, why):
    """With `SSL_CERT_DIR` set too (some images set it), only the setting of the bad file is named."""
    bundle = tmp_path / "ca.pem"
    bundle.write_text(text)
    message = settings_error({"OS_CACERT": str(bundle), "SSL_CERT_DIR": str(tmp_path)})
    assert message.startswith(f"OS_CACERT: could not load the CA bundle {bundle}: {why}")
    assert message.endswith("; fix the path or unset OS_CACERT")


# NO_PROXY networks (issue 19 item 18) --------------------------------------------------------------------------


DEAD_PROXY = "http://127.0.0.1:1"
"""Refuses every connection: a request that goes through it fails."""


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("HTTP_PROXY", DEAD_PROXY)
    monkeypatch.setenv("HTTPS_PROXY", DEAD_PROXY)
    return monkeypatch


@pytest.mark.real_socket
@pytest.mark.parametrize("no_proxy", ["127.0.0.0/8", "example.test, 127.0.0.1/32", "10.0.0.0/8,127.1.2.3/8",
                                      "::1/128,127.0.0.0/24"])
def test_an_address_in_a_no_proxy_network_is_reached_directly(env, emulator, no_proxy):
    env.setenv("NO_PROXY", no_proxy)
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN) as client:
        assert client.restorable_instances(SOURCE)


@pytest.mark.real_socket
@pytest.mark.parametrize("no_proxy", ["10.0.0.0/8", "128.0.0.0/8", "localhost.example"])
def test_an_address_outside_the_networks_goes_through_the_proxy(env, emulator, no_proxy):
    env.setenv("no_proxy", no_proxy)
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN, retry_policy=RetryPolicy(max_attempts=1)) as client, \
            pytest.raises(TransportError, match="through the proxy of HTTP_PROXY"):
        client.restorable_instances(SOURCE)


@pytest.mark.real_socket
def test_networks_are_read_as_curl_and_requests_read_them():
    environ = {"NO_PROXY": "127.0.0.0/8, fd00::/8,[::1]/128, 10.1.2.3/8, example.test, 1.2.3.4, http://x/1, bad/99"}
    assert no_proxy_networks(environ) == (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("fd00::/8"),
                                          ipaddress.ip_network("::1/128"), ipaddress.ip_network("10.0.0.0/8"))
    patterns = list(environment_proxies({**environ, "HTTP_PROXY": DEAD_PROXY}))
    assert patterns == ["http://", "all://*example.test", "all://1.2.3.4", "http://x/1", "all://*bad/99"]
