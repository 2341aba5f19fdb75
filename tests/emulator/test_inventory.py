"""The inventory (`--inventory FILE`, `/_emulator/inventory` and friends) and access keys
(`--access-key AK:SK`, `/_emulator/access-keys`): an emulator shaped without Python (issue 22 item 4)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from ddm_emulator import DEMO_PROJECT_ID, DdmBackend, EmulatorServer, EmulatorSettings, ManualClock
from ddm_emulator.inventory import InventoryError, load_inventory, parse_inventory
from ddm_emulator.inventory_apply import apply_inventory, export_inventory, inventory_seed
from ddm_emulator.seed import seed_demo_iam

from .conftest import JOB_SECONDS, JSON, SSL_CONTEXT, password_body

REPO = Path(__file__).resolve().parents[2]
THREE_ENVS = REPO / "examples" / "emulator" / "three-envs.yaml"
PROD, PROD_RESTORE = "a1000000000000000000000000000001in09", "a1000000000000000000000000000002in09"
STAGING, STAGING_COPY = "b2000000000000000000000000000001in09", "b2000000000000000000000000000002in09"
DR = "c3000000000000000000000000000001in09"
PROD_PITR = ["a1000000000000000000000000000021in01", "a1000000000000000000000000000022in01"]
STAGING_PITR = ["b2000000000000000000000000000021in01"]
DR_NODES = ["c3000000000000000000000000000021in01", "c3000000000000000000000000000022in01"]
NIGHTLY, BEFORE_RELEASE = "a1000000000000000000000000000031br09", "a1000000000000000000000000000032br09"


@pytest.fixture
def emulator(emulator_settings: EmulatorSettings, clock: ManualClock) -> Iterator[EmulatorServer]:
    """The emulator started from the shipped three-environment inventory (instead of the documented example)."""
    backend = DdmBackend(emulator_settings, clock=clock, seed=inventory_seed(load_inventory(THREE_ENVS)))
    with EmulatorServer(backend) as server:
        yield server


def restore(client, auth, source, target, nodes, **point) -> str:
    body = {"source": point, "target": {"instance_id": target, "data_nodes": nodes}}
    response = client.post(f"/v3/{DEMO_PROJECT_ID}/instances/{source}/backups/metadata-recovery", json=body,
                           headers=auth)
    assert response.status_code == 202, response.text
    return response.json()["job_id"]


def schema_names(client, auth, instance_id) -> list[str]:
    response = client.get(f"/v1/{DEMO_PROJECT_ID}/instances/{instance_id}/databases", headers=auth)
    assert response.status_code == 200, response.text
    return [d["name"] for d in response.json()["databases"]]


def test_the_three_environment_inventory_takes_three_restores_at_once(client, auth, clock):
    jobs = [
        restore(client, auth, PROD, PROD_RESTORE, PROD_PITR, backup_id=NIGHTLY),
        restore(client, auth, STAGING, STAGING_COPY, STAGING_PITR, restore_time=int((clock() - 3600) * 1000)),
        restore(client, auth, PROD, DR, DR_NODES, backup_id=BEFORE_RELEASE),
    ]
    clock.advance(JOB_SECONDS)

    statuses = [client.get(f"/v3/{DEMO_PROJECT_ID}/jobs/{job}", headers=auth).json()["job"]["status"] for job in jobs]
    assert statuses == ["Completed"] * 3
    assert schema_names(client, auth, PROD_RESTORE) == ["orders", "customers", "audit"]
    assert schema_names(client, auth, STAGING_COPY) == ["orders", "customers"]
    assert schema_names(client, auth, DR) == ["orders", "customers"], "the manual backup holds two schemas"
    orders = client.get(f"/v3/{DEMO_PROJECT_ID}/instances/{DR}/databases/orders", headers=auth).json()
    assert [s["data_node_id"] for s in orders["shards"]] == [DR_NODES[0]] * 4 + [DR_NODES[1]] * 4
    details = client.get(f"/v1/{DEMO_PROJECT_ID}/instances/{DR}", headers=auth).json()
    assert (details["name"], details["status"], details["available_zone"]) == ("dr-ddm", "RUNNING", "eu-de-02")


def test_the_inventory_lists_what_the_emulator_holds_with_ids(client):
    inventory = client.get("/_emulator/inventory").json()

    assert {i["name"]: i["id"] for i in inventory["instances"]} == {
        "prod-ddm": PROD, "prod-ddm-restore": PROD_RESTORE, "staging-ddm": STAGING, "staging-ddm-copy": STAGING_COPY,
        "dr-ddm": DR}
    assert sorted(b["id"] for b in inventory["backups"]) == sorted([NIGHTLY, BEFORE_RELEASE,
                                                                    "b2000000000000000000000000000031br09"])
    assert len(inventory["data_nodes"]) == 8 and inventory["projects"] == []


def test_the_restore_lookups_see_the_inventory(client, auth):
    """The targets are usable (same VPC, empty), so a preflight of each restore passes."""
    path = f"/v3/{DEMO_PROJECT_ID}/instances/{PROD}/backups/restorable-instances"
    listed = {i["instance_id"]: i for i in client.get(path, params={"limit": 100}, headers=auth).json()["instances"]}

    assert listed[PROD_RESTORE]["available"] and listed[DR]["available"]
    assert not listed[STAGING]["available"], "a source with schemas and accounts is no target"


def test_reset_returns_to_the_inventory_and_drops_run_time_additions(client):
    assert client.post("/_emulator/instances", json={"name": "scratch"}).status_code == 201

    client.post("/_emulator/reset")

    names = {i["name"] for i in client.get("/_emulator/inventory").json()["instances"]}
    assert names == {"prod-ddm", "prod-ddm-restore", "staging-ddm", "staging-ddm-copy", "dr-ddm"}


# The file: YAML or JSON, and what a mistake says...

def test_a_json_inventory_needs_no_yaml(tmp_path, monkeypatch):
    as_json = tmp_path / "three-envs.json"
    as_json.write_text(json.dumps(yaml.safe_load(THREE_ENVS.read_text())))
    monkeypatch.setitem(sys.modules, "yaml", None)  # PyYAML not installed

    inventory = load_inventory(as_json)

    assert [i.name for i in inventory.instances][:2] == ["prod-ddm", "prod-ddm-restore"]
    with pytest.raises(InventoryError, match=r"needs PyYAML \(pip install pyyaml\); or write it as JSON"):
        load_inventory(THREE_ENVS)


def _problems(document) -> list[str]:
    backend = DdmBackend(seed=seed_demo_iam)
    with pytest.raises(InventoryError) as raised:
        apply_inventory(backend, parse_inventory(document, "t.yaml"), "t.yaml")
    assert backend.instances == {} and backend.data_nodes == {}, "nothing half-added"
    assert str(raised.value).startswith("inventory t.yaml: ")
    return raised.value.problems


@pytest.mark.parametrize(("document", "problem"), [
    ({"instances": [{"name": "a"}, {"name": "b", "egine_version": "3.1.0"}]},
     "instances[1] (b).egine_version: unknown field (did you mean engine_version?)"),
    ({"instances": [{"name": "a", "created": "yesterday"}]}, "instances[0] (a).created: 'yesterday' is no time"),
    ({"instances": [{"name": "a", "id": "prod-1"}]}, "instances[0] (a).id: 'prod-1' is not OTC-shaped"),
    ({"instances": [{"name": "a", "schemas": [{"name": "s", "shards_per_node": 0}]}]},
     "instances[0] (a).schemas[0] (s).shards_per_node: Input should be greater than or equal to 1"),
    ({"backups": [{"instance": "a", "status": "ok"}]},
     "backups[0] (of a).status: Input should be 'creating', 'normal'"),
    ({"instances": [{"name": "a", "status": "RUNING"}]}, "instances[0] (a).status: Input should be 'RUNNING', "),
    ({"instances": [{"name": "a"}], "data_nodes": [{"name": "n", "instance": "b"}]},
     "data_nodes[0] (n).instance: no instance 'b' in the project (known: a)"),
    ({"instances": [{"name": "a"}, {"name": "a"}]}, "instances[1] (a).name: the project already has an instance named"),
    ({"instances": [{"name": "a", "schemas": ["s"]}]},
     "instances[0] (a).schemas[0] (s): no data node to hold its shards; associate data nodes with the instance"),
    ({"instances": [{"name": "a", "schemas": [{"name": "s", "shards": ["n", "m"]}]}],
      "data_nodes": [{"name": "n", "instance": "a"}, {"name": "m"}]},
     "instances[0] (a).schemas[0] (s).shards[1]: no data node 'm' of the instance (known: n)"),
    ({"instances": [{"name": "a"}], "backups": [{"instance": "a", "data_nodes": ["x"]}]},
     "backups[0] (of a).data_nodes[0]: no data node 'x' in the project (known: none)"),
    ({"access_keys": [{"access_key": "AK", "secret_key": "SK", "project": "eu-nl"}]},
     "access_keys[0].project: no project 'eu-nl' (known: eu-de)"),
])
def test_a_bad_entry_is_named_with_its_field(document, problem):
    found = _problems(document)

    assert any(line.startswith(problem) for line in found), found


def test_every_problem_is_listed_at_once():
    found = _problems({"instances": [{"name": "a"}],
                       "data_nodes": [{"name": "n", "instance": "x"}], "backups": [{"instance": "y"}]})

    assert [line.split(":")[0] for line in found] == ["data_nodes[0] (n).instance", "backups[0] (of y).instance"]


def test_times_ids_and_networks_are_filled_in(clock):
    backend = DdmBackend(clock=clock, seed=seed_demo_iam)
    apply_inventory(backend, parse_inventory({
        "instances": [{"name": "src", "created": "-10d", "restorable_since": "2020-01-01T00:00:00Z",
                       "schemas": ["s"]}, {"name": "dst", "vpc": "other"}],
        "data_nodes": [{"name": "n", "instance": "src", "restorable_since": "-1d12h"}],
        "backups": [{"instance": "src", "created": "-90m"}]}))
    src, dst = (next(i for i in backend.instances.values() if i.name == name) for name in ("src", "dst"))
    (node,), (backup,) = backend.data_nodes.values(), backend.backups.values()

    assert (src.created, src.restorable_since) == (clock() - 10 * 86400, 1577836800.0)
    assert (node.restorable_since, backup.created) == (clock() - 1.5 * 86400, clock() - 5400)
    assert [s.name for s in backup.schemas] == ["s"] and backup.data_node_ids == [node.id]
    assert node.vpc_id == src.vpc_id != dst.vpc_id and node.subnet_id == src.subnet_id
    again = DdmBackend(clock=clock, seed=seed_demo_iam)
    apply_inventory(again, parse_inventory({"instances": [{"name": "src"}]}))
    assert list(again.instances) == [src.id], "the same name in the same project gets the same id"


def test_the_inventory_read_back_gives_the_same_state(clock):
    first = DdmBackend(clock=clock, seed=inventory_seed(load_inventory(THREE_ENVS)))
    exported = export_inventory(first)
    second = DdmBackend(clock=clock, seed=seed_demo_iam)

    apply_inventory(second, parse_inventory(exported))

    assert export_inventory(second) == exported


# Run-time additions over the admin API...

def test_admin_routes_add_an_environment_while_it_runs(client, auth):
    assert client.post("/_emulator/instances", json={"name": "qa-ddm", "vpc": "vpc-qa"}).status_code == 201
    node = client.post("/_emulator/data-nodes", json={"name": "rds-qa", "instance": "qa-ddm", "vpc": "vpc-qa"})
    assert node.status_code == 201
    qa = next(i["id"] for i in client.get("/_emulator/inventory").json()["instances"] if i["name"] == "qa-ddm")
    schema = client.post(f"/_emulator/instances/{qa}/schemas", json={"name": "orders", "shard_mode": "single"})
    assert schema.status_code == 201, schema.text
    backup = client.post("/_emulator/backups", json={"instance": "qa-ddm", "created": "-1h"})
    assert backup.json()["added"]["backups"]

    listed = client.get(f"/v1/{DEMO_PROJECT_ID}/instances/{qa}/databases", headers=auth).json()
    assert [(d["name"], d["shard_mode"], d["used_rds"][0]["name"]) for d in listed["databases"]] == [
        ("orders", "single", "rds-qa")]
    backups = client.get(f"/v3/{DEMO_PROJECT_ID}/backups", params={"limit": 100}, headers=auth).json()["backups"]
    assert backup.json()["added"]["backups"][0] in {b["id"] for b in backups}


def test_a_bad_addition_is_refused_whole_with_its_problems(client):
    before = client.get("/_emulator/inventory").json()

    refused = client.post("/_emulator/inventory", json={
        "instances": [{"name": "ok-ddm"}], "data_nodes": [{"name": "rds-x", "instance": "nope"}]})

    assert refused.status_code == 400
    assert refused.json()["problems"] == [
        "data_nodes[0] (rds-x).instance: no instance 'nope' in the project (known: dr-ddm, ok-ddm, prod-ddm, "
        "prod-ddm-restore, staging-ddm, staging-ddm-copy)"]
    assert client.get("/_emulator/inventory").json() == before
    unknown = client.post("/_emulator/instances", json={"name": "x", "colour": "red"}).json()
    assert unknown["problems"] == ["colour: unknown field"]
    assert client.post("/_emulator/instances/nope/schemas", json={"name": "s"}).status_code == 404


def test_the_delete_route_deletes_an_instance(client, auth):
    assert client.delete(f"/_emulator/instances/{STAGING}").json() == {"deleted": STAGING}

    response = client.get(f"/v1/{DEMO_PROJECT_ID}/instances/{STAGING}", headers=auth)
    assert (response.status_code, response.json()["errCode"]) == (404, "DBS.300350")
    assert client.delete(f"/_emulator/instances/{STAGING}").status_code == 404


# Access keys...

def _signed_get(url: str, path: str, access_key: str, secret_key: str) -> httpx.Response:
    """A GET signed with huaweicloudsdkcore's signer (an implementation independent of the emulator's)."""
    signer_module = pytest.importorskip("huaweicloudsdkcore.signer.signer")
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest

    host = url.split("://", 1)[1]
    headers = {"Host": host, "Content-Type": "application/json",
               "X-Sdk-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())}
    signed = signer_module.Signer(BasicCredentials(ak=access_key, sk=secret_key)).sign(SdkRequest(
        method="GET", schema="http", host=host, resource_path=path, query_params=[], header_params=headers, body=b""))
    with httpx.Client(base_url=url, timeout=5, verify=SSL_CONTEXT) as http:
        return http.get(path, headers={**headers, "Authorization": signed.header_params["Authorization"]})


def test_an_access_key_added_at_run_time_signs_requests(client, emulator):
    added = client.post("/_emulator/access-keys", json={"access_key": "AKRUNTIME", "secret_key": "sk-runtime-1"})
    assert added.status_code == 201 and "sk-runtime-1" not in added.text

    ok = _signed_get(emulator.url, f"/v1/{DEMO_PROJECT_ID}/instances/{PROD}", "AKRUNTIME", "sk-runtime-1")
    wrong = _signed_get(emulator.url, f"/v1/{DEMO_PROJECT_ID}/instances/{PROD}", "AKRUNTIME", "sk-other")

    assert (ok.status_code, ok.json()["id"]) == (200, PROD)
    assert (wrong.status_code, wrong.json()["error_code"]) == (401, "APIGW.0301")


def test_a_temporary_access_key_needs_its_security_token_signed(client, emulator):
    """A pair added with a `security_token` (as IAM issues temporary pairs) is refused without the
    token; the provider's signer sends it signed (tests/unit/test_credentials.py: unsigned is refused)."""
    from pydantic import SecretStr

    from ddm_resources.auth import AkSkSigner

    added = client.post("/_emulator/access-keys", json={"access_key": "AKTEMP", "secret_key": "sk-temp-1",
                                                        "security_token": "st-temp-token-1"})
    assert added.status_code == 201 and "sk-temp-1" not in added.text and "st-temp-token-1" not in added.text
    path = f"/v1/{DEMO_PROJECT_ID}/instances/{PROD}"
    without = _signed_get(emulator.url, path, "AKTEMP", "sk-temp-1")
    assert (without.status_code, without.json()["error_code"]) == (401, "APIGW.0301")
    signer = AkSkSigner("AKTEMP", SecretStr("sk-temp-1"), security_token=SecretStr("st-temp-token-1"))
    with httpx.Client(base_url=emulator.url, timeout=5, verify=SSL_CONTEXT, auth=signer, headers=JSON) as http:
        assert http.get(path).status_code == 200
    assert "st-temp-token-1" not in str(emulator.backend.requests())


