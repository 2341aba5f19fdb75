"""Preflight against the emulator's read-only restore APIs (ddm-api.md section 2).

Each failure the service can explain comes back on the right property with the service's
reason; a failure of the APIs themselves comes back as one resource-level problem that says
how to skip the checks. The preflight only ever sends GETs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from ddm_emulator import DEMO_PROJECT_ID, EmulatorSettings, Fault
from ddm_emulator.testing import PREFLIGHT_SWITCHES, one_switch_at_a_time
from ddm_resources.client import PAGE_SIZE, DdmClient
from ddm_resources.inputs import validate_inputs
from ddm_resources.preflight import (
    PreflightError,
    preflight,
    require_preflight,
)
from ddm_resources.provider import MetadataRecoveryProvider
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN, failure_field
from tests.conftest import SOURCE_DATA_NODE as SOURCE_NODE

GOOD = {
    "source_instance_id": SOURCE,
    "source": {"backup_id": BACKUP},
    "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]},
}
_DAY_MS = 86_400_000


@pytest.fixture
def client(emulator) -> Iterator[DdmClient]:
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN, sleep=lambda seconds: None) as ddm:  # retries wait no time
        yield ddm


def now_ms(emulator) -> int:
    return int(emulator.backend.now() * 1000)


def run(client: DdmClient, emulator, **changes: Any) -> dict[str, str]:
    """Preflight GOOD with top-level or `source`/`target` changes; problems by property."""
    props = {**GOOD, **changes}
    inputs, problems = validate_inputs(props, clock=emulator.backend.now)
    assert problems == [], problems
    return {p.property: p.reason for p in preflight(client, inputs)}


def only_reads(emulator) -> bool:
    return all(r.method == "GET" for r in emulator.backend.requests()) and emulator.backend.requests() != []


def test_documented_example_passes_with_a_backup(client, emulator):
    assert run(client, emulator) == {}
    assert only_reads(emulator)


def test_documented_example_passes_with_a_restore_time(client, emulator):
    assert run(client, emulator, source={"restore_time": now_ms(emulator) - 3_600_000}) == {}
    paths = {r.path.rsplit("/", 1)[-1] for r in emulator.backend.requests()}
    assert {"restorable-instances", "restorable-time-interval", "related-dn", "restorable-data-node"} <= paths
    assert only_reads(emulator)


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"accounts": ["app_user"]}, "The instance has a common account."),
        ({"frozen": True}, "The instance is frozen."),
        ({"schemas": ["orders"]}, "The instance already has schemas."),
        ({"engine_version": "3.0.1"}, "The instance version must be 3.0.8 or later."),
    ],
)
def test_unavailable_target_reports_the_services_reason(client, emulator, change, reason):
    target = emulator.backend.instances[TARGET]
    for key, value in change.items():
        setattr(target, key, value)
    found = run(client, emulator)
    assert set(found) == {"target.instance_id"}
    assert f"{reason[:-1]} (restorable-instances)." in found["target.instance_id"], "one period, after the API"


def test_target_not_listed_names_the_usable_ones(client, emulator):
    other = "3" * 32 + "in09"
    found = run(client, emulator, target={"instance_id": other, "data_nodes": [DATA_NODE]})
    assert set(found) == {"target.instance_id"}
    assert other in found["target.instance_id"] and f"ddm-target ({TARGET})" in found["target.instance_id"]


def test_unknown_source_stops_the_preflight(client, emulator):
    missing = "1" * 32 + "in09"
    found = run(client, emulator, source_instance_id=missing)
    assert set(found) == {"source_instance_id"}
    assert f"The DDM instance {missing} does not exist." in found["source_instance_id"]


@pytest.mark.parametrize("days_ago", [10, 7.01])
def test_time_outside_the_window_reports_the_window(client, emulator, days_ago):
    when = now_ms(emulator) - int(days_ago * _DAY_MS)
    found = run(client, emulator, source={"restore_time": when})
    assert set(found) == {"source.restore_time"}
    reason = found["source.restore_time"]
    assert "outside the restorable time range" in reason and "+0000 to " in reason and str(when) in reason


def test_an_unreadable_range_neither_admits_nor_rules_out_a_time(client, emulator):
    """A range with a time this tool cannot read is skipped: a time inside a readable range passes;
    any other fails closed (it might be inside the unreadable one), without the service's text."""
    from tests.unit.test_restore_window import GARBAGE, answer_ranges, utc

    when = now_ms(emulator) - _DAY_MS
    answer_ranges(emulator, (GARBAGE, utc(now_ms(emulator))), (utc(when - _DAY_MS), utc(when + _DAY_MS)))
    assert run(client, emulator, source={"restore_time": when}) == {}
    found = run(client, emulator, source={"restore_time": when - 3 * _DAY_MS})
    assert list(found) == [""] and f"source.restore_time {when - 3 * _DAY_MS} (" in found[""]
    assert "1 of its 2 restorable time ranges (restorable-time-interval) has a time this tool cannot read" in found[""]
    assert "backup_id" in found[""]
    assert "ddm:preflight false" in found[""] and GARBAGE not in found[""]


