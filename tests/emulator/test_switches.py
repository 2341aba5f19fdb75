"""Every documented-open behaviour is a switch (issue 13), tested over a real socket.

Each test sets one `EmulatorSettings` field (over the admin API or in process) and checks
what a client then sees."""

from __future__ import annotations

import dataclasses
from email.utils import parsedate_to_datetime

import pytest

from ddm_emulator import SEED, DdmBackend, EmulatorSettings, Fault, ManualClock
from ddm_emulator.testing import SWITCH_VARIANTS, all_combinations, one_switch_at_a_time

from .conftest import JOB_SECONDS, PROJECT, RECOVERY, SOURCE_PATH, doc_body, password_body

JOBS = f"/v3/{PROJECT}/jobs"
BACKUPS = f"{SOURCE_PATH}/backups"


def start(client, auth) -> str:
    response = client.post(RECOVERY, json=doc_body(), headers=auth)
    assert response.status_code == 202, response.text
    return response.json()["job_id"]


def job(client, auth, job_id) -> dict:
    return client.get(f"{JOBS}/{job_id}", headers=auth).json()["job"]


def listed(client, auth, clock) -> list[dict]:
    now = int(clock() * 1000)
    params = {"start_time": now - 86_400_000, "end_time": now}
    return client.get(JOBS, params=params, headers=auth).json()["jobs"]


def configure(client, **changes) -> None:
    response = client.post("/_emulator/config", json=changes)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("bound", "expected"), [("target", SEED.target_instance_id), ("source", SEED.source_instance_id)]
)
def test_job_is_bound_to_target_or_source(client, auth, clock, bound, expected):
    configure(client, job_bound_to=bound)
    job_id = start(client, auth)

    assert job(client, auth, job_id)["instance"]["id"] == expected
    (item,) = listed(client, auth, clock)
    assert (item["id"], item["instance_id"]) == (job_id, expected)


@pytest.mark.parametrize("name", SWITCH_VARIANTS["job_name"])
def test_job_name_variants(client, auth, clock, name):
    configure(client, job_name=name)
    job_id = start(client, auth)

    assert job(client, auth, job_id)["name"] == name
    assert listed(client, auth, clock)[0]["name"] == name


def test_refused_restore_at_once(client, auth, backend: DdmBackend):
    backend.instances[SEED.target_instance_id].accounts = ["app_user"]

    response = client.post(RECOVERY, json=doc_body(), headers=auth)

    assert (response.status_code, response.json()["error_code"]) == (400, "DBS.300372")
    assert backend.all_jobs() == []


def test_refused_restore_as_a_failing_job(client, auth, backend: DdmBackend, clock: ManualClock):
    configure(client, restore_refusal="job_fails")
    backend.instances[SEED.target_instance_id].accounts = ["app_user"]

    job_id = start(client, auth)
    assert job(client, auth, job_id)["status"] == "Running"
    clock.advance(JOB_SECONDS)

    assert job(client, auth, job_id)["status"] == "Failed"
    (item,) = listed(client, auth, clock)
    assert item["fail_reason"].startswith("DBS.300372: Invalid destination DDM instance")


@pytest.mark.parametrize(("leaves", "retry_status"), [("clean", 202), ("dirty", 400)])
def test_failed_restore_leaves_the_target_clean_or_dirty(client, auth, backend, clock, leaves, retry_status):
    configure(client, failed_restore_leaves_target=leaves, fail_next_job={"reason": "disk full"})
    failed = start(client, auth)
    clock.advance(JOB_SECONDS)
    assert job(client, auth, failed)["status"] == "Failed"

    retry = client.post(RECOVERY, json=doc_body(), headers=auth)

    assert retry.status_code == retry_status
    if leaves == "dirty":
        assert retry.json()["error_code"] == "DBS.300372"
        assert "schemas" in retry.json()["error_msg"]


@pytest.mark.parametrize("choice", SWITCH_VARIANTS["repost_while_running"])
def test_second_post_while_running(client, auth, backend: DdmBackend, choice):
    configure(client, repost_while_running=choice)
    first = start(client, auth)

    again = client.post(RECOVERY, json=doc_body(), headers=auth)

    status, code = choice.split(" ", 1)
    assert again.status_code == int(status)
    if status == "202":
        assert again.json() == {"job_id": first}
    else:
        assert again.json()["error_code"] == code
    assert [j.id for j in backend.all_jobs()] == [first]


