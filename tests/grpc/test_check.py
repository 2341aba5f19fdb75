"""The provider process at `pulumi preview` (Configure, then Check over gRPC, as the engine calls
them): bad input fails naming the field and the fix; what only the service knows (the preflight's
read-only APIs) fails Check with the service's reason, and fails closed until preflight is
switched off; unknown values are tolerated (the preflight is skipped for them); a configuration
that cannot work fails in one line, no credentials at all let a preview pass.
"""

from __future__ import annotations

import pytest
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2
from pulumi.runtime.rpc import UNKNOWN

from ddm_emulator import DEMO_PROJECT_ID, Fault
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN, recovery_posts, valid_inputs
from tests.grpc.conftest import ProviderProcess

pytestmark = pytest.mark.grpc


# inputs --------------------------------------------------------------------------------------------------------


INPUTS = valid_inputs()


def test_check_accepts_the_documented_example(provider, emulator):
    inputs, failures = provider.check(INPUTS)
    assert failures == []
    assert {k: inputs[k] for k in INPUTS} == INPUTS
    assert {r.method for r in emulator.backend.requests()} == {"GET"}, "only the preflight's reads"


@pytest.mark.parametrize(
    "source, field, words",
    [({}, "source", "neither is set"),
     ({"backup_id": BACKUP, "restore_time": 1716180000000}, "source", "both are set")],
)
def test_check_rejects_bad_source(provider, emulator, source, field, words):
    _, failures = provider.check({**INPUTS, "source": source})
    assert [f for f, _ in failures] == [field]
    assert words in failures[0][1]
    assert emulator.backend.requests() == []


def test_check_rejects_empty_data_nodes(provider):
    _, failures = provider.check({**INPUTS, "target": {"instance_id": TARGET, "data_nodes": []}})
    assert failures == [("target.data_nodes", failures[0][1])]
    assert "at least one data node" in failures[0][1]


def test_check_and_diff_accept_unknowns(provider):
    news = {**INPUTS, "target": {"instance_id": UNKNOWN, "data_nodes": [DATA_NODE, UNKNOWN]}}
    _, failures = provider.check(news)
    assert failures == []
    diff = provider.diff("job", {**INPUTS, "job_id": "job"}, news)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == ["target"]


# what only the service knows: the preflight --------------------------------------------------------------------


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


# settings as the process meets them at preview -----------------------------------------------------------------


@pytest.fixture
def process_with():
    started: list[ProviderProcess] = []

    def start(config: dict[str, str]) -> ProviderProcess:
        started.append(ProviderProcess(config))
        return started[-1]

    yield start
    for process in started:
        process.close()


def test_no_credentials_at_all_lets_a_preview_pass(process_with):
    _, failures = process_with({}).check(INPUTS)
    assert failures == []


@pytest.mark.parametrize("config, words", [
    ({"ddm:cloud": "prod"}, "cloud 'prod'"),
    ({"ddm:token": "t"}, "needs the project ID"),
    ({"ddm:token": "t\nu", "ddm:projectId": DEMO_PROJECT_ID}, "ddm:token contains a line break"),
])
def test_a_configuration_that_cannot_work_fails_preview_in_one_line(process_with, config, words):
    _, failures = process_with(config).check(INPUTS)
    [(field, reason)] = failures
    assert field == "" and words in reason and "\n" not in reason


def test_a_token_with_a_windows_line_ending_passes_preflight(process_with, emulator):
    config = {"ddm:endpoint": emulator.url, "ddm:projectId": DEMO_PROJECT_ID,
              "ddm:token": rpc.wrap_rpc_secret(f"{TOKEN}\r")}
    _, failures = process_with(config).check(INPUTS)
    assert failures == []
    assert emulator.backend.requests() and all(r.status == 200 for r in emulator.backend.requests())
