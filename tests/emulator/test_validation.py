"""Request validation: the gateway's Content-Type check on every request (strict by default,
issue 12; a switch turns it off), 400 DBS.280001 naming the field, and pagination bounds."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from ddm_emulator import SEED, DdmBackend

from .conftest import PROJECT, RECOVERY, SOURCE_PATH, doc_body

VALID = doc_body()


def changed(path: str, value: Any) -> dict[str, Any]:
    """The documented body with one field (dotted path) replaced; `...` deletes it."""
    body = copy.deepcopy(VALID)
    *parents, leaf = path.split(".")
    node = body
    for key in parents:
        node = node[key]
    if value is ...:
        del node[leaf]
    else:
        node[leaf] = value
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param([VALID], "request body", id="not-an-object"),
        pytest.param(changed("source", ...), "source", id="source-missing"),
        pytest.param(changed("source", "defa45"), "source", id="source-not-object"),
        pytest.param(changed("source", {}), "exactly one", id="source-empty"),
        pytest.param(
            changed("source.restore_time", 1_700_000_000_000), "exactly one", id="source-both"
        ),
        pytest.param(changed("source.backup_id", 42), "source.backup_id", id="backup-id-number"),
        pytest.param(changed("source.backup_id", ""), "source.backup_id", id="backup-id-empty"),
        pytest.param(
            doc_body(restore_time="1700000000000"), "source.restore_time", id="restore-time-string"
        ),
        pytest.param(
            doc_body(restore_time=1.7e12), "source.restore_time", id="restore-time-float"
        ),
        pytest.param(doc_body(restore_time=True), "source.restore_time", id="restore-time-bool"),
        pytest.param(doc_body(restore_time=-1), "source.restore_time", id="restore-time-negative"),
        pytest.param(changed("target", ...), "target", id="target-missing"),
        pytest.param(changed("target.instance_id", ...), "target.instance_id", id="no-instance"),
        pytest.param(changed("target.instance_id", 7), "target.instance_id", id="instance-number"),
        pytest.param(changed("target.data_nodes", ...), "target.data_nodes", id="nodes-missing"),
        pytest.param(changed("target.data_nodes", []), "target.data_nodes", id="nodes-empty"),
        pytest.param(
            changed("target.data_nodes", SEED.target_data_node_id),
            "target.data_nodes",
            id="nodes-str",
        ),
        pytest.param(changed("target.data_nodes", [1]), "target.data_nodes", id="nodes-numbers"),
    ],
)
def test_bad_restore_body_is_400_naming_the_field(client, auth, backend: DdmBackend, body, field):
    response = client.post(RECOVERY, json=body, headers=auth)

    assert response.status_code == 400
    assert response.json()["error_code"] == "DBS.280001"
    assert field in response.json()["error_msg"]
    assert backend.all_jobs() == []


def test_repeated_data_nodes_are_400_dbs_300108_as_documented(client, auth, backend: DdmBackend):
    body = changed("target.data_nodes", [SEED.target_data_node_id] * 2)

    response = client.post(RECOVERY, json=body, headers=auth)

    assert (response.status_code, response.json()["error_code"]) == (400, "DBS.300108")
    assert "target.data_nodes" in response.json()["error_msg"]
    assert backend.all_jobs() == []


@pytest.mark.parametrize("raw", [b"", b"{not json", b"\xff\xfe"])
def test_unparsable_body_is_400(client, auth, raw):
    headers = {**auth, "Content-Type": "application/json"}

    response = client.post(RECOVERY, content=raw, headers=headers)

    assert response.status_code == 400
    assert response.json()["error_code"] == "DBS.280001"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"offset": "-1"}, "offset"),
        ({"offset": "x"}, "offset"),
        ({"limit": "0"}, "limit"),
        ({"limit": "129"}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
@pytest.mark.parametrize(
    "path",
    [
        f"/v3/{PROJECT}/backups",
        f"{SOURCE_PATH}/backups/restorable-instances",
        f"{SOURCE_PATH}/backups/restorable-time-interval",
    ],
)
def test_bad_pagination_is_400(client, auth, path, params, field):
    response = client.get(path, params=params, headers=auth)

    assert response.status_code == 400
    assert response.json()["error_code"] == "DBS.280001"
    assert field in response.json()["error_msg"]


def test_pagination_bounds_are_accepted(client, auth):
    for params in ({"offset": "0", "limit": "1"}, {"offset": "5", "limit": "128"}):
        response = client.get(f"/v3/{PROJECT}/backups", params=params, headers=auth)
        assert response.status_code == 200
        assert response.json()["limit"] == int(params["limit"])


# Content-Type on every request (issue 12) ----------------------------------------------------------------------


BACKUPS = f"{SOURCE_PATH}/backups"


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
