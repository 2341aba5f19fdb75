"""Fault injection: respond, every/times, delay, drop and lose_response; `add_headers` answers
as usual with the fault's headers added."""

from __future__ import annotations

import time

import httpx
import pytest

from ddm_emulator import DdmBackend, EmulatorServer, Fault

from .conftest import PROJECT, RECOVERY, SSL_CONTEXT, doc_body

BACKUPS = f"/v3/{PROJECT}/backups"


def wait_for(condition, timeout: float = 3.0) -> bool:
    """Poll `condition` until it holds or `timeout` passes (for work the server does later)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.mark.parametrize("retry_after", ["2", "Wed, 21 Oct 2037 07:28:00 GMT"])
def test_respond_429_with_retry_after(client, auth, backend: DdmBackend, retry_after):
    headers = {"Retry-After": retry_after}
    rule = Fault("POST", "metadata-recovery$", "respond", status=429, headers=headers, times=1)
    backend.add_fault(rule)

    throttled = client.post(RECOVERY, json=doc_body(), headers=auth)
    retried = client.post(RECOVERY, json=doc_body(), headers=auth)

    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == retry_after
    expected = {"error_code": "APIGW.0308", "error_msg": "The request is throttled."}
    assert throttled.json() == expected
    assert retried.status_code == 202
    assert len(backend.all_jobs()) == 1


def test_respond_429_without_retry_after(client, auth, backend: DdmBackend):
    backend.add_fault(Fault("GET", "/backups$", "respond", status=429))

    response = client.get(BACKUPS, headers=auth)

    assert response.status_code == 429
    assert "Retry-After" not in response.headers


def test_respond_5xx_default_and_custom_bodies(client, auth, backend: DdmBackend):
    custom = {"error_code": "DBS.300002", "error_msg": "retry later"}
    for status, body in ((503, None), (502, "<html>bad gateway</html>"), (500, custom)):
        backend.add_fault(Fault("GET", "/backups$", "respond", status=status, body=body, times=1))

    first, second, third, fourth = (client.get(BACKUPS, headers=auth) for _ in range(4))

    assert (first.status_code, first.json()["error_code"]) == (503, "DBS.200412")
    assert (second.status_code, second.text) == (502, "<html>bad gateway</html>")
    assert (third.status_code, third.json()["error_code"]) == (500, "DBS.300002")
    assert fourth.status_code == 200


def test_every_third_request_fails(client, auth, backend: DdmBackend):
    fault = backend.add_fault(Fault("GET", "/backups$", "respond", status=503, every=3))

    statuses = [client.get(BACKUPS, headers=auth).status_code for _ in range(7)]

    assert statuses == [200, 200, 503, 200, 200, 503, 200]
    assert (fault.matched, fault.fired) == (7, 2)


def test_fault_matches_method_and_path_only(client, auth, backend: DdmBackend):
    backend.add_fault(Fault("POST", "/backups$", "respond", status=500))

    assert client.get(BACKUPS, headers=auth).status_code == 200


def test_delay_is_slower_than_a_client_timeout_then_processes(emulator, auth, backend: DdmBackend):
    backend.add_fault(Fault("POST", "metadata-recovery$", "delay", delay=0.5, times=1))

    with httpx.Client(base_url=emulator.url, timeout=0.1, verify=SSL_CONTEXT) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            impatient.post(RECOVERY, json=doc_body(), headers=auth)

    # the server still processes the request once the delay is over
    assert wait_for(lambda: len(backend.all_jobs()) == 1)
    (record,) = backend.requests(method="POST", path_contains="metadata-recovery")
    assert (record.fault, record.status) == ("delay", 202)


def test_drop_closes_the_connection_before_processing(client, auth, backend: DdmBackend):
    backend.add_fault(Fault("POST", "metadata-recovery$", "drop", times=1))

    with pytest.raises(httpx.TransportError):
        client.post(RECOVERY, json=doc_body(), headers=auth)

    assert backend.all_jobs() == []
    (record,) = backend.requests(method="POST", path_contains="metadata-recovery")
    assert (record.fault, record.status, record.answered) == ("drop", None, False)
    assert client.post(RECOVERY, json=doc_body(), headers=auth).status_code == 202


def test_lose_response_creates_the_job_but_the_client_sees_a_connection_error(
    client, auth, backend: DdmBackend
):
    backend.add_fault(Fault("POST", "metadata-recovery$", "lose_response", times=1))

    with pytest.raises(httpx.TransportError):
        client.post(RECOVERY, json=doc_body(), headers=auth)

    (job,) = backend.all_jobs()
    (record,) = backend.requests(method="POST", path_contains="metadata-recovery")
    assert (record.fault, record.status, record.answered) == ("lose_response", 202, False)
    assert record.response == {"job_id": job.id}
    # a blind retry now hits the busy target
    assert client.post(RECOVERY, json=doc_body(), headers=auth).status_code == 409


def test_stop_is_prompt_while_a_delay_fault_is_pending(auth):
    server = EmulatorServer().start()
    server.backend.add_fault(Fault("GET", "/backups$", "delay", delay=30))
    with httpx.Client(base_url=server.url, timeout=0.2, verify=SSL_CONTEXT) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.get(BACKUPS, headers={"X-Auth-Token": "x"})

    started = time.monotonic()
    server.stop()

    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"action": "explode"},
        {"action": "respond"},
        {"action": "respond", "status": 999},
        {"action": "delay"},
        {"action": "drop", "every": 0},
        {"action": "drop", "times": -1},
    ],
)
def test_invalid_fault_rules_are_refused(kwargs):
    with pytest.raises(ValueError):
        Fault("GET", "/x", **kwargs)


def test_faults_via_admin_api_and_never_on_admin_routes(client, auth):
    rule = {"method": "*", "path_regex": ".*", "action": "respond", "status": 500}
    added = client.post("/_emulator/faults", json=rule)
    assert added.status_code == 201
    assert added.json()["fault"]["action"] == "respond"

    assert client.get(BACKUPS, headers=auth).status_code == 500
    listed = client.get("/_emulator/faults").json()["faults"]
    assert (listed[0]["matched"], listed[0]["fired"]) == (1, 1)

    assert client.delete("/_emulator/faults").json() == {"cleared": 1}
    assert client.get(BACKUPS, headers=auth).status_code == 200
    bad = client.post("/_emulator/faults", json={"path_regex": "(", "action": "drop"})
    assert bad.status_code == 400


# add_headers (issue 19 item 8) ---------------------------------------------------------------------------------


def test_the_answer_is_the_usual_one_with_the_headers_added(client, auth, backend: DdmBackend):
    backend.add_fault(Fault("POST", "metadata-recovery$", "add_headers", headers={"Server": "Grüße-Gateway"}))
    answer = client.post(RECOVERY, json=doc_body(), headers=auth)
    assert answer.status_code == 202 and [job.id for job in backend.all_jobs()] == [answer.json()["job_id"]]
    assert (b"server", b"Gr\xfc\xdfe-Gateway") in [(k.lower(), v) for k, v in answer.headers.raw]


def test_add_headers_needs_headers():
    with pytest.raises(ValueError, match="an add_headers fault needs headers"):
        Fault("GET", "/jobs", "add_headers")
    rule = Fault.from_dict({"path_regex": "/jobs", "action": "add_headers", "headers": {"X": "y"}})
    assert rule.headers == {"X": "y"}
