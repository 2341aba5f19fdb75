"""The provider process's Create over gRPC: one restore POST after the preflight (not repeated
when Check passed these very inputs), outputs with `job_id` first; a failed or rejected restore
fails Create naming the job ID, the target and the service's reason in one line, with a short
traceback; retry lines name the resource; an answer about another job is never taken as its own.
"""

from __future__ import annotations

from datetime import datetime, timezone

import grpc
import pytest

from ddm_emulator import DEMO_PROJECT_ID, Fault
from tests.conftest import DATA_NODE, DOC_EXAMPLE_BODY, SOURCE, TARGET, TOKEN, recovery_posts, valid_inputs
from tests.grpc.conftest import ProviderProcess

pytestmark = pytest.mark.grpc


INPUTS = valid_inputs()


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


# the preflight before the POST, once ---------------------------------------------------------------------------


def now_ms(emulator) -> int:
    return int(emulator.backend.now() * 1000)


def test_iso_restore_time_is_checked_and_sent_as_ms(provider, emulator):
    when = now_ms(emulator) // 1000 * 1000 - 3_600_000
    iso = datetime.fromtimestamp(when / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")
    inputs, failures = provider.check({**INPUTS, "source": {"restore_time": iso}})
    assert failures == []
    assert inputs["source"] == {"restore_time": when}
    provider.create({k: v for k, v in inputs.items() if k != "__provider"})
    [post] = recovery_posts(emulator)
    assert post.body["source"] == {"restore_time": when}


def preflight_reads(emulator) -> int:
    """Requests to the read-only restore APIs (`restorable-instances` is asked once per preflight)."""
    return len(emulator.backend.requests(method="GET", path_contains="restorable-instance"))


def test_create_does_not_repeat_the_preflight_that_check_passed_for_the_same_inputs(provider, emulator):
    _, failures = provider.check(INPUTS)
    assert failures == [] and preflight_reads(emulator) == 1
    provider.create(INPUTS)
    assert preflight_reads(emulator) == 1
    assert len(recovery_posts(emulator)) == 1


def test_create_runs_the_preflight_when_check_did_not_pass_these_inputs(provider, emulator):
    provider.check({**INPUTS, "source": {"backup_id": "0" * 32 + "br09"}})  # another input, refused
    reads = preflight_reads(emulator)
    provider.create(INPUTS)
    assert preflight_reads(emulator) == reads + 1
    assert len(recovery_posts(emulator)) == 1
