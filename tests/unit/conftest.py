"""tests/unit opens no socket: the emulator runs in process, behind httpx's `WSGITransport`.

`emulator` here is the shared fixture's in-process twin: same settings and clock fixtures,
same `TOKEN`, the same `.backend` and `.url`, but its URL names a host that no resolver knows
(`ddm-emulator.test`) and every httpx transport hands requests for that host to
`ddm_emulator.wsgi_transport(backend)`, so the provider's own clients (built from settings,
with their TLS and proxy options) reach it unchanged. An autouse guard makes every socket
`connect` in tests/unit fail and the test with it; a test that must talk to a real server
(a TLS handshake, a refused connection, a read timeout) is marked `real_socket`. Every test
starts from a clean environment (`clean_env` of tests/conftest.py: no `OS_*`, `DDM_*` or proxy
variables of the shell).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ddm_emulator import DdmBackend, EmulatorServer, EmulatorSettings, wsgi_transport
from ddm_emulator.clock import Clock
from tests.conftest import PROJECT_ID, TOKEN
from tests.hostile_server import hostile  # noqa: F401 (the fixture of tests/hostile_server.py)

EMULATOR_HOST = "ddm-emulator.test"


@dataclass
class InProcessEmulator:
    """The emulator without a server: its state, its transport and the URL that reaches it."""

    backend: DdmBackend
    transport: httpx.BaseTransport
    url: str = f"http://{EMULATOR_HOST}"


@pytest.fixture
def emulator(
    request: pytest.FixtureRequest,
    emulator_settings: EmulatorSettings,
    emulator_clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[InProcessEmulator | EmulatorServer]:
    """A seeded emulator in process, accepting `TOKEN` for `PROJECT_ID`, reached at `url`.

    Under `real_socket` (a read timeout needs a real connection) it is the shared fixture's
    `EmulatorServer` on a loopback port instead."""
    backend = DdmBackend(emulator_settings, clock=emulator_clock)
    backend.add_static_token(TOKEN, PROJECT_ID)
    if request.node.get_closest_marker("real_socket") is not None:
        with EmulatorServer(backend) as server:
            yield server
        return
    transport = wsgi_transport(backend)
    network = httpx.HTTPTransport.handle_request

    def route(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        if request.url.host == EMULATOR_HOST:
            return transport.handle_request(request)
        return network(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", route)
    yield InProcessEmulator(backend, transport)


@pytest.fixture(autouse=True)
def _clean_env(clean_env: pytest.MonkeyPatch) -> None:
    """Every test here starts without the shell's `OS_*`, `DDM_*` and proxy variables (`clean_env`)."""


@pytest.fixture(autouse=True)
def socket_attempts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Where tests/unit tried to connect (must stay empty); connecting fails with `OSError`."""
    attempts: list[Any] = []
    if request.node.get_closest_marker("real_socket") is None:

        def refuse(_sock: socket.socket, address: Any, *_: Any) -> Any:
            attempts.append(address)
            raise OSError(f"tests/unit opens no socket (tried {address!r}); use the in-process emulator")

        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts
    assert attempts == [], f"the test opened a socket to {attempts}; tests/unit must run in process"
