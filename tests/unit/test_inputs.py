"""Input validation for `check` and input comparison for `diff` (no network)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from ddm_resources.api_time import parse_duration
from ddm_resources.input_model import MetadataRecoveryInputs
from ddm_resources.inputs import canonical, check_inputs, validate_inputs
from ddm_resources.restore_time import RestoreTime, parse_restore_time, restore_time_problem
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET

GOOD = {
    "source_instance_id": SOURCE,
    "source": {"backup_id": BACKUP},
    "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]},
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


@pytest.mark.parametrize(
    "text, seconds", [("90s", 90), ("60m", 3600), ("1h30m", 5400), ("1.5h", 5400), ("250ms", 0.25)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "0s", "1d", "m", "1h 30m"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_canonical_ignores_representation_only_differences():
    def same(key, a, b):
        return canonical(key, a) == canonical(key, b)

    assert same("source", {"restore_time": 1716180000000.0}, {"restore_time": 1716180000000, "backup_id": None})
    assert same("target", {"instance_id": "t", "data_nodes": ["b", "a"]},
                {"instance_id": "t", "data_nodes": ["a", "b"]})
    assert same("timeouts", None, {})
    assert not same("target", {"instance_id": "t", "data_nodes": ["a"]}, {"instance_id": "u", "data_nodes": ["a"]})


@pytest.mark.parametrize(
    "written, ms, form",
    [
        (1716180000000, 1716180000000, "number"),
        (1716180000000.0, 1716180000000, "number"),
        (" 1716180000000 ", 1716180000000, "number"),
        ("2024-05-20T06:40:00+02:00", 1716180000000, "datetime"),
        (datetime(2024, 5, 20, 4, 40, tzinfo=timezone.utc), 1716180000000, "datetime"),
    ],
)
def test_parse_restore_time_returns_ms_and_the_form_written(written, ms, form):
    assert parse_restore_time(written) == RestoreTime(ms, form)


def test_the_form_decides_whether_a_small_time_reads_as_seconds():
    # 1970-01-21 is 1728000000 ms: written as a number it is seconds pasted; written as a date it is a date
    as_number = parse_restore_time(1728000000)
    as_date = parse_restore_time("1970-01-21T00:00:00Z")
    assert as_number.ms == as_date.ms
    assert "looks like epoch seconds" in restore_time_problem(as_number, 1716200000000)
    assert restore_time_problem(as_date, 1716200000000) is None
    assert problems(with_(source={"restore_time": "1970-01-21T00:00:00Z"})) == {}
    assert "looks like epoch seconds" in problems(with_(source={"restore_time": "1728000000"}))["source.restore_time"]


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


@pytest.mark.parametrize("text", ["١٧١٦٢٠٠٠٠٠٠٠٠", "１７１６２０００００００００", "+١٧١٦٢٠٠٠٠٠٠٠٠", "١٧١٦٢٠٠٠٠٠٠٠٠.٠"])
def test_parse_restore_time_refuses_non_ascii_digits(text):
    with pytest.raises(ValueError, match="digits other than 0-9"):
        parse_restore_time(text)


@pytest.mark.parametrize("text", ["١h", "٣h", "１h", "1.٥h", "٩٠s"])
def test_parse_duration_refuses_non_ascii_digits(text):
    with pytest.raises(ValueError, match="with the digits 0-9"):
        parse_duration(text)


@pytest.mark.parametrize("value", ["٣h", "٣", "٢٤.٥"])
def test_adopt_window_with_non_ascii_digits_is_refused(value):
    """`ddm:adoptWindow` is parsed by the shared `parse_duration` (the settings' own check is the docs lane's)."""
    from ddm_resources.errors import ConfigurationError
    from ddm_resources.settings import resolve_settings

    with pytest.raises(ConfigurationError, match="^ddm:adoptWindow must be "):
        resolve_settings({"ddm:adoptWindow": value}.get, {"OS_TOKEN": "t", "OS_PROJECT_ID": "p"})
