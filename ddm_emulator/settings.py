"""
The emulator's settings as data: one frozen dataclass, each field a switch.

Every field has a default, a help text and (for strings) its choices in the
field's metadata. The command line (`python -m ddm_emulator --help`) and the
admin API (`POST /_emulator/config`) are both built from these fields, so a
setting exists once. `EmulatorSettings.replace(**changes)` validates names,
JSON types and choices and raises `ValueError` naming the setting.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_JOB_SECONDS", "DEFAULT_TOKEN_TTL_SECONDS", "EmulatorSettings", "setting_fields"]

DEFAULT_JOB_SECONDS = 3.0
DEFAULT_TOKEN_TTL_SECONDS = 24 * 3600.0


def _setting(
    default: Any, help: str, *, choices: tuple[str, ...] = (), minimum: float | None = None, positive: bool = False
) -> Any:
    metadata = {"help": help, "choices": choices, "minimum": minimum, "positive": positive}
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class EmulatorSettings:
    """What the emulated service does where the DDM docs leave a choice, plus its speed."""

    job_seconds: float = _setting(
        DEFAULT_JOB_SECONDS, "emulated seconds a restore job runs", minimum=0.0
    )
    clock_scale: float = _setting(1.0, "emulated seconds per real second", positive=True)
    token_ttl_seconds: float = _setting(
        DEFAULT_TOKEN_TTL_SECONDS, "lifetime of issued IAM tokens, emulated seconds", positive=True
    )
    error_style: str = _setting(
        "auto",
        "DDM error body: auto (v1 paths errCode/externalMessage, others error_code/error_msg), v3 or v1",
        choices=("auto", "v3", "v1"),
    )

    def replace(self, **changes: Any) -> EmulatorSettings:
        """A copy with `changes` applied; `ValueError` on an unknown name or a bad value."""
        known = {f.name: f for f in dataclasses.fields(self)}
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown setting: {name}")
            checked[name] = _check(known[name], value)
        return dataclasses.replace(self, **checked)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready data."""
        return dataclasses.asdict(self)


def setting_fields() -> tuple[dataclasses.Field[Any], ...]:
    """The fields of `EmulatorSettings`, in declaration order (for the CLI and docs)."""
    return dataclasses.fields(EmulatorSettings)


def _check(spec: dataclasses.Field[Any], value: Any) -> Any:
    name, default = spec.name, spec.default
    choices: tuple[str, ...] = spec.metadata["choices"]
    minimum: float | None = spec.metadata["minimum"]
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if isinstance(default, (int, float)):
        kinds = (int,) if isinstance(default, int) else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or value != value:
            raise ValueError(f"{name} must be {'an integer' if kinds == (int,) else 'a number'}")
        if spec.metadata["positive"] and not value > 0:
            raise ValueError(f"{name} must be > 0")
        if minimum is not None and value < minimum:
            raise ValueError(f"{name} must be >= {minimum:g}")
        return type(default)(value)
    if not isinstance(value, str) or (choices and value not in choices):
        raise ValueError(f"{name} must be one of {', '.join(choices)}")
    return value