def test_unknown_backup_reports_the_service_message(client, emulator):
    missing = "0" * 32 + "br09"
    found = run(client, emulator, source={"backup_id": missing})
    assert set(found) == {"source.backup_id"}
    assert f"Backup {missing} of instance {SOURCE} not found." in found["source.backup_id"]


def test_backup_of_another_instance_is_not_a_backup_of_the_source(client, emulator):
    """Only the source's backups are asked for (`instance_id` filter), never the whole project's."""
    backend = emulator.backend
    other = backend.add_instance(DEMO_PROJECT_ID, name="ddm-other")
    backup = backend.add_backup(DEMO_PROJECT_ID, other.id)
    found = run(client, emulator, source={"backup_id": backup.id})
    assert f"there is no backup {backup.id} of DDM instance {SOURCE}" in found["source.backup_id"]
    lists = backend.requests(method="GET", path_contains="/backups")
    assert all(r.query.get("instance_id") == SOURCE for r in lists if r.path.endswith("/backups"))


def test_backup_list_is_asked_for_the_source_only(client, emulator):
    run(client, emulator, source={"backup_id": BACKUP})
    [listing] = [r for r in emulator.backend.requests(method="GET") if r.path.endswith("/backups")]
    assert listing.query == {"instance_id": SOURCE, "offset": "0", "limit": "128"}


def test_backup_that_is_not_normal_is_refused(client, emulator):
    backup = emulator.backend.add_backup(DEMO_PROJECT_ID, SOURCE, status="createfail")
    found = run(client, emulator, source={"backup_id": backup.id})
    assert "has status 'createfail'" in found["source.backup_id"]


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"read_only": True}, "The instance is a read-only instance."),
        ({"status": "Abnormal"}, "The instance is abnormal."),
        ({"vpc_id": "another-vpc"}, "The instance is in a different VPC from the DDM instance."),
        ({"engine_version": "5.7"}, "The instance version is earlier than that of the source instance."),
    ],
)
@pytest.mark.parametrize("by_time", [False, True], ids=["backup", "restore-time"])
def test_unusable_data_node_reports_the_services_reason(client, emulator, change, reason, by_time):
    node = emulator.backend.data_nodes[DATA_NODE]
    for key, value in change.items():
        setattr(node, key, value)
    source = {"restore_time": now_ms(emulator) - 3_600_000} if by_time else GOOD["source"]
    found = run(client, emulator, source=source)
    assert set(found) == {"target.data_nodes[0]"}
    assert f"{reason[:-1]} (restorable-data-node)." in found["target.data_nodes[0]"], "one period, after the API"


def test_source_node_and_unknown_node_are_refused_per_entry(client, emulator):
    stranger = "4" * 32 + "in01"
    found = run(client, emulator, target={"instance_id": TARGET, "data_nodes": [DATA_NODE, SOURCE_NODE, stranger]})
    assert set(found) == {"target.data_nodes[1]", "target.data_nodes[2]"}
    assert "is a data node of the source instance" in found["target.data_nodes[1]"]
    assert "is not offered as a data node" in found["target.data_nodes[2]"]


