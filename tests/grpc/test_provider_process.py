"""The provider process over gRPC, as the engine drives it, against the emulator."""

from __future__ import annotations

import base64

import dill
import grpc
import pytest
from pulumi.runtime.proto import provider_pb2
from pulumi.runtime.rpc import UNKNOWN

from ddm_emulator import DEMO_PROJECT_ID, Fault
from ddm_resources.provider import MetadataRecoveryProvider
from tests.conftest import BACKUP, DATA_NODE, DOC_EXAMPLE_BODY, SOURCE, TARGET, TOKEN, recovery_posts, valid_inputs
from tests.grpc.conftest import PROVIDER, ProviderProcess

pytestmark = pytest.mark.grpc

INPUTS = valid_inputs()


def test_check_accepts_the_documented_example(provider, emulator):
    inputs, failures = provider.check(INPUTS)
    assert failures == []
    assert {k: inputs[k] for k in INPUTS} == INPUTS
    assert {r.method for r in emulator.backend.requests()} == {"GET"}, "only the preflight's reads"


@pytest.mark.parametrize(
    "source, field, words",
    [({}, "source", "neither is set"),
     ({"backup_id": BACKUP, "restore_time": 1716180000000}, "source", "both are set")],
)
def test_check_rejects_bad_source(provider, emulator, source, field, words):
    _, failures = provider.check({**INPUTS, "source": source})
    assert [f for f, _ in failures] == [field]
    assert words in failures[0][1]
    assert emulator.backend.requests() == []


def test_check_rejects_empty_data_nodes(provider):
    _, failures = provider.check({**INPUTS, "target": {"instance_id": TARGET, "data_nodes": []}})
    assert failures == [("target.data_nodes", failures[0][1])]
    assert "at least one data node" in failures[0][1]


def test_check_and_diff_accept_unknowns(provider):
    news = {**INPUTS, "target": {"instance_id": UNKNOWN, "data_nodes": [DATA_NODE, UNKNOWN]}}
    _, failures = provider.check(news)
    assert failures == []
    diff = provider.diff("job", {**INPUTS, "job_id": "job"}, news)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == ["target"]


def test_create_posts_once_and_returns_outputs(provider, emulator):
    id_, outs = provider.create(INPUTS)
    posts = recovery_posts(emulator)
    assert len(posts) == 1
    assert posts[0].body == DOC_EXAMPLE_BODY
    assert posts[0].path == f"/v3/{DEMO_PROJECT_ID}/instances/{SOURCE}/backups/metadata-recovery"
    jobs = emulator.backend.all_jobs()
    assert [job.id for job in jobs] == [id_]
    assert outs["job_id"] == id_
    assert outs["status"] == "Completed"
    assert outs["created_time"].endswith("Z") and outs["end_time"].endswith("Z")
    assert {k: outs[k] for k in INPUTS} == INPUTS
    assert TOKEN not in repr(outs)


def test_diff_replaces_only_on_source_or_target_changes(provider):
    olds = {**INPUTS, "job_id": "j", "status": "Completed"}
    same = provider.diff("j", olds, INPUTS)
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    other_pickle = base64.b64encode(dill.dumps(MetadataRecoveryProvider(), protocol=2)).decode()
    assert other_pickle != PROVIDER
    upgraded = provider.diff("j", olds, INPUTS, provider=other_pickle)
    assert upgraded.changes == provider_pb2.DiffResponse.DIFF_NONE
    new_backup = provider.diff("j", olds, {**INPUTS, "source": {"backup_id": "0" * 32 + "br09"}})
    assert (new_backup.changes, list(new_backup.replaces)) == (provider_pb2.DiffResponse.DIFF_SOME, ["source"])
    new_source = provider.diff("j", olds, {**INPUTS, "source_instance_id": "1" * 32 + "in09"})
    assert list(new_source.replaces) == ["source_instance_id"]
    reordered = provider.diff("j", {**olds, "target": {"instance_id": TARGET, "data_nodes": ["b", "a"]}},
                              {**INPUTS, "target": {"instance_id": TARGET, "data_nodes": ["a", "b"]}})
    assert reordered.changes == provider_pb2.DiffResponse.DIFF_NONE
    timeouts = provider.diff("j", olds, {**INPUTS, "timeouts": {"create": "2h"}})
    assert (timeouts.changes, list(timeouts.replaces)) == (provider_pb2.DiffResponse.DIFF_SOME, [])


