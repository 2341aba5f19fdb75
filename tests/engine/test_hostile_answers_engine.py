"""Every answer, whatever its bytes, becomes one of the project's own errors, through the real engine
(issue 19 item 8): an accepted POST whose 202 carried `Server: Grüße-Gateway` ended in a 49-line
traceback with no job lookup, and one bad poll ended a 60-minute wait. Now the restore completes
with one POST, an unreadable 202 counts as unclear (the job is looked up and recorded), a poll rides
bad answers out, and a preflight lookup fails closed in one line. The hostile answers come from the
emulator's faults (`add_headers` for answers about the real job)."""

from __future__ import annotations

import pytest

from ddm_emulator import Fault
from tests.conftest import recovery_posts

pytestmark = pytest.mark.engine


def no_traceback(*runs) -> None:
    for run in runs:
        assert "Traceback" not in run.stdout + run.stderr, (run.stdout + run.stderr)[-3000:]


@pytest.mark.parametrize("headers", [{"Server": "Grüße-Gateway"}, {"Content-Encoding": "gzip"}],
                         ids=["non-ascii-server-header", "202-not-the-gzip-it-claims"])
def test_an_odd_202_to_the_restore_post_ends_with_the_job_recorded_and_one_post(stack, emulator, headers):
    emulator.backend.add_fault(Fault("POST", r"/metadata-recovery$", "add_headers", headers=headers))
    run = stack.up()
    no_traceback(run)
    [job] = emulator.backend.all_jobs()
    assert stack.outputs()["job_id"] == job.id and stack.outputs()["status"] == "Completed"
    assert [post.status for post in recovery_posts(emulator)] == [202]


def test_a_poll_rides_out_undecodable_and_deeply_nested_answers(stack, emulator):
    backend = emulator.backend
    backend.add_fault(Fault("GET", r"/jobs/[0-9a-f-]+$", "add_headers", headers={"Content-Encoding": "gzip"},
                            times=2))
    backend.add_fault(Fault("GET", r"/jobs/[0-9a-f-]+$", "respond", status=500,
                            body='{"error": ' * 1000 + "1" + "}" * 1000, times=2))
    backend.add_fault(Fault("GET", r"/jobs/[0-9a-f-]+$", "add_headers", headers={"Server": "Grüße-Gateway"},
                            times=1))
    run = stack.up()
    no_traceback(run)
    assert stack.outputs()["status"] == "Completed" and len(recovery_posts(emulator)) == 1


def test_an_undecodable_preflight_answer_fails_preview_in_one_line(stack, emulator):
    emulator.backend.add_fault(Fault("GET", r"/restorable-instances$", "add_headers",
                                     headers={"Content-Encoding": "gzip"}))
    run = stack.preview(check=False)
    no_traceback(run)
    assert run.returncode != 0
    [line] = [line for line in (run.stdout + run.stderr).splitlines() if "the body is not valid gzip data" in line]
    assert "preflight could not check the inputs" in line and "pulumi config set ddm:preflight false" in line
    assert recovery_posts(emulator) == []
