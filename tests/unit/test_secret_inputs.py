"""Inputs given as secrets are never printed by the provider (issue 19 item 7): Pulumi hands a dynamic
provider plain values, so `MetadataRecovery` lists the paths of its secret inputs in
`__secret_inputs`, and every line, check failure and error of the provider masks their values,
while answers of the service naming them are still matched (the preflight passes)."""

from __future__ import annotations

from pulumi.dynamic import Config, ConfigureRequest

from ddm_emulator import DEMO_PROJECT_ID, Fault
from ddm_resources.provider import SECRET_INPUTS_KEY, MetadataRecoveryProvider
from tests.conftest import BACKUP, SOURCE, TOKEN
from tests.restore_targets import add_restore_targets


def secret_target(emulator) -> tuple[dict, str]:
    """Inputs whose target (a new instance: the mask lasts for the process) is given as a secret."""
    target = add_restore_targets(emulator.backend, 1)[0]
    return {"source_instance_id": SOURCE, "source": {"backup_id": BACKUP},
            "target": {"instance_id": target.instance_id, "data_nodes": [target.data_node]},
            SECRET_INPUTS_KEY: ["target.instance_id"], "resource_name": "r"}, target.instance_id


def configured(emulator) -> MetadataRecoveryProvider:
    provider = MetadataRecoveryProvider()
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
