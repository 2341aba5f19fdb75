"""A job answer longer than `http_body.MAX_BODY` during a wait (trial of main, 30 Nov, item 2).

One 2 MiB answer to a job GET ended a long wait at once (a `TransportError`, not transient), while
every other unusable poll answer is ridden out until the deadline. To a GET it is now an
`UnreadableAnswerError`: the waiter polls on, and names it if the deadline passes.
"""

from __future__ import annotations

import pytest

from ddm_emulator import Fault, ManualClock
from ddm_resources.client import DdmClient
from ddm_resources.errors import JobTimeoutError
from ddm_resources.http_body import MAX_BODY
from ddm_resources.models import RestoreSource, RestoreTarget
from ddm_resources.waiter import wait_for_job
from tests.conftest import BACKUP, DATA_NODE, PROJECT_ID, SOURCE, TARGET, TOKEN


@pytest.fixture
def emulator_clock() -> ManualClock:
    return ManualClock()


def oversized(job_id: str) -> dict:
    return {"job": {"id": job_id, "status": "Running", "pad": "n" * (2 * MAX_BODY)}}


def start(client: DdmClient) -> str:
    return client.restore_metadata(SOURCE, RestoreSource(backup_id=BACKUP),
                                   RestoreTarget(instance_id=TARGET, data_nodes=[DATA_NODE]))


def polls(emulator, job_id: str) -> list[int]:
    return [r.status for r in emulator.backend.requests(method="GET", path_contains=f"/jobs/{job_id}")]


def test_an_oversized_poll_answer_is_ridden_out(emulator, emulator_clock):
    with DdmClient(emulator.url, PROJECT_ID, TOKEN, clock=emulator_clock) as client:
        job_id = start(client)
        emulator.backend.add_fault(Fault("GET", f"/jobs/{job_id}$", "respond", status=200, body=oversized(job_id),
                                         times=2))
        job = wait_for_job(client.poll_job, job_id, timeout=600, clock=emulator_clock, sleep=emulator_clock.advance)
    assert job.status == "Completed"
    assert len(polls(emulator, job_id)) == 3  # two oversized answers, each sent once, then the job


def test_oversized_answers_until_the_deadline_are_named_in_the_timeout(emulator, emulator_clock):
    with DdmClient(emulator.url, PROJECT_ID, TOKEN, clock=emulator_clock) as client:
        job_id = start(client)
        emulator.backend.add_fault(Fault("GET", f"/jobs/{job_id}$", "respond", status=200, body=oversized(job_id)))
        with pytest.raises(JobTimeoutError) as info:
            wait_for_job(client.poll_job, job_id, timeout=600, clock=emulator_clock, sleep=emulator_clock.advance)
    assert info.value.last_status is None
    assert f"GET /v3/{PROJECT_ID}/jobs/{job_id}" in info.value.last_error
    assert "the answer is longer than 1048576 bytes; not read" in str(info.value)
    assert len(polls(emulator, job_id)) > 2  # polled on until the deadline
