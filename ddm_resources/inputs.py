"""The inputs of a `MetadataRecovery` resource: validation for `check` and comparison for `diff`.

Inputs use the API's argument names: `source_instance_id`, `source.backup_id`,
`source.restore_time` (epoch milliseconds, UTC), `target.instance_id`, `target.data_nodes`,
plus a Terraform-style `timeouts.create` (a Go duration such as `"60m"` or `"1h30m"`).

During `pulumi preview` an input may be unknown: the engine sends the sentinel string
`pulumi.runtime.rpc.UNKNOWN` in its place, also inside lists, and the provider process
hands it to `check`/`diff` as a `pulumi.output.Unknown` object (the plain string is
accepted too). A rule that depends on an unknown value is skipped; the others still run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

import pydantic
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN
from pydantic import BaseModel, ConfigDict, field_validator

from .models import RestoreSource, RestoreTarget

__all__ = [
    "DEFAULT_CREATE_TIMEOUT",
    "FORCE_NEW_INPUTS",
    "InputProblem",
    "MetadataRecoveryInputs",
    "Timeouts",
    "canonical",
    "contains_unknown",
    "is_unknown",
    "parse_duration",
    "validate_inputs",
]

DEFAULT_CREATE_TIMEOUT = "60m"
"""How long `create` waits for the restore job unless `timeouts.create` says otherwise."""

FORCE_NEW_INPUTS = ("source_instance_id", "source", "target")
"""Inputs whose change replaces the resource (a new restore). `timeouts` is not among them."""

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str) -> float:
    """Parse a Go/Terraform duration (`"90s"`, `"60m"`, `"1h30m"`) into seconds.

    Raises `ValueError` for anything else, including zero and negative durations.
    """
    text = text.strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f'{text!r} is not a duration; write it like "60m", "1h30m" or "90s"')
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return seconds


class Timeouts(BaseModel):
    """Terraform-style deadlines. Changing them never replaces the resource."""

    model_config = ConfigDict(extra="forbid")

    create: Optional[str] = None
    """How long `create` waits for the job, as a duration such as `"60m"`; default `"60m"`."""

    @field_validator("create")
    @classmethod
    def _duration(cls, value: Optional[str]) -> Optional[str]:
        if value is not None:
            parse_duration(value)
        return value


class MetadataRecoveryInputs(BaseModel):
    """All inputs of a `MetadataRecovery`, as the provider receives them."""

    model_config = ConfigDict(extra="forbid")

    source_instance_id: str
    """ID of the source DDM instance whose metadata is restored."""
    source: RestoreSource
    target: RestoreTarget
    timeouts: Optional[Timeouts] = None

    @property
    def create_timeout(self) -> float:
        """The create deadline in seconds."""
        text = (self.timeouts and self.timeouts.create) or DEFAULT_CREATE_TIMEOUT
        return parse_duration(text)

    def to_props(self) -> dict[str, Any]:
        """The inputs as plain JSON-able values, unused optional fields left out."""
        return self.model_dump(mode="json", exclude_none=True)


@dataclass(frozen=True)
class InputProblem:
    """One bad input: the property path (e.g. `target.data_nodes`) and what to do about it."""

    property: str
    reason: str


_HINTS = {
    "source_instance_id": "the ID of the source DDM instance, e.g. 1f5c9fd6cd984056ba89c8c87cc03278in09",
    "source": "an object with exactly one of backup_id or restore_time",
    "source.backup_id": "the ID of a metadata backup of the source instance, e.g. defa45b24d314e878fde930a61732e9dbr09",
    "source.restore_time": "a point in time as epoch milliseconds, UTC, e.g. 1716180000000",
    "target": "an object with instance_id and data_nodes",
    "target.instance_id": "the ID of the new, empty target DDM instance",
    "target.data_nodes": "a list of the IDs of the RDS instances already restored (PITR) for the target",
    "timeouts": 'an object such as {"create": "60m"}',
}


def validate_inputs(props: dict[str, Any]) -> tuple[Optional[MetadataRecoveryInputs], list[InputProblem]]:
    """Validate resource inputs, tolerating unknown values.

    Returns the parsed inputs when every value is known and valid, else `None`, plus one
    `InputProblem` per bad field. Problems that involve an unknown value are not reported.
    """
    try:
        return MetadataRecoveryInputs.model_validate(props), []
    except pydantic.ValidationError as exc:
        problems: list[InputProblem] = []
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            if _touches_unknown(props, loc):
                continue
            problems.append(InputProblem(_path(loc), _reason(loc, error)))
        return None, _dedupe(problems)


def is_unknown(value: Any) -> bool:
    """True for a value the engine does not know yet (preview)."""
    return isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN)


def contains_unknown(value: Any) -> bool:
    """True when `value` is, or holds anywhere inside, an unknown value."""
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    return False


def canonical(key: str, value: Any) -> Any:
    """A comparable form of one input, so `diff` ignores representation-only differences.

    Numbers that arrive as floats (`1716180000000.0`) become ints, absent optional fields
    and `None` are the same (no `timeouts` equals `{}`), and the order of `target.data_nodes` does not matter.
    """
    model = {"source": RestoreSource, "target": RestoreTarget, "timeouts": Timeouts}.get(key)
    if key == "timeouts" and value is None:
        value = {}
    if model is None or not isinstance(value, dict):
        return value
    try:
        data = model.model_validate(value).model_dump(exclude_none=True)
    except pydantic.ValidationError:
        return value
    if key == "target":
        data["data_nodes"] = sorted(data["data_nodes"])
    return data


def _touches_unknown(props: Any, loc: tuple) -> bool:
    """True if the value at `loc` (or any value on the way to it) is or holds an unknown."""
    node = props
    for part in loc:
        if is_unknown(node):
            return True
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return False
    return contains_unknown(node)


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "inputs"


def _reason(loc: tuple, error: dict) -> str:
    path = _path(loc)
    field = ".".join(p for p in loc if isinstance(p, str))
    hint = _HINTS.get(field)
    kind = error["type"]
    if kind == "missing":
        return f"{path} is required: set it to {hint}" if hint else f"{path} is required"
    if kind == "extra_forbidden":
        owner = {"source": RestoreSource, "target": RestoreTarget, "timeouts": Timeouts}.get(
            field.rpartition(".")[0], MetadataRecoveryInputs
        )
        known = ", ".join(owner.model_fields)
        return f"{path} is not a known input; check the spelling (allowed here: {known})"
    if kind == "too_short" and field == "target.data_nodes":
        return f"{path} is empty: list at least one data node, {hint}"
    if kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
        return f"{path}: {message}"
    return f"{path}: {error['msg']}" + (f"; expected {hint}" if hint else "")


def _dedupe(problems: list[InputProblem]) -> list[InputProblem]:
    seen: set[InputProblem] = set()
    return [p for p in problems if not (p in seen or seen.add(p))]
