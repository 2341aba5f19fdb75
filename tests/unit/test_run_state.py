"""One provider state per process: made by `configure`, shared by concurrent calls, and its
ledger of targets (one restore per target within a run, nothing re-adopted on replace)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from ddm_emulator import DEMO_PROJECT_ID, Fault
from ddm_resources.errors import RecoveryError
from ddm_resources.provider import MetadataRecoveryProvider
from ddm_resources.run_state import RunState
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN, recovery_posts

GOOD = {"source_instance_id": SOURCE, "source": {"backup_id": BACKUP},
        "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}}


@pytest.fixture
def provider(emulator, monkeypatch) -> MetadataRecoveryProvider:
    for name in ("OS_TOKEN", "OS_AUTH_TOKEN", "OS_PROJECT_ID", "DDM_ENDPOINT", "DDM_PREFLIGHT"):
        monkeypatch.delenv(name, raising=False)
    return configured(emulator)


def test_a_provider_that_was_not_configured_says_so():
    with pytest.raises(RuntimeError, match="before Pulumi called configure"):
        MetadataRecoveryProvider().diff("j", GOOD, GOOD)


def test_the_pickled_provider_carries_no_state(provider):
    assert "_state" in vars(provider)
    assert vars(MetadataRecoveryProvider()) == {}, "the program side pickles a bare instance"


@pytest.mark.parametrize("threads", [2, 8, 64])
def test_exactly_one_of_many_racing_claims_takes_a_target(threads):
    state = RunState({})
    start = threading.Barrier(threads)

    def claim(i: int):
        start.wait()
        return state.claim(TARGET, f"r{i}")

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(claim, range(threads)))
    winners = [i for i, other in enumerate(results) if other is None]
    assert len(winners) == 1
    assert {other.resource for other in results if other is not None} == {f"r{winners[0]}"}


@pytest.mark.parametrize("creates", [2, 5])
def test_racing_creates_onto_one_target_send_one_post(provider, emulator, creates):
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "delay", delay=0.5))
    start = threading.Barrier(creates)

    def create(i: int):
        start.wait()
        try:
            return provider.create({**GOOD, "resource_name": f"r{i}"})
        except RecoveryError as exc:
            return exc

    with ThreadPoolExecutor(creates) as pool:
        results = list(pool.map(create, range(creates)))
    assert len(recovery_posts(emulator)) == 1
    done = [r for r in results if not isinstance(r, RecoveryError)]
    refused = [r for r in results if isinstance(r, RecoveryError)]
    assert len(done) == 1 and len(refused) == creates - 1
    winner = f"r{results.index(done[0])}"
    for error in refused:
        assert str(error).split(":")[0] != winner
        assert f"target instance {TARGET} is already restored in this run by resource {winner}" in str(error)
        assert "One restore per target" in str(error)


def configured(emulator) -> MetadataRecoveryProvider:
    provider = MetadataRecoveryProvider()
    provider.configure(ConfigureRequest(Config({
        "ddm:endpoint": emulator.url, "ddm:projectId": DEMO_PROJECT_ID, "ddm:token": TOKEN,
        "ddm:pollInterval": "0.2"}, "ddm-metadata-recovery")))
    return provider


@pytest.mark.parametrize("source", [GOOD["source"], {"backup_id": "0" * 32 + "br09"}], ids=["unchanged", "changed"])
def test_replace_onto_the_recorded_target_fails_before_any_request(provider, emulator, source):
    first = provider.create({**GOOD, "resource_name": "a"})
    olds = {**GOOD, "resource_name": "a", **first.outs}
    news = {**GOOD, "source": source, "resource_name": "a"}
    second_run = configured(emulator)  # `pulumi up --replace` (or a changed source): a new provider process
    second_run.diff(first.id, olds, news)
    before = len(emulator.backend.requests())
    with pytest.raises(RecoveryError) as info:
        second_run.create(news)
    message = str(info.value)
    assert message.startswith(f"a: target instance {TARGET} already holds the metadata restored by job {first.id}")
    assert "a new restore needs a new, empty target" in message
    assert len(emulator.backend.requests()) == before, "refused before any request"
    assert len(recovery_posts(emulator)) == 1


def test_a_new_run_adopts_a_running_restore_and_says_why(provider, emulator, capsys):
    emulator.backend.configure(job_seconds=2)
    running = emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=TARGET,
                                                data_nodes=[DATA_NODE], backup_id=BACKUP)  # an interrupted run's
    result = provider.create({**GOOD, "resource_name": "a"})
    assert result.id == running.id and recovery_posts(emulator) == []
    line = next(line for line in capsys.readouterr().out.splitlines() if "adopting it" in line)
    assert line.startswith(f"ddm-resources: a: found restore job {running.id} on target {TARGET}: Running")
    assert "created within ddm:adoptWindow (24h)" in line


def test_the_provider_keeps_latest_in_its_inputs_and_reports_restored_to(emulator, monkeypatch):
    for name in ("OS_TOKEN", "OS_AUTH_TOKEN", "OS_PROJECT_ID", "DDM_ENDPOINT", "DDM_PREFLIGHT"):
        monkeypatch.delenv(name, raising=False)
    provider = configured(emulator)
    checked = provider.check({}, {**GOOD, "source": {"restore_time": "latest"}})
    assert checked.failures == [] and checked.inputs["source"] == {"restore_time": "latest"}
    result = provider.create({k: v for k, v in checked.inputs.items() if k != "__provider"})
    [post] = recovery_posts(emulator)
    assert result.outs["source"] == {"restore_time": "latest"}
    assert result.outs["restored_to"] == post.body["source"]["restore_time"]
    latest = {**GOOD, "source": {"restore_time": "latest"}}
    assert provider.diff(result.id, result.outs, latest).changes is False, "latest never replaces"
