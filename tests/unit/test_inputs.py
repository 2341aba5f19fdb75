"""Input validation for `check` and input comparison for `diff` (no network)."""

from __future__ import annotations

import pytest
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from ddm_resources.inputs import canonical, parse_duration, validate_inputs

GOOD = {
    "source_instance_id": "1f5c9fd6cd984056ba89c8c87cc03278in09",
    "source": {"backup_id": "defa45b24d314e878fde930a61732e9dbr09"},
    "target": {
        "instance_id": "2f0324a93859487eb5566d75951fcd2din09",
        "data_nodes": ["f4e2949e9b9b4d60b42c89ed39bfe34cin01"],
    },
}


def with_(**changes):
    props = {k: (dict(v) if isinstance(v, dict) else v) for k, v in GOOD.items()}
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = props
        for p in parents:
            node = node[p]
        if value is ...:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return props


def problems(props):
    inputs, found = validate_inputs(props)
    if found:
        assert inputs is None
    return {p.property: p.reason for p in found}


def test_good_inputs_parse():
    inputs, found = validate_inputs(GOOD)
    assert found == []
    assert inputs.to_props() == GOOD
    assert inputs.create_timeout == 3600


@pytest.mark.parametrize(
    "props, field, words",
    [
        (with_(source={}), "source", "neither is set"),
        (with_(source__restore_time=1716180000000), "source", "both are set"),
        (with_(target__data_nodes=[]), "target.data_nodes", "at least one data node"),
        (with_(target__instance_id=...), "target.instance_id", "is required"),
        (with_(source_instance_id=...), "source_instance_id", "is required"),
        (with_(source__restore_time="yesterday", source__backup_id=...), "source.restore_time", "epoch milliseconds"),
        (with_(target__nodes=["x"]), "target.nodes", "allowed here: instance_id, data_nodes"),
        (with_(timeouts={"create": "ten minutes"}), "timeouts.create", '"60m"'),
        (with_(timeout={"create": "10m"}), "timeout", "allowed here: source_instance_id"),
    ],
)
def test_bad_input_names_field_and_fix(props, field, words):
    found = problems(props)
    assert field in found, found
    assert words in found[field]


def test_all_problems_are_reported_at_once():
    found = problems(with_(source={}, target__data_nodes=[], source_instance_id=...))
    assert set(found) == {"source", "target.data_nodes", "source_instance_id"}


@pytest.mark.parametrize(
    "props",
    [
        with_(target__instance_id=UNKNOWN),
        with_(target__data_nodes=[UNKNOWN]),
        with_(target__data_nodes=UNKNOWN),
        with_(target=UNKNOWN),
        with_(source__backup_id=UNKNOWN, source__restore_time=1716180000000),
        with_(source__restore_time=UNKNOWN),
        with_(source_instance_id=UNKNOWN),
        with_(target__instance_id=Unknown(), target__data_nodes=["f4e2949e9b9b4d60b42c89ed39bfe34cin01", Unknown()]),
        with_(source=Unknown()),
    ],
)
def test_unknown_values_are_never_rejected(props):
    assert problems(props) == {}


def test_unknown_value_does_not_hide_other_problems():
    found = problems(with_(target__instance_id=UNKNOWN, target__data_nodes=[], source={}))
    assert set(found) == {"target.data_nodes", "source"}


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("60m", 3600), ("1h30m", 5400), ("1.5h", 5400), ("250ms", 0.25)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "0s", "1d", "m", "1h 30m"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_canonical_ignores_representation_only_differences():
    assert canonical("source", {"restore_time": 1716180000000.0}) == canonical("source", {"restore_time": 1716180000000, "backup_id": None})
    assert canonical("target", {"instance_id": "t", "data_nodes": ["b", "a"]}) == canonical("target", {"instance_id": "t", "data_nodes": ["a", "b"]})
    assert canonical("timeouts", None) == canonical("timeouts", {})
    assert canonical("target", {"instance_id": "t", "data_nodes": ["a"]}) != canonical("target", {"instance_id": "u", "data_nodes": ["a"]})
