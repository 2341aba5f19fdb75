"""The provider plugin process (`pulumi-resource-ddm`) over gRPC, as the engine drives it.

A small engine stand-in serves the `Log` RPC (what the plugin reports on each resource's row); the
plugin is started with its address as the last argument, prints its port, and is called as the
engine calls it: GetSchema, Configure, Check, Create (with `timeout`), Update, Cancel.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2

# the SDK's provider support the plugin is built on (pulumi 3.175 and newer; scripts/test-lowest runs 3.139)
pytest.importorskip("pulumi.provider.experimental", reason="the provider plugin needs pulumi >= 3.175")

from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, provider_pb2_grpc, status_pb2

from ddm_emulator import DEMO_PROJECT_ID, EmulatorSettings
from ddm_resources.plugin_schema import semver
from tests.conftest import BACKUP, DATA_NODE, REPO, SOURCE, TARGET, TOKEN, recovery_posts

pytestmark = pytest.mark.grpc

PLUGIN = REPO / ".venv" / "bin" / "pulumi-resource-ddm"
URN = "urn:pulumi:test::ddm-yaml::ddm:index:MetadataRecovery::recovery"
INPUTS = {"sourceInstanceId": SOURCE, "source": {"backupId": BACKUP},
          "target": {"instanceId": TARGET, "dataNodes": [DATA_NODE]}}


class _Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self) -> None:
        self.logs: list[engine_pb2.LogRequest] = []

    def Log(self, request, context):  # noqa: N802
        self.logs.append(request)
        return empty_pb2.Empty()


@pytest.fixture
def engine() -> Iterator[tuple[_Engine, str]]:
    servicer = _Engine()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    engine_pb2_grpc.add_EngineServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, f"127.0.0.1:{port}"
    server.stop(None)


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    return struct_pb2.Struct(fields=PropertyValue.marshal_map(
        {k: _pv(v) for k, v in props.items()}).fields)


def _pv(value: Any) -> PropertyValue:
    if isinstance(value, dict):
        return PropertyValue({k: _pv(v) for k, v in value.items()})
    if isinstance(value, list):
        return PropertyValue([_pv(v) for v in value])
    if isinstance(value, int) and not isinstance(value, bool):
        return PropertyValue(float(value))
    return PropertyValue(value)


def _plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    def plain(pv: PropertyValue) -> Any:
        if isinstance(pv.value, dict):
            return {k: plain(v) for k, v in pv.value.items()}
        if isinstance(pv.value, list):
            return [plain(v) for v in pv.value]
        return pv.value

    return {k: plain(v) for k, v in PropertyValue.unmarshal_map(struct).items()}


@pytest.fixture
def plugin(engine, emulator) -> Iterator[Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "DDM_"))}
    proc = subprocess.Popen([str(PLUGIN), engine[1]], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = provider_pb2_grpc.ResourceProviderStub(channel)
        stub.Configure(provider_pb2.ConfigureRequest(
            variables={"ddm:config:endpoint": emulator.url, "ddm:config:projectId": DEMO_PROJECT_ID,
                       "ddm:config:token": TOKEN, "ddm:config:pollInterval": "0.1"}), timeout=30)
        yield stub
        channel.close()
    finally:
        proc.kill()
        proc.communicate()


def _init_failed(error: grpc.RpcError) -> provider_pb2.ErrorResourceInitFailed:
    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    assert raw, f"no status details: {error.details()}"
    status = status_pb2.Status.FromString(raw)
    [detail] = status.details
    failed = provider_pb2.ErrorResourceInitFailed()
    assert detail.Unpack(failed)
    return failed


def test_get_schema_names_the_package_and_every_field(plugin):
    schema = json.loads(plugin.GetSchema(provider_pb2.GetSchemaRequest(), timeout=30).schema)
    assert schema["name"] == "ddm" and schema["version"] == semver()
    resource = schema["resources"]["ddm:index:MetadataRecovery"]
    assert {"sourceInstanceId", "source", "target", "timeouts", "adoptJobId"} <= set(resource["inputProperties"])
    assert {"jobId", "status", "createdTime", "endTime", "restoredTo"} <= set(resource["properties"])
    assert "ddm:index:getRestoreWindow" in schema["functions"]
    info = plugin.GetPluginInfo(empty_pb2.Empty(), timeout=10)
    assert info.version == semver()


def test_check_names_the_bad_field(plugin):
    bad = {**INPUTS, "target": {"instanceId": TARGET, "dataNodes": []}}
    response = plugin.Check(provider_pb2.CheckRequest(urn=URN, news=_struct(bad)), timeout=30)
    [failure] = response.failures
    assert "target.data_nodes is empty" in failure.reason


class TestSlowJob:
    @pytest.fixture
    def emulator_settings(self) -> EmulatorSettings:
        return EmulatorSettings(job_seconds=4.0)

    def test_create_past_its_timeout_returns_partial_state_then_update_resumes_the_job(self, plugin, engine,
                                                                                        emulator):
        with pytest.raises(grpc.RpcError) as raised:
            plugin.Create(provider_pb2.CreateRequest(urn=URN, properties=_struct(INPUTS), timeout=1), timeout=60)
        failed = _init_failed(raised.value)
        [job] = emulator.backend.all_jobs()
        assert failed.id == job.id
        partial = _plain(failed.properties)
        assert partial["jobId"] == job.id and partial["status"] != "Completed"
        assert "is saved in the stack state" in failed.reasons[0]
        assert TOKEN not in failed.SerializeToString().decode("utf-8", "replace")

        updated = plugin.Update(provider_pb2.UpdateRequest(
            urn=URN, id=job.id, olds=failed.properties, news=_struct(INPUTS)), timeout=60)
        outputs = _plain(updated.properties)
        assert outputs["jobId"] == job.id and outputs["status"] == "Completed"
        assert len(recovery_posts(emulator)) == 1
        progress = [log for log in engine[0].logs if log.ephemeral]
        assert progress and all(log.urn == URN for log in progress)
        assert any(f"job {job.id} Running" in log.message for log in progress)
        lines = [log.message for log in engine[0].logs if not log.ephemeral and log.urn == URN]
        assert any(f"accepted as job {job.id}" in line for line in lines)

    def test_refresh_of_a_saved_job_keeps_it_saved_until_it_completes(self, plugin, emulator):
        with pytest.raises(grpc.RpcError) as raised:
            plugin.Create(provider_pb2.CreateRequest(urn=URN, properties=_struct(INPUTS), timeout=1), timeout=60)
        saved = _init_failed(raised.value)
        with pytest.raises(grpc.RpcError) as again:  # still running: the init error stays
            plugin.Read(provider_pb2.ReadRequest(id=saved.id, urn=URN, properties=saved.properties,
                                                 inputs=saved.inputs), timeout=30)
        assert _init_failed(again.value).id == saved.id
        [job] = emulator.backend.all_jobs()
        while emulator.backend.now() < job.created + job.duration:  # the emulator's own clock
            threading.Event().wait(0.2)
        read = plugin.Read(provider_pb2.ReadRequest(id=saved.id, urn=URN, properties=saved.properties,
                                                    inputs=saved.inputs), timeout=30)
        assert _plain(read.properties)["status"] == "Completed"
        assert len(recovery_posts(emulator)) == 1

    def test_a_saved_job_that_fails_says_how_to_start_again(self, plugin, emulator):
        emulator.backend.fail_next_job("data node unreachable")
        with pytest.raises(grpc.RpcError) as raised:
            plugin.Create(provider_pb2.CreateRequest(urn=URN, properties=_struct(INPUTS), timeout=1), timeout=60)
        saved = _init_failed(raised.value)
        with pytest.raises(grpc.RpcError) as failed:
            plugin.Update(provider_pb2.UpdateRequest(urn=URN, id=saved.id, olds=saved.properties,
                                                     news=_struct(INPUTS)), timeout=60)
        assert "ended Failed" in failed.value.details()
        assert "pulumi state delete" in failed.value.details()
        assert not dict(failed.value.trailing_metadata() or ()).get("grpc-status-details-bin")
        assert len(recovery_posts(emulator)) == 1

    def test_cancel_stops_the_wait_and_saves_the_job(self, plugin, emulator):
        errors: list[grpc.RpcError] = []

        def create() -> None:
            try:
                plugin.Create(provider_pb2.CreateRequest(urn=URN, properties=_struct(INPUTS)), timeout=60)
            except grpc.RpcError as exc:
                errors.append(exc)

        thread = threading.Thread(target=create)
        thread.start()
        for _ in range(200):
            if emulator.backend.all_jobs():
                break
            threading.Event().wait(0.05)
        plugin.Cancel(empty_pb2.Empty(), timeout=10)
        thread.join(30)
        [error] = errors
        failed = _init_failed(error)
        [job] = emulator.backend.all_jobs()
        assert failed.id == job.id
        assert "the update was cancelled" in failed.reasons[0]


class TestConcurrency:
    @pytest.fixture
    def emulator_settings(self) -> EmulatorSettings:
        return EmulatorSettings(job_seconds=3.0)

    def test_twelve_creates_run_at_once(self, plugin, emulator):
        """Every restore is submitted before the first one ends: the plugin serves the creates at once
        (not a pool of a few workers), without patching any executor."""
        from tests.restore_targets import add_restore_targets

        targets = add_restore_targets(emulator.backend, 12)
        results: list[Any] = []

        def create(index: int) -> None:
            props = {**INPUTS, "target": {"instanceId": targets[index].instance_id,
                                          "dataNodes": [targets[index].data_node]}}
            urn = URN.replace("::recovery", f"::recovery-{index}")
            results.append(plugin.Create(provider_pb2.CreateRequest(urn=urn, properties=_struct(props)), timeout=120))

        threads = [threading.Thread(target=create, args=(i,)) for i in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(150)
        assert len(results) == 12
        assert len(recovery_posts(emulator)) == 12
        jobs = emulator.backend.all_jobs()
        assert len(jobs) == 12
        assert max(job.created for job in jobs) < min(job.created + job.duration for job in jobs)
