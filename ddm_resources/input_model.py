"""The inputs of a `MetadataRecovery` once `check` accepted them, as one model: what `create`,
preflight and the waiter work with. Also the Terraform-style durations of `timeouts.create`.

`ddm_resources.inputs` judges user values and builds `MetadataRecoveryInputs` only after every
rule passed, so validating here cannot fail on anything a user wrote.
"""

# real annotations, no `from __future__ import annotations`; empty lists as `= []` (see `models`)
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .models import RestoreSource, RestoreTarget
from .restore_time import shown

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

_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(h|ms|m|s)")
"""ASCII digits only: `\\d` (and `float`) would read `١h` as an hour."""
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_LONGEST_DURATION = 32
"""Longer texts are no duration anyone means; refusing them early keeps the parse linear."""


def parse_duration(text: str) -> float:
    """Parse a Go/Terraform duration (`"90s"`, `"60m"`, `"1h30m"`) into seconds.

    Raises `ValueError` for anything else, including zero and negative durations.
    """
    text = text.strip()
    parts = _DURATION_PART.findall(text) if len(text) <= _LONGEST_DURATION else []
    if not parts or "".join(n + u for n, u in parts) != text:
        digits = " with the digits 0-9" if not text.isascii() and any(c.isdigit() for c in text) else ""
        raise ValueError(f'{shown(text)} is not a duration; write it{digits} like "60m", "1h30m" or "90s"')
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"{shown(text)} must be longer than zero")
    return seconds


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
