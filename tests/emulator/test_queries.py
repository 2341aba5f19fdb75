"""Read-only restore APIs, backups, jobs list, v1 instance details and error styles.

Strict by default (issue 12): the job list's time window (no end in the future, no start older
than 30 days), the two readings of `offset`, the restore time of a backup in
restorable-data-node."""

from __future__ import annotations

import re

import httpx
import pytest

from ddm_emulator import SEED, DdmBackend, ManualClock

from .conftest import JOB_SECONDS, PROJECT, RECOVERY, SOURCE_PATH, doc_body

BACKUPS = f"{SOURCE_PATH}/backups"


OFFSET_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000")


def ms(seconds: float) -> int:
    return int(seconds * 1000)


def test_restorable_instances_reflect_target_state(client, auth, clock):
    first = client.get(f"{BACKUPS}/restorable-instances", headers=auth).json()
    assert first["total"] == 1
    assert first["instances"] == [
        {
            "instance_id": SEED.target_instance_id,
            "instance_name": "ddm-target",
            "status": "normal",
            "available": True,
            "unavailable_reason": "",
            "vpc_name": "vpc-demo",
        }
    ]

    client.post(RECOVERY, json=doc_body(), headers=auth)
    (busy,) = client.get(f"{BACKUPS}/restorable-instances", headers=auth).json()["instances"]
    assert (busy["status"], busy["available"]) == ("restoring", False)
    assert "operation" in busy["unavailable_reason"]

    clock.advance(JOB_SECONDS)
    (done,) = client.get(f"{BACKUPS}/restorable-instances", headers=auth).json()["instances"]
    assert (done["status"], done["available"]) == ("normal", False)
    assert "associated" in done["unavailable_reason"]


def test_restorable_instances_paginate(client, auth, backend: DdmBackend):
    for _ in range(3):
        backend.add_instance(PROJECT)

    page = client.get(
        f"{BACKUPS}/restorable-instances", params={"offset": 1, "limit": 2}, headers=auth
    ).json()

    assert (page["offset"], page["limit"], page["total"]) == (1, 2, 4)
    assert len(page["instances"]) == 2


def test_restorable_time_interval_is_last_seven_days(client, auth, clock):
    body = client.get(f"{BACKUPS}/restorable-time-interval", headers=auth).json()

    (interval,) = body["restorable_time_intervals"]
    assert OFFSET_TIME.fullmatch(interval["start_time"])
    assert OFFSET_TIME.fullmatch(interval["end_time"])
    assert interval["start_time"] < interval["end_time"]
    assert body["total"] == 1


def test_related_dn_requires_restore_time(client, auth, clock):
    missing = client.get(f"{BACKUPS}/related-dn", headers=auth)
    assert missing.status_code == 400
    assert "restore_time" in missing.json()["error_msg"]

    body = client.get(
        f"{BACKUPS}/related-dn", params={"restore_time": ms(clock() - 3600)}, headers=auth
    ).json()
    (node,) = body["related_data_nodes"]
    assert node["instance_id"] == SEED.source_data_node_id
    assert node["engine_name"] == "mysql"
    assert OFFSET_TIME.fullmatch(body["latest_restorable_time"])


def test_related_dn_outside_window_is_400(client, auth, clock):
    response = client.get(
        f"{BACKUPS}/related-dn", params={"restore_time": ms(clock() - 30 * 86400)}, headers=auth
    )

    assert response.status_code == 400
    assert response.json()["error_code"] == "DBS.300377"


@pytest.mark.parametrize("missing", ["target_instance_id", "source_dn_instance_id", "restore_time"])
def test_restorable_data_node_requires_its_parameters(client, auth, clock, missing):
    params = {
        "target_instance_id": SEED.target_instance_id,
        "source_dn_instance_id": SEED.source_data_node_id,
        "restore_time": ms(clock() - 3600),
    }
    del params[missing]

    response = client.get(f"{BACKUPS}/restorable-data-node", params=params, headers=auth)

    assert response.status_code == 400
    assert missing in response.json()["error_msg"]


def test_restorable_data_node_lists_the_pitr_node_as_available(client, auth, backend, clock):
    backend.add_data_node(PROJECT, name="zz-other-vpc", vpc_id="elsewhere")
    params = {
        "target_instance_id": SEED.target_instance_id,
        "source_dn_instance_id": SEED.source_data_node_id,
        "restore_time": ms(clock() - 3600),
    }

    body = client.get(f"{BACKUPS}/restorable-data-node", params=params, headers=auth).json()

    nodes = {n["instance_name"]: n for n in body["target_data_nodes"]}
    assert nodes["rds-restored"]["instance_id"] == SEED.target_data_node_id
    assert nodes["rds-restored"]["available"] is True
    assert nodes["zz-other-vpc"]["available"] is False
    assert "VPC" in nodes["zz-other-vpc"]["unavailable_reason"]
    assert body["total"] == 2


