"""`plugin_wire`: the plugin's properties, from the engine and back: secrets and numbers kept.
"""

from __future__ import annotations

import pytest

# the SDK's provider support the plugin is built on (pulumi 3.175 and newer; scripts/test-lowest runs 3.139)
pytest.importorskip("pulumi.provider.experimental", reason="the provider plugin needs pulumi >= 3.175")

from pulumi.provider.experimental.property_value import PropertyValue

from ddm_resources.plugin_wire import from_wire, to_wire


def test_properties_from_the_engine_and_back_keep_secrets_and_numbers():
    wire = {"sourceInstanceId": PropertyValue("src"),
            "source": PropertyValue({"restoreTime": PropertyValue(1716180000000.0)}),
            "target": PropertyValue({"instanceId": PropertyValue("tgt", is_secret=True),
                                     "dataNodes": PropertyValue([PropertyValue("n1")])})}
    props = from_wire(wire, "recovery")
    assert props == {"source_instance_id": "src", "source": {"restore_time": 1716180000000},
                     "target": {"instance_id": "tgt", "data_nodes": ["n1"]}, "resource_name": "recovery",
                     "__secret_inputs": ["target.instance_id"]}
    back = to_wire({**props, "job_id": "j1", "restored_to": None})
    assert set(back) == {"sourceInstanceId", "source", "target", "jobId"}
    assert back["target"].is_secret and not back["source"].is_secret
    assert back["source"].value["restoreTime"].value == 1716180000000.0
    assert set(to_wire({**props, "job_id": "j1"}, inputs_only=True)) == {"sourceInstanceId", "source", "target"}
