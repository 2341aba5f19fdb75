"""Issue 19 item 2: after an unclear answer to the restore POST, only this POST's job may be taken.

The jobs seen before are read right before the POST (not before the preflight); a candidate must
have been created no earlier than the POST less the clock skew; and a job that another resource
of the run holds is never taken again (one job, one resource). Restore jobs are bound to the
source here (`job_bound_to="source"`), so a restore of the same source onto another target
cannot be told from this one by the instance it names."""

from __future__ import annotations

import httpx
import pytest

from ddm_emulator import DEMO_PROJECT_ID, EmulatorSettings, Fault, ManualClock
from ddm_resources import restore as restore_module
from ddm_resources.client import DdmClient
from ddm_resources.errors import OutcomeUnknownError, RestoreError
from ddm_resources.input_model import MetadataRecoveryInputs
from ddm_resources.restore import Restore
from ddm_resources.run_state import RunState
from ddm_resources.waiter import PollSchedule
from tests.conftest import BACKUP, SOURCE, TOKEN, recovery_posts
from tests.restore_targets import add_restore_targets
from tests.unit.test_restore import INPUTS


@pytest.fixture
def emulator_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator_settings() -> EmulatorSettings:
    return EmulatorSettings(job_seconds=300.0, job_bound_to="source")


def run(emulator, *, ledger=None, preflight=True, **inputs):
    client = DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN, sleep=emulator.backend.advance,
                       timeout=httpx.Timeout(2.0), clock=emulator.backend.now)
    restore = Restore(client, MetadataRecoveryInputs.model_validate({**INPUTS, **inputs}), say=lambda line: None,
                      schedule=PollSchedule(max_interval=10, rand=lambda: 0.0), clock=emulator.backend.now,
                      monotonic=emulator.backend.now, sleep=emulator.backend.advance, ledger=ledger,
                      preflight=preflight)
    with client:
        return restore.run()


def another_restore_of_the_source(emulator):
    [other] = add_restore_targets(emulator.backend, 1)
    return emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=other.instance_id,
                                             data_nodes=[other.data_node], backup_id=BACKUP)


@pytest.mark.parametrize("answer", [Fault("POST", "metadata-recovery", "respond", status=503, times=1),
                                    Fault("POST", "metadata-recovery", "respond", status=409, times=1,
                                          body={"error_code": "DBS.212033", "error_msg": "busy"})],
                         ids=["503", "409-DBS.212033"])
def test_a_restore_started_during_the_preflight_is_never_taken(emulator, monkeypatch, answer):
    real = restore_module.require_preflight
    started = []

    def preflight_while_another_restore_starts(*args, **kwargs):
        started.append(another_restore_of_the_source(emulator))
        emulator.backend.advance(5.0)
        return real(*args, **kwargs)

    monkeypatch.setattr(restore_module, "require_preflight", preflight_while_another_restore_starts)
    emulator.backend.add_fault(answer)
    with pytest.raises(OutcomeUnknownError) as info:
        run(emulator)
    assert started and started[0].id != getattr(info.value, "job_id", None)
    assert "may or may not have started" in str(info.value)
    assert len(recovery_posts(emulator)) == 1


def test_a_restore_started_while_latest_resolves_is_never_taken_without_a_preflight(emulator, monkeypatch):
    real = Restore._resolve_latest
    started = []

    def resolve_while_another_restore_starts(self):
        started.append(another_restore_of_the_source(emulator))
        emulator.backend.advance(5.0)
        real(self)

    monkeypatch.setattr(Restore, "_resolve_latest", resolve_while_another_restore_starts)
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "respond", status=503, times=1))
    with pytest.raises(OutcomeUnknownError):
        run(emulator, preflight=False, source={"restore_time": "latest"})
    assert started


def test_a_job_created_before_the_post_is_never_this_posts_job(emulator, monkeypatch):
    """A source-bound job the list before the POST did not show (it showed up late), created ten
    minutes before the POST, in a job list that also answers with jobs older than `start_time`
    asks: older than the POST less the clock skew, so it is not taken."""
    real_post, real_list = DdmClient.restore_metadata, DdmClient.list_jobs
    monkeypatch.setattr(DdmClient, "list_jobs", lambda self, start_ms, end_ms=None: real_list(
        self, start_ms - 3600_000, end_ms))

    def post_answered_503_after_a_late_job_appears(self, *args, **kwargs):
        job = another_restore_of_the_source(emulator)
        job.created = emulator.backend.now() - 600
        return real_post(self, *args, **kwargs)

    monkeypatch.setattr(DdmClient, "restore_metadata", post_answered_503_after_a_late_job_appears)
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "respond", status=503, times=1))
    with pytest.raises(OutcomeUnknownError):
        run(emulator)


def test_a_job_another_resource_of_the_run_holds_is_never_taken_again(emulator, monkeypatch):
    ledger = RunState({})
    [other] = add_restore_targets(emulator.backend, 1)
    real_post = DdmClient.restore_metadata

    def post_answered_503_while_another_resource_posts(self, *args, **kwargs):
        job = emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=other.instance_id,
                                                data_nodes=[other.data_node], backup_id=BACKUP)
        assert ledger.claim(other.instance_id, "other-resource") is None
        assert ledger.claimed_job(other.instance_id, job.id) is None
        return real_post(self, *args, **kwargs)

    monkeypatch.setattr(DdmClient, "restore_metadata", post_answered_503_while_another_resource_posts)
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "respond", status=503, times=1))
    with pytest.raises(OutcomeUnknownError):
        run(emulator, ledger=ledger)


def test_the_ledger_gives_one_job_to_one_resource():
    ledger = RunState({})
    assert ledger.claim("t1", "a") is None and ledger.claim("t2", "b") is None
    assert ledger.claimed_job("t1", "j") is None
    assert ledger.claimed_job("t2", "j") == "a"
    assert ledger.job_holder("j", "t2") == "a" and ledger.job_holder("j", "t1") is None


def test_taking_a_job_another_resource_holds_fails_naming_it(emulator):
    ledger = RunState({})
    job = another_restore_of_the_source(emulator)
    assert ledger.claim("f" * 32 + "in09", "other-resource") is None
    ledger.claimed_job("f" * 32 + "in09", job.id)
    with pytest.raises(RestoreError) as info:
        run(emulator, ledger=ledger, adopt_job_id=job.id)
    assert f"job {job.id} is the restore of resource other-resource" in str(info.value)
