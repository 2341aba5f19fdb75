"""The reads that check a restore (ddm-api.md section 9): instance details, schema list, schema details,
filled on the target when a restore completes, and the switches that break a restore on purpose."""

from __future__ import annotations

import re

import pytest

from ddm_emulator import SEED, DdmBackend
from ddm_emulator.clock import format_offset_time

from .conftest import JOB_SECONDS, PROJECT, RECOVERY, doc_body

SOURCE, TARGET = SEED.source_instance_id, SEED.target_instance_id
SOURCE_NODE, TARGET_NODE = SEED.source_data_node_id, SEED.target_data_node_id


def details(client, auth, instance_id=TARGET):
    return client.get(f"/v1/{PROJECT}/instances/{instance_id}", headers=auth)


def databases(client, auth, instance_id=TARGET, **params):
    return client.get(f"/v1/{PROJECT}/instances/{instance_id}/databases", params=params, headers=auth)


def schema(client, auth, name, instance_id=TARGET):
    return client.get(f"/v3/{PROJECT}/instances/{instance_id}/databases/{name}", headers=auth)


def configure(client, **changes) -> None:
    response = client.post("/_emulator/config", json=changes)
    assert response.status_code == 200, response.text


def restore(client, auth, clock, **source) -> str:
    response = client.post(RECOVERY, json=doc_body(**source), headers=auth)
    assert response.status_code == 202, response.text
    clock.advance(JOB_SECONDS)
    return response.json()["job_id"]


def test_instance_details_show_restore_while_the_restore_runs(client, auth, clock):
    assert details(client, auth).json()["status"] == "RUNNING"
    client.post(RECOVERY, json=doc_body(), headers=auth)

    assert details(client, auth).json()["status"] == "RESTORE"
    clock.advance(JOB_SECONDS)
    body = details(client, auth).json()
    assert (body["id"], body["status"], body["engine_version"]) == (TARGET, "RUNNING", "3.1.0")


def test_schema_list_of_the_source_has_the_documented_shape(client, auth, backend: DdmBackend):
    response = databases(client, auth, SOURCE)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"databases", "total"}, "the v1 list does not echo offset/limit"
    (item,) = body["databases"]
    created = backend.instances[SOURCE].schemas[0].created
    assert item == {
        "name": "orders", "shard_mode": "cluster", "shard_number": 2, "shard_unit": 2, "status": "RUNNING",
        "created": int(created * 1000),
        "used_rds": [{"id": SOURCE_NODE, "name": "rds-source", "status": "normal"}],
    }
    assert body["total"] == 1


def test_schema_list_pages_by_offset_and_limit_with_the_total(client, auth, backend: DdmBackend):
    for index in range(12):
        backend.add_schema(SOURCE, f"s{index:02d}", shard_mode="single")

    first = databases(client, auth, SOURCE).json()
    second = databases(client, auth, SOURCE, offset=10, limit=10).json()
    names = [d["name"] for d in first["databases"] + second["databases"]]

    assert (len(first["databases"]), first["total"], second["total"]) == (10, 13, 13)
    assert names == ["orders", *(f"s{index:02d}" for index in range(12))]
    assert databases(client, auth, SOURCE, limit=129).status_code == 400


def test_schema_details_of_the_source(client, auth):
    response = schema(client, auth, "orders", SOURCE)

    assert response.status_code == 200
    body = response.json()
    assert [(s["shard_index"], s["data_node_id"], s["physical_db_name"], s["status"]) for s in body["shards"]] == [
        (0, SOURCE_NODE, "orders_0000", "RUNNING"), (1, SOURCE_NODE, "orders_0001", "RUNNING")]
    assert [(n["id"], n["status"], n["engine_name"]) for n in body["data_nodes"]] == [(SOURCE_NODE, "normal", "mysql")]
    assert (body["name"], body["shard_mode"], body["shard_number"]) == ("orders", "cluster", 2)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000", body["created"])


def test_a_completed_restore_fills_the_target_with_the_sources_schemas_on_its_nodes(client, auth, clock):
    assert databases(client, auth).json() == {"databases": [], "total": 0}
    restore(client, auth, clock)

    (item,) = databases(client, auth).json()["databases"]
    assert (item["name"], item["used_rds"][0]["id"]) == ("orders", TARGET_NODE)
    body = schema(client, auth, "orders").json()
    assert {s["data_node_id"] for s in body["shards"]} == {TARGET_NODE}
    assert [n["id"] for n in body["data_nodes"]] == [TARGET_NODE]


