"""tests/unit opens no socket: the emulator runs in process, behind httpx's `WSGITransport`.

`emulator` here is the shared fixture's in-process twin: same settings and clock fixtures,
same `TOKEN`, the same `.backend` and `.url`, plus `.transport`: `ddm_emulator.wsgi_transport`
over the backend, which a test hands to what it builds through the package's transport seam
(docs/design.md, "Testing seams"): `DdmClient(..., transport=emulator.transport)`,
`PasswordToken(..., transport=...)`, `token_source(settings, ..., transport=...)`, and
`provider.transport = emulator.transport` before `configure` (then `RunState` gives it to every
DDM and IAM client of the provider). Nothing patches httpx: the URL names a host that no
resolver knows (`ddm-emulator.test`), so a request that misses the seam fails the test.
`program_transport` does the same for what a Pulumi program calls (`get_restore_window`).

An autouse guard makes every socket `connect` in tests/unit fail and the test with it; a test
that must talk to a real server (a TLS handshake, a refused connection, a read timeout) is
marked `real_socket` and gets the emulator on a loopback port (`.transport` is `None` then: the
network). Every test starts from a clean environment (`clean_env` of tests/conftest.py: no
`OS_*`, `DDM_*` or proxy variables of the shell).
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ddm_emulator import DdmBackend, EmulatorServer, EmulatorSettings, wsgi_transport
from ddm_emulator.clock import Clock
from ddm_resources import run_state
from tests.conftest import PROJECT_ID, TOKEN
from tests.hostile_server import hostile  # noqa: F401 (the fixture of tests/hostile_server.py)

EMULATOR_HOST = "ddm-emulator.test"


@dataclass
class InProcessEmulator:
    """The emulator as tests/unit reach it: its state, the URL, and the transport to hand the
    package's clients (`None` under `real_socket`, where `url` is a real server's)."""

    backend: DdmBackend
    transport: httpx.BaseTransport | None
    url: str = f"http://{EMULATOR_HOST}"


@pytest.fixture
def emulator(
    request: pytest.FixtureRequest,
    emulator_settings: EmulatorSettings,
    emulator_clock: Clock,
) -> Iterator[InProcessEmulator]:
    """A seeded emulator in process, accepting `TOKEN` for `PROJECT_ID`, reached at `url`
    through `transport`.

    Under `real_socket` (a read timeout needs a real connection) it is the shared fixture's
    `EmulatorServer` on a loopback port instead, reached at `url` over the network."""
    backend = DdmBackend(emulator_settings, clock=emulator_clock)
    backend.add_static_token(TOKEN, PROJECT_ID)
    if request.node.get_closest_marker("real_socket") is not None:
        with EmulatorServer(backend) as server:
            yield InProcessEmulator(backend, None, server.url)
        return
    yield InProcessEmulator(backend, wsgi_transport(backend))


@pytest.fixture
def program_transport(emulator: InProcessEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a Pulumi program calls (`get_restore_window`) makes its own `RunState` from the stack
    config; here that `RunState` carries `emulator.transport`, as the provider's does."""
    monkeypatch.setattr(run_state, "RunState", functools.partial(run_state.RunState, transport=emulator.transport))


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
