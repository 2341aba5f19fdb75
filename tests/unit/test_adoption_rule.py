"""Issue 19 item 1: a running job of the target is adopted only when its name is a restore-job name
(`job_status.RESTORE_JOB_NAMES`, any letter case); any other running job refuses the create and
the preview, naming the job, its name and `adopt_job_id`, and nothing is submitted."""

from __future__ import annotations

import pytest

from ddm_emulator import DEMO_PROJECT_ID, EmulatorSettings, ManualClock
from ddm_resources.errors import RestoreError
from ddm_resources.job_status import is_restore_job_name
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, failure_field, recovery_posts
from tests.unit.test_preflight import GOOD, configured
from tests.unit.test_restore import run

OTHER_NAMES = ["BackupMetadata", "ExportMetadataToOBS", "DeleteRestoredData", "", "restoreMetadataX", "metadata"]
RESTORE_NAMES = ["RestoreMetadata", "restoreMetadata", "RESTOREINSTANCE", "loadMetadata"]


@pytest.fixture
def emulator_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator_settings() -> EmulatorSettings:
    return EmulatorSettings(job_seconds=300.0)


def running_job(emulator, name: str):
    job = emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=TARGET,
                                            data_nodes=[DATA_NODE], backup_id=BACKUP)
    job.name = name
    return job


@pytest.mark.parametrize("name", RESTORE_NAMES + OTHER_NAMES)
def test_restore_job_names_compare_exactly_in_any_case(name):
    assert is_restore_job_name(name) == (name in RESTORE_NAMES)


@pytest.mark.parametrize("name", OTHER_NAMES)
def test_a_running_job_of_another_name_is_refused_not_adopted(emulator, name):
    job = running_job(emulator, name)
    with pytest.raises(RestoreError) as info:
        run(emulator)
    message = str(info.value)
    assert f"running job {job.id} {f'named {name!r}' if name else 'without a name'}" in message
    assert f'set adopt_job_id = "{job.id}"' in message and "nothing was submitted" in message
    assert info.value.job_id == job.id
    assert recovery_posts(emulator) == [], "the running job is not this resource's: no POST, no adoption"


@pytest.mark.parametrize("name", OTHER_NAMES[:2])
def test_the_preview_refuses_it_too(emulator, name):
    job = running_job(emulator, name)
    emulator.backend.advance(2.0)  # the job list ends at the service's now, in whole seconds
    provider = configured(emulator)
    provider.clock = emulator.backend.now  # the emulator's manual clock
    [failure] = provider.check({}, GOOD).failures
    assert failure_field(failure) == "target.instance_id"
    assert f"running job {job.id} named {name!r}" in failure.reason


@pytest.mark.parametrize("name", RESTORE_NAMES)
def test_a_running_restore_job_is_adopted_under_every_restore_name(emulator, name):
    job = running_job(emulator, name)
    lines: list[str] = []
    done = run(emulator, lines=lines)
    assert done.id == job.id and done.status == "Completed"
    assert recovery_posts(emulator) == []
    assert any(f"found restore job {job.id}" in line for line in lines)


def test_adopt_job_id_still_takes_a_job_of_another_name(emulator):
    job = running_job(emulator, "BackupMetadata")
    assert run(emulator, adopt_job_id=job.id).id == job.id
    assert recovery_posts(emulator) == []
