"""Root program: one DDM metadata recovery, described entirely by stack config.

    pulumi config set sourceInstanceId 1f5c9fd6cd984056ba89c8c87cc03278in09
    pulumi config set backupId defa45b24d314e878fde930a61732e9dbr09      # or: restoreTime <epoch ms>
    pulumi config set targetInstanceId 2f0324a93859487eb5566d75951fcd2din09
    pulumi config set --path 'dataNodes[0]' f4e2949e9b9b4d60b42c89ed39bfe34cin01
    pulumi config set ddm:projectId <project id>; pulumi config set --secret ddm:token <IAM token>
    pulumi up

Exports `job_id` and `status` (read them with `pulumi stack output`, or from another stack
through `pulumi.StackReference`).
"""

import pulumi

from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs

config = pulumi.Config()
# Optional keys default to "" in Pulumi.yaml; "" means "not set".
backup_id = config.get("backupId") or None
restore_time = config.get("restoreTime") or None
create_timeout = config.get("createTimeout") or None
adopt_job_id = config.get("adoptJobId") or None

recovery = MetadataRecovery(
    "metadata-recovery",
    MetadataRecoveryArgs(
        source_instance_id=config.require("sourceInstanceId"),
        source=RestoreSourceArgs(
            backup_id=backup_id,
            restore_time=restore_time,  # epoch ms or ISO 8601 text: the provider parses and checks it
        ),
        target=RestoreTargetArgs(
            instance_id=config.require("targetInstanceId"),
            data_nodes=config.require_object("dataNodes"),
        ),
        timeouts={"create": create_timeout} if create_timeout else None,
        adopt_job_id=adopt_job_id,
    ),
)

pulumi.export("job_id", recovery.job_id)
pulumi.export("status", recovery.status)
pulumi.export("target_instance_id", recovery.target.apply(lambda t: t["instance_id"]))
