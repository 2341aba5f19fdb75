"""Exactly one restore under faults: the create flow (`Restore`) against the emulator.

The emulator runs on a `ManualClock`, and the flow's sleep advances that clock, so a
300-second job takes milliseconds and no test waits for real.
"""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest
from pydantic import SecretStr

from ddm_emulator import (
    DEMO_DOMAIN_NAME,
    DEMO_PASSWORD,
    DEMO_PROJECT_ID,
    DEMO_PROJECT_NAME,
    DEMO_USER_NAME,
    EmulatorSettings,
    Fault,
    ManualClock,
)
from ddm_resources.auth import PasswordToken
from ddm_resources.client import DdmClient
from ddm_resources.errors import OutcomeUnknownError, RecoveryError
from ddm_resources.input_model import MetadataRecoveryInputs
from ddm_resources.models import RestoreSource, RestoreTarget
from ddm_resources.restore import Restore
from ddm_resources.waiter import PollSchedule
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN, recovery_posts
from tests.restore_targets import add_restore_targets

JOB_SECONDS = 300.0
INPUTS = {"source_instance_id": SOURCE, "source": {"backup_id": BACKUP},
          "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}}


@pytest.fixture
def emulator_clock() -> ManualClock:
    """The emulator runs on a ManualClock; the flow's waits advance the emulator's time."""
    return ManualClock()


@pytest.fixture
def emulator_settings() -> EmulatorSettings:
    """Jobs of 300 emulated seconds."""
    return EmulatorSettings(job_seconds=JOB_SECONDS)


def run(emulator, *, token=TOKEN, lines=None, **inputs):
    """One create flow whose waits move the emulator's clock instead of sleeping."""
    said = lines if lines is not None else []
    client = DdmClient(emulator.url, DEMO_PROJECT_ID, token, sleep=emulator.backend.advance, timeout=httpx.Timeout(2.0),
                       clock=emulator.backend.now)
    restore = Restore(client, MetadataRecoveryInputs.model_validate({**INPUTS, **inputs}), say=said.append,
                        schedule=PollSchedule(max_interval=10, rand=lambda: 0.0), clock=emulator.backend.now,
                        monotonic=emulator.backend.now, sleep=emulator.backend.advance)
    with client:
        return restore.run()


def accepted_posts(emulator) -> int:
    return sum(1 for post in recovery_posts(emulator) if post.status == 202)


def test_plain_run_submits_once_and_completes(emulator):
    lines: list[str] = []
    job = run(emulator, lines=lines)
    assert job.status == "Completed"
    assert [j.id for j in emulator.backend.all_jobs()] == [job.id]
    assert len(recovery_posts(emulator)) == 1
    assert any("Running" in line and "%" in line for line in lines)


def test_throttled_post_is_resent_and_accepted_once(emulator):
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "respond", status=429, times=1))
    job = run(emulator)
    assert job.status == "Completed"
    assert [p.status for p in recovery_posts(emulator)] == [429, 202]
    assert len(emulator.backend.all_jobs()) == 1


def test_throttled_polls_every_third_time_still_complete(emulator):
    fault = emulator.backend.add_fault(Fault("GET", r"/jobs/\w+$", "respond", status=429, every=3))
    assert run(emulator).status == "Completed"
    assert fault.fired >= 3
    assert accepted_posts(emulator) == 1


def test_lost_post_response_adopts_the_job_instead_of_resending(emulator):
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "lose_response", times=1))
    lines: list[str] = []
    job = run(emulator, lines=lines)
    [only] = emulator.backend.all_jobs()
    assert job.id == only.id and job.status == "Completed"
    assert len(recovery_posts(emulator)) == 1
    assert any("looking for its job instead of sending it again" in line for line in lines)


def test_unanswered_post_without_a_job_fails_naming_target_and_adoption(emulator):
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "respond", status=503, times=1))
    with pytest.raises(OutcomeUnknownError) as info:
        run(emulator)
    message = str(info.value)
    assert TARGET in message and "adopt_job_id" in message and "may or may not have started" in message
    assert emulator.backend.all_jobs() == []
    assert len(recovery_posts(emulator)) == 1