@pytest.mark.parametrize("choice", SWITCH_VARIANTS["repost_after_completed"])
def test_second_post_after_completed(client, auth, backend, clock: ManualClock, choice):
    configure(client, repost_after_completed=choice)
    first = start(client, auth)
    clock.advance(JOB_SECONDS)
    assert job(client, auth, first)["status"] == "Completed"

    again = client.post(RECOVERY, json=doc_body(), headers=auth)

    if choice == "202 then job fails":
        assert again.status_code == 202
        clock.advance(JOB_SECONDS)
        second = job(client, auth, again.json()["job_id"])
        assert second["status"] == "Failed"
        assert listed(client, auth, clock)[0]["fail_reason"].startswith("DBS.300372")
    else:
        status, code = choice.split()
        assert (again.status_code, again.json()["error_code"]) == (int(status), code)
        assert len(backend.all_jobs()) == 1


@pytest.mark.parametrize(("choice", "status"), [("404 DBS.300350", 404), ("400 DBS.300350", 400)])
@pytest.mark.parametrize("api", ["restorable-instances", "restorable-time-interval", "metadata-recovery"])
def test_missing_source_answer(client, auth, choice, status, api):
    configure(client, missing_source_answer=choice)
    path = f"/v3/{PROJECT}/instances/{'0' * 32}in09/backups/{api}"

    if api == "metadata-recovery":
        response = client.post(path, json=doc_body(), headers=auth)
    else:
        response = client.get(path, headers=auth)

    assert (response.status_code, response.json()["error_code"]) == (status, "DBS.300350")


@pytest.mark.parametrize(("choice", "header"), [("absent", None), ("seconds", "1"), ("http-date", "date")])
def test_retry_after_on_a_429(client, auth, backend: DdmBackend, choice, header):
    configure(client, retry_after_on_429=choice)
    backend.add_fault(Fault("GET", "/backups$", "respond", status=429))

    response = client.get(f"/v3/{PROJECT}/backups", headers=auth)

    assert (response.status_code, response.json()["error_code"]) == (429, "APIGW.0308")
    if header is None:
        assert "Retry-After" not in response.headers
    elif header == "date":
        assert parsedate_to_datetime(response.headers["Retry-After"]) is not None
    else:
        assert response.headers["Retry-After"] == header


def test_a_faults_own_retry_after_wins(client, auth, backend: DdmBackend):
    configure(client, retry_after_on_429="seconds")
    backend.add_fault(Fault("GET", "/backups$", "respond", status=429, headers={"Retry-After": "7"}))

    assert client.get(f"/v3/{PROJECT}/backups", headers=auth).headers["Retry-After"] == "7"


@pytest.mark.parametrize(("choice", "status"), [("refuse", 400), ("accept", 202)])
def test_float_restore_time(client, auth, clock: ManualClock, choice, status):
    configure(client, float_restore_time=choice)
    when = float(int(clock() - 3600) * 1000)

    response = client.post(RECOVERY, json=doc_body(restore_time=when), headers=auth)

    assert response.status_code == status


def test_a_fractional_float_restore_time_is_refused_even_when_floats_are_accepted(client, auth, clock):
    configure(client, float_restore_time="accept")

    response = client.post(RECOVERY, json=doc_body(restore_time=int(clock() - 3600) * 1000 + 0.5), headers=auth)

    assert (response.status_code, response.json()["error_code"]) == (400, "DBS.280001")


@pytest.mark.parametrize(("choice", "empty"), [("filled", False), ("empty", True)])
def test_end_time_while_running(client, auth, clock, choice, empty):
    configure(client, end_time_while_running=choice)
    job_id = start(client, auth)

    running = job(client, auth, job_id)

    assert running["status"] == "Running"
    assert (running["end_time"] == "") is empty
    assert (listed(client, auth, clock)[0]["end_time"] == "") is empty


@pytest.mark.parametrize(
    ("choice", "engine", "status", "size"),
    [("documented", "mysql", "normal", 40 * 1024**3), ("console", "MySQL", "Normal", 40)],
)
def test_data_node_values(client, auth, clock, choice, engine, status, size):
    configure(client, data_node_values=choice)
    when = int(clock() - 3600) * 1000

    related = client.get(f"{BACKUPS}/related-dn", params={"restore_time": when}, headers=auth).json()
    offered = client.get(
        f"{BACKUPS}/restorable-data-node",
        params={
            "target_instance_id": SEED.target_instance_id,
            "source_dn_instance_id": SEED.source_data_node_id,
            "restore_time": when,
        },
        headers=auth,
    ).json()

    (node,) = related["related_data_nodes"]
    assert (node["engine_name"], node["instance_status"], node["data_volume_size"]) == (engine, status, size)
    assert isinstance(node["data_volume_size"], int)
    assert {(n["engine_name"], n["status"]) for n in offered["target_data_nodes"]} == {(engine, status)}