def test_a_backup_restore_brings_the_schemas_of_the_backup_not_todays(client, auth, clock, backend: DdmBackend):
    backend.add_schema(SOURCE, "added_after_backup", created=clock())

    restore(client, auth, clock)

    assert [d["name"] for d in databases(client, auth).json()["databases"]] == ["orders"]


def test_a_time_restore_brings_the_schemas_created_by_then(client, auth, clock, backend: DdmBackend):
    two_hours_ago = clock() - 7200
    backend.add_schema(SOURCE, "new_today", created=clock() - 60)

    restore(client, auth, clock, restore_time=int(two_hours_ago * 1000))

    assert [d["name"] for d in databases(client, auth).json()["databases"]] == ["orders"]


def test_shards_move_to_the_target_node_in_the_same_position(client, auth, clock, backend: DdmBackend):
    network = {k: getattr(backend.data_nodes[SOURCE_NODE], k) for k in ("vpc_id", "vpc_name", "subnet_id")}
    second_source = backend.add_data_node(PROJECT, instance_id=SOURCE, **network)
    second_target = backend.add_data_node(PROJECT, **network)
    backend.add_schema(SOURCE, "spread", shard_unit=1)
    backend.add_backup(PROJECT, SOURCE, backup_id="b" * 32 + "br09")
    body = doc_body(backup_id="b" * 32 + "br09")
    body["target"]["data_nodes"] = [TARGET_NODE, second_target.id]

    assert client.post(RECOVERY, json=body, headers=auth).status_code == 202
    clock.advance(JOB_SECONDS)

    shards = schema(client, auth, "spread").json()["shards"]
    assert [s["data_node_id"] for s in shards] == [TARGET_NODE, second_target.id]
    assert backend.instances[SOURCE].schema("spread").data_node_ids == [SOURCE_NODE, second_source.id]


@pytest.mark.parametrize(("answer", "status", "code"), [
    ("400 DBS.300129", 400, "DBS.300129"), ("400 DBS.300128", 400, "DBS.300128"), ("404 DBS.300129", 404, "DBS.300129"),
])
def test_a_missing_schema_answers_as_the_setting_says(client, auth, answer, status, code):
    configure(client, missing_schema_answer=answer)

    response = schema(client, auth, "orders")

    assert (response.status_code, response.json()["error_code"]) == (status, code)


def test_shard_number_as_a_string(client, auth):
    configure(client, shard_number_type="string")
    assert schema(client, auth, "orders", SOURCE).json()["shard_number"] == "2"


@pytest.mark.parametrize(("choice", "left"), [("orders", "billing"), ("ORDERS", "billing"), ("*", "orders")])
def test_restore_drops_schema(client, auth, clock, backend: DdmBackend, choice, left):
    backend.add_schema(SOURCE, "billing", created=clock() - 86400 * 30)
    backend.add_backup(PROJECT, SOURCE, backup_id="c" * 32 + "br09")
    configure(client, restore_drops_schema=choice)

    job_id = restore(client, auth, clock, backup_id="c" * 32 + "br09")

    listed = client.get("/_emulator/jobs").json()["jobs"]
    assert [j["status"] for j in listed if j["id"] == job_id] == ["Completed"]
    assert [d["name"] for d in databases(client, auth).json()["databases"]] == [left]
    assert schema(client, auth, "billing" if left == "orders" else "orders").status_code == 400


def test_restore_misplaces_shard_leaves_the_first_shard_on_the_source_node(client, auth, clock):
    configure(client, restore_misplaces_shard="orders")

    restore(client, auth, clock)

    shards = schema(client, auth, "orders").json()["shards"]
    assert [(s["shard_index"], s["data_node_id"]) for s in shards] == [(0, SOURCE_NODE), (1, TARGET_NODE)]


def test_the_switches_apply_to_restores_accepted_while_they_are_set(client, auth, clock):
    client.post(RECOVERY, json=doc_body(), headers=auth)
    configure(client, restore_drops_schema="orders", delete_target_after_seconds=0)
    clock.advance(JOB_SECONDS)

    assert [d["name"] for d in databases(client, auth).json()["databases"]] == ["orders"]
    assert details(client, auth).json()["status"] == "RUNNING"


