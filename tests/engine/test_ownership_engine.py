"""One job per resource, through the real engine (issue 7 items 1, 3 and 6).

Two resources on one target in one program, racing or not; `pulumi up --replace` with
unchanged inputs; `CustomTimeouts(create=...)` as the deadline.
"""

from __future__ import annotations

import textwrap

import pytest

from ddm_emulator import Fault
from tests.conftest import SOURCE, TARGET, recovery_posts

pytestmark = pytest.mark.engine

TWO_ON_ONE_TARGET = textwrap.dedent('''
    import pulumi
    from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs

    config = pulumi.Config()
    args = MetadataRecoveryArgs(
        source_instance_id=config.require("sourceInstanceId"),
        source=RestoreSourceArgs(backup_id=config.require("backupId")),
        target=RestoreTargetArgs(instance_id=config.require("targetInstanceId"),
                                 data_nodes=config.require_object("dataNodes")),
    )
    a = MetadataRecovery("restore-a", args)
    b = MetadataRecovery("restore-b", args)
    pulumi.export("a", a.job_id)
    pulumi.export("b", b.job_id)
''')


def output(result) -> str:
    return result.stdout + result.stderr


@pytest.mark.parametrize("post_delay", [0.0, 2.0], ids=["plain", "slow-post-race"])
def test_two_resources_on_one_target_never_record_one_job(stack, emulator, project, post_delay):
    if post_delay:
        emulator.backend.add_fault(Fault("POST", "metadata-recovery", "delay", delay=post_delay))
    (project / "__main__.py").write_text(TWO_ON_ONE_TARGET)
    result = stack.up(check=False)
    assert result.returncode != 0
    assert len(recovery_posts(emulator)) == 1, "one POST per target and run"
    assert len(emulator.backend.all_jobs()) == 1
    recorded = [r["outputs"].get("job_id") for r in stack.recoveries()]
    assert len(recorded) == len(set(recorded)) <= 1, recorded
    text = output(result)
    assert f"target instance {TARGET} is already restored in this run by resource restore-" in text
    assert "One restore per target" in text


def test_replace_with_unchanged_inputs_fails_before_any_post(stack, emulator):
    stack.up()
    [recovery] = stack.recoveries()
    job_id = recovery["outputs"]["job_id"]
    requests = len(emulator.backend.requests())
    result = stack.run("up", "--yes", "--skip-preview", "--replace", recovery["urn"], check=False)
    assert result.returncode != 0
    assert len(recovery_posts(emulator)) == 1
    assert not [r for r in emulator.backend.requests()[requests:] if r.method == "POST"]
    text = output(result)
    assert f"already holds the metadata restored by job {job_id}" in text
    assert "a new restore needs a new, empty target" in text
    assert [r["outputs"]["job_id"] for r in stack.recoveries()] == [job_id], "the old resource is kept"


def test_custom_timeouts_create_is_the_deadline(stack, emulator, project):
    emulator.backend.configure(job_seconds=120)
    main = project / "__main__.py"
    main.write_text(main.read_text().replace(
        '        adopt_job_id=setting("adoptJobId"),\n    ),\n)',
        '        adopt_job_id=setting("adoptJobId"),\n    ),\n'
        '    opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="3s")),\n)'))
    assert "CustomTimeouts" in main.read_text()
    result = stack.up(check=False)
    assert result.returncode != 0
    text = output(result)
    assert "waiting up to 3s" in text
    assert "when timeouts.create (3s) ran out" in text


def test_the_recorded_job_is_never_recorded_again_for_a_changed_source(stack, emulator):
    """Trial finding: "latest" restored by job J, then `source.restore_time` changed (a replacement
    on the same target) and adopt_job_id = J recorded J under the new time. Only the same restore
    (`up --replace` with unchanged inputs) may record J again."""
    stack.unset("backupId")
    stack.config("restoreTime", "latest")
    stack.up()
    [recovery] = stack.recoveries()
    job_id, restored_to = recovery["outputs"]["job_id"], int(recovery["outputs"]["restored_to"])

    stack.config("restoreTime", str(restored_to - 120_000))
    preview = output(stack.preview(check=False))
    assert f"already holds the metadata restored by job {job_id}" in preview
    assert "The stack state records on this target the restore of metadata-recovery's old inputs" in preview
    assert "set adopt_job_id" not in preview, "the hint would lead to recording a lie"

    stack.config("adoptJobId", job_id)
    refusal = (f"metadata-recovery: adopt_job_id {job_id} is the restore that the stack state records for "
               f"metadata-recovery's old inputs (source_instance_id {SOURCE}, restore_time \"latest\" (resolved to ")
    assert refusal in output(stack.preview(check=False))
    assert refusal in output(stack.up(check=False))
    [kept] = stack.recoveries()
    assert kept["outputs"]["source"] == {"restore_time": "latest"} and kept["outputs"]["job_id"] == job_id

    stack.config("restoreTime", "latest")  # the same restore, replaced by force: J may be recorded again
    stack.run("up", "--yes", "--skip-preview", "--replace", recovery["urn"])
    [replaced] = stack.recoveries()
    assert replaced["outputs"]["job_id"] == job_id and replaced["outputs"]["source"] == {"restore_time": "latest"}
    assert len(recovery_posts(emulator)) == 1
