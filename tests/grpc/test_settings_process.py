"""Provider settings as the provider process meets them at `preview` (Configure, then Check)."""

from __future__ import annotations

import pytest
from pulumi.runtime import rpc

from ddm_emulator import DEMO_PROJECT_ID
from tests.conftest import TOKEN, valid_inputs
from tests.grpc.conftest import ProviderProcess

pytestmark = pytest.mark.grpc

INPUTS = valid_inputs()


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
