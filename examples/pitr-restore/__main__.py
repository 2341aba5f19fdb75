"""Restore metadata to a point in time, after the data nodes were restored (PITR) to that time.

The time must be the one the RDS data nodes were restored to. `restore_time` takes epoch
milliseconds (UTC) or an ISO 8601 string with an offset, normalised to milliseconds.
`timeouts.create` gives a large instance more time; changing it never re-runs the restore.

    pulumi config set restoreTime 2026-11-28T02:00:00Z
    pulumi config set --path 'dataNodes[0]' f4e2949e9b9b4d60b42c89ed39bfe34cin01
    pulumi up
"""

import pulumi

from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs, TimeoutsArgs

config = pulumi.Config()

recovery = MetadataRecovery(
    "prod-to-staging-metadata",
    MetadataRecoveryArgs(
        source_instance_id=config.get("sourceInstanceId") or "1f5c9fd6cd984056ba89c8c87cc03278in09",
        source=RestoreSourceArgs(restore_time=config.require("restoreTime")),
        target=RestoreTargetArgs(
            instance_id=config.get("targetInstanceId") or "2f0324a93859487eb5566d75951fcd2din09",
            data_nodes=config.require_object("dataNodes"),
        ),
        timeouts=TimeoutsArgs(create="2h"),
    ),
)

pulumi.export("job_id", recovery.job_id)
pulumi.export("status", recovery.status)
pulumi.export("restore_time_ms", recovery.source.apply(lambda s: s["restore_time"]))
