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
_TEN_YEARS = 10 * 365 * 86400.0


def _setting(
    default: Any,
    help: str,  # noqa: A002 - the argparse word
    *,
    choices: tuple[str, ...] = (),
    minimum: float | None = None,
    maximum: float | None = None,
    positive: bool = False,
) -> Any:
    metadata = {"help": help, "choices": choices, "minimum": minimum, "maximum": maximum, "positive": positive}
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class EmulatorSettings:
    """What the emulated service does where the DDM docs leave a choice, plus its speed."""

    job_seconds: float = _setting(
        DEFAULT_JOB_SECONDS, "emulated seconds a restore job runs", minimum=0.0, maximum=_TEN_YEARS
    )
    clock_scale: float = _setting(1.0, "emulated seconds per real second", positive=True, maximum=1e6)
    token_ttl_seconds: float = _setting(
        DEFAULT_TOKEN_TTL_SECONDS, "lifetime of issued IAM tokens, emulated seconds", positive=True, maximum=_TEN_YEARS
    )
    error_style: str = _setting(
        "auto",
        "DDM error body: auto (v1 paths errCode/externalMessage, others error_code/error_msg), v3 or v1; "
        "API gateway errors are always error_code/error_msg",
        choices=("auto", "v3", "v1"),
    )

    # Strictness the docs ask for (issue 12): on by default.
    require_content_type: bool = _setting(
        True,
        "answer a request without Content-Type: application/json (GETs too) with the gateway's "
        "400 APIGW.0201, as OTC's 'Making an API Request' marks the header mandatory",
    )
    signature_max_skew_seconds: float = _setting(
        0.0,
        "refuse (401) an AK/SK signature whose X-Sdk-Date is more than this many seconds from the emulator's "
        "clock, as the API gateway does (it allows 15 minutes: 900); 0: not checked",
        minimum=0.0, maximum=_TEN_YEARS,
    )
    job_list_refuses_future_end: bool = _setting(
        True, "the job list answers 400 DBS.300377 to an end_time later than now (the docs allow none)"
    )

    # Open in the docs (issue 13): each plausible answer is a choice.
    job_bound_to: str = _setting(
        "target",
        "which instance a restore job names (instance.id / instance_id): the restore's target or its "
        "source (the POST path carries the source)",
        choices=("target", "source"),
    )
    job_name: str = _setting(
        "RestoreMetadata",
        "the name of a metadata restore job (the docs do not say; RestoreInstance and loadMetadata are "
        "documented task names)",
        choices=("RestoreMetadata", "restoreMetadata", "RestoreInstance", "loadMetadata"),
    )
    restore_refusal: str = _setting(
        "immediate",
        "a restore the state forbids (target not empty, unusable data node, time out of range, node count): "
        "immediate = 400 at once; job_fails = 202, then the job ends Failed with the reason as fail_reason",
        choices=("immediate", "job_fails"),
    )
    failed_restore_leaves_target: str = _setting(
        "clean",
        "after a Failed restore job the target is clean (a retry is accepted) or dirty (schemas were "
        "written, so a retry is refused as DBS.300372)",
        choices=("clean", "dirty"),
    )
    repost_while_running: str = _setting(
        "409 DBS.212033",
        "a second restore POST onto a target whose restore runs",
        choices=("409 DBS.212033", "409 DBS.200019", "400 DBS.300372", "202 same job"),
    )
    repost_after_completed: str = _setting(
        "400 DBS.300372",
        "a second restore POST onto a target whose restore completed (the target is no longer empty)",
        choices=("400 DBS.300372", "409 DBS.212033", "202 then job fails"),
    )
    missing_source_answer: str = _setting(
        "404 DBS.300350",
        "the answer for a source instance that does not exist (restorable-instances, time range, POST)",
        choices=("404 DBS.300350", "400 DBS.300350"),
    )
    old_backup_restore_time: str = _setting(
        "400 DBS.300377",
        "restorable-data-node with the restore_time of a backup older than the restorable window",
        choices=("400 DBS.300377", "400 DBS.300375", "accept"),
    )
    offset_reading: str = _setting(
        "index",
        "the lists' offset (the V3 lists and the v1 schema list): an item index (as the query is documented), "
        "or a page number (as the V3 response is documented) counted from 0 or from 1 (where 0 also means "
        "the first page)",
        choices=("index", "page", "page-from-1"),
    )
    retry_after_on_429: str = _setting(
        "absent",
        "Retry-After on a 429 whose fault names none: absent, seconds ('1') or an HTTP date one second ahead",
        choices=("absent", "seconds", "http-date"),
    )
    float_restore_time: str = _setting(
        "refuse",
        "source.restore_time sent as a JSON float (the official SDK types it float): refuse (400 DBS.280001) "
        "or accept when it is a whole number",
        choices=("refuse", "accept"),
    )

    # Where the docs speak (issue 13 items 6-7): the documented shape by default.
    job_time_format: str = _setting(
        "+0000",
        "job created_time / end_time: yyyy-mm-ddThh:mm:ss+0000 as documented, the same in +0100 "
        "(CET), or ...Z",
        choices=("+0000", "+0100", "Z"),
    )
    end_time_while_running: str = _setting(
        "filled",
        "a Running job's end_time: filled (the planned end, as the docs show) or empty",
        choices=("filled", "empty"),
    )
    data_node_values: str = _setting(
        "documented",
        "data node fields: documented (engine_name mysql, status normal, data_volume_size in bytes) or "
        "console (MySQL, Normal, GB)",
        choices=("documented", "console"),
    )
    job_status_case: str = _setting(
        "documented",
        "letter case of job status values: documented (Running, Completed, Failed), lower or upper",
        choices=("documented", "lower", "upper"),
    )
    progress_curve: str = _setting(
        "linear",
        "how a running job's process grows: linear, linear-from-5 (5% at once, then linear), stepwise "
        "(in quarters) or stalled-then-jump "
        "(stuck at 5% for 80% of the time, then 95%); per job: POST /_emulator/jobs/<id>/progress "
        "with {\"curve\": \"stepwise\"}",
        choices=("linear", "linear-from-5", "stepwise", "stalled-then-jump"),
    )

    # The reads after a restore (docs/ddm-api.md section 9), open in the docs: each plausible answer.
    deleted_instance_answer: str = _setting(
        "404 DBS.300350",
        "how a deleted DDM instance answers its details (GET /v1/.../instances/{id}) and its schema reads: "
        "404 with an error body (DBS.300350, or DBS.200002 as Huawei's RDS uses), or 200 with status DELETED "
        "(then it lists no schemas)",
        choices=("404 DBS.300350", "404 DBS.200002", "200 DELETED"),
    )
    missing_schema_answer: str = _setting(
        "400 DBS.300129",
        "schema details (GET /v3/.../databases/{name}) of a schema the instance does not have; the docs "
        "document no 404, DBS.300129 and DBS.300128 are the candidates of the error list",
        choices=("400 DBS.300129", "400 DBS.300128", "404 DBS.300129"),
    )
    shard_number_type: str = _setting(
        "integer",
        "shard_number in schema details: integer (as the example and the SDK) or string (as the field table)",
        choices=("integer", "string"),
    )

    time_restore_schemas: str = _setting(
        "created-by-then",
        "the schemas a restore to a restore_time brings: the source's schemas created by then (the emulator "
        "keeps no history of dropped ones), or those of the source's latest backup at or before that time "
        "(the metadata restore works from backups; by then if there is none)",
        choices=("created-by-then", "latest-backup"),
    )

    # Faults of a restore that completes (issue 22): what a client's verification must catch.
    restore_drops_schema: str = _setting(
        "",
        "a restore accepted while this is set completes without this schema (a name, * for the first by name; "
        "empty: none)",
    )
    restore_misplaces_shard: str = _setting(
        "",
        "a restore accepted while this is set completes with the first shard of this schema left on the "
        "source's data node, outside the target (a name, * for the first by name; empty: none)",
    )
    delete_target_after_seconds: float = _setting(
        -1.0,
        "a restore accepted while this is set has its target deleted this many emulated seconds after it "
        "completed (0: at once; -1: never)",
        minimum=-1.0,
        maximum=_TEN_YEARS,
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
        maximum: float | None = spec.metadata["maximum"]
        if maximum is not None and value > maximum:
            raise ValueError(f"{name} must be <= {maximum:g}")
        return type(default)(value)
    if not isinstance(value, str) or (choices and value not in choices):
        raise ValueError(f"{name} must be one of {', '.join(choices)}")
    return value
