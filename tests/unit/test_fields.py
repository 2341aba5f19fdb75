"""`fields.FIELDS` is the one list of the resource's inputs and outputs: the typed arguments, the
checked model, the resource's output attributes and the reference table all say the same."""

from __future__ import annotations

import dataclasses

from ddm_resources import fields
from ddm_resources.input_model import MetadataRecoveryInputs
from ddm_resources.inputs import check_inputs
from ddm_resources.resource import (
    MetadataRecovery,
    MetadataRecoveryArgs,
    RestoreSourceArgs,
    RestoreTargetArgs,
    TimeoutsArgs,
)


def _inputs(parent: str) -> list[str]:
    return [f.key for f in fields.FIELDS if f.kind == "input" and f.parent == parent]


def test_the_typed_arguments_are_the_declared_inputs():
    assert [f.name for f in dataclasses.fields(MetadataRecoveryArgs)] == _inputs("")
    assert [f.name for f in dataclasses.fields(RestoreSourceArgs)] == _inputs("source")
    assert [f.name for f in dataclasses.fields(RestoreTargetArgs)] == _inputs("target")
    assert [f.name for f in dataclasses.fields(TimeoutsArgs)] == _inputs("timeouts")


def test_the_checked_model_has_the_declared_inputs():
    assert list(MetadataRecoveryInputs.model_fields) == list(fields.INPUT_KEYS)


def test_the_resource_declares_every_output_and_input_attribute():
    attributes = MetadataRecovery.__annotations__
    assert set(fields.OUTPUT_KEYS) | set(fields.FORCE_NEW_INPUTS) | {"timeouts"} <= set(attributes)


def test_replace_and_update_split_the_top_level_inputs():
    assert fields.FORCE_NEW_INPUTS == ("source_instance_id", "source", "target")
    assert fields.UPDATABLE_INPUTS == ("timeouts", "adopt_job_id", "verify", "max_restore_age")
    assert fields.OUTPUT_KEYS[0] == "job_id"


def test_check_allows_exactly_the_declared_keys():
    problems = check_inputs({"source_instance_id": None, "nope": 1}).problems
    [unknown] = [p for p in problems if p.property == "nope"]
    assert f"allowed here: {', '.join(fields.INPUT_KEYS)}" in unknown.reason
    assert {p.property for p in problems} >= {f"{key}" for key in fields.REQUIRED[""]}


def test_the_reference_table_has_a_row_per_documented_field():
    table = fields.reference_table()
    rows = [line for line in table.splitlines()[2:]]
    assert [row.split("`")[1] for row in rows] == [f.path for f in fields.FIELDS if f.kind != "internal"]
    assert "| `source_instance_id` | input, required | string |  | yes |" in table
    assert "| `timeouts` | input | object |  | no |" in table
