"""A local clock 20 minutes off (a laptop, a CI runner without NTP) and the service's clock (issue 19
item 14). Before: with AK/SK every request was refused and the message blamed the token or IAM login;
with a token and the clock behind, the restore completed on DDM but every answer about its own job
was refused as "created 20 min after now" until the deadline; with the clock ahead, the job list was
asked with `end_time` before `start_time`. The service's clock (learned from `Date`) is now used
wherever the service's times are compared or signed, and a refusal names the clock difference.

The emulator runs on a `ManualClock`; "this machine's clock" is that clock shifted by `SHIFT`."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from ddm_emulator import DEMO_PROJECT_ID, EmulatorSettings, ManualClock
from ddm_resources.auth import AkSkSigner
from ddm_resources.client import DdmClient
from ddm_resources.errors import AuthenticationError
from ddm_resources.input_model import MetadataRecoveryInputs
from ddm_resources.restore import Restore
from ddm_resources.waiter import PollSchedule
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN, recovery_posts

SHIFT = 20 * 60.0
INPUTS = {"source_instance_id": SOURCE, "source": {"backup_id": BACKUP},
          "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}, "timeouts": {"create": "10m"}}
ACCESS_KEY, SECRET_KEY = "CLOCKTESTAK0123456789", "clock-test-secret-key-0123456789abcdef"


@pytest.fixture
def emulator_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator_settings() -> EmulatorSettings:
    """Jobs of 300 emulated seconds; AK/SK signatures dated more than 15 minutes off are refused."""
    return EmulatorSettings(job_seconds=300.0, signature_max_skew_seconds=900.0)


def run(emulator, shift: float, token: object = TOKEN):
    backend = emulator.backend

    def local() -> float:
        return backend.now() + shift

    client = DdmClient(emulator.url, DEMO_PROJECT_ID, token, sleep=backend.advance,  # type: ignore[arg-type]
                       timeout=httpx.Timeout(2.0), clock=local)
    restore = Restore(client, MetadataRecoveryInputs.model_validate(INPUTS), say=lambda line: None,
                      schedule=PollSchedule(max_interval=10, rand=lambda: 0.0), clock=local,
                      monotonic=backend.now, sleep=backend.advance)
    with client:
        return restore.run()


def job_list_ranges(emulator) -> list[tuple[int, int]]:
    return [(int(r.query["start_time"]), int(r.query["end_time"]))
            for r in emulator.backend.requests(method="GET", path_contains="/jobs") if "start_time" in r.query]


@pytest.mark.parametrize("shift", [-SHIFT, SHIFT], ids=["behind", "ahead"])
def test_a_token_with_the_clock_20_minutes_off_restores_once_and_knows_its_job(emulator, shift):
    job = run(emulator, shift)
    assert job.status == "Completed" and len(recovery_posts(emulator)) == 1
    ranges = job_list_ranges(emulator)
    assert ranges and all(start <= end for start, end in ranges), ranges


@pytest.mark.parametrize("shift", [-SHIFT, SHIFT], ids=["behind", "ahead"])
def test_aksk_with_the_clock_20_minutes_off_signs_by_the_service_clock(emulator, shift):
    emulator.backend.add_access_key(ACCESS_KEY, SECRET_KEY, DEMO_PROJECT_ID)
    signer = AkSkSigner(ACCESS_KEY, SecretStr(SECRET_KEY))
    job = run(emulator, shift, signer)
    assert job.status == "Completed" and len(recovery_posts(emulator)) == 1
    refused = [r for r in emulator.backend.requests() if r.status == 401]
    assert len(refused) == 1  # the first request, before any Date was heard


def test_a_refusal_names_the_clock_difference(emulator):
    with DdmClient(emulator.url, DEMO_PROJECT_ID, "not-a-valid-token-0123456789",
                   clock=lambda: emulator.backend.now() - SHIFT) as client, \
            pytest.raises(AuthenticationError) as info:
        client.get_job("0" * 32)
    assert "this machine's clock is 20 min behind the service's (by the Date of its answers)" in str(info.value)