@pytest.mark.parametrize(("answer", "status", "code"), [
    ("404 DBS.300350", 404, "DBS.300350"), ("404 DBS.200002", 404, "DBS.200002"),
])
def test_a_target_deleted_after_the_restore_answers_404(client, auth, clock, backend: DdmBackend, answer, status, code):
    configure(client, delete_target_after_seconds=60, deleted_instance_answer=answer)
    restore(client, auth, clock)
    assert details(client, auth).json()["status"] == "RUNNING"

    clock.advance(60)

    for response in (details(client, auth), databases(client, auth), schema(client, auth, "orders")):
        assert (response.status_code, response.json()["errCode" if "/v1/" in str(response.url) else "error_code"]) \
            == (status, code)
    assert backend.data_nodes[TARGET_NODE].instance_id is None, "the deleted target's data node is released"


def test_a_deleted_target_answering_200_deleted(client, auth, clock):
    configure(client, delete_target_after_seconds=0, deleted_instance_answer="200 DELETED")
    restore(client, auth, clock)

    body = details(client, auth).json()

    assert (body["id"], body["status"]) == (TARGET, "DELETED")
    assert databases(client, auth).json() == {"databases": [], "total": 0}
    assert schema(client, auth, "orders").json()["error_code"] == "DBS.300129"


def test_an_instance_that_never_existed_answers_404(client, auth):
    missing = "1" * 32 + "in09"
    for response in (details(client, auth, missing), databases(client, auth, missing)):
        assert (response.status_code, response.json()["errCode"]) == (404, "DBS.300350")


def test_the_backup_list_gives_created(client, auth, backend: DdmBackend):
    (item,) = client.get(f"/v3/{PROJECT}/backups", headers=auth).json()["backups"]
    created = backend.backups[SEED.backup_id].created
    assert item["created"] == format_offset_time(created)


@pytest.mark.parametrize(("choice", "expected"), [
    ("created-by-then", ["orders", "added_after_backup"]), ("latest-backup", ["orders"])])
def test_a_time_restore_brings_the_schemas_the_setting_says(client, auth, clock, backend: DdmBackend, choice,
                                                            expected):
    """The documented backup holds `orders` only; `added_after_backup` came after it, before the restore time."""
    configure(client, time_restore_schemas=choice)
    backend.add_schema(SOURCE, "added_after_backup", created=backend.backups[SEED.backup_id].created + 1)

    restore(client, auth, clock, restore_time=int(clock() * 1000) - 1000)

    assert [d["name"] for d in databases(client, auth).json()["databases"]] == expected


@pytest.mark.parametrize(("reading", "second_page"), [("index", 1), ("page", 1), ("page-from-1", 2)])
def test_schema_list_offset_follows_offset_reading(client, auth, backend: DdmBackend, reading, second_page):
    for index in range(4):
        backend.add_schema(SOURCE, f"s{index}", shard_mode="single")
    configure(client, offset_reading=reading)

    page = databases(client, auth, SOURCE, offset=second_page, limit=2 if reading != "index" else 1).json()

    expected = ["s0"] if reading == "index" else ["s1", "s2"]
    assert ([d["name"] for d in page["databases"]], page["total"]) == (expected, 5)


def test_add_schema_refuses_a_duplicate_and_an_instance_without_data_nodes(backend: DdmBackend):
    with pytest.raises(ValueError, match="already has a schema orders"):
        backend.add_schema(SOURCE, "ORDERS")
    with pytest.raises(ValueError, match="at least one data node"):
        backend.add_schema(TARGET, "orders")
    with pytest.raises(KeyError):
        backend.add_schema("1" * 32 + "in09", "orders")


@pytest.mark.parametrize(("answer", "listed"), [("404 DBS.300350", [SOURCE]), ("200 DELETED", [SOURCE, TARGET])])
def test_the_instance_list_and_a_deleted_instance(client, auth, backend: DdmBackend, answer, listed):
    configure(client, deleted_instance_answer=answer)
    backend.delete_instance(TARGET)

    body = client.get(f"/v1/{PROJECT}/instances", headers=auth).json()

    assert [i["id"] for i in body["instances"]] == listed
    assert [i["status"] for i in body["instances"]] == ["RUNNING", "DELETED"][: len(listed)]
    assert (body["total_record"], body["page_no"], body["page_size"], body["total_page"]) == (len(listed), 1, 10, 1)


def test_the_instance_list_pages(client, auth, backend: DdmBackend):
    for index in range(3):
        backend.add_instance(PROJECT, name=f"extra-{index}", created=backend.now() - index)

    body = client.get(f"/v1/{PROJECT}/instances", params={"offset": 4, "limit": 2}, headers=auth).json()

    assert [i["name"] for i in body["instances"]] == ["extra-0"], "oldest first: source, target, extra-2, -1, -0"
    assert (body["instance_num"], body["total_record"], body["page_no"], body["total_page"]) == (5, 5, 3, 3)
