"""
Settings combinations, so a test can hold under every answer the DDM docs leave open.

Where the docs are silent the emulator offers each plausible answer as a setting
(`EmulatorSettings`); the provider must be right under all of them. A test suite
parametrises over these lists, e.g. with pytest, overriding a fixture that builds
the emulator from an `EmulatorSettings`:

    @pytest.mark.parametrize("emulator_settings", [s for _, s in one_switch_at_a_time(BASE)],
                             ids=[name for name, _ in one_switch_at_a_time(BASE)])

`SWITCH_VARIANTS` maps every documented-open switch to all its choices (the
default first); `RESTORE_SWITCHES`, `ADOPTION_SWITCHES`, `PREFLIGHT_SWITCHES` and
`VERIFY_SWITCHES` name the ones that matter to each part of a client.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable
from typing import Any

from .settings import EmulatorSettings

__all__ = [
    "ADOPTION_SWITCHES",
    "PREFLIGHT_SWITCHES",
    "RESTORE_SWITCHES",
    "STATUS_SWITCHES",
    "SWITCH_VARIANTS",
    "VERIFY_SWITCHES",
    "all_combinations",
    "one_switch_at_a_time",
]

RESTORE_SWITCHES: tuple[str, ...] = (
    "restore_refusal",
    "failed_restore_leaves_target",
    "repost_while_running",
    "repost_after_completed",
    "float_restore_time",
    "retry_after_on_429",
)
"""What a restore POST and its job's end depend on (issue 13 items 2, 3, 5)."""

ADOPTION_SWITCHES: tuple[str, ...] = (
    "job_bound_to",
    "job_name",
    "offset_reading",
    "job_time_format",
    "end_time_while_running",
)
"""What finding one's own job in the job list depends on (issue 13 items 1, 5, 6)."""

PREFLIGHT_SWITCHES: tuple[str, ...] = (
    "missing_source_answer",
    "old_backup_restore_time",
    "offset_reading",
    "data_node_values",
)
"""What the read-only restore APIs' answers depend on (issue 13 items 4, 5, 7)."""

VERIFY_SWITCHES: tuple[str, ...] = (
    "time_restore_schemas",
    "deleted_instance_answer",
    "missing_schema_answer",
    "shard_number_type",
    "offset_reading",
    "data_node_values",
)
"""What the reads after a restore (instance details, schema list and details) depend on (issue 22)."""

STATUS_SWITCHES: tuple[str, ...] = ("job_status_case",)
"""How job status values are spelled (issue 7 item 4); per-job overrides cover the rest."""

_FIELDS = {f.name: f for f in dataclasses.fields(EmulatorSettings)}


def _choices(name: str) -> tuple[Any, ...]:
    spec = _FIELDS[name]
    choices: tuple[Any, ...] = spec.metadata["choices"] or (spec.default, not spec.default)
    return (spec.default, *(c for c in choices if c != spec.default))


SWITCH_VARIANTS: dict[str, tuple[Any, ...]] = {
    name: _choices(name)
    for name in dict.fromkeys(
        (*RESTORE_SWITCHES, *ADOPTION_SWITCHES, *PREFLIGHT_SWITCHES, *VERIFY_SWITCHES, *STATUS_SWITCHES)
    )
}
"""Every documented-open switch and all its choices, the default first."""


def one_switch_at_a_time(
    base: EmulatorSettings | None = None, names: Iterable[str] = SWITCH_VARIANTS
) -> list[tuple[str, EmulatorSettings]]:
    """`base` (id `default`), then `base` with each other choice of each named switch alone.

    Returns `(id, settings)` pairs; an id reads `job_bound_to=source`."""
    base = base or EmulatorSettings()
    found = [("default", base)]
    for name in names:
        for choice in SWITCH_VARIANTS[name]:
            if choice != getattr(base, name):
                found.append((f"{name}={choice}", base.replace(**{name: choice})))
    return found


def all_combinations(
    base: EmulatorSettings | None = None, names: Iterable[str] = ADOPTION_SWITCHES[:2]
) -> list[tuple[str, EmulatorSettings]]:
    """Every combination of the named switches' choices over `base` (keep `names` short)."""
    base = base or EmulatorSettings()
    names = list(names)
    found = []
    for values in itertools.product(*(SWITCH_VARIANTS[n] for n in names)):
        changes = dict(zip(names, values, strict=True))
        found.append((",".join(f"{n}={v}" for n, v in changes.items()), base.replace(**changes)))
    return found
