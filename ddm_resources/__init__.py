"""Pulumi dynamic provider for Open Telekom Cloud DDM metadata recovery.

`MetadataRecovery` restores a source DDM instance's metadata (from a `backup_id` or a
`restore_time` in epoch milliseconds, UTC) onto a new, empty target DDM instance whose data
nodes were already restored to the same point in time, and waits for the job.

The modules, their layers (imports only point down) and the flow of a restore: docs/design.md.
`decision` decides whether a restore is submitted, adopted or refused; `restore` carries that out
(the POST itself is `client.DdmClient.restore_metadata`); `provider` adapts Pulumi's calls to them
and `resource` is what programs declare. The local DDM API emulator is the separate package
`ddm_emulator`.
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from .errors import (  # noqa: E402
    ApiError,
    ConfigurationError,
    DdmError,
    JobFailedError,
    JobTimeoutError,
    OutcomeUnknownError,
    RecoveryError,
    RestoreError,
)
from .version import __version__  # noqa: E402

if _TYPE_CHECKING:
    from .resource import (
        MetadataRecovery,
        MetadataRecoveryArgs,
        MetadataRecoveryArgsDict,
        RestoreSourceArgs,
        RestoreSourceArgsDict,
        RestoreTargetArgs,
        RestoreTargetArgsDict,
        TimeoutsArgs,
        TimeoutsArgsDict,
    )
    from .restore_window import RestoreWindow


def __getattr__(name: str) -> object:
    """The names of `ddm_resources.resource` (those of `__all__` not defined here), imported on
    first use: a program uses them, the provider process (which imports this package to reach
    `ddm_resources.provider`) never does, and loading `resource` there costs 15 million
    instructions, about 4 ms (bench/README.md)."""
    if name in __all__:
        from . import resource

        value = getattr(resource, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_restore_window(source_instance_id: str) -> "RestoreWindow":  # noqa: UP037
    """The restorable time ranges (epoch ms) and metadata backups of a DDM source instance, read
    with the provider's settings (`ddm:*` stack config, environment, clouds.yaml), so that a
    program can choose a time or a backup at preview (`ddm_resources.restore_window`)."""
    from .restore_window import get_restore_window as read

    return read(source_instance_id)


__all__ = [
    "ApiError",
    "ConfigurationError",
    "DdmError",
    "JobFailedError",
    "JobTimeoutError",
    "MetadataRecovery",
    "MetadataRecoveryArgs",
    "MetadataRecoveryArgsDict",
    "OutcomeUnknownError",
    "RecoveryError",
    "RestoreError",
    "RestoreSourceArgs",
    "RestoreSourceArgsDict",
    "RestoreTargetArgs",
    "RestoreTargetArgsDict",
    "TimeoutsArgs",
    "TimeoutsArgsDict",
    "get_restore_window",
    "__version__",
]
