"""The inputs of a `MetadataRecovery` resource: validation for `check` and comparison for `diff`.

Inputs use the API's argument names: `source_instance_id`, `source.backup_id`,
`source.restore_time` (epoch milliseconds, UTC), `target.instance_id`, `target.data_nodes`,
plus a Terraform-style `timeouts.create` (a Go duration such as `"60m"` or `"1h30m"`) and
`adopt_job_id` (wait on an existing job instead of submitting); neither forces replacement.

During `pulumi preview` an input may be unknown: the engine sends the sentinel string
`pulumi.runtime.rpc.UNKNOWN` in its place, also inside lists, and the provider process
hands it to `check`/`diff` as a `pulumi.output.Unknown` object (the plain string is
accepted too). A rule that depends on an unknown value is skipped; the others still run.

Offline rules (`check_inputs`, no network; every problem is reported at once, one
`InputProblem` per property, each naming the property and the fix):

* exactly one of `source.backup_id` and `source.restore_time`;
* `source.restore_time` is epoch milliseconds, UTC. It also accepts an ISO 8601 / RFC 3339
  string with a UTC offset (`"2024-05-20T04:40:00Z"`) or an aware `datetime`, and the
  checked inputs carry it as int ms. Times without an offset are rejected, not guessed.
  Rejected: values that look like seconds (below 10^11, with a hint to multiply by 1000),
  micro/nanoseconds, negative values, and times more than 5 minutes (clock skew) in the
  future. Details in `ddm_resources.restore_time`.
* `target.data_nodes`: a non-empty list, no duplicates, no blank entries;
* IDs (`source_instance_id`, `source.backup_id`, `target.instance_id`, each data node)
  follow the **ID rule**: exactly 32 lowercase hexadecimal characters followed by a
  4-character type suffix of two lowercase letters and two digits, as in
  `1f5c9fd6cd984056ba89c8c87cc03278in09` (DDM instance), `...br09` (backup) and `...in01`
  (RDS instance). Any such suffix is accepted; empty values, whitespace, quotes, upper
  case, names such as `ddm-prod` and truncated IDs are rejected (`input_rules.ID_PATTERN`).
* `target.instance_id` differs from `source_instance_id`.

What only the service knows (is the target empty, is the time restorable, does the backup
exist, are the nodes usable) is checked by `ddm_resources.preflight`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pydantic
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN
from pydantic import BaseModel, ConfigDict, field_validator

from .input_rules import check_id, check_job_id, check_source, check_target
from .models import RestoreSource, RestoreTarget
from .restore_time import parse_restore_time

__all__ = [
    "CheckedInputs",
    "DEFAULT_CREATE_TIMEOUT",
    "FORCE_NEW_INPUTS",
    "InputProblem",
    "MetadataRecoveryInputs",
    "Timeouts",
    "canonical",
    "check_inputs",
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

    create: str | None = None
    """How long `create` waits for the job, as a duration such as `"60m"`; default `"60m"`."""

    @field_validator("create")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
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
    timeouts: Timeouts | None = None
    adopt_job_id: str | None = None
    """Wait on this existing restore job instead of submitting one (e.g. started from the console)."""

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
    "adopt_job_id": "the ID of an existing metadata-recovery job of this target, to wait on instead of submitting",
}


@dataclass(frozen=True)
class CheckedInputs:
    """The outcome of `check_inputs`.

    * **props** - the inputs normalised (`source.restore_time` as int epoch ms when it
      parsed), unknown values left in place; what `check` hands back to the engine.
    * **problems** - one `InputProblem` per bad property; empty when all is well.
    * **inputs** - the parsed inputs when every value is known and there is no problem,
      else `None` (preflight runs only then).
    """

    props: dict[str, Any]
    problems: list[InputProblem] = field(default_factory=list)
    inputs: MetadataRecoveryInputs | None = None


def check_inputs(props: dict[str, Any], *, clock: Callable[[], float] = time.time) -> CheckedInputs:
    """Validate and normalise resource inputs offline, tolerating unknown values.

    `clock` gives the current time in epoch seconds (tests inject one); it decides what
    "in the future" means for `source.restore_time`. All problems are reported at once;
    problems that involve an unknown value are not reported. Raises nothing.
    """
    found: list[InputProblem] = []

    def report(path: str, reason: str) -> None:
        found.append(InputProblem(path, reason))

    out = dict(props)
    source_instance_id = props.get("source_instance_id")
    if source_instance_id is not None:
        check_id(report, "source_instance_id", source_instance_id, "DDM instance")
    if "source" in props:
        out["source"] = check_source(report, props["source"], int(clock() * 1000))
    if "target" in props:
        check_target(report, props["target"], source_instance_id)
    if props.get("adopt_job_id") is not None:
        check_job_id(report, "adopt_job_id", props["adopt_job_id"])
    inputs: MetadataRecoveryInputs | None = None
    try:
        inputs = MetadataRecoveryInputs.model_validate(out)
    except pydantic.ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            path = _path(loc)
            if _touches_unknown(out, loc) or any(_related(path, p.property) for p in found):
                continue
            found.append(InputProblem(path, _reason(loc, error)))
    if found or contains_unknown(out):
        return CheckedInputs(out, _dedupe(found), None)
    return CheckedInputs(out, [], inputs)


def validate_inputs(
    props: dict[str, Any], *, clock: Callable[[], float] = time.time
) -> tuple[MetadataRecoveryInputs | None, list[InputProblem]]:
    """`check_inputs` as a pair: the parsed inputs (or `None`) and the problems."""
    checked = check_inputs(props, clock=clock)
    return checked.inputs, checked.problems


def _related(path: str, other: str) -> bool:
    """True when one property path is the other or lies inside it."""
    return path == other or path.startswith((other + ".", other + "[")) or other.startswith((path + ".", path + "["))


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

    Numbers that arrive as floats (`1716180000000.0`) become ints, `source.restore_time`
    written as an ISO 8601 string equals the same instant in epoch ms, absent optional fields
    and `None` are the same (no `timeouts` equals `{}`), and the order of `target.data_nodes` does not matter.
    """
    model = {"source": RestoreSource, "target": RestoreTarget, "timeouts": Timeouts}.get(key)
    if key == "timeouts" and value is None:
        value = {}
    if key == "source" and isinstance(value, dict) and value.get("restore_time") is not None:
        try:
            value = {**value, "restore_time": parse_restore_time(value["restore_time"])}
        except ValueError:
            pass
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
