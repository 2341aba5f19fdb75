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
from typing import Any, Optional, TypedDict

import pulumi
from pulumi.dynamic import Resource

from .fields import OUTPUT_KEYS, REQUIRED, UPDATABLE_INPUTS
from .provider import SECRET_INPUTS_KEY, MetadataRecoveryProvider

__all__ = [
    "MetadataRecovery",
    "MetadataRecoveryArgs",
    "MetadataRecoveryArgsDict",
    "RestoreSourceArgs",
    "RestoreSourceArgsDict",
    "RestoreTargetArgs",
    "RestoreTargetArgsDict",
    "TimeoutsArgs",
    "TimeoutsArgsDict",
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


class RestoreSourceArgsDict(TypedDict, total=False):
    """`RestoreSourceArgs` as a plain dict: exactly one of the two keys."""

    backup_id: pulumi.Input[str]
    restore_time: pulumi.Input[int | str | datetime]


class RestoreTargetArgsDict(TypedDict):
    """`RestoreTargetArgs` as a plain dict."""

    instance_id: pulumi.Input[str]
    data_nodes: pulumi.Input[Sequence[pulumi.Input[str]]]


class TimeoutsArgsDict(TypedDict, total=False):
    """`TimeoutsArgs` as a plain dict."""

    create: str


SourceInput = RestoreSourceArgs | RestoreSourceArgsDict
TargetInput = RestoreTargetArgs | RestoreTargetArgsDict
TimeoutsInput = TimeoutsArgs | TimeoutsArgsDict


class _RequiredArgsDict(TypedDict):
    source_instance_id: pulumi.Input[str]
    source: pulumi.Input[SourceInput]
    target: pulumi.Input[TargetInput]


class MetadataRecoveryArgsDict(_RequiredArgsDict, total=False):
    """`MetadataRecoveryArgs` as a plain dict (the shape Pulumi's generated SDKs call `...ArgsDict`)."""

    timeouts: pulumi.Input[TimeoutsInput] | None
    adopt_job_id: pulumi.Input[str] | None
    verify: pulumi.Input[bool] | None
    max_restore_age: pulumi.Input[str] | None


@dataclass(frozen=True, kw_only=True)
class MetadataRecoveryArgs:
    """Arguments of `MetadataRecovery`; the names are the API's (docs/ddm-api.md section 2.1).

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
    verify: pulumi.Input[bool] | None = None
    """Check the target after the job is `Completed` (default `True`; docs/safety.md). Never forces
    replacement."""
    max_restore_age: pulumi.Input[str] | None = None
    """Refuse at preview a restore point older than this duration (e.g. `"24h"`). Never forces
    replacement."""

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
        if self.verify is not None:
            props["verify"] = self.verify
        if self.max_restore_age is not None:
            props["max_restore_age"] = self.max_restore_age
        return props


def _as_dict(value: Any) -> Any:
    """An `*Args` object as a dict; inside an `Output` too (e.g. `Output[RestoreTargetArgs]`)."""
    if isinstance(value, pulumi.Output):
        return value.apply(_as_dict)
    if isinstance(value, (RestoreSourceArgs, RestoreTargetArgs, TimeoutsArgs)):
        return {k: v for k, v in vars(value).items() if v is not None}
    return value


def _source_props(value: Any) -> Any:
    """`source` as a dict, with a `datetime` `restore_time` made serializable (see `_wire_time`)."""
    if isinstance(value, pulumi.Output):
        return value.apply(_source_props)
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

    Create-only. `pulumi up` submits exactly one restore (docs/ddm-api.md section 2.1) and waits
    for its job (section 3.1); `pulumi refresh` re-reads the job; `pulumi destroy` only
    forgets the resource, since a restore cannot be undone.

    Arguments, as Pulumi's generated SDKs take them: a `MetadataRecoveryArgs`, or a plain dict
    (`MetadataRecoveryArgsDict`), or the same names as keyword arguments. Any input, nested
    ones included, may be an `Output`.

    Inputs (a change of the first three replaces the resource, i.e. runs a new restore):

    * `source_instance_id` (str): the source DDM instance, e.g. `1f5c...in09`;
    * `source` (`RestoreSourceArgs` / dict): exactly one of `backup_id` (str, e.g. `defa...br09`)
      and `restore_time`: epoch **milliseconds**, UTC (int), an ISO 8601 string with an offset,
      an aware `datetime`, or `"latest"`: the newest restorable time of the source, resolved at
      create (the input stays `"latest"`, so it never forces a replace);
    * `target` (`RestoreTargetArgs` / dict): `instance_id` (str) of a new, empty DDM instance and
      `data_nodes` (list of str), the RDS instances already restored (PITR) to that time;
    * `timeouts` (`TimeoutsArgs` / dict): `create`, a duration such as `"90m"` (default `"60m"`);
      `opts=ResourceOptions(custom_timeouts=CustomTimeouts(create=...))` sets it as well, and
      `timeouts.create` wins when both are set. Changed in place;
    * `adopt_job_id` (str): wait on this existing restore job instead of submitting one (the way
      to bring an existing restore under management; `pulumi import` cannot work for dynamic
      providers). Changed in place;
    * `verify` (bool, default `True`): after the job is `Completed`, check the target (running,
      its schemas running, every shard on `target.data_nodes`, the source's schemas of the restore
      point present); a failed check fails `pulumi up` naming the job. Changed in place;
    * `max_restore_age` (str): a duration such as `"24h"`; `pulumi preview` refuses a restore
      point older than that. Changed in place.

    Outputs: `job_id` (str, also the resource ID), `status` (str, `Completed`), `created_time`
    and `end_time` (str, UTC `yyyy-mm-ddThh:mm:ssZ`), `restored_to` (int, epoch ms: the time
    submitted for a restore by time, `"latest"` resolved; `None` for a backup or an adopted
    job; known at preview unless `"latest"`), `restored_to_utc` (str, the same time in RFC 3339,
    UTC, e.g. `2024-05-20T04:40:00Z`; `None` when `restored_to` is), `schemas` (list of str,
    sorted), `verification` (str, one line), `target_status` (str: `RUNNING`, `DELETED`, another
    instance status or `SCHEMAS_MISSING`, as the last `up` or `refresh` found the target), and the
    inputs as checked (`restore_time` in epoch ms, or `"latest"`).
    `ddm_resources.get_restore_window(source_instance_id)` tells a program what can be restored.
    """

    job_id: pulumi.Output[str]
    """ID of the DDM job that ran the restore; also the resource ID."""
    status: pulumi.Output[str]
    """Final job status: `Completed` after a successful `pulumi up`."""
    created_time: pulumi.Output[str]
    """When the job started, UTC, `yyyy-mm-ddThh:mm:ssZ`."""
    end_time: pulumi.Output[str]
    """When the job ended, UTC, `yyyy-mm-ddThh:mm:ssZ`."""
    restored_to: pulumi.Output[Optional[int]]  # noqa: UP045 (pulumi 3.139 cannot read `X | None` here)
    """The point in time submitted, epoch ms (UTC), for a restore by time; `None` otherwise."""
    restored_to_utc: pulumi.Output[Optional[str]]  # noqa: UP045 (as above)
    """`restored_to` in RFC 3339, UTC (`2024-05-20T04:40:00Z`, `.123` when not whole seconds); `None` otherwise."""
    schemas: pulumi.Output[Optional[list[str]]]  # noqa: UP045 (as above)
    """The target's schemas after the restore, sorted (`None` when `verify` is false)."""
    verification: pulumi.Output[Optional[str]]  # noqa: UP045 (as above)
    """One line: what verification checked after the restore, and what it could not."""
    target_status: pulumi.Output[Optional[str]]  # noqa: UP045 (as above)
    """The target as the last `up` or `refresh` found it: `RUNNING`, `DELETED`, another status, `SCHEMAS_MISSING`."""
    source_instance_id: pulumi.Output[str]
    source: pulumi.Output[dict[str, Any]]
    target: pulumi.Output[dict[str, Any]]
    timeouts: pulumi.Output[Optional[dict[str, Any]]]  # noqa: UP045 (as above)

    def __init__(
        self,
        resource_name: str,
        args: MetadataRecoveryArgs | MetadataRecoveryArgsDict | None = None,
        opts: pulumi.ResourceOptions | None = None,
        *,
        source_instance_id: pulumi.Input[str] | None = None,
        source: pulumi.Input[SourceInput] | None = None,
        target: pulumi.Input[TargetInput] | None = None,
        timeouts: pulumi.Input[TimeoutsInput] | None = None,
        adopt_job_id: pulumi.Input[str] | None = None,
        verify: pulumi.Input[bool] | None = None,
        max_restore_age: pulumi.Input[str] | None = None,
    ) -> None:
        """Declare a restore named `resource_name` from `args` or the keyword arguments (not both)."""
        given = {"source_instance_id": source_instance_id, "source": source, "target": target,
                 "timeouts": timeouts, "adopt_job_id": adopt_job_id, "verify": verify,
                 "max_restore_age": max_restore_age}
        args = _args(args, {k: v for k, v in given.items() if v is not None})
        inputs = args.to_props()
        props: dict[str, Any] = {**inputs, "resource_name": resource_name, **{key: None for key in OUTPUT_KEYS},
                                 SECRET_INPUTS_KEY: _secret_paths(inputs)}
        props.setdefault("timeouts", None)
        custom = opts.custom_timeouts if opts is not None else None
        if custom is not None and custom.create:
            props["timeouts"] = _default_create(props["timeouts"], custom.create)
        super().__init__(MetadataRecoveryProvider(), resource_name, props, opts)
        if _no_point_in_time(props):
            # Known to be empty, so not `[unknown]` at preview: the SDK makes every `None` output of a
            # preview unknown, so they come from the URN (known at preview; keeps the dependency on this
            # resource). `create` records them empty too: a backup or an adopted job has no point in time.
            empty: pulumi.Output[Any] = self.urn.apply(lambda _: None)
            self.restored_to = empty
            self.restored_to_utc = empty


def _no_point_in_time(props: Mapping[str, Any]) -> bool:
    """Whether these inputs restore no point in time: `adopt_job_id` is set, or `source` has a
    `backup_id` and no `restore_time`. Not knowable when `source` is itself an `Output`."""
    if isinstance(props.get("adopt_job_id"), str):
        return True
    source = props.get("source")
    return isinstance(source, Mapping) and source.get("backup_id") is not None and source.get("restore_time") is None


def _secret_paths(inputs: dict[str, Any]) -> pulumi.Output[list[str] | None]:
    """The paths of the inputs given as secret `Output`s (e.g. `["target.instance_id"]`, from
    `config.require_secret`), or None when there are none (the property is then left out). The
    provider receives plain values and masks these in every line it prints
    (`provider.SECRET_INPUTS_KEY`)."""
    async def paths() -> list[str] | None:
        found: list[str] = []

        async def walk(value: Any, path: str) -> None:
            if isinstance(value, pulumi.Output):
                if await value.is_secret():
                    found.append(path)
                    return
                value = await value.future(with_unknowns=True)
            if isinstance(value, Mapping):
                for key, item in value.items():
                    await walk(item, f"{path}.{key}" if path else str(key))
            elif isinstance(value, (list, tuple)):
                for index, item in enumerate(value):
                    await walk(item, f"{path}[{index}]")

        await walk(inputs, "")
        return found or None

    async def known() -> bool:
        return True

    return pulumi.Output(set(), paths(), known())


def _args(args: Any, keywords: dict[str, Any]) -> MetadataRecoveryArgs:
    """One `MetadataRecoveryArgs` from an Args object, a dict, or keyword arguments."""
    if args is not None and keywords:
        raise TypeError(f"MetadataRecovery takes args or keyword arguments, not both (got {sorted(keywords)})")
    if isinstance(args, MetadataRecoveryArgs):
        return args
    given = dict(args) if isinstance(args, Mapping) else keywords
    if args is not None and not isinstance(args, Mapping):
        raise TypeError(f"MetadataRecovery args must be MetadataRecoveryArgs or a dict, not {type(args).__name__}")
    missing = [key for key in REQUIRED[""] if given.get(key) is None]
    if missing:
        raise TypeError(f"MetadataRecovery needs {', '.join(missing)}")
    unknown = set(given) - {*REQUIRED[""], *UPDATABLE_INPUTS}
    if unknown:
        raise TypeError(f"MetadataRecovery got unknown arguments: {', '.join(sorted(unknown))}")
    return MetadataRecoveryArgs(**given)


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
