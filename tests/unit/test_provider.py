"""`provider.MetadataRecoveryProvider`: Pulumi's check/diff/create/read mapped onto the core.
`check` names each mistake with its field and the fix, all at once, tolerates unknown values
(skipping only the rules they affect), normalises `restore_time` to epoch milliseconds; `check`
and `diff` never raise, on any input, in time linear in its size, and quote short.
Inputs given as secrets are never printed by the provider (its lines, check failures, errors).
"""

from __future__ import annotations

import copy
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from ddm_emulator import DEMO_PROJECT_ID, Fault
from ddm_resources import MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs
from ddm_resources.inputs import MAX_PROBLEMS, check_inputs
from ddm_resources.provider import SECRET_INPUTS_KEY, MetadataRecoveryProvider
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN, failure_field, valid_inputs
from tests.restore_targets import add_restore_targets

# offline validation through check: each mistake names its field and the fix ------------------------------------


NOW = 1716200000.0
"""2024-05-20T10:13:20Z, the tests' current time."""


NOW_MS = int(NOW * 1000)


GOOD = valid_inputs()


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
    provider.transport = emulator.transport
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


# check and diff on any input: never an exception, linear time, short quotes ------------------------------------


LONGEST_REASON = 700
"""A reason may quote a value's first 60 characters, never the whole of a long value."""


json_leaves = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
               | st.text(max_size=80) | st.sampled_from([SOURCE, TARGET, BACKUP, DATA_NODE, "60m", "1h30m"]))


json_values = st.recursive(json_leaves, lambda inner: st.lists(inner, max_size=6)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=6), max_leaves=25)


keys = st.sampled_from(["source_instance_id", "source", "target", "timeouts", "adopt_job_id", "resource_name",
                        "backup_id", "restore_time", "instance_id", "data_nodes", "create", "job_id"])


def shaped(leaf):
    """Input bags shaped like the real ones, with any value at any place."""
    return st.fixed_dictionaries({}, optional={
        "source_instance_id": leaf,
        "source": leaf | st.fixed_dictionaries({}, optional={"backup_id": leaf, "restore_time": leaf}),
        "target": leaf | st.fixed_dictionaries({}, optional={"instance_id": leaf, "data_nodes": leaf
                                                             | st.lists(leaf, max_size=5)}),
        "timeouts": leaf | st.fixed_dictionaries({}, optional={"create": leaf}),
        "adopt_job_id": leaf,
        "resource_name": leaf,
    })


bags = shaped(json_values) | st.dictionaries(keys | st.text(max_size=10), json_values, max_size=8)


