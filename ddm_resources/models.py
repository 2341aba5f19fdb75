"""Pydantic models of the DDM V3 API bodies this project sends and reads.

Request models are strict (unknown fields are a bug on our side); response models accept
extra fields, so a server that adds fields never breaks parsing. Field names are the API's.

API sections (see `docs/ddm-api.md`): metadata recovery is section 2.1 (the
body names follow the API: RestoreMetadata request and response), the job of a restore
section 3.1, the job list section 3.2, error bodies section 5. `ResponseBody` and `Page` are
also the bases of the lookup bodies in `lookup_models`.

Every provider process builds these models (and those of `lookup_models` and `input_model`)
before its first request, so they are written to build cheaply (`tests/unit/test_import_cost.py`):
real annotations, no `from __future__ import annotations` (pydantic would evaluate every string),
and an empty list as `= []`, not `Field(default_factory=list)` (pydantic copies a default for each
instance; a builtin factory makes it compile tokenize's regular expressions to read `list`'s
signature).
"""

import re
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from .api_time import format_utc, parse_api_time
from .sanitize import clean_text

__all__ = [
    "ApiErrorBody",
    "COMPLETED",
    "FAILED",
    "Job",
    "JobInstance",
    "JobItem",
    "JobListResponse",
    "JobResponse",
    "Page",
    "RUNNING",
    "ResponseBody",
    "RestoreMetadataRequest",
    "RestoreMetadataResponse",
    "RestoreSource",
    "RestoreTarget",
    "source_choice_problem",
]

_STATUS = re.compile(r"[A-Za-z][A-Za-z0-9_ -]{0,39}")
_PERCENT = re.compile(r"(?:100(?:\.0{1,2})?|[0-9]{1,2}(?:\.[0-9]{1,2})?)%")
"""0-100 %, ASCII digits only (`\\d` would let `٣٣%` in), at most two decimals."""

RUNNING = "Running"
COMPLETED = "Completed"
FAILED = "Failed"


class _Request(BaseModel):
    """Base of the bodies we send: unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid")


class ResponseBody(BaseModel):
    """Base of every body we read: fields the server adds are kept, never an error.

    Every string the server sends (at this level and in lists of strings; nested bodies do
    the same) passes `sanitize.clean_text` first: credentials masked, control characters and
    escapes removed, at most `sanitize.TEXT_LIMIT` characters.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _clean_strings(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {key: _clean(value) for key, value in data.items()}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_text(item) if isinstance(item, str) else item for item in value]
    return value


class Page(ResponseBody):
    """The V3 list envelope (docs/ddm-api.md section 1). `offset` is documented as an item index in
    the query and as a page number in the answer; `DdmClient` pages right under both."""

    offset: int = 0
    limit: int = 0
    total: int = 0


class RestoreSource(_Request):
    """Where the metadata comes from: exactly one of a backup or a point in time."""

    backup_id: str | None = None
    """ID of a metadata backup of the source instance (for example `...br09`)."""
    restore_time: int | None = None
    """Point in time to restore, epoch milliseconds, UTC; must equal the data nodes' PITR time."""

    @model_validator(mode="after")
    def _exactly_one(self) -> "RestoreSource":
        problem = source_choice_problem(self.backup_id is not None, self.restore_time is not None)
        if problem is not None:
            raise ValueError(problem)
        return self


def source_choice_problem(backup_id_set: bool, restore_time_set: bool) -> str | None:
    """The API's rule for `source`: exactly one of `backup_id` and `restore_time`. Why not, or `None`."""
    if not (backup_id_set or restore_time_set):
        return "set source.backup_id or source.restore_time; neither is set"
    if backup_id_set and restore_time_set:
        return "set only one of source.backup_id and source.restore_time; both are set"
    return None


class RestoreTarget(_Request):
    """Where the metadata goes: a new, empty DDM instance and its PITR-restored data nodes."""

    instance_id: str
    """ID of the target DDM instance (no data nodes, schemas or accounts yet)."""
    data_nodes: list[str] = Field(min_length=1)
    """IDs of the RDS for MySQL instances restored to the same time, in the target's VPC."""