def test_projects_of_the_inventory_take_tokens_and_keys(clock):
    other = "9" * 32
    backend = DdmBackend(clock=clock, seed=inventory_seed(parse_inventory({
        "projects": [{"name": "eu-de_dr", "id": other}],
        "access_keys": [{"access_key": "AKDR", "secret_key": "sk-dr-only", "project": "eu-de_dr"}],
        "instances": [{"name": "dr-ddm", "project": "eu-de_dr"}]})))
    with EmulatorServer(backend) as server, httpx.Client(base_url=server.url, headers=JSON, verify=SSL_CONTEXT) as http:
        issued = http.post("/v3/auth/tokens", json=password_body(project={"name": "eu-de_dr"}))
        assert issued.status_code == 201
        dr_id = next(iter(backend.instances))
        listed = http.get(f"/v1/{other}/instances/{dr_id}", headers={"X-Auth-Token": issued.headers["X-Subject-Token"]})
        assert listed.json()["project_id"] == other
        assert _signed_get(server.url, f"/v1/{other}/instances/{dr_id}", "AKDR", "sk-dr-only").status_code == 200
        elsewhere = _signed_get(server.url, f"/v3/{DEMO_PROJECT_ID}/backups", "AKDR", "sk-dr-only")
        assert (elsewhere.status_code, elsewhere.json()["error_code"]) == (403, "APIGW.0302")


