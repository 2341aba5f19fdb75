"""Metadata recovery: the documented example, the job lifecycle and the state rules."""

from __future__ import annotations

import re

import httpx
import pytest

from ddm_emulator import SEED, DdmBackend, EmulatorServer, ManualClock

from .conftest import JOB_SECONDS, PROJECT, RECOVERY, SSL_CONTEXT, doc_body, password_body

JOB = f"/v3/{PROJECT}/jobs"
TARGET_V1 = f"/v1/{PROJECT}/instances/{SEED.target_instance_id}"
JOB_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000")


def start_restore(client: httpx.Client, auth: dict[str, str], **source) -> str:
    response = client.post(RECOVERY, json=doc_body(**source), headers=auth)
    assert response.status_code == 202, response.text
    return response.json()["job_id"]


def test_documented_example_is_accepted_with_a_job_id(client, auth, backend: DdmBackend):
    response = client.post(RECOVERY, json=doc_body(), headers=auth)

    assert response.status_code == 202
    job_id = response.json()["job_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", job_id)
    (job,) = backend.all_jobs()
    assert (job.id, job.name) == (job_id, "RestoreMetadata")
    assert job.instance_id == SEED.target_instance_id


def test_job_walks_running_to_completed(client, auth, clock: ManualClock):
    job_id = start_restore(client, auth)

    # RUNNING: a percentage, the planned end time (as the docs show it), the target instance is busy
    clock.advance(JOB_SECONDS * 0.4)
    job = client.get(f"{JOB}/{job_id}", headers=auth).json()["job"]
    assert job["status"] == "Running"
    assert job["process"] == "40%"
    assert JOB_TIME.fullmatch(job["end_time"])
    assert JOB_TIME.fullmatch(job["created_time"])
    assert job["instance"] == {"id": SEED.target_instance_id, "name": "ddm-target"}
    assert client.get(TARGET_V1, headers=auth).json()["status"] == "RESTORE"

    # COMPLETED: empty process, an end time, the target is running again
    clock.advance(JOB_SECONDS)
    job = client.get(f"{JOB}/{job_id}", headers=auth).json()["job"]
    assert job["status"] == "Completed"
    assert job["process"] == ""
    assert JOB_TIME.fullmatch(job["end_time"])
    assert set(job) == {"id", "name", "status", "created_time", "end_time", "process", "instance"}
    assert client.get(TARGET_V1, headers=auth).json()["status"] == "RUNNING"


def test_clock_scale_runs_jobs_faster_than_real_time(clock: ManualClock):
    backend = DdmBackend(clock=clock, clock_scale=100.0, job_seconds=300.0)
    job = backend.restore_metadata(
        SEED.project_id,
        SEED.source_instance_id,
        target_instance_id=SEED.target_instance_id,
        data_nodes=[SEED.target_data_node_id],
        backup_id=SEED.backup_id,
    )

    clock.advance(2.0)  # 200 emulated seconds
    assert job.status_at(backend.now()) == "Running"
    clock.advance(1.0)  # 300 emulated seconds
    assert job.status_at(backend.now()) == "Completed"


def test_failed_job_reports_reason_in_job_list_only(client, auth, backend, clock):
    backend.fail_next_job("Data node f4e2 is unreachable.")
    job_id = start_restore(client, auth)
    clock.advance(JOB_SECONDS)

    job = client.get(f"{JOB}/{job_id}", headers=auth).json()["job"]
    assert job["status"] == "Failed"
    assert "fail_reason" not in job
    now_ms = int(clock() * 1000)
    listing = client.get(
        JOB, params={"start_time": now_ms - 60_000, "end_time": now_ms}, headers=auth
    ).json()
    (item,) = listing["jobs"]
    assert (item["id"], item["status"]) == (job_id, "Failed")
    assert item["fail_reason"] == "Data node f4e2 is unreachable."
    assert item["instance_id"] == SEED.target_instance_id
    # a failed restore leaves the target empty, so it can be retried
    assert start_restore(client, auth) != job_id


def test_busy_target_is_409(client, auth):
    start_restore(client, auth)

    response = client.post(RECOVERY, json=doc_body(), headers=auth)

    assert response.status_code == 409
    assert response.json()["error_code"] == "DBS.212033"


def test_completed_target_is_no_longer_empty_400_dbs_300372(client, auth, backend, clock):
    start_restore(client, auth)
    clock.advance(JOB_SECONDS)

    response = client.post(RECOVERY, json=doc_body(), headers=auth)

    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "DBS.300372"
    assert body["error_msg"].startswith("Invalid destination DDM instance")
    target = backend.find_instance(SEED.target_instance_id)
    assert target.data_node_ids == [SEED.target_data_node_id]


