"""Clone production DDM metadata onto a staging DDM instance, as of an RFC 3339 time.

Run it after the staging RDS data nodes were restored (PITR) to that same time. Required
config (the program refuses to run without it, it never falls back to example IDs):

    pulumi config set sourceInstanceId <production DDM instance ID>
    pulumi config set targetInstanceId <new, empty staging DDM instance ID>
    pulumi config set restoreTime "$(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%SZ)"  # RFC 3339, within 7 days

and the data nodes, either listed:

    pulumi config set --path 'dataNodes[0]' <RDS instance ID restored for staging>

or read from the stack that restored the RDS instances (an output holding a list of IDs):

    pulumi config set rdsStack <org>/<rds project>/<stack>
    pulumi config set rdsOutput dataNodeIds                       # default: dataNodeIds
"""

from __future__ import annotations

import pulumi

from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs, TimeoutsArgs

config = pulumi.Config()
source_instance_id = config.require("sourceInstanceId")
target_instance_id = config.require("targetInstanceId")
restore_time = config.require("restoreTime")  # checked at preview: RFC 3339 with an offset, not in the future

listed_nodes = config.get_object("dataNodes")
rds_stack = config.get("rdsStack")
if listed_nodes and rds_stack:
    raise pulumi.RunError("set either dataNodes or rdsStack, not both")
if rds_stack:
    data_nodes: pulumi.Input[list[str]] = pulumi.StackReference(rds_stack).require_output(
        config.get("rdsOutput") or "dataNodeIds")
elif listed_nodes:
    data_nodes = listed_nodes
else:
    raise pulumi.RunError(
        "missing data nodes: `pulumi config set --path 'dataNodes[0]' <RDS ID>` or "
        "`pulumi config set rdsStack <org>/<project>/<stack>` (an output listing the RDS instance IDs)")

clone = MetadataRecovery(
    "prod-to-staging",
    MetadataRecoveryArgs(
        source_instance_id=source_instance_id,
        source=RestoreSourceArgs(restore_time=restore_time),
        target=RestoreTargetArgs(instance_id=target_instance_id, data_nodes=data_nodes),
        timeouts=TimeoutsArgs(create=config.get("createTimeout") or "2h"),
    ),
)

pulumi.export("job_id", clone.job_id)
pulumi.export("status", clone.status)
pulumi.export("restored_to_ms", clone.source.apply(lambda source: source["restore_time"]))