PROPERTY = settings(max_examples=150, deadline=timedelta(milliseconds=500),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture
def provider() -> MetadataRecoveryProvider:
    provider = MetadataRecoveryProvider()
    provider.configure(ConfigureRequest(Config({"ddm:preflight": "false"}, "ddm-metadata-recovery")))
    return provider


@PROPERTY
@given(news=bags, olds=bags)
def test_check_never_raises_and_quotes_short(provider, news, olds):
    result = provider.check(olds, news)
    for failure in result.failures:
        assert isinstance(failure.reason, str) and len(failure.reason) <= LONGEST_REASON, failure
    if not result.failures:
        checked = check_inputs(news)
        assert checked.problems == []


@PROPERTY
@given(olds=bags, news=bags)
def test_diff_never_raises(provider, olds, news):
    result = provider.diff("0" * 32, olds, news)
    assert set(result.replaces or []) <= {"source_instance_id", "source", "target"}


@PROPERTY
@given(value=json_values)
def test_a_good_bag_with_one_value_replaced_never_raises(provider, value):
    for path in ("source_instance_id", "source", "source.restore_time", "source.backup_id", "target",
                 "target.instance_id", "target.data_nodes", "timeouts", "timeouts.create", "adopt_job_id"):
        props = {k: (dict(v) if isinstance(v, dict) else v) for k, v in GOOD.items()}
        head, _, leaf = path.partition(".")
        if leaf:
            props[head] = {**props.get(head, {}), leaf: value}
        else:
            props[head] = value
        for failure in provider.check({}, props).failures:
            assert len(failure.reason) <= LONGEST_REASON


def big(kind: str, n: int) -> dict:
    """A good bag with one value of size `n`."""
    nodes = {"none-nodes": [None] * n, "bad-nodes": ["x"] * n, "dup-nodes": [DATA_NODE] * n,
             "blank-nodes": [" "] * n}
    if kind in nodes:
        return {**GOOD, "target": {"instance_id": TARGET, "data_nodes": nodes[kind]}}
    if kind == "timeout-digits":
        return {**GOOD, "timeouts": {"create": "9" * n}}
    if kind == "timeout-units":
        return {**GOOD, "timeouts": {"create": "1m" * n}}
    if kind == "time-digits":
        return {**GOOD, "source": {"restore_time": "1" * n}}
    if kind == "long-id":
        return {**GOOD, "source_instance_id": "a" * n}
    if kind == "quoted-id":
        return {**GOOD, "source_instance_id": '"' + "a" * n}
    if kind == "many-keys":
        return {**GOOD, **{f"k{i}": i for i in range(n)}}
    raise AssertionError(kind)


def seconds(provider, props) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        result = provider.check({}, props)
        best = min(best, time.perf_counter() - started)
        for failure in result.failures:
            assert len(failure.reason) <= LONGEST_REASON
    return best


@pytest.mark.parametrize("kind", ["none-nodes", "bad-nodes", "dup-nodes", "blank-nodes", "timeout-digits",
                                  "timeout-units", "time-digits", "long-id", "quoted-id", "many-keys"])
def test_check_time_grows_linearly(provider, kind):
    small, large = seconds(provider, big(kind, 3_000)), seconds(provider, big(kind, 30_000))
    assert large < 2.0, f"{kind}: {large:.2f}s for 30,000"
    assert large < 30 * max(small, 0.01), f"{kind}: {small:.4f}s -> {large:.4f}s for 10x the size"
    assert len(provider.check({}, big(kind, 30_000)).failures) <= MAX_PROBLEMS


@pytest.mark.parametrize("olds, news", [
    ({**GOOD, "target": "not a dict"}, GOOD),
    ({**GOOD, "target": {"instance_id": {"a": 1}, "data_nodes": [DATA_NODE]}}, GOOD),
    ({**GOOD, "target": {"instance_id": TARGET, "data_nodes": [None, 1, "b"]}}, GOOD),
    ({**GOOD, "source": ["x"]}, GOOD),
    ({**GOOD, "job_id": {"x": 1}}, GOOD),
    (None, GOOD),
], ids=["target-string", "instance-id-dict", "mixed-nodes", "source-list", "job-id-dict", "no-olds"])
def test_diff_of_a_hand_edited_state_does_not_raise(provider, olds, news):
    result = provider.diff("0" * 32, olds, news)
    assert result.changes is (olds is None or olds.get("job_id") is None)
    recorded = provider.state.recorded(TARGET)
    assert recorded is None or recorded.job_id == "0" * 32


# inputs given as secrets are never printed (issue 19 item 7) ---------------------------------------------------


def secret_target(emulator) -> tuple[dict, str]:
    """Inputs whose target (a new instance: the mask lasts for the process) is given as a secret."""
    target = add_restore_targets(emulator.backend, 1)[0]
    return valid_inputs(target={"instance_id": target.instance_id, "data_nodes": [target.data_node]},
                        resource_name="r", **{SECRET_INPUTS_KEY: ["target.instance_id"]}), target.instance_id


def configured(emulator) -> MetadataRecoveryProvider:
    provider = MetadataRecoveryProvider()
    provider.transport = emulator.transport
    provider.configure(ConfigureRequest(Config({"ddm:endpoint": emulator.url, "ddm:projectId": DEMO_PROJECT_ID,
                                                "ddm:token": TOKEN}, "ddm-metadata-recovery")))
    return provider


def test_the_delete_line_masks_a_secret_target(emulator, capsys):
    props, target_id = secret_target(emulator)
    configured(emulator).delete("0" * 32, {**props, "job_id": "0" * 32})
    line = capsys.readouterr().out
    assert "forgetting metadata recovery job" in line and "(target ***)" in line and target_id[:12] not in line


def test_a_check_failure_and_a_line_mask_a_secret_target_and_a_good_one_passes(emulator, capsys):
    props, target_id = secret_target(emulator)
    provider = configured(emulator)
    result = provider.check({}, props)
    assert result.failures == [] and result.inputs[SECRET_INPUTS_KEY] == ["target.instance_id"]
    emulator.backend.add_fault(Fault("GET", r"/restorable-instances$", "respond", status=200, times=1,
                                     body={"instances": [], "total": 0}))
    reasons = " ".join(f.reason for f in configured(emulator).check({}, props).failures)
    assert "DDM instance *** is not among" in reasons and target_id[:12] not in reasons
    emulator.backend.add_fault(Fault("GET", r"/restorable-instances$", "respond", status=400, body={
        "error_code": "DBS.280001", "error_msg": f"instance {target_id} cannot receive metadata"}))
    configured(emulator).check({}, props)
    line = capsys.readouterr().out
    assert "(instance *** cannot receive metadata)" in line and target_id[:12] not in line


# calm, readable output at the unit level (issue 23 items 8, 11) --------------------------------------------------

OUTPUT_INPUTS = valid_inputs(resource_name="r")


# item 8 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("props, wire, starts", [
    ({"target": {"instance_id": SOURCE, "data_nodes": [DATA_NODE]}}, "", "target.instance_id is the same as"),
    ({"target": {"instance_id": TARGET, "data_nodes": [DATA_NODE, DATA_NODE]}}, "", "target.data_nodes[1]:"),
    ({"source": {}}, "", "source:"),
    ({"source_instance_id": "ddm-source"}, "source_instance_id", "source_instance_id "),
    ({"adopt_job_id": "job-1"}, "adopt_job_id", "adopt_job_id must be"),
])
def test_a_failure_names_a_property_the_engine_can_find(offline, props, wire, starts):
    """The engine looks `property` up among the top-level inputs only: a nested path showed
    `{<nil>}`, an object its `{map[...]}` form; those are reported for the resource instead, and
    the reason starts with the dotted path."""
    [failure] = offline.check({}, {**OUTPUT_INPUTS, **props}).failures
    assert failure.property == wire and failure.reason.startswith(starts), failure.reason


