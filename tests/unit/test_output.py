"""Calm, readable output (issue 23 items 8-11) at the unit level: the property a check failure
names for the engine, an adopted job's elapsed time, `restored_to_utc` and the outputs `check`
tells at preview."""

from __future__ import annotations

import re

import httpx
import pytest
from pulumi.dynamic import Config, ConfigureRequest

from ddm_emulator import DEMO_PROJECT_ID, EmulatorSettings, ManualClock
from ddm_resources.client import DdmClient
from ddm_resources.input_model import MetadataRecoveryInputs
from ddm_resources.provider import MetadataRecoveryProvider
from ddm_resources.restore import Restore
from ddm_resources.waiter import PollSchedule
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN

INPUTS = {"source_instance_id": SOURCE, "source": {"backup_id": BACKUP},
          "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}, "resource_name": "r"}


@pytest.fixture
def emulator_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator_settings() -> EmulatorSettings:
    return EmulatorSettings(job_seconds=120.0)


@pytest.fixture
def offline() -> MetadataRecoveryProvider:
    provider = MetadataRecoveryProvider()
    provider.configure(ConfigureRequest(Config({}, "ddm-metadata-recovery")))
    return provider


# item 8 -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("props, wire, starts", [
    ({"target": {"instance_id": SOURCE, "data_nodes": [DATA_NODE]}}, "", "target.instance_id is the same as"),
    ({"target": {"instance_id": TARGET, "data_nodes": [DATA_NODE, DATA_NODE]}}, "", "target.data_nodes[1]:"),
    ({"source": {}}, "", "source:"),
    ({"source_instance_id": "ddm-source"}, "source_instance_id", "source_instance_id "),
    ({"adopt_job_id": "job-1"}, "adopt_job_id", "adopt_job_id must be"),
])
def test_a_failure_names_a_property_the_engine_can_find(offline, props, wire, starts):
    """The engine looks `property` up among the top-level inputs only: a nested path showed
    `{<nil>}`, an object its `{map[...]}` form; those are reported for the resource instead, and
    the reason starts with the dotted path."""
    [failure] = offline.check({}, {**INPUTS, **props}).failures
    assert failure.property == wire and failure.reason.startswith(starts), failure.reason


# item 10 ----------------------------------------------------------------------------------------

def test_an_adopted_job_counts_its_time_from_its_own_start(emulator):
    job = emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=TARGET,
                                            data_nodes=[DATA_NODE], backup_id=BACKUP)
    emulator.backend.advance(29)  # it has run 29 s when `up` comes
    lines: list[str] = []
    client = DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN, sleep=emulator.backend.advance,
                       timeout=httpx.Timeout(2.0), clock=emulator.backend.now)
    restore = Restore(client, MetadataRecoveryInputs.model_validate(INPUTS), say=lines.append,
                      schedule=PollSchedule(max_interval=10, rand=lambda: 0.0), clock=emulator.backend.now,
                      monotonic=emulator.backend.now, sleep=emulator.backend.advance)
    with client:
        assert restore.run().id == job.id
    progress = [line for line in lines if line.startswith(f"job {job.id} ")]
    waited = [int(m.group(1)) for line in progress if (m := re.search(r" after (\d+)s", line))]
    assert waited and waited[0] >= 29, progress  # counted from wait start, it read "after 0s"/"after 5s"
    assert re.search(r"Completed after 2m0\ds", progress[-1]), progress  # the job's whole length: 120 s


# item 11 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("source, extra, known", [
    ({"backup_id": BACKUP}, {}, {"restored_to": None, "restored_to_utc": None}),
    ({"restore_time": 1_716_180_000_000}, {}, {"restored_to": 1_716_180_000_000,
                                                "restored_to_utc": "2024-05-20T04:40:00Z"}),
    ({"restore_time": 1_716_180_000_123}, {}, {"restored_to": 1_716_180_000_123,
                                                "restored_to_utc": "2024-05-20T04:40:00.123Z"}),
    ({"restore_time": 1_716_180_000_000}, {"adopt_job_id": "a" * 32}, {"restored_to": None, "restored_to_utc": None}),
    ({"restore_time": "latest"}, {}, {}),
])
def test_check_tells_the_outputs_the_inputs_know(offline, source, extra, known):
    """The engine takes `check`'s answer as the state at preview (no `create` then)."""
    result = offline.check({}, {**INPUTS, "source": source, **extra})
    assert result.failures == []
    assert {k: result.inputs[k] for k in ("restored_to", "restored_to_utc") if k in result.inputs} == known


def test_refresh_adds_restored_to_utc_to_an_older_state(emulator):
    provider = MetadataRecoveryProvider()
    provider.configure(ConfigureRequest(Config({"ddm:endpoint": emulator.url, "ddm:projectId": DEMO_PROJECT_ID,
                                                "ddm:token": TOKEN}, "ddm-metadata-recovery")))
    when = int(emulator.backend.now() - 3600) * 1000
    job = emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=TARGET,
                                            data_nodes=[DATA_NODE], restore_time_ms=when)
    emulator.backend.advance(121)
    old = {**INPUTS, "source": {"restore_time": when}, "job_id": job.id, "status": "Completed", "restored_to": when}
    outs = provider.read(job.id, old).outs
    from ddm_resources.api_time import format_ms

    assert (outs["restored_to"], outs["restored_to_utc"]) == (when, format_ms(when))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", outs["restored_to_utc"])
