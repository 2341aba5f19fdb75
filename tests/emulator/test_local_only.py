"""The emulator is for local use (issue 8 item 10): said in --help, a warning on a non-loopback
bind with the real bound URL, and an admin API that refuses other Hosts, cross-origin
text/plain POSTs, and answers bad input with 400, never 500."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from ddm_emulator import EmulatorServer

from .conftest import JOB_SECONDS, PROJECT


def test_help_says_local_use_only():
    help_text = subprocess.run(
        [sys.executable, "-m", "ddm_emulator", "--help"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(help_text.split())
    assert "this machine only" in flat and "no authentication" in flat


def test_a_non_loopback_bind_warns_and_prints_the_bound_url(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "ddm_emulator", "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("DDM API emulator listening on http://0.0.0.0:"), line
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert "warning: listening on 0.0.0.0" in stderr and "local use only" in stderr


def test_a_loopback_server_is_local_only_and_says_its_address():
    with EmulatorServer() as server:
        assert server.local_only
        assert server.url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "192.0.2.7", "127.0.0.1.evil.example"])
def test_admin_refuses_a_host_that_is_not_loopback(client, host):
    response = client.post("/_emulator/reset", headers={"Host": host})

    assert response.status_code == 403
    assert "loopback" in response.json()["error"]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.0.0.2:8080", "[::1]:8080"])
def test_admin_answers_loopback_hosts(client, emulator, host):
    assert client.get("/_emulator/seed", headers={"Host": host}).status_code == 200


def test_the_ddm_api_itself_is_not_host_checked(client, auth):
    assert client.get(f"/v3/{PROJECT}/backups", headers={**auth, "Host": "ddm.example"}).status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_admin_refuses_a_post_that_is_not_json(emulator, backend, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    with httpx.Client(base_url=emulator.url) as bare:
        response = bare.post("/_emulator/config", content=b'{"job_seconds": 99}', headers=headers)

    assert response.status_code == 415
    assert backend.settings.job_seconds == JOB_SECONDS


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/_emulator/config", b'{"advance_seconds": 1e400}'),
        ("/_emulator/config", b'{"advance_seconds": NaN}'),
        ("/_emulator/config", b'{"job_seconds": 1e300}'),
        ("/_emulator/config", b'{"clock_scale": 1e300}'),
        ("/_emulator/config", b'{"token_ttl_seconds": -1}'),
        ("/_emulator/config", b'{"job_bound_to": ["target"]}'),
        ("/_emulator/config", b"[1, 2]"),
        ("/_emulator/config", b"[" * 100_000 + b"]" * 100_000),
        ("/_emulator/config", b"\xff\xfe{}"),
        ("/_emulator/faults", b'{"path_regex": "(", "action": "drop"}'),
        ("/_emulator/faults", b'{"path_regex": "x", "action": "drop", "times": "x"}'),
        ("/_emulator/faults", b'{"path_regex": "x", "action": "delay", "delay": [1]}'),
        ("/_emulator/faults", b'{"path_regex": "x", "action": "respond", "status": 99.5}'),
        ("/_emulator/faults", b'{"path_regex": "x", "action": "drop", "headers": {"a": 1}}'),
        ("/_emulator/faults", b'{"path_regex": "x", "action": "drop", "every": 1e400}'),
        ("/_emulator/faults", b'{"path_regex": "x", "action": "drop", "every": true}'),
        ("/_emulator/faults", b'{"path_regex": "x", "action": "drop", "times": 1.5}'),
        ("/_emulator/faults", b'{"path_regex": "x", "action": "delay", "delay": 1e400}'),
        ("/_emulator/faults", b'{"path_regex": "x", "action": "delay", "delay": NaN}'),
        ("/_emulator/faults", b'{"path_regex": 5, "action": "drop"}'),
        ("/_emulator/faults", b'{"path_regex": "x", "action": "drop", "method": 5}'),
        ("/_emulator/tokens", b'{"token": 5}'),
    ],
)
def test_bad_admin_input_is_400_never_500(client, path, raw):
    response = client.post(path, content=raw)

    assert response.status_code == 400, response.text
    assert response.json()["error"]


def test_a_bad_request_log_regex_is_400(client):
    response = client.get("/_emulator/requests", params={"path_regex": "("})

    assert response.status_code == 400 and "path_regex" in response.json()["error"]


def test_the_emulator_still_serves_after_bad_admin_input(client, auth):
    client.post("/_emulator/config", content=b'{"advance_seconds": 1e400}')

    assert client.get(f"/v3/{PROJECT}/backups", headers=auth).status_code == 200
    assert client.get("/_emulator/config").status_code == 200