def test_update_keeps_outputs_and_takes_new_timeouts(provider, emulator):
    olds = {**INPUTS, "job_id": "j", "status": "Completed", "created_time": "c", "end_time": "e"}
    outs = provider.update("j", olds, {**INPUTS, "timeouts": {"create": "2h"}})
    assert outs == {**olds, "timeouts": {"create": "2h"}, "__provider": outs["__provider"]}
    assert emulator.backend.requests() == []


def test_read_refreshes_job_and_keeps_the_id(provider, emulator):
    id_, outs = provider.create(INPUTS)
    read_id, read_outs = provider.read(id_, outs)
    assert read_id == id_
    assert read_outs == outs
    assert len(emulator.backend.requests(method="GET", path_contains=f"/jobs/{id_}")) >= 2


def test_read_keeps_resource_when_job_is_gone(provider, emulator):
    outs = {**INPUTS, "job_id": "f" * 32, "status": "Completed", "__provider": PROVIDER}
    read_id, read_outs = provider.read("f" * 32, outs)
    assert read_id == "f" * 32
    assert read_outs["status"] == "Completed"


OTHER_JOB = {"job": {"id": "f" * 32, "name": "RestoreMetadata", "status": "Completed",
                     "created_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:01:00Z", "process": ""}}
JOB_PATH = r"/jobs/[0-9a-f]{32}$"


def test_create_never_takes_another_jobs_answer_as_its_own(provider, emulator):
    """The first polls are answered with another job's `Completed` (a hostile or confused
    service): the wait goes on, and the resource records its own job."""
    fault = emulator.backend.add_fault(Fault("GET", JOB_PATH, "respond", status=200, body=OTHER_JOB, times=3))
    id_, outs = provider.create(INPUTS)
    [job] = emulator.backend.all_jobs()
    assert fault.fired == 3
    assert id_ == outs["job_id"] == job.id != "f" * 32
    assert outs["created_time"] != "2026-01-01T00:00:00Z"
    assert len(emulator.backend.requests(method="GET", path_contains=f"/jobs/{job.id}")) >= 4


def refused_refresh(provider_config, emulator, answer) -> tuple[str, grpc.RpcError]:
    """Create a restore, then refresh it while every job GET is answered with `answer(job_id)`;
    the refresh must fail: `(job_id, the gRPC error)`."""
    process = ProviderProcess(provider_config)
    try:
        id_, outs = process.create(INPUTS)
        emulator.backend.add_fault(Fault("GET", JOB_PATH, "respond", status=200, body=answer(id_)))
        with pytest.raises(grpc.RpcError) as info:
            process.read(id_, outs)
    finally:
        process.close()
    return id_, info.value


def test_read_refuses_an_answer_about_another_job(provider_config, emulator):
    id_, error = refused_refresh(provider_config, emulator, lambda _: OTHER_JOB)
    details = error.details().splitlines()[-1]
    assert f"refresh could not read restore job {id_} (target {TARGET})" in details
    assert "the recorded outputs are kept" in details and "about another job" in details
    assert "f" * 32 not in error.details()


@pytest.mark.parametrize("fields, problem", [
    ({"instance": {"id": "3" * 32 + "in09", "name": "x"}}, "it acts on instance " + "3" * 32 + "in09"),
    ({"created_time": "2099-01-01T00:00:00+0000"}, "it was created at 2099-01-01T00:00:00Z"),
    ({"created_time": "2026-01-01T00:00:00+0000", "end_time": "1970-01-01T00:00:00+0000"},
     "it ended at 1970-01-01T00:00:00Z, before it was created"),
])
def test_read_refuses_an_answer_that_cannot_be_this_restores(provider_config, emulator, fields, problem):
    """A refresh answer about this job ID that says `Completed` but cannot be this restore's
    (another instance, created in the future, ended before it began) changes nothing."""
    id_, error = refused_refresh(provider_config, emulator, lambda job_id: {"job": {
        "id": job_id, "name": "RestoreMetadata", "status": "Completed", "process": "", **fields}})
    details = error.details().splitlines()[-1]
    assert f"refresh got an answer about restore job {id_} (target {TARGET}) that cannot be this restore's" in details
    assert problem in details and "the recorded outputs are kept" in details


