"""Issue 22's acceptance through the real Pulumi CLI against the emulator: verification after
`Completed` (outputs `schemas`, `verification`; a dropped schema fails `up`), drift on `pulumi
refresh` (`target_status`, a warning line, no new restore) and the RPO guard (`max_restore_age`
refuses an old backup at preview, with no POST)."""

from __future__ import annotations

from ddm_emulator import DEMO_PROJECT_ID
from tests.conftest import SOURCE, TARGET, recovery_posts

from .conftest import Stack

RPO_PROGRAM = '''"""One MetadataRecovery from the root project's config, with `max_restore_age` from config."""
import pulumi

from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs

config = pulumi.Config()
MetadataRecovery("metadata-recovery", MetadataRecoveryArgs(
    source_instance_id=config.require("sourceInstanceId"),
    source=RestoreSourceArgs(backup_id=config.require("backupId")),
    target=RestoreTargetArgs(instance_id=config.require("targetInstanceId"),
                             data_nodes=config.require_object("dataNodes")),
    max_restore_age=config.require("maxRestoreAge"),
))
'''


def _outputs(stack: Stack) -> dict:
    [recovery] = stack.recoveries()
    return recovery["outputs"]


def test_a_normal_restore_exports_the_sources_schemas(stack: Stack, emulator):
    stack.up()
    outputs = _outputs(stack)
    source_schemas = sorted(schema.name for schema, _ in emulator.backend.list_schemas(DEMO_PROJECT_ID, SOURCE))
    assert outputs["schemas"] == source_schemas == ["orders"]
    assert outputs["target_status"] == "RUNNING"
    assert outputs["verification"].startswith(f"target {TARGET} RUNNING; 1 schema RUNNING")
    assert "accounts not checked (OTC has no account list API)" in outputs["verification"]


def test_a_restore_completing_without_a_schema_fails_up_naming_it_and_the_job(stack: Stack, emulator):
    emulator.backend.configure(restore_drops_schema="orders")
    result = stack.up(check=False)
    assert result.returncode != 0
    [job] = emulator.backend.all_jobs()
    text = result.stdout + result.stderr
    assert f"restore job {job.id} completed, but target instance {TARGET} failed verification: it lacks " \
           "schema orders" in text
    assert stack.recoveries() == []  # nothing recorded: the message says what the next up does
    again = stack.up(check=False)
    assert again.returncode != 0 and f"already holds the metadata restored by job {job.id}" in again.stdout + \
        again.stderr
    assert len(recovery_posts(emulator)) == 1


def test_a_refresh_after_the_target_is_deleted_warns_and_sets_target_status(stack: Stack, emulator):
    stack.up()
    job_id = _outputs(stack)["job_id"]
    emulator.backend.configure(deleted_instance_answer="200 DELETED")
    emulator.backend.delete_instance(TARGET)
    refreshed = stack.run("refresh", "--yes", "--diff")
    text = refreshed.stdout + refreshed.stderr
    assert f"warning: target instance {TARGET} is deleted" in text
    # where it shows: a global `ddm-resources:` line (stderr), not the row: the engine shows the resource
    # unchanged, since a dynamic provider's refresh compares inputs, and its lines carry no URN
    assert "warning" not in refreshed.stdout
    outputs = _outputs(stack)
    assert outputs["target_status"] == "DELETED" and outputs["job_id"] == job_id
    # the documented choice: the next up restores nothing for it (a new restore needs a new target)
    stack.run("preview", "--expect-no-changes")
    assert len(recovery_posts(emulator)) == 1


def test_max_restore_age_refuses_an_old_backup_at_preview_with_no_post(stack: Stack, emulator):
    (stack.workdir / "__main__.py").write_text(RPO_PROGRAM)
    stack.config("maxRestoreAge", "1s")  # the seed's backup is from the latest 02:00 UTC
    result = stack.preview(check=False)
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "max_restore_age: the restore point, backup " in text
    assert "older than max_restore_age 1s" in text
    assert recovery_posts(emulator) == []
