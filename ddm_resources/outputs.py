"""The outputs of a restore's point in time: `restored_to` (epoch ms) and `restored_to_utc`.

`known_outputs` gives what `check` can tell from the inputs alone (so a preview shows it instead of
`[unknown]`); `restored_to_outputs` what `create` did; `with_utc` fills `restored_to_utc` for a resource
recorded before that output existed (`refresh`, `update`). The outputs a job gives are
`refresh.job_outputs`; those of the check of the target, `verification.verified_outputs`.
"""

from __future__ import annotations

from typing import Any

from .api_time import format_ms
from .input_model import MetadataRecoveryInputs

__all__ = ["known_outputs", "restored_to_outputs", "with_utc"]


def restored_to_outputs(ms: int | None) -> dict[str, int | str | None]:
    """`restored_to` (epoch ms) and `restored_to_utc` (RFC 3339, UTC, e.g. `2024-05-20T04:40:00Z`),
    both `None` when the restore was not by time."""
    return {"restored_to": ms, "restored_to_utc": format_ms(ms) if ms is not None else None}


def with_utc(outs: dict[str, Any]) -> dict[str, Any]:
    """`outs` with `restored_to_utc`, derived from the recorded `restored_to` by `refresh` and
    `update` for a resource created before that output existed (nothing else is changed)."""
    if "restored_to_utc" in outs:
        return outs
    ms = outs.get("restored_to")
    ms = int(ms) if isinstance(ms, (int, float)) and not isinstance(ms, bool) and ms == int(ms) else None
    return {**outs, "restored_to_utc": restored_to_outputs(ms)["restored_to_utc"]}


def known_outputs(inputs: MetadataRecoveryInputs) -> dict[str, int | str | None]:
    """The outputs the checked inputs alone tell, returned by `check` so that a preview shows them
    instead of `[unknown]` (the engine calls no `create` at preview and takes `check`'s answer as
    the new state): a restore from a backup, or of the job named by `adopt_job_id`, has no point in
    time (`restored_to` and `restored_to_utc` empty); a restore by a fixed time has that time.
    `"latest"` is resolved at create: unknown until then. `create` sets them again from what it
    did: when it adopts a running restore of the target instead of submitting, they are empty."""
    if inputs.latest:
        return {}
    if inputs.adopt_job_id or inputs.restore_source.backup_id is not None:
        return restored_to_outputs(None)
    return restored_to_outputs(inputs.restore_source.restore_time)
