"""`pulumi preview` catches the mistakes: offline validation and the preflight, real engine.

Every test runs the real CLI on a copy of the root project (see `conftest.py`) against the
emulator, and asserts that no metadata-recovery POST was sent. The cases that are one preview
after a setup run at once, each on its own stack and emulator (`previews`, `preview_all`).
"""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ddm_emulator import Fault
from tests.conftest import (
    DATA_NODE,
    DOC_EXAMPLE_BODY,
    SOURCE,
    TARGET,
    TOKEN,
    recovery_posts,
)
from tests.engine.conftest import Previewed, preview_all

pytestmark = pytest.mark.engine

_DAY_MS = 86_400_000


def output(result) -> str:
    return result.stdout + result.stderr


def use_restore_time(stack, value: str) -> None:
    stack.unset("backupId")
    stack.config("restoreTime", value)


BAD_INPUTS = {
    "seconds": ({"restoreTime": "1716180000"}, "source.restore_time", "looks like epoch seconds"),
    "naive-iso": ({"restoreTime": "2024-05-20T04:40:00"}, "source.restore_time", "no UTC offset"),
    "future": ({"restoreTime": "2999-01-01T00:00:00Z"}, "source.restore_time", "is in the future"),
    "name-not-id": ({"sourceInstanceId": "ddm-source"}, "source_instance_id",
                    "does not look like the ID of a DDM instance"),
    "target-is-source": ({"targetInstanceId": SOURCE}, "target.instance_id", "is the same as source_instance_id"),
    "quoted": ({"targetInstanceId": f"'{TARGET}'"}, "target.instance_id", "contains quote characters"),
    "duplicate-node": ({"dataNodes[1]": DATA_NODE}, "target.data_nodes[1]", "is listed twice"),
}
"""Case id: (config set before the preview, the field the error names, words of the error)."""


def set_bad_input(config: dict[str, str]):
    """The setup of a `BAD_INPUTS` case: `config` set on the stack."""

    def setup(stack, emulator) -> None:
        for key, value in config.items():
            if key == "restoreTime":
                use_restore_time(stack, value)
            else:
                stack.config(key, value, path="[" in key)
    return setup


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_preview_rejects_bad_inputs_naming_field_and_fix(previews, case):
    _, field, words = BAD_INPUTS[case]
    previewed = previews[f"bad-input-{case}"]
    result, emulator = previewed.result, previewed.emulator
    assert result.returncode != 0
    assert f"{field}: " in output(result) or f"{field} " in output(result)
    assert words in output(result)
    assert emulator.backend.requests() == [], "offline validation: no request at all, so no POST"


def test_seconds_restore_time_says_milliseconds(previews):
    previewed = previews["bad-input-seconds"]  # restoreTime 1716180000
    text = output(previewed.result)
    assert "restore_time is epoch milliseconds: use 1716180000000" in text
    assert recovery_posts(previewed.emulator) == []


