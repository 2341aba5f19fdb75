"""What a failed connection says and whether it is retried: a proxy from the environment is named
(never its value), a certificate that does not verify is not retried (trial findings, sec lane).

Real sockets on 127.0.0.1: a TLS listener whose certificate no given CA signs, and a port that
refuses connections.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ddm_resources.client import DdmClient
from ddm_resources.errors import TransportError
from ddm_resources.http_options import DEFAULT_HTTP_OPTIONS, HttpOptions
from ddm_resources.retry import RetryPolicy
from tests.conftest import PROJECT_ID, SOURCE, TOKEN
from tests.local_tls import LocalTlsServer, make_cert

pytestmark = pytest.mark.real_socket

PROXY_PASSWORD = "proxy-pw-0x5eCret"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("tls")
    return {name: make_cert(folder, name) for name in ("server", "other")}


class TlsListener(LocalTlsServer):
    """Shakes hands with its certificate on every connection; counts the connections."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.accepted = 0
        super().__init__(cert, key)

    def handle(self, conn: socket.socket) -> None:
        self.accepted += 1
        conn.settimeout(2.0)
        try:
            with self.context.wrap_socket(conn, server_side=True):
                pass
        except OSError:  # the client refused the certificate
            conn.close()


@pytest.fixture
def listener(certs: dict[str, tuple[Path, Path]]) -> Iterator[TlsListener]:
    server = TlsListener(*certs["server"])
    yield server
    server.close()


def read(url: str, options: HttpOptions = DEFAULT_HTTP_OPTIONS) -> tuple[TransportError, list[float]]:
    """The error of one read (a lookup) with up to 3 attempts, and the waits between them."""
    waits: list[float] = []
    with DdmClient(url, PROJECT_ID, TOKEN, http_options=options, retry_policy=RetryPolicy(max_attempts=3),
                   sleep=waits.append) as client, pytest.raises(TransportError) as info:
        client.restorable_instances(SOURCE)
    return info.value, waits


@pytest.mark.parametrize("ca", [None, "other"])
def test_a_proxy_certificate_that_does_not_verify_names_the_variable_and_is_not_retried(
        listener, certs, clean_env, ca):
    """The trial's HTTPS_PROXY=https://127.0.0.1:18445 signed by a CA that was not given (none, or another)."""
    clean_env.setenv("HTTPS_PROXY", f"https://user:{PROXY_PASSWORD}@127.0.0.1:{listener.port}")
    options = HttpOptions(cacert=str(certs[ca][0])) if ca else DEFAULT_HTTP_OPTIONS
    error, waits = read("https://127.0.0.1:9", options)
    text = str(error)
    assert text.startswith("GET /v3/") and "through the proxy of HTTPS_PROXY" in text
    assert "CERTIFICATE_VERIFY_FAILED" in text and "ddm:cacert or OS_CACERT" in text and "NO_PROXY" in text
    assert text.endswith("; not retried") and PROXY_PASSWORD not in text and "user:" not in text
    assert (error.transient, waits, listener.accepted) == (False, [], 1)


@pytest.mark.parametrize("name, scheme", [("HTTPS_PROXY", "https"), ("https_proxy", "https"), ("Https_Proxy", "https"),
                                          ("HTTP_PROXY", "http"), ("ALL_PROXY", "https")])
def test_a_proxy_that_refuses_connections_is_named_and_retried(clean_env, name, scheme):
    clean_env.setenv(name, f"http://u:{PROXY_PASSWORD}@127.0.0.1:1")
    error, waits = read(f"{scheme}://127.0.0.1:9")
    text = str(error)
    assert f"at {scheme}://127.0.0.1:9 through the proxy of {name}: ConnectError" in text
    assert f"check the proxy named by {name}" in text and "NO_PROXY" in text and "not retried" not in text
    assert PROXY_PASSWORD not in text and "u:" not in text
    assert (error.transient, error.request_sent, len(waits)) == (True, False, 2)


def test_the_proxy_named_is_the_variable_httpx_used(clean_env):
    """Both `HTTPS_PROXY` and `https_proxy` set: httpx goes through the lower-case one (both refuse
    connections here), and the error names it; neither value is shown."""
    clean_env.setenv("HTTPS_PROXY", f"http://u:{PROXY_PASSWORD}@127.0.0.1:2")
    clean_env.setenv("https_proxy", f"http://u:{PROXY_PASSWORD}@127.0.0.1:1")
    error, _ = read("https://127.0.0.1:9")
    text = str(error)
    assert "through the proxy of https_proxy: ConnectError" in text and "HTTPS_PROXY" not in text
    assert PROXY_PASSWORD not in text and "127.0.0.1:1" not in text


def test_no_proxy_means_a_direct_connection_and_no_proxy_in_the_error(clean_env):
    clean_env.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    clean_env.setenv("NO_PROXY", "127.0.0.1")
    error, waits = read("http://127.0.0.1:1")
    assert "proxy" not in str(error).lower() and len(waits) == 2


def test_an_endpoint_certificate_that_does_not_verify_is_not_retried(listener, clean_env):
    error, waits = read(f"https://127.0.0.1:{listener.port}")
    text = str(error)
    assert "CERTIFICATE_VERIFY_FAILED" in text and "proxy" not in text.lower()
    assert "give the CA that signs it with ddm:cacert or OS_CACERT" in text and text.endswith("; not retried")
    assert (error.transient, waits, listener.accepted) == (False, [], 1)


def test_a_restore_post_is_not_resent_after_a_certificate_failure(listener, clean_env):
    from tests.unit.test_hostile_server import restore

    waits: list[float] = []
    with DdmClient(f"https://127.0.0.1:{listener.port}", PROJECT_ID, TOKEN, retry_policy=RetryPolicy(max_attempts=3),
                   sleep=waits.append) as client, pytest.raises(TransportError, match="not retried"):
        restore(client)
    assert (waits, listener.accepted) == ([], 1)
