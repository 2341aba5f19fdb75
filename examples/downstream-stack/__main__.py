"""A downstream stack: reads the restore's outputs from the stack that ran it.

    pulumi config set upstreamStack organization/ddm-pitr-restore/dev   # the pitr-restore example's stack
    pulumi up

Only stack outputs cross stacks, so the upstream program exports `job_id` and `status`.
"""

import pulumi

config = pulumi.Config()
upstream = pulumi.StackReference(config.require("upstreamStack"))
job_id = upstream.require_output("job_id")
status = upstream.require_output("status")

pulumi.export("restored_by_job", job_id)
pulumi.export("restore_status", status)
pulumi.export("summary", pulumi.Output.concat("metadata restored by DDM job ", job_id, " (", status, ")"))