def test_failed_job_reports_fail_reason_and_job_id_then_a_rerun_submits_again(emulator):
    emulator.backend.fail_next_job("Metadata restoration failed: data node f4e2 is read-only.")
    with pytest.raises(RecoveryError) as info:
        run(emulator)
    [failed] = emulator.backend.all_jobs()
    assert info.value.job_id == failed.id
    reason = "Metadata restoration failed: data node f4e2 is read-only."
    assert f"DDM job {failed.id} ended Failed: {reason}" in str(info.value)
    job = run(emulator)
    assert job.status == "Completed" and job.id != failed.id
    assert accepted_posts(emulator) == 2


def test_deadline_then_rerun_adopts_the_running_job(emulator):
    with pytest.raises(RecoveryError) as info:
        run(emulator, timeouts={"create": "2m"})
    [job] = emulator.backend.all_jobs()
    assert info.value.job_id == job.id
    assert "may still be running" in str(info.value) and f'adopt_job_id = "{job.id}"' in str(info.value)
    lines: list[str] = []
    assert run(emulator, lines=lines).id == job.id
    assert accepted_posts(emulator) == 1
    assert any(f"found restore job {job.id}" in line for line in lines)


@pytest.mark.parametrize("fault", [
    Fault("GET", r"/jobs/\w+$", "respond", status=503),
    Fault("GET", r"/jobs/\w+$", "respond", status=200, body={"job": {"id": "f" * 32, "status": "Completed"}}),
])
def test_deadline_without_an_answered_poll_names_the_cause_and_the_adoption(emulator, fault):
    """No poll answered usably until the deadline (an outage, or answers about another job): the
    error says so, names the last failure, and says the next `up` adopts the job; it does."""
    emulator.backend.add_fault(fault)
    with pytest.raises(RecoveryError) as info:
        run(emulator, timeouts={"create": "2m"})
    [job] = emulator.backend.all_jobs()
    message = str(info.value)
    assert f"job {job.id} could not be read (no poll was answered) when timeouts.create (2m) ran out" in message
    assert "(the last polls failed: " in message and "/jobs/" in message and "will not adopt" not in message
    assert "The next `pulumi up` adopts it while it runs" in message and info.value.job_id == job.id
    emulator.backend.clear_faults()
    assert run(emulator).id == job.id and accepted_posts(emulator) == 1


def test_deadline_in_a_status_never_adopted_says_what_to_do_instead(emulator):
    class PauseOnFirstLine(list):  # the job turns 'Paused' (unknown to the waiter) once the wait began
        def append(self, line):
            super().append(line)
            for job in emulator.backend.all_jobs():
                emulator.backend.override_job_status(job.id, "Paused")

    with pytest.raises(RecoveryError) as info:
        run(emulator, lines=PauseOnFirstLine(), timeouts={"create": "2m"})
    [job] = emulator.backend.all_jobs()
    message = str(info.value)
    assert "was still 'Paused'" in message and "adopts it while it runs" not in message
    assert "adopts only a running restore, not one in this status" in message and "wait through" not in message
    assert f'adopt_job_id = "{job.id}"' in message


def test_a_target_refused_as_not_empty_says_to_use_a_new_empty_instance(emulator):
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "respond", status=400, times=1, body={
        "error_code": "DBS.300372", "error_msg": "Target instance is not empty."}))
    with pytest.raises(RecoveryError) as info:
        run(emulator)
    message = str(info.value)
    assert "was not started" in message and "DBS.300372" in message
    assert "point target.instance_id at one and run `pulumi up` again" in message
    assert info.value.job_id is None and accepted_posts(emulator) == 0