def test_override_job_status_forces_what_clients_see(client, auth, backend):
    job_id = start_restore(client, auth)

    backend.override_job_status(job_id, "Rollbacking")

    job = client.get(f"{JOB}/{job_id}", headers=auth).json()["job"]
    assert (job["status"], job["process"]) == ("Rollbacking", "")


def test_restore_time_inside_window_is_accepted(client, auth, clock):
    job_id = start_restore(client, auth, restore_time=int((clock() - 3600) * 1000))

    assert len(job_id) == 32


@pytest.mark.parametrize(
    "hours_ago", [pytest.param(8 * 24, id="too-old"), pytest.param(-1, id="future")]
)
def test_restore_time_outside_window_is_400_dbs_300377(client, auth, clock, hours_ago):
    body = doc_body(restore_time=int((clock() - hours_ago * 3600) * 1000))

    response = client.post(RECOVERY, json=body, headers=auth)

    assert response.status_code == 400
    assert response.json()["error_code"] == "DBS.300377"


def test_unknown_source_instance_is_404(client, auth):
    path = RECOVERY.replace(SEED.source_instance_id, "0" * 32 + "in09")

    response = client.post(path, json=doc_body(), headers=auth)

    assert response.status_code == 404
    assert response.json()["error_code"] == "DBS.300350"


def test_backup_of_another_instance_is_400_dbs_300350(client, auth, backend: DdmBackend):
    other = backend.add_backup(PROJECT, SEED.target_instance_id)

    response = client.post(RECOVERY, json=doc_body(backup_id=other.id), headers=auth)

    assert response.status_code == 400
    assert response.json()["error_code"] == "DBS.300350"


def test_unknown_target_is_400_dbs_300372(client, auth):
    body = doc_body()
    body["target"]["instance_id"] = "f" * 32 + "in09"

    response = client.post(RECOVERY, json=body, headers=auth)

    assert response.status_code == 400
    assert response.json()["error_code"] == "DBS.300372"


@pytest.mark.parametrize(
    "node_fields",
    [
        pytest.param(None, id="unknown"),
        pytest.param({"vpc_id": "other-vpc"}, id="other-vpc"),
        pytest.param({"read_only": True}, id="read-only"),
        pytest.param({"status": "Abnormal"}, id="abnormal"),
    ],
)
def test_unusable_data_node_is_400_dbs_300323(client, auth, backend: DdmBackend, node_fields):
    target = backend.find_instance(SEED.target_instance_id)
    node_id = "e" * 32 + "in01"
    if node_fields is not None:
        node_fields.setdefault("vpc_id", target.vpc_id)
        backend.add_data_node(PROJECT, node_id=node_id, **node_fields)
    body = doc_body()
    body["target"]["data_nodes"] = [node_id]

    response = client.post(RECOVERY, json=body, headers=auth)

    assert response.status_code == 400
    assert response.json()["error_code"] == "DBS.300323"
    assert node_id in response.json()["error_msg"]


def test_a_second_empty_target_can_be_restored_while_the_first_is_busy(client, auth, backend):
    start_restore(client, auth)
    target = backend.find_instance(SEED.target_instance_id)
    second = backend.add_instance(PROJECT, vpc_id=target.vpc_id)
    node = backend.add_data_node(PROJECT, vpc_id=target.vpc_id)
    body = doc_body()
    body["target"] = {"instance_id": second.id, "data_nodes": [node.id]}

    assert client.post(RECOVERY, json=body, headers=auth).status_code == 202
    # the first job's node is reserved, so it cannot be reused elsewhere
    body["target"]["data_nodes"] = [SEED.target_data_node_id]
    third = backend.add_instance(PROJECT, vpc_id=target.vpc_id)
    body["target"]["instance_id"] = third.id
    assert client.post(RECOVERY, json=body, headers=auth).json()["error_code"] == "DBS.300323"


def test_unknown_job_is_400_dbs_300400(client, auth):
    response = client.get(f"{JOB}/{'a' * 32}", headers=auth)

    assert response.status_code == 400
    assert response.json()["error_code"] == "DBS.300400"


def test_emulator_server_serves_a_fresh_seeded_backend_by_default():
    with EmulatorServer() as server, httpx.Client(base_url=server.url, verify=SSL_CONTEXT) as http:
        token = http.post("/v3/auth/tokens", json=password_body()).headers["X-Subject-Token"]
        response = http.post(RECOVERY, json=doc_body(), headers={"X-Auth-Token": token})
    assert response.status_code == 202
