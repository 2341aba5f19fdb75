"""Where the DDM docs are silent (issue 13 items 1-3): the create flow is right under every
emulator setting that offers a plausible answer.

* which instance a restore job is bound to (target or source) and its name;
* a refused restore: at once, or a 202 whose job then fails, leaving the target clean or not;
* a second POST while a restore runs, after it completed, after it failed.
"""

from __future__ import annotations

import itertools

import pytest

from ddm_emulator import DEMO_PROJECT_ID, EmulatorSettings, Fault, ManualClock
from ddm_resources.client import DdmClient
from ddm_resources.errors import OutcomeUnknownError, RecoveryError
from ddm_resources.input_model import MetadataRecoveryInputs
from ddm_resources.restore import Restore
from ddm_resources.waiter import PollSchedule
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN, recovery_posts
from tests.unit.test_restore import INPUTS, JOB_SECONDS, accepted_posts, run


def run_without_preflight(emulator):
    """The create flow with `ddm:preflight false`: what DDM itself answers decides."""
    client = DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN, sleep=emulator.backend.advance,
                       clock=emulator.backend.now)
    restore = Restore(client, MetadataRecoveryInputs.model_validate(INPUTS), say=lambda line: None,
                        schedule=PollSchedule(max_interval=10, rand=lambda: 0.0), preflight=False,
                        clock=emulator.backend.now, monotonic=emulator.backend.now, sleep=emulator.backend.advance)
    with client:
        return restore.run()

BINDINGS = ("target", "source")
NAMES = EmulatorSettings.__dataclass_fields__["job_name"].metadata["choices"]


@pytest.fixture
def emulator_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator_settings(request) -> EmulatorSettings:
    return EmulatorSettings(job_seconds=JOB_SECONDS, **getattr(request, "param", {}))


def settings_grid(**choices: tuple) -> list:
    keys = list(choices)
    return [pytest.param(dict(zip(keys, values, strict=True)), id="-".join(map(str, values)))
            for values in itertools.product(*choices.values())]


@pytest.mark.parametrize("emulator_settings", settings_grid(job_bound_to=BINDINGS, job_name=NAMES), indirect=True)
def test_a_lost_answer_finds_its_own_job_under_every_binding_and_name(emulator):
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "lose_response", times=1))
    lines: list[str] = []
    job = run(emulator, lines=lines)
    [created] = emulator.backend.all_jobs()
    assert job.id == created.id and job.status == "Completed"
    assert len(emulator.backend.requests(method="POST", path_contains="metadata-recovery")) == 1
    assert any("the only restore job of the target or source" in line for line in lines)


@pytest.mark.parametrize("emulator_settings", settings_grid(job_bound_to=BINDINGS), indirect=True)
def test_a_job_of_another_target_is_never_taken(emulator):
    target = emulator.backend.instances[TARGET]
    other_target = emulator.backend.add_instance(DEMO_PROJECT_ID, vpc_id=target.vpc_id, vpc_name=target.vpc_name,
                                                 subnet_id=target.subnet_id).id
    node = emulator.backend.data_nodes[DATA_NODE]
    other_node = emulator.backend.add_data_node(DEMO_PROJECT_ID, vpc_id=node.vpc_id, vpc_name=node.vpc_name,
                                                subnet_id=node.subnet_id).id
    other = emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=other_target,
                                              data_nodes=[other_node], backup_id=BACKUP)
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "lose_response", times=1))
    job = run(emulator)  # the other job was listed before the POST: never this POST's job
    assert job.id != other.id and job.status == "Completed"
    assert {j.id for j in emulator.backend.all_jobs()} == {job.id, other.id}


@pytest.mark.parametrize("emulator_settings", settings_grid(job_bound_to=("source",)), indirect=True)
def test_two_new_jobs_on_the_source_are_outcome_unknown_not_a_guess(emulator):
    target = emulator.backend.instances[TARGET]
    other_target = emulator.backend.add_instance(DEMO_PROJECT_ID, vpc_id=target.vpc_id, vpc_name=target.vpc_name,
                                                 subnet_id=target.subnet_id).id
    node = emulator.backend.data_nodes[DATA_NODE]
    other_node = emulator.backend.add_data_node(DEMO_PROJECT_ID, vpc_id=node.vpc_id, vpc_name=node.vpc_name,
                                                subnet_id=node.subnet_id).id
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "lose_response", times=1))
    original = emulator.backend.restore_metadata

    def also_other(*args, **kwargs):  # another stack restores the same source onto another target meanwhile
        job = original(*args, **kwargs)
        original(DEMO_PROJECT_ID, SOURCE, target_instance_id=other_target, data_nodes=[other_node],
                 backup_id=BACKUP)
        return job

    emulator.backend.restore_metadata = also_other
    with pytest.raises(OutcomeUnknownError, match="2 restore jobs of the target or source"):
        run(emulator)


