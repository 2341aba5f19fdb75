"""Issue 22 items 1-3 through the provider, in process: verification after `Completed`, drift on
refresh (`target_status`) and the RPO guard (`max_restore_age`), against the emulator's switches."""

from __future__ import annotations

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from ddm_emulator import DEMO_PROJECT_ID, DdmBackend, EmulatorSettings, Fault, wsgi_transport
from ddm_resources.errors import RestoreError
from ddm_resources.provider import MetadataRecoveryProvider
from tests.conftest import BACKUP, DATA_NODE, RECOVERY_PATH, SOURCE, TARGET, TOKEN

URL = "http://ddm.verify.test"
GOOD = {"source_instance_id": SOURCE, "source": {"backup_id": BACKUP},
        "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}, "resource_name": "verify"}


@pytest.fixture
def backend() -> DdmBackend:
    backend = DdmBackend(EmulatorSettings(job_seconds=0.0))
    backend.add_static_token(TOKEN, DEMO_PROJECT_ID)
    return backend


@pytest.fixture
def provider(backend: DdmBackend) -> MetadataRecoveryProvider:
    provider = MetadataRecoveryProvider()
    provider.transport = wsgi_transport(backend)
    provider.configure(ConfigureRequest(Config({"ddm:endpoint": URL, "ddm:projectId": DEMO_PROJECT_ID,
                                                "ddm:token": TOKEN, "ddm:pollInterval": "0.05"},
                                               "ddm-metadata-recovery")))
    return provider


def _reads(backend: DdmBackend, part: str) -> int:
    return len([r for r in backend.requests("GET") if part in r.path])


def test_a_normal_restore_exports_the_sources_schemas_and_a_line(provider, backend):
    backend.add_schema(SOURCE, "customers", created=backend.now() - 60)  # created after the backup
    out = provider.create(GOOD).outs
    assert out["schemas"] == ["orders"]
    assert out["target_status"] == "RUNNING"
    line = out["verification"]
    assert f"target {TARGET} RUNNING; 1 schema RUNNING, their shards on 1 data node of target.data_nodes" in line
    assert f"each of the 1 schema the source lists today as created by backup {BACKUP}" in line
    assert line.endswith("accounts not checked (OTC has no account list API)")


def test_a_dropped_schema_fails_create_naming_the_schema_and_the_job(provider, backend):
    backend.configure(restore_drops_schema="orders")
    with pytest.raises(RestoreError) as raised:
        provider.create(GOOD)
    [job] = backend.all_jobs()
    message = str(raised.value).splitlines()[0]
    assert f"restore job {job.id} completed" in message
    assert "it lacks schema orders" in message
    assert f'adopt_job_id = "{job.id}" and verify = false' in message
    assert raised.value.job_id == job.id
    # as the message says: the next create submits nothing; adopting it with verify off records it
    with pytest.raises(RestoreError, match=f"already holds the metadata restored by job {job.id}"):
        provider.create(GOOD)
    accepted = provider.create({**GOOD, "adopt_job_id": job.id, "verify": False}).outs
    assert accepted["job_id"] == job.id and accepted["schemas"] is None
    assert accepted["verification"] == "not checked: verify is false"
    assert len(backend.requests("POST", path_contains=RECOVERY_PATH)) == 1


@pytest.mark.parametrize("shard_number", ["integer", "string"])
def test_a_misplaced_shard_is_named(provider, backend, shard_number):
    backend.configure(restore_misplaces_shard="orders", shard_number_type=shard_number)
    with pytest.raises(RestoreError, match=r"shard orders_0000 of schema orders sits on data node \S+, which is "
                                           "not one of target.data_nodes"):
        provider.create(GOOD)


def test_a_restore_by_time_compares_the_schemas_created_by_then(provider, backend):
    now_ms = int(backend.now() * 1000)
    backend.add_schema(SOURCE, "later", created=backend.now() - 60)  # after the restore point below
    out = provider.create({**GOOD, "source": {"restore_time": now_ms - 3600_000}}).outs
    assert out["schemas"] == ["orders"]
    assert "1 schema the source lists today as created by" in out["verification"]


def test_verification_reads_a_constant_number_of_pages(provider, backend):
    for index in range(49):
        backend.add_schema(SOURCE, f"s{index:02d}")
    now_ms = int(backend.now() * 1000)
    out = provider.create({**GOOD, "source": {"restore_time": now_ms - 60_000}}).outs
    assert len(out["schemas"]) == 50
    assert _reads(backend, "/databases") == 2  # the target's and the source's list, one page each
    assert _reads(backend, f"/instances/{TARGET}") - _reads(backend, f"/instances/{TARGET}/") == 1


@pytest.mark.parametrize("answer", ["404 DBS.300350", "404 DBS.200002", "200 DELETED"])
def test_refresh_finds_the_target_deleted_and_keeps_the_restore(provider, backend, answer, capsys):
    created = provider.create(GOOD)
    backend.configure(deleted_instance_answer=answer)
    backend.delete_instance(TARGET)
    read = provider.read(created.id, created.outs)
    assert read.id == created.id
    assert read.outs == {**created.outs, "target_status": "DELETED"}
    assert f"warning: target instance {TARGET} is deleted" in capsys.readouterr().out


def test_refresh_finds_a_missing_schema_and_a_status(provider, backend):
    created = provider.create(GOOD)
    backend.drop_schema(TARGET, "orders")
    assert provider.read(created.id, created.outs).outs["target_status"] == "SCHEMAS_MISSING"
    with backend.state():
        backend.instances[TARGET].state = "ERROR"
    assert provider.read(created.id, created.outs).outs["target_status"] == "ERROR"


def test_a_refreshed_deleted_target_forces_no_new_restore(provider, backend):
    created = provider.create(GOOD)
    backend.delete_instance(TARGET)
    refreshed = provider.read(created.id, created.outs).outs
    diff = provider.diff(created.id, refreshed, GOOD)
    assert diff.changes is False and not diff.replaces


def test_max_restore_age_refuses_an_old_backup_at_check(provider, backend):
    backend.advance(0)
    failures = provider.check({}, {**GOOD, "max_restore_age": "1s"}).failures
    [failure] = failures
    assert failure.property == "max_restore_age"
    assert f"backup {BACKUP} of " in failure.reason and "older than max_restore_age 1s" in failure.reason
    assert provider.check({}, {**GOOD, "max_restore_age": "25h"}).failures == []
    assert backend.requests("POST") == []


def test_max_restore_age_judges_a_time_without_a_request(provider, backend):
    now_ms = int(backend.now() * 1000)
    props = {**GOOD, "source": {"restore_time": now_ms - 7200_000}, "max_restore_age": "1h"}
    [failure] = provider.check({}, props).failures
    assert "is 2h00m old, older than max_restore_age 1h (1h00m)" in failure.reason
    assert backend.requests() == []


def test_max_restore_age_and_verify_are_checked_offline():
    from ddm_resources.inputs import check_inputs

    problems = check_inputs({**GOOD, "verify": "yes", "max_restore_age": "soon"}).problems
    assert {p.property for p in problems} == {"verify", "max_restore_age"}


def test_max_restore_age_takes_the_newest_restorable_time_for_latest(provider, backend):
    assert provider.check({}, {**GOOD, "source": {"restore_time": "latest"}, "max_restore_age": "1h"}).failures == []


def test_max_restore_age_fails_closed_when_the_backups_time_cannot_be_told(provider, backend):
    other = "0" * 32 + "br09"
    [failure] = provider.check({}, {**GOOD, "source": {"backup_id": other}, "max_restore_age": "24h"}).failures
    assert failure.property == "max_restore_age"
    assert f"cannot be told (backup {other} is not in the backup list of source {SOURCE})" in failure.reason


def test_a_target_that_cannot_be_read_fails_verification_naming_the_job(provider, backend):
    backend.add_fault(Fault("GET", rf"/v1/{DEMO_PROJECT_ID}/instances/{TARGET}$", "respond", status=400))
    with pytest.raises(RestoreError) as raised:
        provider.create(GOOD)
    [job] = backend.all_jobs()
    assert str(raised.value).startswith(f"verify: restore job {job.id} completed, but target instance {TARGET} "
                                        "could not be verified: its details could not be read")


def test_a_refresh_that_cannot_read_the_target_keeps_target_status(provider, backend, capsys):
    created = provider.create(GOOD)
    backend.add_fault(Fault("GET", rf"/v1/{DEMO_PROJECT_ID}/instances/{TARGET}$", "respond", status=400))
    assert provider.read(created.id, created.outs).outs == created.outs
    assert "refresh could not check target instance" in capsys.readouterr().out


@pytest.mark.parametrize("answer", ["created-by-then", "latest-backup"])
def test_a_restore_by_time_passes_whichever_schemas_it_brings(provider, backend, answer):
    """The docs do not say whether a restore by time brings a schema created after the newest backup
    before that time (the emulator's `time_restore_schemas`): required under neither answer."""
    backend.configure(time_restore_schemas=answer)
    backend.add_schema(SOURCE, "later", created=backend.now() - 60)  # after the seed's 02:00 backup
    now_ms = int(backend.now() * 1000)
    out = provider.create({**GOOD, "source": {"restore_time": now_ms - 30_000}}).outs
    if answer == "created-by-then":
        assert out["schemas"] == ["later", "orders"]
    else:
        assert out["schemas"] == ["orders"]
        assert "lacks later, created after the newest backup before that time (not required" in out["verification"]


def test_a_target_still_restoring_is_read_again_then_named(backend):
    from ddm_resources.client import DdmClient
    from ddm_resources.input_model import MetadataRecoveryInputs
    from ddm_resources.verification import SETTLE_READS, SETTLE_SECONDS, verify_restore

    with backend.state():
        backend.instances[TARGET].state = "RESTORE"
    slept: list[float] = []
    inputs = MetadataRecoveryInputs.model_validate(GOOD)
    with DdmClient(URL, DEMO_PROJECT_ID, TOKEN, transport=wsgi_transport(backend)) as client:
        with pytest.raises(RestoreError, match="the target instance is RESTORE, not RUNNING \\(still restoring\\)"):
            verify_restore(client, inputs, "0" * 32, sleep=slept.append)
    assert slept == [SETTLE_SECONDS] * SETTLE_READS
    assert len(backend.requests("GET", path_contains=f"/instances/{TARGET}")) == SETTLE_READS + 1


@pytest.mark.parametrize("reading", ["index", "page", "page-from-1"])
def test_the_schema_list_is_read_whole_under_each_offset_reading(provider, backend, reading):
    """The schema list echoes no offset/limit (docs/ddm-api.md section 9.1): 300 schemas, 3 pages of 128."""
    backend.configure(offset_reading=reading)
    for index in range(299):
        backend.add_schema(SOURCE, f"s{index:03d}")
    now_ms = int(backend.now() * 1000)
    out = provider.create({**GOOD, "source": {"restore_time": now_ms - 60_000}}).outs
    assert out["schemas"] == sorted(["orders", *(f"s{i:03d}" for i in range(299))])
    assert _reads(backend, f"/instances/{TARGET}/databases") <= 5  # 3 pages, and up to 2 that tell the reading