@pytest.mark.parametrize(("case", "running", "completed"), [
    ("documented", "Running", "Completed"), ("lower", "running", "completed"), ("upper", "RUNNING", "COMPLETED"),
])
def test_job_status_case(client, auth, clock, case, running, completed):
    configure(client, job_status_case=case)
    job_id = start(client, auth)

    assert job(client, auth, job_id)["status"] == running
    clock.advance(JOB_SECONDS)
    assert job(client, auth, job_id)["status"] == completed
    assert listed(client, auth, clock)[0]["status"] == completed


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"subnet_id": "another-subnet"}, "DBS.300323", "different subnet"),
        ({"pitr_completed": False}, "DBS.300323", "point-in-time"),
        ({"vpc_id": "another-vpc"}, "DBS.300323", "different VPC"),
    ],
)
def test_restore_rules_for_data_nodes(client, auth, backend: DdmBackend, change, code, words):
    node = backend.data_nodes[SEED.target_data_node_id]
    for key, value in change.items():
        setattr(node, key, value)

    response = client.post(RECOVERY, json=doc_body(), headers=auth)

    assert (response.status_code, response.json()["error_code"]) == (400, code)
    assert words in response.json()["error_msg"]


def test_restore_rule_node_count_against_the_source(client, auth, backend: DdmBackend):
    extra = backend.add_data_node(PROJECT, **{
        k: getattr(backend.data_nodes[SEED.target_data_node_id], k) for k in ("vpc_id", "vpc_name", "subnet_id")
    })
    body = doc_body()
    body["target"]["data_nodes"].append(extra.id)

    response = client.post(RECOVERY, json=body, headers=auth)

    assert (response.status_code, response.json()["error_code"]) == (400, "DBS.300375")
    assert "1 data node" in response.json()["error_msg"]


@pytest.mark.parametrize("scope", [{"domain": {"name": SEED.domain_name}}, None])
def test_iam_issues_domain_scoped_and_unscoped_tokens_that_ddm_refuses(client, scope):
    body = password_body()
    if scope is None:
        del body["auth"]["scope"]
    else:
        body["auth"]["scope"] = scope

    issued = client.post("/v3/auth/tokens", json=body)

    assert issued.status_code == 201
    token_body = issued.json()["token"]
    assert "project" not in token_body and "catalog" not in token_body
    assert ("domain" in token_body) is (scope is not None)
    refused = client.get(f"/v3/{PROJECT}/backups", headers={"X-Auth-Token": issued.headers["X-Subject-Token"]})
    assert (refused.status_code, refused.json()["error_code"]) == (403, "APIGW.0302")
    assert "not scoped to a project" in refused.json()["error_msg"]


def test_every_setting_is_settable_over_the_admin_api_and_bad_values_are_400(client):
    defaults = EmulatorSettings()
    for spec in dataclasses.fields(EmulatorSettings):
        choices = spec.metadata["choices"]
        free_text = isinstance(spec.default, str) and not choices  # a schema name, say
        value = choices[-1] if choices else "orders" if free_text else (
            not spec.default if isinstance(spec.default, bool) else 2.5)
        assert client.post("/_emulator/config", json={spec.name: value}).json()[spec.name] == value, spec.name
        bad = client.post("/_emulator/config", json={spec.name: "not-a-choice" if not choices and not free_text else 3})
        assert bad.status_code == 400 and spec.name in bad.json()["error"], spec.name
    client.post("/_emulator/reset")
    assert {k: v for k, v in client.get("/_emulator/config").json().items() if k in defaults.to_dict()} == {
        **defaults.to_dict(), "job_seconds": JOB_SECONDS
    }


def test_switch_helpers_cover_every_choice():
    ids = [name for name, _ in one_switch_at_a_time()]
    assert ids[0] == "default" and len(ids) == len(set(ids))
    seen = {(name, getattr(s, name)) for _, s in one_switch_at_a_time() for name in SWITCH_VARIANTS}
    assert {(name, c) for name, choices in SWITCH_VARIANTS.items() for c in choices} <= seen
    combos = all_combinations(names=["job_bound_to", "job_name"])
    assert len(combos) == len(SWITCH_VARIANTS["job_bound_to"]) * len(SWITCH_VARIANTS["job_name"])


@pytest.mark.parametrize(
    "emulator_settings",
    [s for _, s in one_switch_at_a_time(EmulatorSettings(job_seconds=JOB_SECONDS))],
    ids=[name for name, _ in one_switch_at_a_time(EmulatorSettings(job_seconds=JOB_SECONDS))],
)
def test_the_documented_example_restores_under_every_switch(client, auth, clock, backend, emulator_settings):
    job_id = start(client, auth)
    clock.advance(JOB_SECONDS)

    status = job(client, auth, job_id)["status"]

    assert status.lower() == "completed"
    target = backend.find_instance(SEED.target_instance_id)
    assert target.data_node_ids == [SEED.target_data_node_id] and target.schema_names == ["orders"]
