"""The provider process's Read (refresh) and Delete over gRPC: Read refreshes the job and keeps
the ID, keeps the resource when the job is gone, changes the outputs only for this job still
`Completed`, and refuses an answer about another job or one that cannot be this restore's;
Delete sends no request and says that nothing is undone on DDM.
"""

from __future__ import annotations

import grpc
import pytest

from ddm_emulator import Fault
from tests.conftest import TARGET, valid_inputs
from tests.grpc.conftest import PROVIDER, ProviderProcess

pytestmark = pytest.mark.grpc


INPUTS = valid_inputs()


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
