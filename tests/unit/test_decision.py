"""`decision.decide` as a table: the ledger, the stack state, `adopt_job_id` and the job list in,
`Adopt | Submit | Refuse` out. Pure: the reads are passed in, nothing is sent."""

from __future__ import annotations

import pytest

from ddm_resources.adoption import TargetJobs
from ddm_resources.decision import Adopt, Refuse, Submit, decide
from ddm_resources.input_model import MetadataRecoveryInputs
from ddm_resources.models import JobItem
from ddm_resources.run_state import RunState
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET

JOB = "0" * 31 + "1"
OTHER_JOB = "0" * 31 + "2"
PROPS = {"source_instance_id": SOURCE, "source": {"backup_id": BACKUP},
         "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}, "resource_name": "a"}


def inputs(**changes) -> MetadataRecoveryInputs:
    return MetadataRecoveryInputs.model_validate({**PROPS, **changes})


def running(name: str = "RestoreMetadata") -> JobItem:
    return JobItem(id=JOB, name=name, status="Running", created_time="2026-12-07T10:00:00Z", instance_id=TARGET)


def no_jobs() -> TargetJobs:
    return TargetJobs(now=0.0, window=86400.0)


def never() -> TargetJobs:
    raise AssertionError("the job list is not read for this decision")


def decided(ledger=None, jobs=no_jobs, preflight=True, **changes):
    return decide(inputs(**changes), ledger=ledger, jobs=jobs, newest_job=lambda: None, preflight=preflight)


def test_nothing_known_submits_after_the_preflight():
    assert decided() == Submit(no_jobs(), preflight=True)
    assert decided(preflight=False) == Submit(no_jobs(), preflight=False)


def test_a_preflight_passed_in_this_process_is_not_run_again():
    ledger = RunState({})
    ledger.preflight_passed(inputs().model_dump_json())
    assert decided(ledger) == Submit(no_jobs(), preflight=False)


def test_a_target_claimed_by_another_resource_of_the_run_is_refused_before_any_read():
    ledger = RunState({})
    assert ledger.claim(TARGET, "b") is None
    decision = decided(ledger, jobs=never)
    assert isinstance(decision, Refuse) and "already restored in this run by resource b" in decision.message


def test_a_restore_the_state_records_on_the_target_is_refused():
    ledger = RunState({})
    ledger.record(TARGET, JOB, "b", PROPS)
    decision = decided(ledger, jobs=never)
    assert isinstance(decision, Refuse) and decision.job_id == JOB
    assert "recorded in this stack by b" in decision.message


def test_this_resources_own_recorded_restore_of_the_same_inputs_is_taken_again():
    ledger = RunState({})
    ledger.record(TARGET, JOB, "a", PROPS)
    assert decided(ledger, jobs=never) == Adopt(JOB, "again: the stack state records it as this resource's restore "
                                                     "of these very inputs (a replacement that did not complete)",
                                                check_job=True)


def test_adopt_job_id_is_adopted_without_reading_the_list():
    decision = decided(jobs=never, adopt_job_id=JOB)
    assert isinstance(decision, Adopt) and decision.job_id == JOB and decision.check_job


def test_a_running_restore_of_the_target_is_adopted():
    decision = decided(jobs=lambda: TargetJobs(now=0.0, window=86400.0, adoptable=running()))
    assert isinstance(decision, Adopt) and decision.job_id == JOB and not decision.check_job


@pytest.mark.parametrize("field", ["completed", "foreign", "too_old", "future"])
def test_what_the_list_refuses_is_refused_naming_the_job(field):
    found = TargetJobs(now=0.0, window=86400.0, **{field: running("BackupMetadata")})
    decision = decided(jobs=lambda: found)
    assert isinstance(decision, Refuse) and decision.job_id == JOB and JOB in decision.message
