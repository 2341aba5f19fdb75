"""tests/unit opens no socket: the guard in its conftest fails a test that tries."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.conftest import PROJECT_ID, TOKEN


def test_connecting_a_socket_fails_and_is_recorded(socket_attempts):
    with pytest.raises(OSError, match="tests/unit opens no socket"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)

    assert socket_attempts == [("127.0.0.1", 9)]
    socket_attempts.clear()  # recorded as it should be; the guard's own teardown check would fail the test


def test_the_emulator_answers_in_process(emulator):
    with httpx.Client(base_url=emulator.url, transport=emulator.transport) as http:
        answer = http.get(f"/v3/{PROJECT_ID}/backups",
                          headers={"X-Auth-Token": TOKEN, "Content-Type": "application/json"})

    assert answer.status_code == 200
    assert [r.path for r in emulator.backend.requests()] == [f"/v3/{PROJECT_ID}/backups"]


@pytest.mark.real_socket
def test_real_socket_tests_get_a_server_on_loopback(emulator):
    assert emulator.url.startswith("http://127.0.0.1:")
