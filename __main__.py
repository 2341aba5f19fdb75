"""Root program: one DDM metadata recovery, described entirely by stack config.

    pulumi config set sourceInstanceId 1f5c9fd6cd984056ba89c8c87cc03278in09
    pulumi config set backupId defa45b24d314e878fde930a61732e9dbr09      # or: restoreTime <epoch ms>
    pulumi config set targetInstanceId 2f0324a93859487eb5566d75951fcd2din09
    pulumi config set --path 'dataNodes[0]' f4e2949e9b9b4d60b42c89ed39bfe34cin01
    pulumi config set ddm:projectId <project id>; pulumi config set --secret ddm:token <IAM token>
    pulumi up

Exports `job_id` and `status` (read them with `pulumi stack output`, or from another stack
through `pulumi.StackReference`). Any key may be set with `--secret` (e.g. a target instance ID
that must not appear in CI logs): it stays a secret in the state, the outputs and every line.
"""

from typing import Any

import pulumi

from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs

config = pulumi.Config()


def setting(key: str, *, required: bool = False, structured: bool = False) -> Any:
    """The stack config value of `key` (a JSON value when `structured`); None when not set or ""
    (the default of the optional keys in Pulumi.yaml). A value set with `pulumi config set --secret`
    stays a secret: it is read as an `Output` marked secret, so the state, the stack outputs and the
    provider's lines never show it."""
    if pulumi.runtime.is_config_secret(config.full_key(key)):
        read_secret = config.require_secret_object if structured else config.require_secret
        secret = read_secret(key) if required else (config.get_secret_object if structured else config.get_secret)(key)
        return secret.apply(lambda value: value if value not in ("", None) else None) if secret is not None else None
    read = (config.require_object if structured else config.require) if required else (
        config.get_object if structured else config.get)
    value = read(key)
    return value if value not in ("", None) else None


recovery = MetadataRecovery(
    "metadata-recovery",
    MetadataRecoveryArgs(
        source_instance_id=setting("sourceInstanceId", required=True),
        source=RestoreSourceArgs(
            backup_id=setting("backupId"),
            restore_time=setting("restoreTime"),  # epoch ms or ISO 8601 text: the provider parses and checks it
        ),
        target=RestoreTargetArgs(
            instance_id=setting("targetInstanceId", required=True),
            data_nodes=setting("dataNodes", required=True, structured=True),
        ),
        timeouts={"create": setting("createTimeout")} if setting("createTimeout") is not None else None,
        adopt_job_id=setting("adoptJobId"),
    ),
)

pulumi.export("job_id", recovery.job_id)
pulumi.export("status", recovery.status)
pulumi.export("target_instance_id", recovery.target.apply(lambda t: t["instance_id"]))