def test_list_backups_filters_and_paginates(client, auth, backend: DdmBackend):
    backend.add_backup(PROJECT, SEED.target_instance_id, backup_type="metadata")

    everything = client.get(f"/v3/{PROJECT}/backups", headers=auth).json()
    assert everything["total"] == 2
    only_source = client.get(
        f"/v3/{PROJECT}/backups", params={"instance_id": SEED.source_instance_id}, headers=auth
    ).json()
    (backup,) = only_source["backups"]
    assert backup["id"] == SEED.backup_id
    assert (backup["status"], backup["backup_type"]) == ("normal", "auto_metadata")
    assert backup["created"].endswith("T02:00:00+0000")
    second_page = client.get(
        f"/v3/{PROJECT}/backups", params={"offset": 1, "limit": 1}, headers=auth
    ).json()
    assert len(second_page["backups"]) == 1
    assert second_page["backups"][0]["id"] != everything["backups"][0]["id"]


def test_backup_details_and_unknown_backup(client, auth):
    body = client.get(f"{BACKUPS}/{SEED.backup_id}", headers=auth).json()
    assert body["instance_id"] == SEED.source_instance_id
    assert body["related_data_nodes"] == [
        {"instance_id": SEED.source_data_node_id, "instance_name": "rds-source"}
    ]

    missing = client.get(f"{BACKUPS}/{'b' * 32}br09", headers=auth)
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "DBS.300350"


def test_jobs_list_requires_times_and_filters_by_created_time(client, auth, clock):
    assert client.get(f"/v3/{PROJECT}/jobs", headers=auth).status_code == 400
    response = client.get(f"/v3/{PROJECT}/jobs", params={"start_time": 0}, headers=auth)
    assert "end_time" in response.json()["error_msg"]
    job_id = client.post(RECOVERY, json=doc_body(), headers=auth).json()["job_id"]
    now = ms(clock())

    hit = client.get(
        f"/v3/{PROJECT}/jobs", params={"start_time": now - 1000, "end_time": now}, headers=auth
    ).json()
    miss = client.get(
        f"/v3/{PROJECT}/jobs",
        params={"start_time": now - 7_200_000, "end_time": now - 3_600_000},
        headers=auth,
    ).json()

    assert [j["id"] for j in hit["jobs"]] == [job_id]
    assert set(hit["jobs"][0]) >= {"fail_reason", "process", "instance_id", "operations"}
    assert (hit["jobs"][0]["status"], hit["jobs"][0]["fail_reason"]) == ("Running", "")
    assert (miss["total"], miss["jobs"]) == (0, [])


def test_jobs_list_older_than_30_days_is_400(client, auth, clock):
    now = ms(clock())
    params = {"start_time": now - 31 * 86_400_000, "end_time": now}

    response = client.get(f"/v3/{PROJECT}/jobs", params=params, headers=auth)

    assert response.status_code == 400
    assert response.json()["error_code"] == "DBS.300377"


def test_v1_instance_details(client, auth):
    body = client.get(f"/v1/{PROJECT}/instances/{SEED.source_instance_id}", headers=auth).json()

    assert (body["id"], body["status"], body["engine_version"]) == (
        SEED.source_instance_id,
        "RUNNING",
        "3.1.0",
    )
    assert body["nodes"][0]["status"] == "RUNNING"
    assert isinstance(body["node_count"], int)


def test_v1_errors_use_errcode_style(client, auth):
    response = client.get(f"/v1/{PROJECT}/instances/{'0' * 32}in09", headers=auth)

    assert response.status_code == 404
    assert response.json() == {
        "errCode": "DBS.300350",
        "externalMessage": f"The DDM instance {'0' * 32}in09 does not exist.",
    }


@pytest.mark.parametrize(
    ("style", "path", "keys"),
    [
        ("auto", RECOVERY, {"error_code", "error_msg"}),
        ("v1", RECOVERY, {"errCode", "externalMessage"}),
        ("v3", f"/v1/{PROJECT}/instances/nothing", {"error_code", "error_msg"}),
        ("v1", f"/v3/{PROJECT}/jobs/nothing", {"errCode", "externalMessage"}),
    ],
)
def test_backend_can_force_an_error_style(client, auth, backend: DdmBackend, style, path, keys):
    backend.configure(error_style=style)

    if path == RECOVERY:
        response = client.post(path, json={}, headers=auth)
    else:
        response = client.get(path, headers=auth)

    assert response.status_code in (400, 404)
    assert set(response.json()) == keys


