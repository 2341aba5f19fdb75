"""`MetadataRecovery`: the Pulumi resource users declare, and its typed arguments.

    recovery = MetadataRecovery(
        "staging-metadata",
        MetadataRecoveryArgs(
            source_instance_id="1f5c9fd6cd984056ba89c8c87cc03278in09",
            source=RestoreSourceArgs(backup_id="defa45b24d314e878fde930a61732e9dbr09"),
            target=RestoreTargetArgs(
                instance_id="2f0324a93859487eb5566d75951fcd2din09",
                data_nodes=["f4e2949e9b9b4d60b42c89ed39bfe34cin01"],
            ),
        ),
    )
    pulumi.export("job_id", recovery.job_id)

The type token is `pulumi-python:dynamic/ddm:MetadataRecovery`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from .provider import OUTPUT_KEYS, MetadataRecoveryProvider

__all__ = [
    "MetadataRecovery",
    "MetadataRecoveryArgs",
    "RestoreSourceArgs",
    "RestoreTargetArgs",
    "TimeoutsArgs",
]


@dataclass(frozen=True, kw_only=True)
class RestoreSourceArgs:
    """The metadata to restore: set exactly one of `backup_id` and `restore_time`."""

    backup_id: pulumi.Input[str] | None = None
    """ID of a metadata backup of the source instance (e.g. `defa45b24d314e878fde930a61732e9dbr09`)."""
    restore_time: pulumi.Input[int | str | datetime] | None = None
    """Point in time as epoch milliseconds, UTC; the same time the data nodes were restored to.
    Also accepted: an ISO 8601 string with a UTC offset (`"2024-05-20T04:40:00Z"`) or an aware
    `datetime`; the provider stores epoch ms. Times without an offset are rejected."""


@dataclass(frozen=True, kw_only=True)
class RestoreTargetArgs:
    """Where to restore to: a new, empty DDM instance and its PITR-restored data nodes."""

    instance_id: pulumi.Input[str]
    """ID of the target DDM instance (no data nodes, schemas or accounts)."""
    data_nodes: pulumi.Input[Sequence[pulumi.Input[str]]]
    """IDs of the RDS for MySQL instances already restored to the same point in time."""


@dataclass(frozen=True, kw_only=True)
class TimeoutsArgs:
    """Terraform-style deadlines; changing them never replaces the resource."""

    create: str | None = None
    """How long `pulumi up` waits for the restore job, e.g. `"60m"` (the default) or `"2h"`."""


SourceInput = RestoreSourceArgs | Mapping[str, Any]
TargetInput = RestoreTargetArgs | Mapping[str, Any]
TimeoutsInput = TimeoutsArgs | Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class MetadataRecoveryArgs:
    """Arguments of `MetadataRecovery`; the names are the API's (ddm-api.md section 2.1).

    `source` and `target` accept the `*Args` classes or plain dicts with the same keys.
    A change to `source_instance_id`, `source` or `target` replaces the resource, which
    runs a new restore; a change to `timeouts` or `adopt_job_id` does not.
    """

    source_instance_id: pulumi.Input[str]
    """ID of the source DDM instance whose metadata is restored."""
    source: pulumi.Input[SourceInput]
    target: pulumi.Input[TargetInput]
    timeouts: pulumi.Input[TimeoutsInput] | None = None
    adopt_job_id: pulumi.Input[str] | None = None
    """Wait on this existing metadata-recovery job of the target instead of submitting a restore
    (a restore started from the console, or by an interrupted run). Never forces replacement."""

    def to_props(self) -> dict[str, Any]:
        """The inputs as the property bag the provider receives (dataclasses become dicts)."""
        props = {
            "source_instance_id": self.source_instance_id,
            "source": _source_props(self.source),
            "target": _as_dict(self.target),
        }
        if self.timeouts is not None:
            props["timeouts"] = _as_dict(self.timeouts)
        if self.adopt_job_id is not None:
            props["adopt_job_id"] = self.adopt_job_id
        return props


def _as_dict(value: Any) -> Any:
    if isinstance(value, (RestoreSourceArgs, RestoreTargetArgs, TimeoutsArgs)):
        return {k: v for k, v in vars(value).items() if v is not None}
    return value


def _source_props(value: Any) -> Any:
    """`source` as a dict, with a `datetime` `restore_time` made serializable (see `_wire_time`)."""
    source = _as_dict(value)
    if isinstance(source, Mapping) and "restore_time" in source:
        return {**source, "restore_time": _wire_time(source["restore_time"])}
    return source


def _wire_time(value: Any) -> Any:
    """A `date` or `datetime` cannot cross Pulumi's serialization: one that parses (an aware
    `datetime`) becomes epoch ms, any other its ISO text, which `check` then judges (and
    rejects with a clear message). Other values pass unchanged, to be judged by `check`."""
    if isinstance(value, pulumi.Output):
        return value.apply(_wire_time)
    if isinstance(value, date):
        try:
            from .restore_time import parse_restore_time  # pydantic: only when a time is given

            return parse_restore_time(value).ms
        except ValueError:
            return value.isoformat()
    return value


class MetadataRecovery(Resource, module="ddm", name="MetadataRecovery"):
    """A DDM metadata recovery: restores a source instance's metadata onto a new, empty target.

    Create-only. `pulumi up` submits exactly one restore and waits for its job (up to
    `timeouts.create`, default 60m); `pulumi refresh` re-reads the job; `pulumi destroy`
    only forgets the resource, since a restore cannot be undone.

    `opts=ResourceOptions(custom_timeouts=CustomTimeouts(create="90m"))` sets the same
    deadline as `timeouts.create`; when both are set, `timeouts.create` wins.
    """

    job_id: pulumi.Output[str]
    """ID of the DDM job that ran the restore; also the resource ID."""
    status: pulumi.Output[str]
    """Final job status: `Completed` after a successful `pulumi up`."""
    created_time: pulumi.Output[str]
    """When the job started, UTC, `yyyy-mm-ddThh:mm:ssZ`."""
    end_time: pulumi.Output[str]
    """When the job ended, UTC, `yyyy-mm-ddThh:mm:ssZ`."""
    source_instance_id: pulumi.Output[str]
    source: pulumi.Output[dict[str, Any]]
    target: pulumi.Output[dict[str, Any]]
    timeouts: pulumi.Output[dict[str, Any] | None]

    def __init__(
        self,
        resource_name: str,
        args: MetadataRecoveryArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {**args.to_props(), "resource_name": resource_name,
                                 **{key: None for key in OUTPUT_KEYS}}
        props.setdefault("timeouts", None)
        custom = opts.custom_timeouts if opts is not None else None
        if custom is not None and custom.create:
            props["timeouts"] = _default_create(props["timeouts"], custom.create)
        super().__init__(MetadataRecoveryProvider(), resource_name, props, opts)


def _default_create(timeouts: Any, create: str) -> Any:
    """`timeouts` with `create` filled in from `CustomTimeouts(create=...)` where it is unset:
    the engine does not hand custom timeouts to a dynamic provider, so they travel as this input."""
    if isinstance(timeouts, pulumi.Output):
        return timeouts.apply(lambda value: _default_create(value, create))
    if timeouts is None:
        return {"create": create}
    if isinstance(timeouts, Mapping) and timeouts.get("create") is None:
        return {**timeouts, "create": create}
    return timeouts
