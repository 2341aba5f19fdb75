"""Strict by default (issue 12): Content-Type on every request, the job list's time window,
the two readings of `offset`, the restore time of a backup in restorable-data-node, and a
request log exact enough to assert whole requests."""

from __future__ import annotations

import json

import httpx
import pytest

from ddm_emulator import SEED, DdmBackend, ManualClock

from .conftest import PROJECT, RECOVERY, SOURCE_PATH, doc_body

BACKUPS = f"{SOURCE_PATH}/backups"
JOBS = f"/v3/{PROJECT}/jobs"
DAY_MS = 86_400_000


def ms(seconds: float) -> int:
    return int(seconds * 1000)


@pytest.mark.parametrize(
    "path",
    [f"/v3/{PROJECT}/backups", f"{BACKUPS}/restorable-instances", f"/v1/{PROJECT}/instances/{SEED.source_instance_id}"],
)
def test_a_get_without_content_type_gets_the_gateway_error(emulator, auth, path):
    with httpx.Client(base_url=emulator.url) as bare:
        response = bare.get(path, headers=auth)

    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "APIGW.0201" and "Content-Type" in body["error_msg"]
    assert set(body) == {"error_code", "error_msg"}


def test_a_get_with_another_content_type_gets_the_gateway_error(client, auth):
    response = client.get(f"/v3/{PROJECT}/backups", headers={**auth, "Content-Type": "text/plain"})

    assert (response.status_code, response.json()["error_code"]) == (400, "APIGW.0201")


def test_charset_parameter_is_accepted(client, auth):
    headers = {**auth, "Content-Type": "application/json;charset=utf8"}

    assert client.get(f"/v3/{PROJECT}/backups", headers=headers).status_code == 200


def test_content_type_check_can_be_switched_off(emulator, auth, backend: DdmBackend):
    backend.configure(require_content_type=False)
    with httpx.Client(base_url=emulator.url) as bare:
        assert bare.get(f"/v3/{PROJECT}/backups", headers=auth).status_code == 200


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


def test_the_log_keeps_the_exact_request(client, auth, backend: DdmBackend):
    client.get(
        f"{BACKUPS}/restorable-instances?limit=128&offset=0",
        headers={**auth, "X-Project-Id": PROJECT, "User-Agent": "ddm-resources/0.1.0"},
    )
    client.post(RECOVERY, content=json.dumps(doc_body()).encode(), headers=auth)

    get, post = backend.requests(path_contains=SOURCE_PATH)
    assert (get.method, get.path, get.query_string) == ("GET", f"{BACKUPS}/restorable-instances", "limit=128&offset=0")
    assert get.query == {"limit": "128", "offset": "0"}
    assert get.headers["X-Project-Id"] == PROJECT
    assert get.headers["User-Agent"] == "ddm-resources/0.1.0"
    assert get.headers["Content-Type"] == "application/json"
    assert get.headers["X-Auth-Token"] == "***" and get.body_text == "" and get.body is None
    assert (post.method, post.path, post.query_string) == ("POST", RECOVERY, "")
    assert post.body == doc_body() and post.body_text == json.dumps(doc_body())
    assert post.status == 202


def test_jobs_take_the_documented_time_shape_and_the_job_time_format_setting(client, auth, backend):
    job_id = client.post(RECOVERY, json=doc_body(), headers=auth).json()["job_id"]
    shapes = {}
    for style in ("+0000", "+0100", "Z"):
        backend.configure(job_time_format=style)
        shapes[style] = client.get(f"{JOBS}/{job_id}", headers=auth).json()["job"]["created_time"]

    assert shapes["+0000"].endswith("+0000") and shapes["Z"].endswith("Z") and shapes["+0100"].endswith("+0100")
    assert shapes["+0000"][:19] == shapes["Z"][:19] != shapes["+0100"][:19]
