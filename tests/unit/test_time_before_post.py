"""Issue 19 item 12: the lookups before the restore POST count against `timeouts.create`; the POST
is never sent with less than the time kept for the job (`restore.kept_for_the_job`) left, and the
error says so; a preview's reads have an overall bound too (`preview.PREVIEW_SECONDS`)."""

from __future__ import annotations

import pytest

from ddm_emulator import EmulatorSettings, Fault, ManualClock
from ddm_resources import client as client_module
from ddm_resources import preview as preview_module
from ddm_resources import restore as restore_module
from ddm_resources.errors import RestoreError
from ddm_resources.restore import KEPT_FOR_THE_JOB, kept_for_the_job
from tests.conftest import recovery_posts
from tests.unit.test_preflight import GOOD, configured
from tests.unit.test_restore import run


@pytest.fixture
def emulator_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator_settings() -> EmulatorSettings:
    return EmulatorSettings(job_seconds=30.0)


def test_the_time_kept_for_the_job():
    assert kept_for_the_job(3600) == KEPT_FOR_THE_JOB == 60
    assert kept_for_the_job(120) == 30 and kept_for_the_job(3) == 0.75


def test_no_post_when_the_lookups_left_too_little_time(emulator, monkeypatch):
    real = restore_module.require_preflight

    def slow_preflight(*args, **kwargs):
        result = real(*args, **kwargs)
        emulator.backend.advance(100.0)  # the lookups took 100 s of a 2-minute timeouts.create
        return result

    monkeypatch.setattr(restore_module, "require_preflight", slow_preflight)
    with pytest.raises(RestoreError) as info:
        run(emulator, timeouts={"create": "2m"})
    message = str(info.value)
    assert "the metadata recovery onto target instance" in message and "was not started: " in message
    assert "timeouts.create 2m, less 30 s kept for the restore job) ran out" in message
    assert recovery_posts(emulator) == []


def test_slow_lookups_stop_when_the_time_before_the_post_runs_out(emulator, monkeypatch):
    real_send = client_module.send
    sent = []

    def slow_send(*args, **kwargs):
        sent.append(args[2])
        emulator.backend.advance(20.0)  # every lookup takes 20 s
        return real_send(*args, **kwargs)

    monkeypatch.setattr(client_module, "send", slow_send)
    with pytest.raises(RestoreError) as info:
        run(emulator, timeouts={"create": "2m"})
    assert "the time for the lookups before the restore (timeouts.create 2m, less 30 s kept for the restore " \
           "job) ran out" in str(info.value)
    assert len(sent) <= 5, "no request is started after 90 s of 120"
    assert recovery_posts(emulator) == []


def test_no_post_when_too_little_time_is_left_after_the_last_lookup(emulator, monkeypatch):
    real = restore_module.Restore._read_jobs_seen_before

    def last_lookup_is_slow(self):
        real(self)
        emulator.backend.advance(100.0)

    monkeypatch.setattr(restore_module.Restore, "_read_jobs_seen_before", last_lookup_is_slow)
    with pytest.raises(RestoreError) as info:
        run(emulator, timeouts={"create": "2m"})
    message = str(info.value)
    assert "was not started: only 20 s of timeouts.create (2m) were left after the lookups before it, less than " \
           "the 30 s kept for the restore job; nothing was submitted" in message
    assert recovery_posts(emulator) == []


def test_a_preview_stops_reading_when_its_bound_passes(emulator, monkeypatch):
    monkeypatch.setattr(preview_module, "PREVIEW_SECONDS", 0.0)
    [failure] = configured(emulator).check({}, GOOD).failures
    assert failure.property == ""
    assert "preflight did not finish in time" in failure.reason and "the preview's lookups" in failure.reason
    assert emulator.backend.requests() == []


def test_the_preflight_check_passed_counts_against_timeouts_create(emulator):
    """`check` of this process ran the preflight (100 s of reads); `create` does not run it again, but
    its time counts: with `timeouts.create = "2m"` too little is left for the POST."""
    from ddm_resources.input_model import MetadataRecoveryInputs

    provider = configured(emulator)
    props = {**GOOD, "timeouts": {"create": "2m"}}
    provider.state.preflight_passed(MetadataRecoveryInputs.model_validate(props).model_dump_json(), took=100.0)
    with pytest.raises(RestoreError) as info:
        provider.create(props)
    message = str(info.value)
    assert "was not started: GET" in message and "less 30 s kept for the restore job) ran out" in message
    assert "the lookups before the restore count against timeouts.create; raise it" in message
    assert recovery_posts(emulator) == []


def test_a_preview_whose_bound_passes_during_the_preflight_fails_closed(emulator, monkeypatch):
    monkeypatch.setattr(preview_module, "PREVIEW_SECONDS", 0.5)
    emulator.backend.add_fault(Fault("GET", "restorable-instances", "delay", delay=0.6))  # a slow first lookup
    [failure] = configured(emulator).check({}, GOOD).failures
    assert failure.property == "" and "preflight did not finish in time" in failure.reason
    assert "restorable-time-interval" not in [r.path.rsplit("/", 1)[-1] for r in emulator.backend.requests()]