def test_completed_job_of_the_target_is_named_not_adopted(emulator):
    first = run(emulator)
    with pytest.raises(RecoveryError) as info:
        run(emulator)
    assert info.value.job_id == first.id
    assert f"already holds the metadata restored by job {first.id}" in str(info.value)
    assert f'set adopt_job_id = "{first.id}"' in str(info.value)
    assert accepted_posts(emulator) == 1
    again = run(emulator, adopt_job_id=first.id)
    assert again.id == first.id and again.status == "Completed"
    assert accepted_posts(emulator) == 1


def test_explicit_adopt_job_id_sends_no_post(emulator):
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN) as client:
        job_id = client.restore_metadata(SOURCE, RestoreSource(backup_id=BACKUP),
                                         RestoreTarget(instance_id=TARGET, data_nodes=[DATA_NODE]))
    assert run(emulator, adopt_job_id=job_id).id == job_id
    assert len(recovery_posts(emulator)) == 1


def test_adopt_job_id_of_another_instance_is_refused(emulator):
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN) as client:
        job_id = client.restore_metadata(SOURCE, RestoreSource(backup_id=BACKUP),
                                         RestoreTarget(instance_id=TARGET, data_nodes=[DATA_NODE]))
    other = emulator.backend.add_instance(DEMO_PROJECT_ID).id
    with pytest.raises(RecoveryError, match=f"cannot be the restore onto target {other}: it acts on instance "
                                            f"{TARGET}, neither the target nor the source"):
        run(emulator, adopt_job_id=job_id, target={"instance_id": other, "data_nodes": [DATA_NODE]})


def test_unreadable_job_list_submits_nothing(emulator):
    emulator.backend.add_fault(Fault("GET", r"/jobs$", "respond", status=500))
    with pytest.raises(RecoveryError, match="nothing was submitted"):
        run(emulator)
    assert recovery_posts(emulator) == []


def tokens_issued(emulator):
    return [r for r in emulator.backend.requests(method="POST", path_contains="/auth/tokens") if r.status == 201]


def test_token_shorter_than_the_job_is_renewed_and_the_restore_completes(emulator):
    emulator.backend.configure(token_ttl_seconds=60)
    manager = PasswordToken(auth_url=f"{emulator.url}/v3", username=DEMO_USER_NAME,
                              password=SecretStr(DEMO_PASSWORD), domain_name=DEMO_DOMAIN_NAME,
                              project_name=DEMO_PROJECT_NAME, timeout=httpx.Timeout(2.0), clock=emulator.backend.now)
    assert manager.project_id == DEMO_PROJECT_ID
    assert run(emulator, token=manager).status == "Completed"
    assert len(tokens_issued(emulator)) >= JOB_SECONDS / 60
    assert accepted_posts(emulator) == 1
    assert not [r for r in emulator.backend.requests() if r.status == 401]


def test_token_expired_early_is_renewed_once_on_401(emulator):
    emulator.backend.configure(token_ttl_seconds=60)
    frozen = ManualClock()  # the manager believes its token is fresh; DDM says it expired
    manager = PasswordToken(auth_url=f"{emulator.url}/v3", username=DEMO_USER_NAME,
                              password=SecretStr(DEMO_PASSWORD), domain_name=DEMO_DOMAIN_NAME,
                              project_name=DEMO_PROJECT_NAME, timeout=httpx.Timeout(2.0), clock=frozen)
    assert run(emulator, token=manager).status == "Completed"
    assert [r for r in emulator.backend.requests() if r.status == 401]
    assert accepted_posts(emulator) == 1
    assert len(tokens_issued(emulator)) >= 2


@pytest.mark.parametrize("body", [{"job_id": 12345}, {}, "", "not json", {"job_id": ""}, {"job_id": "a b"}],
                         ids=["number", "empty-object", "empty", "not-json", "empty-id", "blank-in-id"])
def test_202_without_a_usable_job_id_is_resolved_through_the_job_list(emulator, body):
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "replace_response", status=202, body=body, times=1))
    lines: list[str] = []
    job = run(emulator, lines=lines)
    [created] = emulator.backend.all_jobs()
    assert job.id == created.id and job.status == "Completed"
    assert len(recovery_posts(emulator)) == 1, "never resent"
    assert any("looking for its job instead of sending it again" in line for line in lines)


