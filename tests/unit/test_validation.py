"""Offline validation through `MetadataRecoveryProvider.check`: each mistake names its field
and the fix, all are reported at once, and nothing reaches the network.

The "online" provider is configured against the emulator, so a test proves that offline
failures send no request at all (hence no POST). The clock is fixed at `NOW`.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from ddm_emulator import DEMO_PROJECT_ID
from ddm_resources import MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs
from ddm_resources.provider import MetadataRecoveryProvider
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN, failure_field

NOW = 1716200000.0
"""2024-05-20T10:13:20Z, the tests' current time."""
NOW_MS = int(NOW * 1000)
GOOD = {
    "source_instance_id": SOURCE,
    "source": {"backup_id": BACKUP},
    "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]},
}
OTHER_NODE = "0123456789abcdef0123456789abcdefin01"


def variant(*edits: tuple[str, Any]) -> dict[str, Any]:
    """GOOD with edits: `("target.instance_id", value)`; the value `...` removes the key."""
    props = copy.deepcopy(GOOD)
    for path, value in edits:
        *parents, leaf = path.split(".")
        node = props
        for part in parents:
            node = node[part]
        if value is ...:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return props


def time_only(value: Any) -> dict[str, Any]:
    return variant(("source", {"restore_time": value}))


def failures(result) -> dict[str, str]:
    return {failure_field(f): f.reason for f in result.failures}


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch):
    for name in ("OS_TOKEN", "OS_AUTH_TOKEN", "OS_PROJECT_ID", "DDM_ENDPOINT", "DDM_PREFLIGHT",
                 "OS_USERNAME", "OS_PASSWORD", "OS_CLOUD"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def offline() -> MetadataRecoveryProvider:
    """A provider with no credentials configured: preflight is skipped (a line says so)."""
    provider = MetadataRecoveryProvider()
    provider.configure(ConfigureRequest(Config({}, "ddm-metadata-recovery")))
    provider.clock = lambda: NOW
    return provider


@pytest.fixture
def online(emulator) -> MetadataRecoveryProvider:
    """A provider configured against the emulator (preflight on), clock at `NOW`."""
    provider = MetadataRecoveryProvider()
    provider.configure(ConfigureRequest(Config({
        "ddm:endpoint": emulator.url, "ddm:projectId": DEMO_PROJECT_ID, "ddm:token": TOKEN,
    }, "ddm-metadata-recovery")))
    provider.clock = lambda: NOW
    return provider


BAD_INPUTS = [
    pytest.param(variant(("source", {})), "source", "neither is set", id="source-neither"),
    pytest.param(variant(("source.restore_time", NOW_MS - 3_600_000)), "source", "both are set", id="source-both"),
    pytest.param(time_only(1716180000), "source.restore_time", "milliseconds: use 1716180000000", id="time-seconds"),
    pytest.param(time_only(1716180000.5), "source.restore_time", "milliseconds", id="time-fractional-seconds"),
    pytest.param(time_only(1716180000000000), "source.restore_time", "microseconds", id="time-microseconds"),
    pytest.param(time_only(-1), "source.restore_time", "negative", id="time-negative"),
    pytest.param(time_only(12345), "source.restore_time", "far too early", id="time-tiny"),
    pytest.param(time_only(NOW_MS + 86_400_000), "source.restore_time", "in the future", id="time-future"),
    pytest.param(time_only("2024-05-21T10:00:00Z"), "source.restore_time", "in the future", id="time-iso-future"),
    pytest.param(time_only("2024-05-20T04:40:00"), "source.restore_time", "no UTC offset", id="time-naive"),
    pytest.param(time_only("2024-05-20"), "source.restore_time", "no UTC offset", id="time-date-only"),
    pytest.param(time_only("yesterday"), "source.restore_time", "ISO 8601", id="time-words"),
    pytest.param(time_only(True), "source.restore_time", "not a time", id="time-bool"),
    pytest.param(variant(("target.data_nodes", [])), "target.data_nodes", "at least one data node", id="nodes-empty"),
    pytest.param(variant(("target.data_nodes", DATA_NODE)), "target.data_nodes", "not a single string",
                 id="nodes-string"),
    pytest.param(variant(("target.data_nodes", [DATA_NODE, DATA_NODE])), "target.data_nodes[1]", "listed twice",
                 id="nodes-duplicate"),
    pytest.param(variant(("target.data_nodes", [DATA_NODE, " "])), "target.data_nodes[1]", "blank",
                 id="nodes-blank"),
    pytest.param(variant(("target.data_nodes", ["f4e2949e"])), "target.data_nodes[0]", "does not look like",
                 id="nodes-truncated"),
    pytest.param(variant(("source_instance_id", "ddm-source")), "source_instance_id", "not the name",
                 id="source-name"),
    pytest.param(variant(("source_instance_id", "")), "source_instance_id", "is empty", id="source-empty"),
    pytest.param(variant(("source_instance_id", ...)), "source_instance_id", "is required", id="source-missing"),
    pytest.param(variant(("target.instance_id", f'"{TARGET}"')), "target.instance_id", "quote characters",
                 id="target-quoted"),
    pytest.param(variant(("target.instance_id", TARGET.upper())), "target.instance_id", "lower case",
                 id="target-upper"),
    pytest.param(variant(("target.instance_id", SOURCE)), "target.instance_id", "same as source_instance_id",
                 id="target-is-source"),
    pytest.param(variant(("source.backup_id", BACKUP + "\n")), "source.backup_id", "whitespace",
                 id="backup-newline"),
    pytest.param(variant(("source.backup_id", 42)), "source.backup_id", "as a string", id="backup-number"),
    pytest.param(variant(("target.nodes", [DATA_NODE])), "target.nodes", "allowed here: instance_id, data_nodes",
                 id="unknown-key"),
    pytest.param(variant(("timeouts", {"create": "ten minutes"})), "timeouts.create", '"60m"', id="timeouts"),
    pytest.param(variant(("adopt_job_id", "not a job")), "adopt_job_id", "the ID of a DDM job", id="adopt-not-a-job"),
]


@pytest.mark.parametrize("props, field, words", BAD_INPUTS)
def test_bad_input_fails_check_naming_the_field_and_fix(online, emulator, props, field, words):
    result = online.check({}, props)
    found = failures(result)
    assert field in found, found
    assert words in found[field]
    assert found[field].startswith(field), "the message names the field"
    assert emulator.backend.requests() == [], "offline failures send no request (so no POST)"


def test_every_mistake_is_reported_at_once(online, emulator):
    props = variant(("source_instance_id", "ddm-source"), ("source", {"restore_time": 1716180000}),
                    ("target.instance_id", f"{TARGET} "), ("target.data_nodes", [DATA_NODE, DATA_NODE, ""]))
    assert set(failures(online.check({}, props))) == {
        "source_instance_id", "source.restore_time", "target.instance_id",
        "target.data_nodes[1]", "target.data_nodes[2]",
    }
    assert emulator.backend.requests() == []


def test_seconds_restore_time_says_milliseconds(offline):
    reason = failures(offline.check({}, time_only(1716180000)))["source.restore_time"]
    assert "looks like epoch seconds" in reason and "milliseconds" in reason and "1716180000000" in reason


@pytest.mark.parametrize(
    "written",
    ["2024-05-20T04:40:00Z", "2024-05-20T06:40:00+02:00", "2024-05-20T04:40:00.000+00:00", "2024-05-20 04:40:00Z",
     1716180000000, 1716180000000.0, "1716180000000", datetime(2024, 5, 20, 4, 40, tzinfo=timezone.utc)],
)
def test_restore_time_is_normalised_to_int_ms(offline, written):
    result = offline.check({}, time_only(written))
    assert result.failures == []
    assert result.inputs["source"] == {"restore_time": 1716180000000}
    assert type(result.inputs["source"]["restore_time"]) is int


def test_iso_restore_time_and_the_same_ms_never_replace(offline):
    olds = {**time_only(1716180000000), "job_id": "j", "status": "Completed"}
    checked = offline.check({}, time_only("2024-05-20T06:40:00+02:00")).inputs
    assert offline.diff("j", olds, checked).changes is False
    assert offline.diff("j", olds, time_only("2024-05-20T04:40:00Z")).changes is False
    assert offline.diff("j", olds, time_only("2024-05-20T04:40:01Z")).replaces == ["source"]


@pytest.mark.parametrize("ahead, ok", [(timedelta(minutes=4), True), (timedelta(minutes=6), False)])
def test_future_allows_five_minutes_of_clock_skew(offline, ahead, ok):
    when = NOW_MS + int(ahead.total_seconds() * 1000)
    assert (failures(offline.check({}, time_only(when))) == {}) is ok


@pytest.mark.parametrize(
    "props, expected",
    [
        (variant(("target.instance_id", UNKNOWN), ("source", {"restore_time": 1716180000})), {"source.restore_time"}),
        (variant(("target.data_nodes", [UNKNOWN, "bad id"])), {"target.data_nodes[1]"}),
        (variant(("target.data_nodes", [Unknown(), DATA_NODE, DATA_NODE])), {"target.data_nodes[2]"}),
        (variant(("target.instance_id", Unknown()), ("target.data_nodes", [Unknown()])), set()),
        (variant(("source.backup_id", UNKNOWN), ("source.restore_time", 1716180000000)), set()),
        (variant(("source_instance_id", UNKNOWN), ("target.instance_id", SOURCE)), set()),
    ],
    ids=["target-unknown", "node-unknown", "node-unknown-dup", "all-unknown", "backup-unknown", "source-unknown"],
)
def test_unknowns_skip_only_the_rules_they_affect(online, emulator, props, expected):
    assert set(failures(online.check({}, props))) == expected
    assert emulator.backend.requests() == [], "no preflight while a value is unknown"


def test_unknowns_stay_in_the_checked_inputs_and_time_is_normalised(offline):
    props = variant(("source", {"restore_time": "2024-05-20T04:40:00Z"}), ("target.data_nodes", [UNKNOWN]))
    result = offline.check({}, props)
    assert result.failures == []
    assert result.inputs["source"] == {"restore_time": 1716180000000}
    assert result.inputs["target"]["data_nodes"] == [UNKNOWN]


def test_python_datetime_crosses_as_epoch_ms_and_naive_is_rejected(offline):
    def props(when: datetime) -> dict[str, Any]:
        return MetadataRecoveryArgs(
            source_instance_id=SOURCE,
            source=RestoreSourceArgs(restore_time=when),
            target=RestoreTargetArgs(instance_id=TARGET, data_nodes=[DATA_NODE]),
        ).to_props()

    aware = props(datetime(2024, 5, 20, 6, 40, tzinfo=timezone(timedelta(hours=2))))
    assert aware["source"] == {"restore_time": 1716180000000}
    naive = props(datetime(2024, 5, 20, 4, 40))
    assert naive["source"] == {"restore_time": "2024-05-20T04:40:00"}
    assert "no UTC offset" in failures(offline.check({}, naive))["source.restore_time"]


@pytest.mark.parametrize("job_id", ["09902ee7866649b8908ec209bfee2747", "0f3c1d2e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"])
def test_adopt_job_id_accepts_hex_and_uuid_job_ids(offline, job_id):
    result = offline.check({}, variant(("adopt_job_id", job_id)))
    assert result.failures == []
    assert result.inputs["adopt_job_id"] == job_id