# The command line...

def test_cli_starts_from_an_inventory_with_an_access_key(tmp_path):
    url_file = tmp_path / "url"
    process = subprocess.Popen(
        [sys.executable, "-m", "ddm_emulator", "--inventory", str(THREE_ENVS), "--access-key", "AKCLI:sk-cli-secret",
         "--url-file", str(url_file)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        lines = [process.stdout.readline().strip() for _ in range(3)]
        url = url_file.read_text().strip()
        signed = _signed_get(url, f"/v1/{DEMO_PROJECT_ID}/instances/{DR}/databases", "AKCLI", "sk-cli-secret")
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert lines[1].startswith(f"inventory {THREE_ENVS}: 5 DDM instances, 8 data nodes, 3 backups, 5 schemas; ")
    assert lines[2] == "access keys for signed requests: AKCLI"
    assert (signed.status_code, signed.json()) == (200, {"databases": [], "total": 0})
    assert "sk-cli-secret" not in "".join(lines) + stdout + stderr
    assert process.returncode == 0, stderr


def test_cli_refuses_a_bad_inventory_naming_the_entry(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("instances:\n  - name: prod-ddm\n    engine_version: 3.1.0\n    vpc: [not, a, name]\n")

    result = subprocess.run([sys.executable, "-m", "ddm_emulator", "--inventory", str(bad)], cwd=REPO,
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: inventory {bad}: 1 problem",
                                          "  instances[0] (prod-ddm).vpc: Input should be a valid string"]


def test_cli_refuses_an_access_key_without_repeating_it():
    result = subprocess.run([sys.executable, "-m", "ddm_emulator", "--access-key", "sk-without-colon"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 2 and "expected ACCESS_KEY:SECRET_KEY" in result.stderr
    assert "sk-without-colon" not in result.stderr


def test_drift_routes_change_a_restored_target(client, auth, clock):
    """What a refresh must notice: a target no longer running, a schema dropped after the restore."""
    restore(client, auth, PROD, DR, DR_NODES, backup_id=BEFORE_RELEASE)
    clock.advance(JOB_SECONDS)

    assert client.post(f"/_emulator/instances/{DR}/status", json={"status": "ERROR"}).json()["status"] == "ERROR"
    assert client.delete(f"/_emulator/instances/{DR}/schemas/customers").json() == {"dropped": "customers"}

    details = client.get(f"/v1/{DEMO_PROJECT_ID}/instances/{DR}", headers=auth).json()
    assert (details["status"], details["error_msg"]) == ("ERROR", "The instance status is ERROR.")
    assert schema_names(client, auth, DR) == ["orders"]
    assert client.delete(f"/_emulator/instances/{DR}/schemas/customers").status_code == 404
    refused = client.post(f"/_emulator/instances/{DR}/status", json={"status": "BROKEN"})
    assert refused.status_code == 400 and "RUNNING" in refused.json()["error"]


def test_an_inventory_can_keep_the_documented_example(clock):
    from ddm_emulator import SEED, inventory_seed

    backend = DdmBackend(clock=clock, seed=inventory_seed(parse_inventory({
        "documented_example": True, "instances": [{"name": "extra-ddm"}]})))

    assert {SEED.source_instance_id, SEED.target_instance_id} < set(backend.instances)
    assert {i.name for i in backend.instances.values()} == {"ddm-source", "ddm-target", "extra-ddm"}


# Behaviour as data too: settings and faults in the file...

def test_settings_and_faults_in_the_inventory_and_the_command_line_on_top(clock):
    from ddm_emulator.__main__ import build_parser, settings_from

    inventory = parse_inventory({
        "settings": {"job_seconds": 30, "deleted_instance_answer": "200 DELETED"},
        "faults": [{"method": "GET", "path_regex": "/databases$", "action": "respond", "status": 503, "times": 1}],
        "instances": [{"name": "a"}]})
    settings = settings_from(build_parser().parse_args(["--job-seconds", "5"]), inventory.emulator_settings())
    backend = DdmBackend(settings, clock=clock, seed=inventory_seed(inventory))

    assert (backend.settings.job_seconds, backend.settings.deleted_instance_answer) == (5, "200 DELETED")
    assert [(f.path_regex, f.status) for f in backend.faults.list()] == [("/databases$", 503)]
    backend.reset()
    assert len(backend.faults.list()) == 1 and backend.settings.job_seconds == 5


def test_settings_and_faults_of_the_inventory_are_checked():
    with pytest.raises(InventoryError) as raised:
        parse_inventory({"settings": {"job_second": 5}, "faults": [{"path_regex": "x", "action": "explode"}]})

    assert raised.value.problems == ["settings: unknown setting: job_second",
                                     "faults[0]: action must be one of respond, delay, drop, lose_response, "
                                     "replace_response, add_headers"]


def test_a_run_time_inventory_changes_settings_and_adds_faults(client):
    added = client.post("/_emulator/inventory", json={
        "settings": {"missing_schema_answer": "404 DBS.300129"},
        "faults": [{"path_regex": "/instances/", "action": "respond", "status": 500}]})

    assert added.status_code == 201
    assert client.get("/_emulator/config").json()["missing_schema_answer"] == "404 DBS.300129"
    assert [f["status"] for f in client.get("/_emulator/faults").json()["faults"]] == [500]


def test_a_data_node_of_an_instance_is_in_its_network_unless_told(clock):
    backend = DdmBackend(clock=clock, seed=seed_demo_iam)
    apply_inventory(backend, parse_inventory({
        "instances": [{"name": "a", "vpc": "vpc-a", "vpc_id": "given-vpc", "subnet_id": "given-subnet"}],
        "data_nodes": [{"name": "n", "instance": "a"}, {"name": "m", "instance": "a", "vpc": "vpc-b"},
                       {"name": "free"}]}))
    nodes = {n.name: (n.vpc_name, n.vpc_id, n.subnet_id) for n in backend.data_nodes.values()}

    assert nodes["n"] == ("vpc-a", "given-vpc", "given-subnet")
    assert nodes["m"][0] == "vpc-b" and nodes["m"][1] != "given-vpc"
    assert nodes["free"][0] == "vpc-default"
