"""Restore metadata to a point in time, after the data nodes were restored (PITR) to that time.

The time must be the one the RDS data nodes were restored to. `restore_time` takes epoch
milliseconds (UTC) or an ISO 8601 string with an offset, normalised to milliseconds.
`timeouts.create` gives a large instance more time; changing it never re-runs the restore.

    pulumi config set sourceInstanceId <source DDM instance ID>
    pulumi config set targetInstanceId <new, empty DDM instance ID>
    pulumi config set restoreTime "$(date -u -d '2 hours ago' +%Y-%m-%dT%H:%M:%SZ)"  # the data nodes' PITR time
    pulumi config set --path 'dataNodes[0]' <RDS instance ID restored (PITR) to that time>
    pulumi up

Every value is required: the program refuses to run without it (no example IDs).
"""

import pulumi

from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs, TimeoutsArgs

config = pulumi.Config()

recovery = MetadataRecovery(
    "prod-to-staging-metadata",
    MetadataRecoveryArgs(
        source_instance_id=config.require("sourceInstanceId"),
        source=RestoreSourceArgs(restore_time=config.require("restoreTime")),
        target=RestoreTargetArgs(
            instance_id=config.require("targetInstanceId"),
            data_nodes=config.require_object("dataNodes"),
        ),
        timeouts=TimeoutsArgs(create="2h"),
    ),
)

pulumi.export("job_id", recovery.job_id)
pulumi.export("status", recovery.status)
pulumi.export("restore_time_ms", recovery.source.apply(lambda s: s["restore_time"]))