@pytest.mark.parametrize("style", ["auto", "v1", "v3"])
@pytest.mark.parametrize("path", [f"/v3/{PROJECT}/backups", f"/v1/{PROJECT}/instances/{SEED.source_instance_id}"])
def test_gateway_errors_are_always_error_code_style(client, backend: DdmBackend, style, path):
    backend.configure(error_style=style)

    response = client.get(path)

    assert response.status_code == 401
    assert response.json() == {"error_code": "APIGW.0301", "error_msg": "The X-Auth-Token header is missing."}


# strict by default: the job list window, offset, backup times (issue 12) ---------------------------------------


JOBS = f"/v3/{PROJECT}/jobs"


DAY_MS = 86_400_000


def test_job_list_refuses_a_future_end_time(client, auth, clock: ManualClock):
    now = ms(clock())
    params = {"start_time": now - DAY_MS, "end_time": now + 1}

    response = client.get(JOBS, params=params, headers=auth)

    assert (response.status_code, response.json()["error_code"]) == (400, "DBS.300377")
    assert "future" in response.json()["error_msg"]
    assert client.get(JOBS, params={**params, "end_time": now}, headers=auth).status_code == 200


def test_job_list_future_end_time_can_be_allowed(client, auth, backend: DdmBackend, clock: ManualClock):
    backend.configure(job_list_refuses_future_end=False)
    now = ms(clock())

    response = client.get(JOBS, params={"start_time": now - DAY_MS, "end_time": now + 300_000}, headers=auth)

    assert response.status_code == 200


def test_job_list_refuses_a_start_time_older_than_30_days(client, auth, clock: ManualClock):
    now = ms(clock())

    old = client.get(JOBS, params={"start_time": now - 30 * DAY_MS - 1, "end_time": now}, headers=auth)
    edge = client.get(JOBS, params={"start_time": now - 30 * DAY_MS, "end_time": now}, headers=auth)

    assert (old.status_code, old.json()["error_code"]) == (400, "DBS.300377")
    assert edge.status_code == 200


@pytest.mark.parametrize(
    ("reading", "offset", "expected_slice"),
    [
        ("index", 1, slice(1, 3)),
        ("index", 2, slice(2, 4)),
        ("page", 1, slice(2, 4)),
        ("page", 2, slice(4, 6)),
        ("page-from-1", 0, slice(0, 2)),
        ("page-from-1", 1, slice(0, 2)),
        ("page-from-1", 2, slice(2, 4)),
    ],
)
def test_offset_is_read_as_index_or_page(client, auth, backend: DdmBackend, reading, offset, expected_slice):
    for _ in range(4):
        backend.add_instance(PROJECT)
    backend.configure(offset_reading=reading)
    everything = client.get(f"{BACKUPS}/restorable-instances", params={"limit": 128}, headers=auth).json()

    page = client.get(f"{BACKUPS}/restorable-instances", params={"offset": offset, "limit": 2}, headers=auth).json()

    assert (page["offset"], page["limit"], page["total"]) == (offset, 2, 5)
    ids = [i["instance_id"] for i in everything["instances"]]
    assert [i["instance_id"] for i in page["instances"]] == ids[expected_slice]


def _data_nodes_at(client, auth, when_ms: int) -> httpx.Response:
    params = {
        "target_instance_id": SEED.target_instance_id,
        "source_dn_instance_id": SEED.source_data_node_id,
        "restore_time": when_ms,
    }
    return client.get(f"{BACKUPS}/restorable-data-node", params=params, headers=auth)


def test_restorable_data_node_accepts_the_backups_created_time(client, auth, backend: DdmBackend):
    backup = backend.backups[SEED.backup_id]

    response = _data_nodes_at(client, auth, int(backup.created) * 1000)

    assert response.status_code == 200
    assert [n["instance_id"] for n in response.json()["target_data_nodes"] if n["available"]] == [
        SEED.target_data_node_id
    ]


@pytest.mark.parametrize(
    ("choice", "status", "code"),
    [("400 DBS.300377", 400, "DBS.300377"), ("400 DBS.300375", 400, "DBS.300375"), ("accept", 200, None)],
)
def test_backup_older_than_the_window(client, auth, backend: DdmBackend, clock: ManualClock, choice, status, code):
    old = backend.add_backup(PROJECT, SEED.source_instance_id, created=int(clock()) - 20 * 86400)
    backend.configure(old_backup_restore_time=choice)

    response = _data_nodes_at(client, auth, int(old.created) * 1000)

    assert response.status_code == status
    if code:
        assert response.json()["error_code"] == code


def test_a_time_outside_the_window_that_is_no_backup_time_is_refused(client, auth, backend, clock):
    backend.configure(old_backup_restore_time="accept")

    response = _data_nodes_at(client, auth, ms(clock()) - 20 * DAY_MS)

    assert (response.status_code, response.json()["error_code"]) == (400, "DBS.300377")
