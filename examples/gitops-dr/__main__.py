"""GitOps DR: the restore declared in `Pulumi.dr.yaml`, applied by CI on merge.

Required config (refused when missing): `sourceInstanceId`, `targetInstanceId`, `dataNodes`,
and exactly one of `backupId` and `restoreTime` (epoch ms or RFC 3339 with an offset).
To restore again onto a new, empty instance, change `targetInstanceId` in a pull request.
"""

from __future__ import annotations

import pulumi

from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs, TimeoutsArgs

config = pulumi.Config()
backup_id = config.get("backupId")
restore_time = config.get("restoreTime")
if not backup_id and not restore_time:
    raise pulumi.RunError("missing the restore point: set backupId or restoreTime in Pulumi.dr.yaml")

recovery = MetadataRecovery(
    "dr-metadata",
    MetadataRecoveryArgs(
        source_instance_id=config.require("sourceInstanceId"),
        source=RestoreSourceArgs(backup_id=backup_id, restore_time=restore_time),
        target=RestoreTargetArgs(instance_id=config.require("targetInstanceId"),
                                 data_nodes=config.require_object("dataNodes")),
        timeouts=TimeoutsArgs(create=config.get("createTimeout") or "60m"),
    ),
)

pulumi.export("job_id", recovery.job_id)
pulumi.export("status", recovery.status)
