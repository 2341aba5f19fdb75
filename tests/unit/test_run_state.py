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
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN, failure_field, recovery_posts
from tests.restore_targets import add_restore_targets

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


def test_replace_onto_the_recorded_target_fails_before_any_request(provider, emulator):
    first = provider.create({**GOOD, "resource_name": "a"})
    olds = {**GOOD, "resource_name": "a", **first.outs}
    news = {**GOOD, "source": {"backup_id": "0" * 32 + "br09"}, "resource_name": "a"}
    second_run = configured(emulator)  # a changed source: a new provider process
    second_run.diff(first.id, olds, news)
    before = len(emulator.backend.requests())
    with pytest.raises(RecoveryError) as info:
        second_run.create(news)
    message = str(info.value)
    assert message.startswith(f"a: target instance {TARGET} already holds the metadata restored by job {first.id}")
    assert "a new restore needs a new, empty target" in message
    assert len(emulator.backend.requests()) == before, "refused before any request"
    assert len(recovery_posts(emulator)) == 1


def test_a_replacement_of_the_same_inputs_takes_its_recorded_job_again(provider, emulator, capsys):
    """Issue 19 item 3: a `delete_before_replace` replacement whose create failed stays pending
    replacement; with the inputs set back, the engine diffs (no change) and creates again: the job
    the state records for these very inputs is this resource's restore, taken again, no POST."""
    first = provider.create({**GOOD, "resource_name": "a"})
    olds = {**GOOD, "resource_name": "a", **first.outs}
    news = {**GOOD, "resource_name": "a"}
    second_run = configured(emulator)
    second_run.check(olds, news)
    assert second_run.diff(first.id, olds, news).changes is False
    again = second_run.create(news)
    assert again.id == first.id and again.outs["job_id"] == first.id and again.outs["status"] == "Completed"
    assert len(recovery_posts(emulator)) == 1
    assert (f"adopting job {first.id} (Completed) again: the stack state records it as this resource's restore "
            "of these very inputs") in capsys.readouterr().out


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


T1, T2 = 1_764_460_800_000, 1_764_457_200_000  # 2025-11-30T00:00:00Z and an hour earlier
LATEST_OUTS = {**GOOD, "source": {"restore_time": "latest"}, "resource_name": "a", "job_id": "j" * 32,
               "restored_to": float(T1)}  # as the engine hands back a JSON number


@pytest.mark.parametrize("news, refused", [
    ({"source": {"restore_time": T2}}, ["source.restore_time"]),
    ({"source": {"restore_time": "2025-11-29T23:00:00Z"}}, ["source.restore_time"]),
    ({"source": {"backup_id": BACKUP}}, ["source.backup_id", "source.restore_time"]),
    ({"source_instance_id": "0" * 32 + "in09"}, ["source_instance_id"]),
    ({"target": {"instance_id": TARGET, "data_nodes": ["1" * 32 + "in01"]}}, ["target.data_nodes"]),
    ({"source": {"restore_time": T1}}, []),  # "latest" as it resolved: the same restore
    ({"source": {"restore_time": "2025-11-30T00:00:00Z"}}, []),
    ({}, []),
], ids=["time", "iso-time", "backup", "source-instance", "data-nodes", "resolved-time", "resolved-iso", "same"])
def test_the_ledger_keeps_what_the_recorded_job_restored(news, refused):
    state = RunState({})
    state.record(TARGET, None, "a", {k: v for k, v in LATEST_OUTS.items() if k not in ("job_id", "restored_to")})
    state.record(TARGET, "j" * 32, "a", LATEST_OUTS)  # `diff` after `check`
    recorded = state.recorded(TARGET)
    assert recorded is not None and recorded.job_id == "j" * 32 and recorded.restored_to == T1
    props = {**LATEST_OUTS, **news, "adopt_job_id": "j" * 32}
    assert recorded.changed(props) == refused
    refusal = recorded.adoption_refusal("a", props)
    if not refused:
        assert refusal is None
        return
    assert refusal is not None and refusal.startswith(f"a: adopt_job_id {'j' * 32} is the restore that the stack state "
                                                      "records for a's old inputs (source_instance_id ")
    assert 'restore_time "latest" (resolved to 2025-11-30T00:00:00Z)' in refusal
    assert "point target.instance_id at a new, empty DDM instance" in refusal and "\n" not in refusal
    assert recorded.adoption_refusal("b", props) is None, "another resource: the generic refusal names it"
    assert recorded.adoption_refusal("a", {**props, "adopt_job_id": "k" * 32}) is None, "another job"


def test_a_restore_time_of_unknown_value_is_not_judged():
    state = RunState({})
    state.record(TARGET, "j" * 32, "a", LATEST_OUTS)
    from pulumi.runtime.rpc import UNKNOWN
    recorded = state.recorded(TARGET)
    assert recorded is not None
    assert recorded.changed({**LATEST_OUTS, "source": {"restore_time": UNKNOWN}}) is None


