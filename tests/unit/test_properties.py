"""`check` and `diff` on any input: never an exception, linear time, short quotes of bad values.

Property tests (hypothesis) over arbitrary JSON-like values, with a bounded number of examples
and a deadline per example, plus the inputs that once took seconds or crashed (issue 8 item 9).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.dynamic import Config, ConfigureRequest

from ddm_resources.inputs import MAX_PROBLEMS, check_inputs
from ddm_resources.provider import MetadataRecoveryProvider
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, valid_inputs

GOOD = valid_inputs()
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
