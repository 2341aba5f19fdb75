"""The inputs of a `MetadataRecovery` once `check` accepted them, as one model: what `create`,
preflight and the waiter work with. Also the Terraform-style durations of `timeouts.create`.

`ddm_resources.inputs` judges user values and builds `MetadataRecoveryInputs` only after every
rule passed, so validating here cannot fail on anything a user wrote.
"""

# real annotations, no `from __future__ import annotations`; empty lists as `= []` (see `models`)
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .api_time import parse_duration
from .models import RestoreSource, RestoreTarget

__all__ = [
    "DEFAULT_CREATE_TIMEOUT",
    "LATEST",
    "LONGEST_CREATE_TIMEOUT",
    "LatestSource",
    "MetadataRecoveryInputs",
    "Timeouts",
    "parse_duration",
]

DEFAULT_CREATE_TIMEOUT = "60m"
"""How long `create` waits for the restore job unless `timeouts.create` says otherwise."""

LONGEST_CREATE_TIMEOUT = 7 * 24 * 3600.0
"""The longest `timeouts.create` accepted, in seconds (7 days): a restore takes minutes to hours,
so a longer deadline is a typo (`"3000h"` for `"30h"`) that would hold `pulumi up` for months."""


class Timeouts(BaseModel):
    """Terraform-style deadlines. Changing them never replaces the resource."""

    model_config = ConfigDict(extra="forbid")

    create: str | None = None
    """How long `create` waits for the job, as a duration such as `"60m"`; default `"60m"`."""


LATEST = "latest"
"""`source.restore_time = "latest"`: the source's newest restorable time, resolved at create."""


class LatestSource(BaseModel):
    """`source` as `{"restore_time": "latest"}`: stays so in the inputs (no replace on the next
    run); `create` resolves it from `restorable-time-interval` (`MetadataRecoveryInputs.resolved`)."""

    model_config = ConfigDict(extra="forbid")

    restore_time: Literal["latest"]
    backup_id: None = None


class MetadataRecoveryInputs(BaseModel):
    """All inputs of a `MetadataRecovery`, as `check_inputs` accepted them."""

    model_config = ConfigDict(extra="forbid")

    source_instance_id: str
    """ID of the source DDM instance whose metadata is restored."""
    source: RestoreSource | LatestSource
    target: RestoreTarget
    timeouts: Timeouts | None = None
    adopt_job_id: str | None = None
    """Wait on this existing restore job instead of submitting one (e.g. started from the console)."""
    verify: bool | None = None
    """Check the target after the job is `Completed` (`verification`); `None` means true."""
    max_restore_age: str | None = None
    """The oldest restore point accepted, as a duration such as `"24h"` (`rpo`); `None`: any."""
    resource_name: str | None = None
    """The resource's Pulumi name, set by `MetadataRecovery`; used in messages, never compared."""

    @property
    def create_timeout_text(self) -> str:
        """The create deadline as written, e.g. `"60m"`."""
        return (self.timeouts and self.timeouts.create) or DEFAULT_CREATE_TIMEOUT

    @property
    def create_timeout(self) -> float:
        """The create deadline in seconds."""
        return parse_duration(self.create_timeout_text)

    def to_props(self) -> dict[str, Any]:
        """The inputs as plain JSON-able values, unused optional fields left out."""
        return self.model_dump(mode="json", exclude_none=True)

    @property
    def verifies(self) -> bool:
        """True unless `verify` is false."""
        return self.verify is not False

    @property
    def max_restore_age_seconds(self) -> float | None:
        """`max_restore_age` in seconds, `None` when unset."""
        return parse_duration(self.max_restore_age) if self.max_restore_age else None

    @property
    def latest(self) -> bool:
        """True for `source.restore_time = "latest"`, not resolved yet."""
        return isinstance(self.source, LatestSource)

    @property
    def restore_source(self) -> RestoreSource:
        """The source as the API takes it; raises `ValueError` while `"latest"` is not resolved."""
        if isinstance(self.source, LatestSource):
            raise ValueError('source.restore_time "latest" is resolved at create (resolved())')
        return self.source

    def resolved(self, restore_time_ms: int) -> "MetadataRecoveryInputs":
        """These inputs with `"latest"` replaced by `restore_time_ms` (epoch ms)."""
        return self.model_copy(update={"source": RestoreSource(restore_time=restore_time_ms)})