@pytest.fixture
def latest_restore(provider, emulator):
    """`a` restored "latest" onto TARGET in one run: `(create result, its inputs)`."""
    inputs = {**GOOD, "source": {"restore_time": "latest"}, "resource_name": "a"}
    checked = provider.check({}, inputs)
    assert checked.failures == []
    return provider.create(inputs), inputs


def test_adopting_the_recorded_job_after_a_source_change_is_refused_at_preview_and_create(latest_restore, emulator):
    first, olds = latest_restore
    outs = {**olds, **first.outs}
    changed = {**olds, "source": {"restore_time": first.outs["restored_to"] - 120_000}, "adopt_job_id": first.id}
    before = len(emulator.backend.requests())
    preview = configured(emulator)  # the preview's provider process
    assert preview.check(olds, changed).failures == []
    with pytest.raises(RecoveryError) as at_preview:
        preview.diff(first.id, outs, changed)
    up = configured(emulator)  # `pulumi up --skip-preview`: should the diff pass, the create refuses
    up.check(olds, changed)
    with pytest.raises(RecoveryError):
        up.diff(first.id, outs, changed)
    with pytest.raises(RecoveryError) as at_create:
        up.create(changed)
    assert str(at_create.value) == str(at_preview.value)
    message = str(at_preview.value)
    assert message.startswith(f"a: adopt_job_id {first.id} is the restore that the stack state records for a's old "
                              f"inputs (source_instance_id {SOURCE}, restore_time \"latest\" (resolved to ")
    assert "not a restore of the new ones" in message and "nothing was adopted or submitted" in message
    assert "point target.instance_id at a new, empty DDM instance" in message
    assert at_create.value.job_id == first.id
    assert len(emulator.backend.requests()) == before, "refused before any request"
    assert len(recovery_posts(emulator)) == 1


def test_the_preview_refusal_offers_no_adoption_of_the_job_recorded_for_other_inputs(latest_restore, emulator):
    first, olds = latest_restore
    changed = {**olds, "source": {"restore_time": first.outs["restored_to"] - 120_000}}
    [(prop, reason)] = [(failure_field(f), f.reason) for f in configured(emulator).check(olds, changed).failures]
    assert prop == "target.instance_id"
    assert f"already holds the metadata restored by job {first.id}" in reason
    assert "set adopt_job_id" not in reason
    assert "The stack state records on this target the restore of a's old inputs" in reason
    assert "ask for another restore, which this target cannot take" in reason
    [(_, new_resource)] = [(f.property, f.reason) for f in configured(emulator).check({}, changed).failures]
    assert f'set adopt_job_id = "{first.id}"' in new_resource, "no state to tell: `up --replace`, a new resource"


@pytest.mark.parametrize("source", ["latest", "resolved"])
def test_the_same_restore_may_record_its_job_again(latest_restore, emulator, source):
    """`pulumi up --replace` (no old inputs, no diff), or "latest" pinned to the time it resolved to."""
    first, olds = latest_restore
    outs = {**olds, **first.outs}
    news = {**olds, "adopt_job_id": first.id}
    run = configured(emulator)
    if source == "resolved":
        news["source"] = {"restore_time": first.outs["restored_to"]}
        run.check(olds, news)
        assert run.diff(first.id, outs, news).replaces == ["source"]
    else:
        assert run.check({}, news).failures == []
    result = run.create(news)
    assert result.id == first.id and result.outs["job_id"] == first.id
    assert len(recovery_posts(emulator)) == 1


def test_adopting_a_job_the_stack_records_on_another_target_is_refused(provider, emulator):
    """Bound to the source, the recorded restore onto TARGET acts on the source, so its instance
    alone does not tell that it is not a restore onto a new target: the ledger does."""
    emulator.backend.configure(job_bound_to="source")
    olds = {**GOOD, "resource_name": "a"}
    first = provider.create(olds)
    [other] = add_restore_targets(emulator.backend, 1)
    moved = {**olds, "target": {"instance_id": other.instance_id, "data_nodes": [other.data_node]},
             "adopt_job_id": first.id}
    before = len(emulator.backend.requests())
    up = configured(emulator)
    up.check(olds, moved)
    assert up.diff(first.id, {**olds, **first.outs}, moved).replaces
    with pytest.raises(RecoveryError) as info:
        up.create(moved)
    assert str(info.value).startswith(f"a: adopt_job_id {first.id} is the restore onto target instance {TARGET} "
                                      f"(recorded in this stack by a), not onto {other.instance_id}; nothing was "
                                      "submitted")
    assert len(emulator.backend.requests()) == before, "refused before any request"
