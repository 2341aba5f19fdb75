"""The admin API under /_emulator/: reset, config, jobs, tokens, seed.

Local use only (issue 8 item 10): the admin API refuses other Hosts and cross-origin text/plain
POSTs, and answers bad input with 400, never 500; the DDM API itself is not Host-checked."""

from __future__ import annotations

import httpx
import pytest

from ddm_emulator import SEED, DdmBackend

from .conftest import JOB_SECONDS, PROJECT, RECOVERY, doc_body, password_body

JOBS = f"/v3/{PROJECT}/jobs"


def test_reset_restores_the_seed_and_clears_log_faults_and_jobs(client, auth, backend, clock):
    client.post(RECOVERY, json=doc_body(), headers=auth)
    clock.advance(JOB_SECONDS)
    client.post("/_emulator/faults", json={"path_regex": "/nothing", "action": "drop"})
    client.post("/_emulator/config", json={"job_seconds": 99})
    assert client.post(RECOVERY, json=doc_body(), headers=auth).status_code == 400

    reset = client.post("/_emulator/reset")

    assert reset.status_code == 200
    assert reset.json()["seed"]["target_instance_id"] == SEED.target_instance_id
    assert backend.requests() == []
    assert client.get("/_emulator/faults").json()["faults"] == []
    assert client.get("/_emulator/jobs").json()["jobs"] == []
    assert backend.settings.job_seconds == JOB_SECONDS
    assert backend.find_instance(SEED.target_instance_id).empty
    # issued tokens are gone with the reset; a new login works and the restore is accepted again
    assert client.get(f"/v3/{PROJECT}/backups", headers=auth).status_code == 401
    token = client.post("/v3/auth/tokens", json=password_body()).headers["X-Subject-Token"]
    again = client.post(RECOVERY, json=doc_body(), headers={"X-Auth-Token": token})
    assert again.status_code == 202


def test_reset_keeps_static_tokens(client, backend: DdmBackend):
    backend.add_static_token("demo-static", PROJECT)

    client.post("/_emulator/reset")

    headers = {"X-Auth-Token": "demo-static"}
    assert client.post(RECOVERY, json=doc_body(), headers=headers).status_code == 202


def test_config_changes_settings(client, backend: DdmBackend):
    body = client.post(
        "/_emulator/config",
        json={"job_seconds": 10, "clock_scale": 50, "token_ttl_seconds": 120, "error_style": "v1"},
    ).json()

    assert (body["job_seconds"], body["clock_scale"], body["token_ttl_seconds"]) == (10, 50, 120)
    assert body["error_style"] == "v1"
    assert client.get("/_emulator/config").json()["error_style"] == "v1"
    assert (backend.settings.job_seconds, backend.settings.clock_scale) == (10, 50)


def test_config_fail_next_job_and_advance(client, auth):
    client.post("/_emulator/config", json={"fail_next_job": {"reason": "disk full"}})
    job_id = client.post(RECOVERY, json=doc_body(), headers=auth).json()["job_id"]

    client.post("/_emulator/config", json={"advance_seconds": JOB_SECONDS})

    assert client.get(f"{JOBS}/{job_id}", headers=auth).json()["job"]["status"] == "Failed"
    (job,) = client.get("/_emulator/jobs").json()["jobs"]
    assert (job["id"], job["fail_reason"], job["source_instance_id"]) == (
        job_id,
        "disk full",
        SEED.source_instance_id,
    )


def test_bad_config_is_400(client):
    for body in ({"job_seconds": -1}, {"clock_scale": 0}, {"error_style": "xml"}, {"nope": 1}):
        response = client.post("/_emulator/config", json=body)
        assert response.status_code == 400, body
        assert "error" in response.json()


def test_override_job_status_via_admin(client, auth):
    job_id = client.post(RECOVERY, json=doc_body(), headers=auth).json()["job_id"]

    forced = client.post(f"/_emulator/jobs/{job_id}/status", json={"status": "Mystery"})

    assert forced.status_code == 200
    assert client.get(f"{JOBS}/{job_id}", headers=auth).json()["job"]["status"] == "Mystery"
    assert client.post("/_emulator/jobs/unknown/status", json={"status": "X"}).status_code == 404


def test_static_token_via_admin_is_not_echoed(client):
    response = client.post("/_emulator/tokens", json={"token": "admin-added-token"})

    assert response.status_code == 201
    assert "admin-added-token" not in response.text
    headers = {"X-Auth-Token": "admin-added-token"}
    assert client.get(f"/v3/{PROJECT}/backups", headers=headers).status_code == 200


def test_seed_and_unknown_admin_route(client):
    assert client.get("/_emulator/seed").json()["backup_id"] == SEED.backup_id
    assert client.get("/_emulator/nothing").status_code == 404


# local use only: Hosts, content types, bad input (issue 8 item 10) ---------------------------------------------


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
