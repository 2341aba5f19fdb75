"""`restore_time = "latest"` and `get_restore_window` (issue 10 items 11 and 12)."""

from __future__ import annotations

import pulumi
import pytest

from ddm_emulator import DEMO_PROJECT_ID, EmulatorSettings, ManualClock
from ddm_resources import get_restore_window
from ddm_resources.client import DdmClient
from ddm_resources.inputs import check_inputs
from ddm_resources.restore_window import read_restore_window
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN, recovery_posts
from tests.unit.test_recovery import INPUTS, run


@pytest.fixture
def emulator_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator_settings() -> EmulatorSettings:
    return EmulatorSettings(job_seconds=300.0)


def window(emulator):
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN, clock=emulator.backend.now) as client:
        return read_restore_window(client, SOURCE)


def test_the_window_lists_intervals_and_backups(emulator):
    found = window(emulator)
    assert found.intervals and all(i.start_ms <= i.end_ms for i in found.intervals)
    assert found.latest_ms == max(i.end_ms for i in found.intervals)
    assert found.latest_ms <= emulator.backend.now() * 1000 + 1000
    assert BACKUP in [b.id for b in found.backups]


@pytest.mark.parametrize("written", ["latest", "LATEST", " Latest "])
def test_latest_is_a_stable_input(written):
    checked = check_inputs({**INPUTS, "source": {"restore_time": written}})
    assert checked.problems == [] and checked.props["source"] == {"restore_time": "latest"}
    assert checked.inputs is not None and checked.inputs.latest
    assert checked.inputs.to_props()["source"] == {"restore_time": "latest"}


def test_latest_is_resolved_at_create_and_recorded_as_restored_to(emulator):
    expected = window(emulator).latest_ms
    lines: list[str] = []
    job = run(emulator, lines=lines, source={"restore_time": "latest"})
    [post] = recovery_posts(emulator)
    assert post.body["source"] == {"restore_time": expected}
    assert job.status == "Completed"
    assert any('restore_time "latest" is ' + str(expected) in line for line in lines)


def test_get_restore_window_reads_the_stack_config(emulator, monkeypatch):
    for name in ("OS_TOKEN", "OS_AUTH_TOKEN", "OS_PROJECT_ID", "DDM_ENDPOINT", "OS_CLOUD", "OS_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    before = pulumi.runtime.config.CONFIG.set({"ddm:endpoint": emulator.url, "ddm:projectId": DEMO_PROJECT_ID,
                                                 "ddm:token": TOKEN})  # a stack's config, as a program sees it
    try:
        found = get_restore_window(SOURCE)
    finally:
        pulumi.runtime.config.CONFIG.reset(before)
    assert found.source_instance_id == SOURCE and found.latest_ms == window(emulator).latest_ms
    assert DATA_NODE and TARGET  # the seed's other ids are not involved
