"""`restore_time = "latest"` and `get_restore_window` (issue 10 items 11 and 12)."""

from __future__ import annotations

from datetime import datetime, timezone

import pulumi
import pytest

from ddm_emulator import DEMO_PROJECT_ID, EmulatorSettings, Fault, ManualClock
from ddm_resources import get_restore_window
from ddm_resources.client import DdmClient
from ddm_resources.errors import RecoveryError
from ddm_resources.inputs import check_inputs
from ddm_resources.restore_window import RestorableInterval, read_restore_window, untrusted_ranges
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN, recovery_posts
from tests.unit.test_restore import INPUTS, run


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


# A range the service lists with a time this tool cannot read (untrusted input) -----------------

GARBAGE = "sometime-7f3a-GARBAGE"
"""An unreadable time as the service might send it: it must never reach a message."""


def utc(ms: int) -> str:
    """`ms` as the service writes times (section 2.3)."""
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def answer_ranges(emulator, *ranges: tuple[str, str]) -> None:
    """restorable-time-interval answers with exactly `ranges` (start, end) from now on."""
    items = [{"start_time": start, "end_time": end} for start, end in ranges]
    emulator.backend.add_fault(Fault("GET", r"/restorable-time-interval$", "respond", status=200,
                                     body={"restorable_time_intervals": items, "offset": 0, "limit": 100,
                                           "total": len(items)}))


@pytest.mark.parametrize("later", [
    (GARBAGE, +60_000),  # the start cannot be read
    ("", +60_000),  # no start at all
    ("newer", +60_000),  # read, but after its end: the range is inverted
    ("older", None),  # the end cannot be read: it may lie anywhere
    ("older", "9999"),  # an end no restore can reach yet: the year 9999
    ("older", "+6m"),  # an end more than 5 minutes ahead of this machine's clock
])
def test_latest_is_refused_when_an_unreadable_range_may_hold_the_newest_time(emulator, later):
    """A range whose start cannot be read is untrusted: its end is neither taken as "latest" (a time
    the service may not restore to) nor dropped in favour of an older readable range (a silent
    restore to an older time than the data nodes). The create stops before any POST with one line
    that says what to do, without the service's text; `RestoreWindow.latest_ms` agrees (None)."""
    [real] = window(emulator).intervals
    start, shift = later
    end_ms = {None: None, "9999": 253402300799000, "+6m": int(emulator.backend.now()) * 1000 + 360_000}.get(
        shift, real.end_ms // 1000 * 1000 + (shift if isinstance(shift, int) else 0))
    end = GARBAGE if end_ms is None else utc(end_ms)
    start = {"newer": utc(real.end_ms + 120_000), "older": utc(real.start_ms - 60_000)}.get(start, start)
    answer_ranges(emulator, (utc(real.start_ms), utc(real.end_ms)), (start, end))
    found = window(emulator)
    assert found.intervals == (RestorableInterval(real.start_ms // 1000 * 1000, real.end_ms // 1000 * 1000),)
    assert found.unreadable_ends == (end_ms,)
    assert found.latest_ms is None
    with pytest.raises(RecoveryError) as info:
        run(emulator, source={"restore_time": "latest"})
    message = str(info.value)
    assert 'restore_time "latest" cannot be resolved for source instance ' + SOURCE in message
    assert "1 of its 2 restorable time ranges" in message and "use a backup_id" in message
    assert GARBAGE not in message and recovery_posts(emulator) == []


def test_an_unreadable_range_that_ends_before_the_newest_does_not_stop_latest(emulator):
    """An unreadable range that ends before the newest readable one cannot hold a newer time:
    "latest" is the readable range's end, and the window reports the range as unreadable."""
    [real] = window(emulator).intervals
    answer_ranges(emulator, (GARBAGE, utc(real.start_ms - 60_000)), (utc(real.start_ms), utc(real.end_ms)))
    found = window(emulator)
    newest = real.end_ms // 1000 * 1000
    assert found.latest_ms == newest and found.unreadable_ends == (real.start_ms // 1000 * 1000 - 60_000,)
    job = run(emulator, source={"restore_time": "latest"})
    [post] = recovery_posts(emulator)
    assert post.body["source"] == {"restore_time": newest} and job.status == "Completed"


@pytest.mark.parametrize("untrusted, total, verb", [(1, 2, "has"), (2, 3, "have"), (3, 3, "have")])
def test_the_untrusted_ranges_sentence_agrees_in_number(untrusted, total, verb):
    assert untrusted_ranges(untrusted, total).startswith(
        f"{untrusted} of its {total} restorable time ranges (restorable-time-interval) {verb} a time this tool ")
