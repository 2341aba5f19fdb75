"""`plugin_schema`: the plugin's schema follows `fields.py` (every input and output with its
description and unit, a new field without an edit), names translate both ways, versions as semver.
"""

from __future__ import annotations

import json

import pytest

from ddm_resources import plugin_schema
from ddm_resources.fields import FIELDS, Field
from ddm_resources.plugin_schema import RESOURCE_TOKEN, camel, field_path, schema, semver, wire_name


def test_every_input_and_output_is_in_the_schema_with_its_description_and_unit():
    resource = schema("1.0.0")["resources"][RESOURCE_TOKEN]
    types = schema("1.0.0")["types"]
    for f in FIELDS:
        if f.kind == "internal":
            continue
        if f.parent:
            token = "ddm:index:MetadataRecovery" + camel(f.parent)[:1].upper() + camel(f.parent)[1:]
            spec = types[token]["properties"][camel(f.key)]
        else:
            spec = resource["properties"][camel(f.key)]
            if f.kind == "input":
                assert resource["inputProperties"][camel(f.key)] == spec
        assert spec["description"].startswith(f.description)
        if f.unit:
            assert f"Unit: {f.unit}." in spec["description"]
    assert resource["requiredInputs"] == ["sourceInstanceId", "source", "target"]
    assert "jobId" in resource["required"]
    assert types["ddm:index:MetadataRecoveryTarget"]["required"] == ["instanceId", "dataNodes"]
    assert resource["properties"]["source"] == {**resource["properties"]["source"],
                                                "$ref": "#/types/ddm:index:MetadataRecoverySource"}


def test_a_field_added_to_fields_appears_without_an_edit(monkeypatch):
    added = Field("verified_at", "string", "output", "When the restore was verified.", unit="UTC")
    monkeypatch.setattr(plugin_schema, "FIELDS", (*FIELDS, added))
    spec = schema("1.0.0")["resources"][RESOURCE_TOKEN]["properties"]["verifiedAt"]
    assert spec == {"type": "string", "description": "When the restore was verified. Unit: UTC."}


def test_names_translate_both_ways():
    for f in FIELDS:
        assert field_path(wire_name(f.path)) == f.path
    assert wire_name("target.data_nodes") == "target.dataNodes"


@pytest.mark.parametrize("pep440, expected", [
    ("0.1.dev304+g7f33cc0b9", "0.1.0-dev.304+g7f33cc0b9"), ("1.2.3", "1.2.3"), ("1.2rc1", "1.2.0-rc.1"),
    ("0+unknown", "0.0.0+unknown"), ("not a version", "0.0.0")])
def test_semver(pep440, expected):
    assert semver(pep440) == expected


def test_the_schema_is_json():
    assert json.loads(plugin_schema.schema_json("1.0.0"))["name"] == "ddm"