def test_202_without_a_job_id_and_no_job_in_the_list_is_outcome_unknown(emulator):
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "respond", status=202, body={}, times=1))
    with pytest.raises(OutcomeUnknownError) as info:
        run(emulator)
    assert "may or may not have started" in str(info.value) and "was not started" not in str(info.value)
    assert len(recovery_posts(emulator)) == 1


@pytest.mark.parametrize("ahead, adopted", [(3600, False), (4 * 365 * 86400, False), (60, True)])
def test_a_running_job_dated_in_the_future_is_named_not_adopted(emulator, ahead, adopted):
    """The job list shows a running restore of the target whose created_time lies more than 5
    minutes after now (a hostile or confused list, or a wrong clock here): it cannot date this
    resource's run, so it is named, not adopted, and nothing is submitted. A minute ahead is
    clock skew: adopted."""
    created = datetime.fromtimestamp(emulator.backend.now() + ahead, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    phantom = {"id": "e" * 32, "name": "RestoreMetadata", "status": "Running", "created_time": created,
               "end_time": "", "process": "5%", "instance_id": TARGET, "instance_name": "ddm-target"}
    emulator.backend.add_fault(Fault("GET", r"/jobs$", "respond", status=200,
                                     body={"jobs": [phantom], "offset": 0, "limit": 128, "total": 1}))
    lines: list[str] = []
    with pytest.raises(RecoveryError) as info:
        run(emulator, lines=lines, timeouts={"create": "2m"})
    adopting = [line for line in lines if f"found restore job {'e' * 32}" in line and "adopting it" in line]
    assert recovery_posts(emulator) == []
    if adopted:
        assert adopting  # the phantom is then not found by its ID: the wait fails, naming it
        return
    message = str(info.value)
    assert not adopting and f"running restore job {'e' * 32} whose created_time ({created})" in message
    assert "later than now (" in message and "set by the Date of the service's answers" in message
    assert f'adopt_job_id = "{"e" * 32}"' in message


@pytest.mark.parametrize("status", ["Rollbacking", "RollbackSuccess", "Failed", "failed", "Queued"])
def test_a_job_neither_running_nor_completed_is_never_adopted(emulator, status):
    emulator.backend.configure(job_seconds=3600)
    other = emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=TARGET,
                                              data_nodes=[DATA_NODE], backup_id=BACKUP)
    emulator.backend.override_job_status(other.id, status)
    lines: list[str] = []
    with pytest.raises(RecoveryError) as info:
        run(emulator, lines=lines)
    assert not any("adopting it" in line for line in lines)
    assert info.value.job_id != other.id
    assert "preflight" in str(info.value) or "not started" in str(info.value), "the busy target refuses"


def completed_restore_of_another_target(emulator) -> str:
    """A restore onto another new instance, completed 16 emulated minutes before now: its job ID."""
    [other] = add_restore_targets(emulator.backend, 1)
    job = emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=other.instance_id,
                                            data_nodes=[other.data_node], backup_id=BACKUP)
    emulator.backend.advance(JOB_SECONDS + 16 * 60)
    return job.id


def test_a_post_answer_naming_another_instances_job_is_not_taken_as_this_restore(emulator):
    """The answer to this POST names a completed restore of another target (a hostile or
    confused service): that job is never recorded; its own job, found in the job list, is."""
    old = completed_restore_of_another_target(emulator)
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "replace_response", status=202,
                                     body={"job_id": old}, times=1))
    lines: list[str] = []
    job = run(emulator, lines=lines)
    [own] = [j for j in emulator.backend.all_jobs() if j.id != old]
    assert job.id == own.id != old and job.status == "Completed"
    assert len(recovery_posts(emulator)) == 1, "never resent"
    [looking] = [line for line in lines if "looking for its job instead of sending it again" in line]
    assert f"answered with job {old}, but it acts on instance" in looking


