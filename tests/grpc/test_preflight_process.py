"""Check with preflight in the real provider process (`python -m pulumi.dynamic`) over gRPC.

The process gets the emulator as its stack config, as under `pulumi preview`. A preflight
failure comes back as `CheckFailure`s carrying the service's reason, and nothing is POSTed.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pulumi.runtime.rpc import UNKNOWN

from ddm_emulator import Fault
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN, recovery_posts
from tests.grpc.conftest import ProviderProcess

pytestmark = pytest.mark.grpc

INPUTS = {
    "source_instance_id": SOURCE,
    "source": {"backup_id": BACKUP},
    "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]},
}
_DAY_MS = 86_400_000


def now_ms(emulator) -> int:
    return int(emulator.backend.now() * 1000)


def break_target(emulator) -> None:
    emulator.backend.instances[TARGET].accounts = ["app_user"]


def break_node(emulator) -> None:
    emulator.backend.data_nodes[DATA_NODE].vpc_id = "another-vpc"


@pytest.mark.parametrize(
    "setup, inputs, field, reason",
    [
        (break_target, lambda e: INPUTS, "target.instance_id",
         "The instance has a common account (restorable-instances)."),
        (None, lambda e: {**INPUTS, "source": {"restore_time": now_ms(e) - 10 * _DAY_MS}},
         "source.restore_time", "outside the restorable time range"),
        (None, lambda e: {**INPUTS, "source": {"backup_id": "0" * 32 + "br09"}},
         "source.backup_id", f"Backup {'0' * 32}br09 of instance {SOURCE} not found."),
        (break_node, lambda e: INPUTS, "target.data_nodes[0]",
         "The instance is in a different VPC from the DDM instance (restorable-data-node)."),
    ],
    ids=["target-unavailable", "time-outside-window", "unknown-backup", "unusable-data-node"],
)
def test_preflight_failure_fails_check_with_the_services_reason(provider, emulator, setup, inputs, field, reason):
    if setup is not None:
        setup(emulator)
    _, failures = provider.check(inputs(emulator))
    assert [f for f, _ in failures] == [field]
    assert reason in failures[0][1]
    assert recovery_posts(emulator) == []


def test_iso_restore_time_is_checked_and_sent_as_ms(provider, emulator):
    when = now_ms(emulator) // 1000 * 1000 - 3_600_000
    iso = datetime.fromtimestamp(when / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")
    inputs, failures = provider.check({**INPUTS, "source": {"restore_time": iso}})
    assert failures == []
    assert inputs["source"] == {"restore_time": when}
    provider.create({k: v for k, v in inputs.items() if k != "__provider"})
    [post] = recovery_posts(emulator)
    assert post.body["source"] == {"restore_time": when}


def test_unknown_target_skips_preflight(provider, emulator):
    _, failures = provider.check({**INPUTS, "target": {"instance_id": UNKNOWN, "data_nodes": [UNKNOWN]}})
    assert failures == []
    assert emulator.backend.requests() == []


def test_failing_read_only_apis_fail_check_until_preflight_is_switched_off(provider, provider_config, emulator):
    emulator.backend.add_fault(Fault("GET", r"/restorable-instances$", "respond", status=501))  # not retried
    _, failures = provider.check(INPUTS)
    assert [f for f, _ in failures] == [""]
    assert "HTTP 501" in failures[0][1] and "pulumi config set ddm:preflight false" in failures[0][1]
    assert TOKEN not in failures[0][1]

    switched_off = ProviderProcess({**provider_config, "ddm:preflight": "false"})
    try:
        _, failures = switched_off.check(INPUTS)
    finally:
        switched_off.close()
    assert failures == []
    assert recovery_posts(emulator) == []


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
