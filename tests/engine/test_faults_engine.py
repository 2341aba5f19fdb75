"""Exactly one restore through the real engine: deadlines, interruptions, failures, IAM login."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import dill
import pytest

from ddm_emulator import DEMO_DOMAIN_NAME, DEMO_PASSWORD, DEMO_PROJECT_NAME, DEMO_USER_NAME
from tests.conftest import TARGET, TOKEN, recovery_posts

pytestmark = pytest.mark.engine


def accepted(emulator) -> int:
    return sum(1 for post in recovery_posts(emulator) if post.status == 202)


def wait_until(condition, timeout: float = 60.0) -> None:
    """Poll `condition` (a readiness wait, not an assertion about timing)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)


def processes_in(directory) -> list[int]:
    """PIDs of the processes whose working directory is inside `directory` (Linux /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "cwd")).is_relative_to(directory):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def job_polls(emulator, job_id: str) -> int:
    """How many times the job `job_id` itself was read (`GET .../jobs/{job_id}`)."""
    return sum(1 for r in emulator.backend.requests(method="GET") if r.path.endswith(f"/jobs/{job_id}"))


def processes_running(directory, command_part: str) -> list[int]:
    """PIDs of the processes working inside `directory` whose command line has `command_part`."""
    pids = []
    for pid in processes_in(directory):
        try:
            if command_part in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode():
                pids.append(pid)
        except OSError:  # it has just exited
            pass
    return pids


def test_deadline_then_up_again_adopts_the_job(stack, emulator):
    emulator.backend.configure(job_seconds=600)  # running until the test moves the emulator's clock past its end
    stack.config("createTimeout", "2s")
    first = stack.up(check=False)
    assert first.returncode != 0
    [job] = emulator.backend.all_jobs()
    assert f"job {job.id} was still 'Running'" in first.stdout and "may still be running" in first.stdout
    assert stack.recoveries() == []
    stack.config("createTimeout", "10m")
    polled = job_polls(emulator, job.id)
    with stack.start("up", "--yes", "--skip-preview") as second:
        wait_until(lambda: job_polls(emulator, job.id) > polled or second.poll() is not None)
        emulator.backend.advance(600)  # the second `up` waits on the job it found: now the job ends
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert f"found restore job {job.id}" in second.stdout
    outputs = stack.outputs()
    assert outputs["job_id"] == job.id and outputs["status"] == "Completed"
    assert accepted(emulator) == 1


def test_interrupted_up_then_up_again_sends_one_post(stack, emulator):
    emulator.backend.configure(job_seconds=8)
    proc = subprocess.Popen([stack.pulumi_bin, "up", "--yes", "--skip-preview", "--non-interactive",
                             "--stack", stack.name],
                            cwd=stack.workdir, env=stack.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_until(lambda: accepted(emulator) == 1)
        wait_until(lambda: len(emulator.backend.requests(method="GET", path_contains="/jobs/")) >= 1)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI only: the engine puts each plugin in a group of its own
        proc.wait()
    # The provider process notices that the engine is gone and exits (ddm_resources.watchdog). The
    # language host may stay a while (upstream's checks the engine every 5 minutes): nothing here
    # depends on it, so what is left is stopped now.
    wait_until(lambda: not processes_running(stack.workdir, "pulumi.dynamic"), timeout=90)
    for pid in processes_in(stack.workdir):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    stack.run("cancel", "--yes")  # a killed run leaves the file backend's lock behind
    state = json.loads(stack.export())["deployment"]
    assert [op["type"] for op in state.get("pending_operations") or []] == ["creating"]
    stack.run("refresh", "--yes", "--clear-pending-creates")
    [job] = emulator.backend.all_jobs()
    again = stack.up(check=False)
    if again.returncode != 0:  # the job completed meanwhile: named, and adopted only when asked to
        assert f'set adopt_job_id = "{job.id}"' in again.stdout + again.stderr
        assert accepted(emulator) == 1
        stack.config("adoptJobId", job.id)
        stack.up()
    assert accepted(emulator) == 1
    assert stack.outputs()["job_id"] == emulator.backend.all_jobs()[0].id
    assert stack.outputs()["status"] == "Completed"


def test_failed_job_shows_reason_and_job_then_a_rerun_restores(stack, emulator):
    reason = "Metadata restoration failed: data node f4e2949e is read-only."
    emulator.backend.fail_next_job(reason)
    failed = stack.up(check=False)
    [job] = emulator.backend.all_jobs()
    assert failed.returncode != 0
    assert f"DDM job {job.id} ended Failed: {reason}" in failed.stdout
    assert stack.recoveries() == []
    stack.up()
    assert accepted(emulator) == 2
    outputs = stack.outputs()
    assert outputs["status"] == "Completed" and outputs["job_id"] != job.id


def test_iam_login_with_tokens_shorter_than_the_job(stack, emulator):
    emulator.backend.configure(job_seconds=4, token_ttl_seconds=2)  # the job outlives the first token
    stack.unset("ddm:token")
    stack.unset("ddm:projectId")
    stack.env.update(OS_AUTH_URL=f"{emulator.url}/v3", OS_USERNAME=DEMO_USER_NAME, OS_PASSWORD=DEMO_PASSWORD,
                     OS_DOMAIN_NAME=DEMO_DOMAIN_NAME, OS_PROJECT_NAME=DEMO_PROJECT_NAME)
    result = stack.run("up", "--yes", "--skip-preview", "--debug")
    assert stack.outputs()["status"] == "Completed"
    assert accepted(emulator) == 1
    assert len(emulator.backend.requests(method="POST", path_contains="/auth/tokens")) >= 2
    scanned = stack.export() + result.stdout + result.stderr
    assert DEMO_PASSWORD not in scanned
    assert "MIIemu" not in scanned  # the prefix of every token the emulated IAM issues


def test_state_and_pickled_provider_hold_no_credential(stack):
    result = stack.run("up", "--yes", "--skip-preview", "--debug")
    export = stack.export()
    assert TOKEN not in export and TOKEN not in result.stdout + result.stderr
    [recovery] = stack.recoveries()
    pickled = base64.b64decode(recovery["outputs"]["__provider"])
    assert TOKEN.encode() not in pickled
    provider = dill.loads(pickled)
    assert type(provider).__name__ == "MetadataRecoveryProvider" and vars(provider) == {}
    assert recovery["outputs"]["target"]["instance_id"] == TARGET


LONG_JOB_CLOCK_SCALE = 20
"""Emulated seconds per real second in the long-job test: its 210 s job lasts about 10 s."""


def test_long_job_completes_through_the_engine_with_progress(stack, emulator):
    emulator.backend.configure(job_seconds=210, clock_scale=LONG_JOB_CLOCK_SCALE)
    stack.config("ddm:pollInterval", str(10 / LONG_JOB_CLOCK_SCALE))  # a poll every 10 s of the job's time
    result = stack.up()
    assert stack.outputs()["status"] == "Completed"
    progress = [line for line in result.stdout.splitlines()
                if "ddm-resources: metadata-recovery: job" in line and "Running" in line]
    assert len(progress) >= 6
    assert accepted(emulator) == 1
