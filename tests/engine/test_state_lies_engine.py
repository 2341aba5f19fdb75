"""The state never lies, through the real engine (issue 19 items 1, 2, 3 and 12).

Each test counts the restore POSTs the emulator received and reads the state with
`pulumi stack export --show-secrets`: a resource records a job only when it is its own restore.
"""

from __future__ import annotations

import json
import textwrap
import threading
import time

import pytest

from ddm_emulator import DEMO_PROJECT_ID, Fault
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, recovery_posts
from tests.restore_targets import add_restore_targets

pytestmark = pytest.mark.engine


def output(result) -> str:
    return result.stdout + result.stderr


def recorded_jobs(stack) -> list[str]:
    """The job IDs the state records on MetadataRecovery resources, read with --show-secrets."""
    state = json.loads(stack.run("stack", "export", "--show-secrets").stdout)
    return [r["outputs"].get("job_id") for r in state["deployment"].get("resources") or []
            if r["type"] == "pulumi-python:dynamic/ddm:MetadataRecovery"]


@pytest.mark.parametrize("name", ["BackupMetadata", ""])
def test_a_running_job_that_is_no_restore_is_never_adopted(stack, emulator, name):
    """Item 1: a running `BackupMetadata` (or nameless) job of the target was adopted: 0 POSTs and
    the resource recorded `Completed` on an empty target."""
    emulator.backend.configure(job_seconds=900)
    job = emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=TARGET,
                                            data_nodes=[DATA_NODE], backup_id=BACKUP)
    job.name = name
    named = f"named {name!r}" if name else "without a name"
    preview = stack.preview(check=False)
    assert preview.returncode != 0 and f"running job {job.id} {named}" in output(preview)
    result = stack.up(check=False)
    assert result.returncode != 0
    text = output(result)
    assert f"running job {job.id} {named}" in text
    assert f'adopt_job_id = "{job.id}"' in text.replace('\\"', '"'), "names adopt_job_id as the way to take it"
    assert recovery_posts(emulator) == []
    assert recorded_jobs(stack) == []


def test_a_restore_started_during_the_preflight_is_never_taken_after_an_unclear_answer(stack, emulator):
    """Item 2: with restore jobs bound to the source, a restore of the same source onto another
    target that starts during this run's preflight was taken after this run's POST got a 503."""
    emulator.backend.configure(job_bound_to="source", job_seconds=5)
    [other] = add_restore_targets(emulator.backend, 1)
    stack.unset("backupId")
    stack.config("restoreTime", "latest")  # create preflights again ("latest" resolves at create)
    held = emulator.backend.add_fault(Fault("GET", "restorable-instances", "delay", delay=3.0, every=2, times=1))
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "respond", status=503, times=1))
    started = []

    def start_another_restore_during_the_preflight() -> None:
        deadline = time.monotonic() + 120
        while held.fired == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        started.append(emulator.backend.restore_metadata(
            DEMO_PROJECT_ID, SOURCE, target_instance_id=other.instance_id, data_nodes=[other.data_node],
            backup_id=BACKUP))

    watcher = threading.Thread(target=start_another_restore_during_the_preflight)
    watcher.start()
    result = stack.up(check=False)
    watcher.join()
    assert held.fired == 1 and started, "the other restore started while the create's preflight waited"
    assert result.returncode != 0
    assert "may or may not have started" in output(result)
    assert started[0].id not in output(result).split("may or may not have started")[0]
    assert len(recovery_posts(emulator)) == 1
    assert recorded_jobs(stack) == []


DELETE_BEFORE_REPLACE = textwrap.dedent('''
    import pulumi
    from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs

    config = pulumi.Config()
    recovery = MetadataRecovery(
        "metadata-recovery",
        MetadataRecoveryArgs(
            source_instance_id=config.require("sourceInstanceId"),
            source=RestoreSourceArgs(backup_id=config.require("backupId")),
            target=RestoreTargetArgs(instance_id=config.require("targetInstanceId"),
                                     data_nodes=config.require_object("dataNodes")),
        ),
        opts=pulumi.ResourceOptions(delete_before_replace=True),
    )
    pulumi.export("job_id", recovery.job_id)
''')


def test_reverted_inputs_after_a_failed_delete_before_replace_take_the_recorded_job_again(stack, emulator, project):
    """Item 3: the replacing create failed, the resource stays pending replacement; with the inputs
    set back, the engine creates it again, and the job the state records for them is taken."""
    (project / "__main__.py").write_text(DELETE_BEFORE_REPLACE)
    stack.up()
    [job_id] = recorded_jobs(stack)
    [other] = add_restore_targets(emulator.backend, 1)
    stack.config("targetInstanceId", other.instance_id)
    stack.config("dataNodes[0]", other.data_node, path=True)
    emulator.backend.fail_next_job("Metadata restoration failed.")
    failed = stack.up(check=False)
    assert failed.returncode != 0 and "ended Failed" in output(failed)
    state = json.loads(stack.run("stack", "export", "--show-secrets").stdout)
    [pending] = [r for r in state["deployment"]["resources"] if r["type"].endswith("ddm:MetadataRecovery")]
    assert pending.get("pendingReplacement") is True and pending["outputs"]["job_id"] == job_id

    stack.config("targetInstanceId", TARGET)
    stack.config("dataNodes[0]", DATA_NODE, path=True)
    again = stack.up(check=False)
    assert again.returncode == 0, output(again)
    assert "a new restore needs a new, empty target" not in output(again)
    assert recorded_jobs(stack) == [job_id]
    assert len(recovery_posts(emulator)) == 2, "the first restore and the failed one: none for the revert"


def test_no_post_when_the_lookups_before_it_leave_too_little_of_timeouts_create(stack, emulator):
    """Item 12: slow lookups before the POST used up `timeouts.create`; the POST went out anyway and
    the job ran unrecorded. Now the POST is never sent with less than the time kept for the job."""
    stack.unset("backupId")
    stack.config("restoreTime", "latest")  # create preflights again, against its own deadline
    stack.config("createTimeout", "8s")  # 2 s kept for the job: the POST must go out within 6 s
    emulator.backend.add_fault(Fault("GET", "restorable-instances", "delay", delay=7.0, every=2, times=1))
    result = stack.up(check=False)
    assert result.returncode != 0
    assert "kept for the restore job" in output(result) and "timeouts.create" in output(result)
    assert recovery_posts(emulator) == []
    assert recorded_jobs(stack) == []