def test_lists_are_read_to_the_last_page(client, emulator):
    for index in range(PAGE_SIZE + 5):
        emulator.backend.add_instance(DEMO_PROJECT_ID, instance_id=f"{index:032x}in09")
    assert run(client, emulator) == {}
    pages = emulator.backend.requests(path_contains="restorable-instances")
    assert [r.query.get("offset") for r in pages] == ["0", str(PAGE_SIZE)]


@pytest.mark.parametrize(
    "fault",
    [
        Fault("GET", r"/restorable-instances$", "respond", status=500),
        Fault("GET", r"/backups/" + BACKUP + "$", "respond", status=503),
    ],
    ids=["500", "503-later-call"],
)
def test_failing_read_only_apis_fail_closed_and_say_how_to_skip(client, emulator, fault):
    emulator.backend.add_fault(fault)
    found = run(client, emulator)
    assert list(found) == [""], "one problem on the whole resource"
    reason = found[""]
    assert reason.startswith("preflight could not check the inputs with the DDM APIs")
    assert f"HTTP {fault.status}" in reason and "Nothing was restored" in reason
    assert "pulumi config set ddm:preflight false" in reason and "DDM_PREFLIGHT=false" in reason
    assert TOKEN not in reason
    assert emulator.backend.requests(method="POST") == []


def test_refused_credentials_are_named_not_blamed_on_the_api(client, emulator):
    emulator.backend.add_fault(Fault("GET", r"/restorable-data-node$", "respond", status=403,
                                     body={"error_code": "APIGW.0302", "error_msg": "Forbidden."}))
    reason = run(client, emulator)[""]
    assert "HTTP 403 APIGW.0302" in reason and "check the credentials" in reason and "OS_TOKEN" in reason
    assert "ddm:preflight false" not in reason
    assert emulator.backend.requests(method="POST") == []


def test_require_preflight_raises_with_the_problems(client, emulator):
    emulator.backend.instances[TARGET].frozen = True
    inputs, _ = validate_inputs(GOOD)
    with pytest.raises(PreflightError) as info:
        require_preflight(client, inputs)
    assert [p.property for p in info.value.problems] == ["target.instance_id"]
    assert "no restore was sent" in str(info.value)
    assert "The instance is frozen (restorable-instances)." in str(info.value)
    emulator.backend.instances[TARGET].frozen = False
    require_preflight(client, inputs)


# Through `check` -----------------------------------------------------------------------------


@pytest.fixture
def provider(emulator, monkeypatch) -> MetadataRecoveryProvider:
    for name in ("OS_TOKEN", "OS_AUTH_TOKEN", "OS_PROJECT_ID", "DDM_ENDPOINT", "DDM_PREFLIGHT"):
        monkeypatch.delenv(name, raising=False)
    return configured(emulator)


def configured(emulator, **extra: str) -> MetadataRecoveryProvider:
    provider = MetadataRecoveryProvider()
    config = {"ddm:endpoint": emulator.url, "ddm:projectId": DEMO_PROJECT_ID, "ddm:token": TOKEN, **extra}
    provider.configure(ConfigureRequest(Config(config, "ddm-metadata-recovery")))
    return provider


def test_check_turns_preflight_problems_into_failures(provider, emulator):
    emulator.backend.instances[TARGET].accounts = ["app_user"]
    emulator.backend.data_nodes[DATA_NODE].read_only = True
    result = provider.check({}, GOOD)
    assert {failure_field(f) for f in result.failures} == {"target.instance_id", "target.data_nodes[0]"}
    assert "The instance has a common account (restorable-instances)." in result.failures[0].reason
    assert emulator.backend.requests(method="POST") == []


def test_check_passes_good_inputs_after_preflight(provider, emulator):
    result = provider.check({}, GOOD)
    assert result.failures == []
    assert only_reads(emulator)


def test_check_skips_preflight_when_switched_off(emulator):
    emulator.backend.instances[TARGET].frozen = True
    assert configured(emulator, **{"ddm:preflight": "false"}).check({}, GOOD).failures == []
    assert emulator.backend.requests() == []


