"""Pulumi dynamic provider for Open Telekom Cloud DDM metadata recovery.

`MetadataRecovery` restores a source DDM instance's metadata (from a `backup_id` or a
`restore_time` in epoch milliseconds, UTC) onto a new, empty target DDM instance whose data
nodes were already restored to the same point in time, and waits for the job.

Modules: `models`/`lookup_models` (API bodies), `api_time` (the service's times),
`http_boundary`/`sanitize`/`client` (HTTP), `retry`,
`auth`/`settings`/`clouds` (credentials), `inputs`/`restore_time` (check and
diff rules), `preflight`, `waiter`/`recovery` (the exactly-once create flow), `provider`
(the dynamic provider), `resource` (what programs declare). The local DDM API emulator is the
separate package `ddm_emulator`.
"""

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    ApiError,
    ConfigurationError,
    DdmError,
    JobFailedError,
    JobTimeoutError,
    OutcomeUnknownError,
    RecoveryError,
)
from .resource import (  # noqa: E402
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
    "RestoreSourceArgs",
    "RestoreSourceArgsDict",
    "RestoreTargetArgs",
    "RestoreTargetArgsDict",
    "TimeoutsArgs",
    "TimeoutsArgsDict",
    "__version__",
]
