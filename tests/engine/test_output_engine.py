"""Calm, readable output through the real engine (issue 23 items 8, 9, 11).

Each test runs the real CLI on a copy of the root project against the emulator: a check
failure names the real field (not `{<nil>}`); a preview without credentials says once per run
that the preflight was skipped; `restored_to` and `restored_to_utc` are known at preview when
the inputs tell them, and set by `up`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import SOURCE, recovery_posts
from tests.engine.conftest import use_many_restores
from tests.restore_targets import add_restore_targets

pytestmark = pytest.mark.engine

def output(result) -> str:
    return result.stdout + result.stderr


def test_a_nested_field_failure_names_the_field_not_a_nil_value(stack, emulator):
    """Item 8: the engine looks a failure's property up at the top level only, so a dotted path
    was shown as `property target.instance_id value {<nil>}` although it is set."""
    stack.config("targetInstanceId", SOURCE)
    text = output(stack.preview(check=False))
    assert ("resource 'metadata-recovery' has a problem: target.instance_id is the same as source_instance_id"
            in text), text
    assert "<nil>" not in text and "{map[" not in text
    assert recovery_posts(emulator) == []


def test_a_top_level_field_failure_still_shows_its_value(stack, emulator):
    stack.config("sourceInstanceId", "ddm-source")
    text = output(stack.preview(check=False))
    assert "property source_instance_id value {ddm-source} has a problem: source_instance_id" in text, text
    assert "<nil>" not in text


def test_preflight_skipped_is_said_once_per_run(stack, emulator):
    """Item 9: three resources previewed without credentials: one line, not one per resource."""
    targets = add_restore_targets(emulator.backend, 3)
    use_many_restores(stack, [(t.instance_id, t.data_node) for t in targets])
    stack.unset("ddm:token")
    stack.unset("ddm:projectId")
    result = stack.preview(check=False)
    assert result.returncode == 0, output(result)
    lines = [line for line in output(result).splitlines() if "preflight skipped" in line]
    assert len(lines) == 1, lines
    assert "restore-0" not in lines[0]
    assert emulator.backend.requests() == []


def _export_restored_to(project: Path) -> None:
    main = project / "__main__.py"
    main.write_text(main.read_text() + '\npulumi.export("restored_to", recovery.restored_to)\n'
                    'pulumi.export("restored_to_utc", recovery.restored_to_utc)\n')


def test_a_backup_restore_previews_restored_to_as_known_empty(stack, emulator, project):
    """Item 11: a backup restore has no point in time: known at preview to be empty, so the
    preview lists no `restored_to` (Pulumi leaves an empty output out), not `[unknown]`."""
    _export_restored_to(project)
    preview = output(stack.preview())
    assert "job_id            : [unknown]" in preview, preview  # the outputs are listed
    assert "restored_to" not in preview, preview
    stack.up()
    outputs = stack.outputs()
    assert outputs["job_id"] and outputs.get("restored_to") is None and outputs.get("restored_to_utc") is None
    [recovery] = stack.recoveries()
    assert recovery["outputs"].get("restored_to") is None and recovery["outputs"].get("restored_to_utc") is None
    assert recovery["outputs"]["job_id"] == outputs["job_id"]


def _utc(ms: int) -> str:
    """RFC 3339 in UTC, as the outputs write it: `2024-05-20T04:40:00Z`, or with `.123` milliseconds."""
    text = datetime.fromtimestamp(ms // 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{ms % 1000:03d}Z" if ms % 1000 else "Z")


def test_a_restore_by_time_previews_and_records_restored_to_utc(stack, emulator, project):
    _export_restored_to(project)
    when = int(emulator.backend.now()) * 1000 - 3_600_000
    stack.unset("backupId")
    stack.config("restoreTime", _utc(when))
    preview = output(stack.preview())
    assert not [line for line in preview.splitlines() if "restored_to" in line and "[unknown]" in line], preview
    assert str(when) in preview and _utc(when) in preview
    stack.up()
    outputs = stack.outputs()
    assert (outputs["restored_to"], outputs["restored_to_utc"]) == (when, _utc(when))


def test_latest_stays_unknown_at_preview_and_is_recorded_in_both_forms(stack, emulator, project):
    _export_restored_to(project)
    stack.unset("backupId")
    stack.config("restoreTime", "latest")
    preview = output(stack.preview())
    assert [line for line in preview.splitlines() if "restored_to" in line and "[unknown]" in line], preview
    stack.up()
    outputs = stack.outputs()
    assert isinstance(outputs["restored_to"], int)
    assert outputs["restored_to_utc"] == _utc(outputs["restored_to"])