def test_check_names_a_refused_setting_once_as_the_user_wrote_it(emulator):
    [failure] = configured(emulator, **{"ddm:pollInterval": "0"}).check({}, GOOD).failures
    assert failure.reason == ("DDM provider settings: ddm:pollInterval must be a number of seconds above 0 and at "
                              "most 300, not '0'; for example `pulumi config set ddm:pollInterval 30`")
    assert emulator.backend.requests() == []


def test_check_skips_preflight_silently_without_credentials(emulator, monkeypatch):
    for name in ("OS_TOKEN", "OS_AUTH_TOKEN", "OS_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    provider = MetadataRecoveryProvider()
    provider.configure(ConfigureRequest(Config({"ddm:endpoint": emulator.url}, "ddm-metadata-recovery")))
    assert provider.check({}, GOOD).failures == []
    assert emulator.backend.requests() == []


def test_check_of_an_unchanged_resource_sends_nothing(provider, emulator):
    emulator.backend.instances[TARGET].data_node_ids.append(DATA_NODE)  # restored already: no longer empty
    assert provider.check(dict(GOOD), {**GOOD, "timeouts": {"create": "2h"}}).failures == []
    assert emulator.backend.requests() == []
    replaced = provider.check(dict(GOOD), {**GOOD, "source": {"backup_id": "0" * 32 + "br09"}})
    # a replacement onto the same target: refused at preview as create refuses it (`decision`), no preflight
    [failure] = replaced.failures
    assert failure_field(failure) == "target.instance_id"
    assert "already holds the metadata restored by a restore (recorded in this stack by" in failure.reason


def test_check_skips_preflight_when_create_would_adopt_a_running_restore(provider, emulator):
    emulator.backend.configure(job_seconds=600)
    job = emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=TARGET,
                                            data_nodes=[DATA_NODE], backup_id=BACKUP)
    assert emulator.backend.instances[TARGET].busy_job_id == job.id  # the preflight alone would refuse it
    assert provider.check({}, GOOD).failures == []
    assert [r.path.rsplit("/", 1)[-1] for r in emulator.backend.requests()] == ["jobs"]


def test_check_fails_closed_when_the_job_list_fails(provider, emulator):
    emulator.backend.add_fault(Fault("GET", r"/jobs$", "respond", status=501))  # not retried: one attempt
    [failure] = provider.check({}, GOOD).failures
    assert failure.property == "" and "ddm:preflight false" in failure.reason


def test_check_skips_preflight_when_adopting_a_job(provider, emulator):
    emulator.backend.instances[TARGET].frozen = True
    assert provider.check({}, {**GOOD, "adopt_job_id": "a" * 32}).failures == []
    assert emulator.backend.requests() == []


# Where the docs are silent (issue 13 items 4-5): right under each of the emulator's answers ------

@pytest.mark.parametrize("answer", ["404 DBS.300350", "400 DBS.300350"])
def test_unknown_source_in_every_documented_form(client, emulator, answer):
    emulator.backend.configure(missing_source_answer=answer)
    missing = "1" * 32 + "in09"
    found = run(client, emulator, source_instance_id=missing)
    assert set(found) == {"source_instance_id"} and "was not found" in found["source_instance_id"]


@pytest.mark.parametrize("answer", ["400 DBS.300377", "400 DBS.300375", "accept"])
def test_a_backup_older_than_the_window_is_not_refused(client, emulator, answer):
    emulator.backend.configure(old_backup_restore_time=answer)
    old = emulator.backend.add_backup(DEMO_PROJECT_ID, SOURCE, created=emulator.backend.now() - 20 * 86400)
    notes: list[str] = []
    inputs, _ = validate_inputs({**GOOD, "source": {"backup_id": old.id}}, clock=emulator.backend.now)
    assert preflight(client, inputs, note=notes.append) == []
    assert notes == []