# item 11 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("source, extra, known", [
    ({"backup_id": BACKUP}, {}, {"restored_to": None, "restored_to_utc": None}),
    ({"restore_time": 1_716_180_000_000}, {}, {"restored_to": 1_716_180_000_000,
                                                "restored_to_utc": "2024-05-20T04:40:00Z"}),
    ({"restore_time": 1_716_180_000_123}, {}, {"restored_to": 1_716_180_000_123,
                                                "restored_to_utc": "2024-05-20T04:40:00.123Z"}),
    ({"restore_time": 1_716_180_000_000}, {"adopt_job_id": "a" * 32}, {"restored_to": None, "restored_to_utc": None}),
    ({"restore_time": "latest"}, {}, {}),
])
def test_check_tells_the_outputs_the_inputs_know(offline, source, extra, known):
    """The engine takes `check`'s answer as the state at preview (no `create` then)."""
    result = offline.check({}, {**OUTPUT_INPUTS, "source": source, **extra})
    assert result.failures == []
    assert {k: result.inputs[k] for k in ("restored_to", "restored_to_utc") if k in result.inputs} == known


def test_refresh_adds_restored_to_utc_to_an_older_state(emulator):
    provider = MetadataRecoveryProvider()
    provider.transport = emulator.transport
    provider.configure(ConfigureRequest(Config({"ddm:endpoint": emulator.url, "ddm:projectId": DEMO_PROJECT_ID,
                                                "ddm:token": TOKEN}, "ddm-metadata-recovery")))
    when = int(emulator.backend.now() - 3600) * 1000
    job = emulator.backend.restore_metadata(DEMO_PROJECT_ID, SOURCE, target_instance_id=TARGET,
                                            data_nodes=[DATA_NODE], restore_time_ms=when)
    emulator.backend.advance(121)
    old = {**OUTPUT_INPUTS, "source": {"restore_time": when}, "job_id": job.id, "status": "Completed",
           "restored_to": when}
    outs = provider.read(job.id, old).outs
    from ddm_resources.api_time import format_ms

    assert (outs["restored_to"], outs["restored_to_utc"]) == (when, format_ms(when))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", outs["restored_to_utc"])