@pytest.mark.parametrize("emulator_settings", settings_grid(job_bound_to=BINDINGS, job_name=NAMES), indirect=True)
def test_adopt_job_id_takes_its_job_under_every_binding(emulator):
    job = emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=TARGET,
                                            data_nodes=[DATA_NODE], backup_id=BACKUP)
    assert run(emulator, adopt_job_id=job.id).id == job.id
    assert accepted_posts(emulator) == 0


@pytest.mark.parametrize("emulator_settings", settings_grid(
    restore_refusal=("job_fails",), failed_restore_leaves_target=("clean", "dirty"), job_bound_to=BINDINGS),
    indirect=True)
def test_a_restore_refused_later_then_a_retry_says_why(emulator):
    emulator.backend.instances[TARGET].accounts = ["app_user"]  # a target DDM will refuse
    with pytest.raises(RecoveryError) as first:
        run_without_preflight(emulator)
    [failed] = emulator.backend.all_jobs()
    assert f"DDM job {failed.id} ended Failed" in str(first.value)
    emulator.backend.instances[TARGET].accounts = []  # the user fixed the account, not the rest
    clean = emulator.backend.settings.failed_restore_leaves_target == "clean"
    if clean:
        assert run_without_preflight(emulator).status == "Completed"
        return
    with pytest.raises(RecoveryError) as second:
        run_without_preflight(emulator)
    message = str(second.value)
    assert "new, empty DDM instance" in message or "empty the target" in message
    if emulator.backend.settings.job_bound_to == "target":
        assert failed.id in message, "names the earlier failed restore of the target"
    assert f"DDM job {failed.id} ended Failed" in str(first.value) and "new, empty DDM instance" in str(first.value)


REPOSTS = EmulatorSettings.__dataclass_fields__["repost_while_running"].metadata["choices"]
AFTER_COMPLETED = EmulatorSettings.__dataclass_fields__["repost_after_completed"].metadata["choices"]


@pytest.mark.parametrize("emulator_settings", settings_grid(job_bound_to=BINDINGS, repost_while_running=REPOSTS),
                         indirect=True)
def test_a_create_while_the_restore_runs_has_one_outcome_per_answer(emulator):
    running = emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=TARGET,
                                                data_nodes=[DATA_NODE], backup_id=BACKUP)  # an interrupted run's
    settings = emulator.backend.settings
    try:
        job = run_without_preflight(emulator)
    except RecoveryError as exc:
        assert settings.job_bound_to == "source" and settings.repost_while_running != "202 same job"
        assert "adopt_job_id" in str(exc) and running.id in str(exc), "names the running job and the fix"
    else:
        assert job.id == running.id, "the running restore is this resource's: adopted, not doubled"
        assert settings.job_bound_to == "target" or settings.repost_while_running == "202 same job"
    assert len(emulator.backend.all_jobs()) == 1
    if settings.job_bound_to == "target":
        assert accepted_posts(emulator) == 0 and not recovery_posts(emulator), "adopted before any POST"


@pytest.mark.parametrize("emulator_settings", indirect=True,
                         argvalues=settings_grid(job_bound_to=BINDINGS, repost_after_completed=AFTER_COMPLETED))
def test_a_create_after_the_restore_completed_never_claims_it_silently(emulator):
    done = emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=TARGET,
                                             data_nodes=[DATA_NODE], backup_id=BACKUP)
    emulator.backend.advance(JOB_SECONDS + 1)
    with pytest.raises(RecoveryError) as info:
        run_without_preflight(emulator)
    message = str(info.value)
    assert done.id in message and "adopt_job_id" in message
    if emulator.backend.settings.job_bound_to == "target":
        assert not recovery_posts(emulator), "refused before any POST"