@pytest.mark.parametrize("api, path", [
    ("restorable-instances", r"/restorable-instances$"),
    ("backup details", r"/backups/" + BACKUP + "$"),
    ("backup list", r"/backups$"),
    ("restorable-data-node", r"/restorable-data-node$"),
])
def test_an_unexpected_code_means_cannot_tell_not_a_fail_closed_stop(client, emulator, api, path):
    emulator.backend.add_fault(Fault("GET", path, "respond", status=400,
                                     body={"error_code": "DBS.299999", "error_msg": "Something new."}))
    notes: list[str] = []
    inputs, _ = validate_inputs(GOOD, clock=emulator.backend.now)
    assert preflight(client, inputs, note=notes.append) == []
    [note] = notes
    assert api in note and "HTTP 400 DBS.299999" in note and "cannot tell" in note
    assert "ddm:preflight false" not in note


def test_check_passes_and_announces_what_it_cannot_tell(provider, emulator, capsys):
    emulator.backend.add_fault(Fault("GET", r"/restorable-data-node$", "respond", status=400,
                                     body={"error_code": "DBS.299999", "error_msg": "Something new."}))
    assert provider.check({}, GOOD).failures == []
    out = capsys.readouterr().out
    assert "cannot tell whether target.data_nodes is right" in out and "DBS.299999" in out


@pytest.mark.parametrize("reading", ["index", "page", "page-from-1"])
def test_lookups_are_read_whole_under_both_readings_of_offset(client, emulator, reading):
    emulator.backend.configure(offset_reading=reading)
    for index in range(PAGE_SIZE + 5):
        emulator.backend.add_instance(DEMO_PROJECT_ID, instance_id=f"{index:032x}in09")
    assert run(client, emulator) == {}
    pages = emulator.backend.requests(path_contains="restorable-instances")
    expected = {"index": ["0", str(PAGE_SIZE)], "page": ["0", str(PAGE_SIZE), "1"],
                "page-from-1": ["0", str(PAGE_SIZE), "1", "2"]}[reading]
    assert [r.query.get("offset") for r in pages] == expected


PREFLIGHT_VARIANTS = one_switch_at_a_time(EmulatorSettings(job_seconds=0.3), PREFLIGHT_SWITCHES)


@pytest.mark.parametrize("emulator_settings", [s for _, s in PREFLIGHT_VARIANTS],
                         ids=[name for name, _ in PREFLIGHT_VARIANTS])
def test_right_under_every_preflight_switch(client, emulator):
    """Good inputs pass (backup and restore time), an unknown source and an unusable node are named."""
    assert run(client, emulator) == {}
    assert run(client, emulator, source={"restore_time": now_ms(emulator) - 3_600_000}) == {}
    assert set(run(client, emulator, source_instance_id="1" * 32 + "in09")) == {"source_instance_id"}
    stranger = "4" * 32 + "in01"
    found = run(client, emulator, target={"instance_id": TARGET, "data_nodes": [stranger]})
    assert set(found) == {"target.data_nodes[0]"}
    assert emulator.backend.requests(method="POST") == []


def test_many_unusable_data_nodes_give_at_most_twenty_problems(client, emulator):
    nodes = [f"{i:032x}in01" for i in range(1, 2501)]
    inputs, problems = validate_inputs({**GOOD, "target": {"instance_id": TARGET, "data_nodes": nodes}},
                                       clock=emulator.backend.now)
    assert problems == []
    found = preflight(client, inputs)
    assert len(found) == 20
    assert found[-1].reason == "... and 2481 more problems of the same kinds"
    assert all(p.property.startswith("target.data_nodes[") for p in found[:-1])


def test_a_failure_retrying_cannot_mend_is_not_met_with_retry_advice():
    """A certificate that does not verify (a `TransportError` that is not transient) says what to
    fix in its own words; "retry when the API answers again" would send the user in circles."""
    from ddm_resources.errors import TransportError
    from ddm_resources.preflight import preflight_unavailable

    certificate = TransportError("GET /v3/p/jobs at https://h: ConnectError: CERTIFICATE_VERIFY_FAILED; the server's "
                                 "certificate did not verify: give the CA ...; not retried", transient=False)
    outage = TransportError("GET /v3/p/jobs at https://h: ConnectError: connection refused")
    assert "Retry" not in preflight_unavailable(certificate).reason
    assert preflight_unavailable(certificate).reason.startswith("preflight could not ask the DDM APIs: GET /v3/p/jobs")
    assert "Retry when the API answers again" in preflight_unavailable(outage).reason