def test_a_post_answer_naming_an_older_job_of_the_target_or_source_is_not_taken(emulator):
    """Bound to the source, an older restore of the same source onto another target acts on the
    source, so only its age tells it from this restore: created before the POST, it is not taken."""
    emulator.backend.configure(job_bound_to="source")
    old = completed_restore_of_another_target(emulator)
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "replace_response", status=202,
                                     body={"job_id": old}, times=1))
    lines: list[str] = []
    job = run(emulator, lines=lines)
    assert job.id != old and job.status == "Completed"
    assert len(recovery_posts(emulator)) == 1
    assert any(f"answered with job {old}, but it was created at" in line and "before this restore was requested"
               in line for line in lines)


def test_a_post_answer_naming_a_job_ddm_does_not_know_is_resolved_through_the_job_list(emulator):
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "replace_response", status=202,
                                     body={"job_id": "f" * 32}, times=1))
    lines: list[str] = []
    job = run(emulator, lines=lines)
    [own] = emulator.backend.all_jobs()
    assert job.id == own.id and job.status == "Completed"
    assert len(recovery_posts(emulator)) == 1
    assert any(f"answered with job {'f' * 32}, which DDM did not know for 60 s)" in line for line in lines)


@pytest.mark.parametrize("answer, problem", [
    ({"instance": {"id": "3" * 32 + "in09", "name": "x"}}, "it acts on instance " + "3" * 32 + "in09"),
    ({"created_time": "2099-01-01T00:00:00+0000"}, "it was created at 2099-01-01T00:00:00Z"),
    ({"end_time": "1970-01-01T00:00:00+0000"}, "it ended at 1970-01-01T00:00:00Z, before it was created"),
])
def test_answers_that_cannot_be_this_restores_are_never_taken_while_waiting(emulator, answer, problem):
    """An adopted running restore of the target whose every later answer says `Completed` but
    cannot be this restore (another instance, created in the future, ended before it began):
    the wait rides the answers out like an outage and fails at its deadline, naming why."""
    emulator.backend.configure(job_seconds=3600)
    running = emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=TARGET,
                                                data_nodes=[DATA_NODE], backup_id=BACKUP)
    created = datetime.fromtimestamp(emulator.backend.now(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")
    body = {"job": {"id": running.id, "name": "RestoreMetadata", "status": "Completed", "process": "",
                    "created_time": created, "end_time": created, "instance": {"id": TARGET, "name": "t"},
                    **answer}}
    emulator.backend.add_fault(Fault("GET", f"/jobs/{running.id}$", "respond", status=200, body=body))
    lines: list[str] = []
    with pytest.raises(RecoveryError) as info:
        run(emulator, lines=lines, timeouts={"create": "3m"})
    message = str(info.value)
    assert info.value.job_id == running.id and "could not be read" in message
    assert f"cannot be this restore's: {problem}" in message
    assert recovery_posts(emulator) == []


def test_a_post_answer_naming_the_targets_earlier_failed_job_is_not_taken(emulator):
    """The target's last restore failed a minute ago (it left the target clean); the answer to the
    new POST names that job: within the clock skew of the POST, only the job list read before the
    POST tells it from this restore. The new restore's own job is found and completed."""
    emulator.backend.configure(job_seconds=10)
    emulator.backend.fail_next_job("Metadata restoration failed.")
    with pytest.raises(RecoveryError):
        run(emulator)
    [failed] = emulator.backend.all_jobs()
    emulator.backend.advance(60)
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "replace_response", status=202,
                                     body={"job_id": failed.id}, times=1))
    lines: list[str] = []
    job = run(emulator, lines=lines)
    assert job.id != failed.id and job.status == "Completed"
    assert len(recovery_posts(emulator)) == 2
    refused = f"answered with job {failed.id}, but the job list showed it ended before this restore was requested"
    assert any(refused in line for line in lines)
