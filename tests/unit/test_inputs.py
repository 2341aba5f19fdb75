"""`inputs`: the offline rules of `check` and the form `diff` compares (no network). Bad input
is named with its field and the fix, every problem at once; unknown values are never rejected
and hide no other problem; the model is built only after the rules pass; digits are ASCII only;
`timeouts.create` is a duration of a second or more."""

from __future__ import annotations

import pytest
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from ddm_resources.input_model import MetadataRecoveryInputs
from ddm_resources.inputs import canonical, check_inputs, validate_inputs
from tests.conftest import DATA_NODE, valid_inputs

GOOD = valid_inputs()


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
        (with_(timeouts={"create": "3000000h"}), "timeouts.create", "longer than 7 days (168h)"),
        (with_(timeouts={"create": "168h1s"}), "timeouts.create", 'e.g. "2h"'),
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
        with_(target__instance_id=Unknown(), target__data_nodes=[DATA_NODE, Unknown()]),
        with_(source=Unknown()),
    ],
)
def test_unknown_values_are_never_rejected(props):
    assert problems(props) == {}


def test_unknown_value_does_not_hide_other_problems():
    found = problems(with_(target__instance_id=UNKNOWN, target__data_nodes=[], source={}))
    assert set(found) == {"target.data_nodes", "source"}


def test_canonical_ignores_representation_only_differences():
    def same(key, a, b):
        return canonical(key, a) == canonical(key, b)

    assert same("source", {"restore_time": 1716180000000.0}, {"restore_time": 1716180000000, "backup_id": None})
    assert same("target", {"instance_id": "t", "data_nodes": ["b", "a"]},
                {"instance_id": "t", "data_nodes": ["a", "b"]})
    assert same("timeouts", None, {})
    assert not same("target", {"instance_id": "t", "data_nodes": ["a"]}, {"instance_id": "u", "data_nodes": ["a"]})


@pytest.mark.parametrize("value", [[1], "x", 3, None, {"create": "1m", "other": 1}])
def test_a_timeouts_that_is_no_duration_object_is_one_problem(value):
    found = problems(with_(timeouts=value))
    if value is None:
        assert found == {}
    else:
        assert len(found) == 1 and next(iter(found)).startswith("timeouts"), found


def test_the_model_is_built_only_after_the_rules_pass():
    checked = check_inputs(with_(target__data_nodes=[None, "x"]))
    assert checked.inputs is None and {p.property for p in checked.problems} == {
        "target.data_nodes[0]", "target.data_nodes[1]"}
    assert check_inputs(GOOD).inputs == MetadataRecoveryInputs.model_validate(GOOD)


# ASCII digits only (trial finding, sec lane): Arabic-Indic digits were read as numbers ------------------------


ARABIC_MS = "١٧١٦٢٠٠٠٠٠٠٠٠"  # 1716200000000 in Arabic-Indic digits


@pytest.mark.parametrize("props, field, words", [
    (with_(source__restore_time=ARABIC_MS, source__backup_id=...), "source.restore_time",
     "has digits other than 0-9; write epoch milliseconds such as"),
    (with_(source__restore_time="٢٠٢٤-05-20T04:40:00Z", source__backup_id=...), "source.restore_time",
     "write epoch milliseconds such as"),
    (with_(source__restore_time="1716200000000.٥", source__backup_id=...), "source.restore_time",
     "has digits other than 0-9"),
    (with_(timeouts={"create": "١h"}), "timeouts.create", 'with the digits 0-9 like "60m"'),
    (with_(timeouts={"create": "1h٣٠m"}), "timeouts.create", 'with the digits 0-9 like "60m"'),
])
def test_digits_other_than_ascii_are_refused_naming_the_field(props, field, words):
    found = problems(props)
    assert set(found) == {field} and words in found[field]


# timeouts.create (issue 19 item 19) ----------------------------------------------------------------------------


@pytest.mark.parametrize("create, refused", [("0.0000001ms", True), ("999ms", True), ("0.5s", True),
                                             ("1s", False), ("1000ms", False), ("60m", False)])
def test_a_create_deadline_below_a_second_is_refused(create, refused):
    problems = check_inputs({**GOOD, "timeouts": {"create": create}}).problems
    assert [p.property for p in problems] == (["timeouts.create"] if refused else [])
    if refused:
        assert "shorter than a second" in problems[0].reason