class RestoreMetadataRequest(_Request):
    """Body of `POST /v3/{project_id}/instances/{instance_id}/backups/metadata-recovery`."""

    source: RestoreSource
    target: RestoreTarget

    def to_body(self) -> dict[str, Any]:
        """Return the JSON body, leaving out the source field that is not used."""
        return self.model_dump(mode="json", exclude_none=True)


class RestoreMetadataResponse(ResponseBody):
    """The 202 answer to a metadata recovery: the job to wait on."""

    job_id: str


class JobInstance(ResponseBody):
    """The instance a job acts on."""

    id: str = ""
    name: str = ""


class _JobFields(ResponseBody):
    """What a job and a job-list entry have in common. The values that become outputs are
    checked and normalised as they are read, so the state never holds a server's odd text."""

    id: str
    name: str = ""
    status: str = ""
    """`Running`, `Completed` or `Failed` for a restore (in this letter case, whatever case the
    service uses); other values are kept when they are a plain word (letters, digits, `_`,
    `-`, spaces; at most 40), anything else is refused as an unreadable body. A missing or
    `null` status is `""` (what each means: `job_status.job_outcome`)."""
    created_time: str = ""
    """UTC, `yyyy-mm-ddThh:mm:ssZ`, normalised from any offset the service writes (`+0000`,
    `+0100`, `Z`); empty when absent or unreadable."""
    end_time: str = ""
    """As `created_time`; empty or a planned end while the job runs."""
    process: str = ""
    """Progress such as `"60%"` while running (0-100 %), otherwise empty: also when absent,
    `null`, not a string (`50`), or not of that shape; an odd value never fails a poll."""

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        value = value.strip()
        known = {s.lower(): s for s in (RUNNING, COMPLETED, FAILED)}
        if value.lower() in known:
            return known[value.lower()]
        if value and not _STATUS.fullmatch(value):
            raise ValueError("status is not a plain word")
        return value

    @field_validator("created_time", "end_time")
    @classmethod
    def _utc_time(cls, value: str) -> str:
        parsed = parse_api_time(value)
        return format_utc(parsed) if parsed is not None else ""

    @field_validator("process")
    @classmethod
    def _percent(cls, value: str) -> str:
        value = value.strip()
        return value if _PERCENT.fullmatch(value) else ""


    @field_validator("process", mode="before")
    @classmethod
    def _any_process(cls, value: Any) -> str:
        """Anything but a string reads as no progress (judged as unreadable, never refused)."""
        return value if isinstance(value, str) else ""

    @field_validator("status", mode="before")
    @classmethod
    def _any_status(cls, value: Any) -> str:
        """`null` reads as no status; a number as its digits (then judged as any other word)."""
        if value is None:
            return ""
        return value if isinstance(value, str) else str(value)[:41]


class Job(_JobFields):
    """A DDM task, as `GET /v3/{project_id}/jobs/{job_id}` returns it under `job`."""

    instance: JobInstance | None = None


class JobResponse(ResponseBody):
    """Body of `GET /v3/{project_id}/jobs/{job_id}`."""

    job: Job


class JobItem(_JobFields):
    """One entry of the job list (`GET /v3/{project_id}/jobs`): unlike `Job`, it has `fail_reason`."""

    instance_id: str = ""
    """The instance the job acts on; for a metadata recovery, the target."""
    instance_name: str = ""
    fail_reason: str | None = None
    """Why a `Failed` job failed, as the service words it."""


class JobListResponse(Page):
    """Body of `GET /v3/{project_id}/jobs` (docs/ddm-api.md section 3.2)."""

    jobs: list[JobItem] = []


class ApiErrorBody(ResponseBody):
    """A DDM error body in either documented format.

    V3 pages use `{"error_code", "error_msg"}`; v1 pages and the OTC appendix use
    `{"errCode", "externalMessage"}`. Both parse into `code` and `message`, and so does
    the inside of an IAM (Keystone) error, `{"error": {"code": 401, "message": ...}}`.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, coerce_numbers_to_str=True)

    code: str = Field(default="", validation_alias=AliasChoices("error_code", "errCode", "code"))
    message: str = Field(
        default="", validation_alias=AliasChoices("error_msg", "externalMessage", "message")
    )