@pytest.mark.parametrize("job, line", [
    ({"status": "Failed"}, "now shows job {id} as Failed"),
    ({"status": "PWNED"}, "now shows job {id} as a status this tool does not know"),
    ({"status": "Completed", "created_time": "", "end_time": "garbage"}, None),
])
def test_read_keeps_the_recorded_outputs_unless_the_job_still_says_completed(provider_config, emulator, job, line):
    process = ProviderProcess(provider_config)
    try:
        id_, outs = process.create(INPUTS)
        body = {"job": {"id": id_, "name": "RestoreMetadata", "process": "", **job}}
        emulator.backend.add_fault(Fault("GET", JOB_PATH, "respond", status=200, body=body))
        read_id, read_outs = process.read(id_, outs)
    finally:
        out, _ = process.close()
    assert (read_id, read_outs) == (id_, outs)
    if line:
        assert line.format(id=id_) in out and "the recorded outputs are kept" in out
        assert "PWNED" not in out


def test_delete_sends_no_request_and_says_so(provider_config, emulator):
    process = ProviderProcess(provider_config)
    process.delete("job-1", {**INPUTS, "job_id": "job-1", "__provider": PROVIDER})
    out, _ = process.close()
    assert emulator.backend.requests() == []
    assert "forgetting metadata recovery job job-1" in out and "nothing is undone" in out


def test_failed_job_fails_create_with_job_id_and_target(provider, emulator):
    emulator.backend.fail_next_job("Metadata restoration failed: data node unreachable.")
    with pytest.raises(grpc.RpcError) as info:
        provider.create(INPUTS)
    job_id = emulator.backend.all_jobs()[0].id
    details = info.value.details()
    assert info.value.code() == grpc.StatusCode.UNKNOWN
    assert f"DDM job {job_id} ended Failed" in details
    assert TARGET in details
    assert TOKEN not in details
    assert len(recovery_posts(emulator)) == 1


def test_create_runs_the_preflight_before_the_post(provider, emulator):
    unknown_target = "9" * 32 + "in09"
    with pytest.raises(grpc.RpcError) as info:
        provider.create({**INPUTS, "target": {"instance_id": unknown_target, "data_nodes": [DATA_NODE]}})
    details = info.value.details()
    assert "was not started" in details and "preflight found" in details and unknown_target in details
    assert recovery_posts(emulator) == []


def test_rejected_restore_fails_create_with_service_error(provider_config, emulator):
    process = ProviderProcess({**provider_config, "ddm:preflight": "false"})
    try:
        with pytest.raises(grpc.RpcError) as info:
            process.create({**INPUTS, "target": {"instance_id": "9" * 32 + "in09", "data_nodes": [DATA_NODE]}})
    finally:
        process.close()
    details = info.value.details()
    assert "was not started" in details and "DBS.300372" in details
    assert len(recovery_posts(emulator)) == 1
    assert emulator.backend.all_jobs() == []


def test_a_failed_create_shows_a_short_traceback_and_the_whole_story_in_one_line(provider, emulator):
    emulator.backend.fail_next_job("Metadata restoration failed: data node unreachable.")
    with pytest.raises(grpc.RpcError) as info:
        provider.create({**INPUTS, "resource_name": "staging-metadata"})
    job_id = emulator.backend.all_jobs()[0].id
    details = info.value.details()
    lines = details.strip().splitlines()
    assert len(lines) <= 10, details  # "Traceback", three frames (two lines each), the message
    assert "During handling" not in details and "direct cause" not in details
    message = lines[-1].split(": ", 1)[1]
    assert message.startswith("staging-metadata: metadata recovery onto target instance")
    for part in (job_id, TARGET, "ended Failed", "data node unreachable", "run `pulumi up` again"):
        assert part in message


def test_retry_lines_name_the_resource(provider_config, emulator):
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "respond", status=429, times=1))
    process = ProviderProcess(provider_config)
    process.create({**INPUTS, "resource_name": "staging-metadata"})
    out, _ = process.close()
    retries = [line for line in out.splitlines() if "retrying in" in line]
    assert len(retries) == 1 and retries[0].startswith("ddm-resources: staging-metadata: "), out