def test_iso_restore_time_is_restored_as_ms_and_ms_is_no_change(stack, emulator):
    when = int(emulator.backend.now()) * 1000 - 3_600_000
    iso = datetime.fromtimestamp(when / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")
    use_restore_time(stack, iso)
    stack.up()
    [post] = recovery_posts(emulator)
    assert post.body == {**DOC_EXAMPLE_BODY, "source": {"restore_time": when}}
    [recovery] = stack.recoveries()
    assert recovery["inputs"]["source"] == {"restore_time": when}

    stack.config("restoreTime", str(when))
    stack.run("up", "--yes", "--expect-no-changes")
    assert len(recovery_posts(emulator)) == 1


_ECHO = '''\
"""A tiny dynamic resource whose output `value` is known only after it is created."""

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class EchoProvider(ResourceProvider):
    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"echo-{props['seed'][:8]}", {"seed": props["seed"], "value": props["seed"]})


class Echo(Resource, module="test", name="Echo"):
    value: pulumi.Output[str]

    def __init__(self, name: str, seed: str) -> None:
        super().__init__(EchoProvider(), name, {"seed": seed, "value": None})
'''

_WIRED_MAIN = '''\
"""Engine-test program: the target and its data node come from resources of the same stack."""

import pulumi

from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs
from target_echo import Echo

config = pulumi.Config()
target = Echo("target", config.require("targetInstanceId"))
node = Echo("node", config.require_object("dataNodes")[0])
recovery = MetadataRecovery(
    "metadata-recovery",
    MetadataRecoveryArgs(
        source_instance_id=config.require("sourceInstanceId"),
        source=RestoreSourceArgs(backup_id=config.require("backupId")),
        target=RestoreTargetArgs(instance_id=target.value, data_nodes=[node.value]),
    ),
)
pulumi.export("job_id", recovery.job_id)
'''


def test_unknown_target_and_data_nodes_pass_preview(stack, emulator, project: Path):
    (project / "target_echo.py").write_text(_ECHO)
    (project / "__main__.py").write_text(textwrap.dedent(_WIRED_MAIN))
    preview = stack.preview()
    assert "4 to create" in preview.stdout  # the stack, two echoes, the recovery
    assert "instance_id: [unknown]" in preview.stdout
    assert emulator.backend.requests() == [], "unknown inputs: no preflight, no POST"

    stack.up()
    [post] = recovery_posts(emulator)
    assert post.body == DOC_EXAMPLE_BODY


def _target_unavailable(stack, emulator) -> None:
    emulator.backend.instances[TARGET].accounts = ["app_user"]


def _time_outside_window(stack, emulator) -> None:
    use_restore_time(stack, str(int(emulator.backend.now() * 1000) - 10 * _DAY_MS))


def _unknown_backup(stack, emulator) -> None:
    stack.config("backupId", "0" * 32 + "br09")


def _unusable_data_node(stack, emulator) -> None:
    emulator.backend.data_nodes[DATA_NODE].read_only = True


PREFLIGHT_FAILURES = {
    "target-unavailable": (_target_unavailable, "target.instance_id",
                           "The instance has a common account (restorable-instances)."),
    "time-outside-window": (_time_outside_window, "source.restore_time", "is outside the restorable time range"),
    "unknown-backup": (_unknown_backup, "source.backup_id", f"Backup {'0' * 32}br09 of instance {SOURCE} not found."),
    "unusable-data-node": (_unusable_data_node, "target.data_nodes[0]",
                           "The instance is a read-only instance (restorable-data-node)."),
}
"""Case id: (setup of the stack and emulator, the field the error names, the service's reason)."""


@pytest.mark.parametrize("case", PREFLIGHT_FAILURES)
def test_preflight_failure_fails_preview_with_the_services_reason(previews, case):
    _, field, reason = PREFLIGHT_FAILURES[case]
    previewed = previews[f"preflight-{case}"]
    result, emulator = previewed.result, previewed.emulator
    assert result.returncode != 0
    assert field in output(result) and reason in output(result)
    assert emulator.backend.requests() != [], "the preflight asked the read-only APIs"
    assert recovery_posts(emulator) == []


@pytest.fixture(scope="module")
def previews(pulumi_bin, stack_template, tmp_path_factory) -> dict[str, Previewed]:
    """The previews of this module's one-preview cases, run at once (`preview_all`)."""
    cases = {f"bad-input-{case}": set_bad_input(config) for case, (config, _, _) in BAD_INPUTS.items()}
    cases |= {f"preflight-{case}": setup for case, (setup, _, _) in PREFLIGHT_FAILURES.items()}
    return preview_all(cases, pulumi_bin, stack_template, tmp_path_factory.mktemp("previews"))


def test_failing_read_only_apis_fail_preview_until_preflight_is_switched_off(stack, emulator):
    emulator.backend.add_fault(Fault("GET", r"/backups/restorable-instances$", "respond", status=501))  # not retried
    result = stack.preview(check=False)
    assert result.returncode != 0
    text = output(result)
    assert "preflight could not check the inputs" in text and "HTTP 501" in text
    assert "pulumi config set ddm:preflight false" in text
    assert TOKEN not in text

    stack.config("ddm:preflight", "false")
    stack.preview()
    assert recovery_posts(emulator) == []
