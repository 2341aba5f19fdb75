"""
The emulator's state objects: plain dataclasses with no HTTP and no locking.

`World` owns them in dicts; `restore_jobs` and `restore_lookups` apply the
rules, `views` renders them. Times are emulated epoch seconds (floats). A
job's status is a function of emulated time (`FakeJob.status_at`), so a
waiter's path is deterministic once the clock is injected: `Running` (with a
`process` percentage) until its duration has elapsed, then `Completed`, or
`Failed` when it was created to fail.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

__all__ = [
    "FakeBackup",
    "FakeDataNode",
    "FakeInstance",
    "FakeJob",
    "FakeProject",
    "FakeSchema",
    "FakeShard",
    "FakeToken",
    "FakeUser",
    "PROGRESS_CURVES",
    "new_hex_id",
    "progress_percent",
]


def new_hex_id(suffix: str = "") -> str:
    """Return 32 random hex characters plus `suffix` (e.g. `in09`, `in01`, `br09`)."""
    return secrets.token_hex(16) + suffix


@dataclass
class FakeProject:
    """An IAM project (a region such as `eu-de`, or a sub-project)."""

    id: str
    name: str
    domain_id: str
    domain_name: str


@dataclass
class FakeUser:
    """An IAM user who can get tokens for the projects in `project_ids`."""

    id: str
    name: str
    password: str = field(repr=False)
    domain_id: str
    domain_name: str
    project_ids: list[str] = field(default_factory=list)


@dataclass
class FakeToken:
    """An IAM token; static tokens have no user and never expire.

    A domain-scoped or unscoped token has no `project_id` (DDM refuses it)."""

    value: str = field(repr=False)
    project_id: str | None
    user_id: str | None
    issued_at: float
    expires_at: float | None
    domain_id: str | None = None

    def expired(self, now: float) -> bool:
        """Return whether the token is no longer valid at `now`."""
        return self.expires_at is not None and now >= self.expires_at


@dataclass
class FakeShard:
    """One physical shard of a schema: database `physical_db_name` on RDS data node `data_node_id`."""

    data_node_id: str
    shard_index: int
    physical_db_name: str
    status: str = "RUNNING"


@dataclass
class FakeSchema:
    """A DDM schema (logical database) and its shards (docs/ddm-api.md section 9).

    `shard_mode` is `cluster` (sharded) or `single` (one shard); `shard_unit` is the
    number of shards per data node; `shard_number` is `len(shards)`."""

    name: str
    shards: list[FakeShard] = field(default_factory=list)
    shard_mode: str = "cluster"
    shard_unit: int = 1
    status: str = "RUNNING"
    created: float = 0.0

    @property
    def shard_number(self) -> int:
        """How many shards the schema has."""
        return len(self.shards)

    @property
    def data_node_ids(self) -> list[str]:
        """The data nodes holding its shards, in shard order, each once."""
        return list(dict.fromkeys(shard.data_node_id for shard in self.shards))


@dataclass
class FakeInstance:
    """A DDM instance. `state` is the stored status; `status` adds the restore."""

    id: str
    project_id: str
    name: str
    state: str = "RUNNING"
    engine_version: str = "3.1.0"
    vpc_id: str = ""
    vpc_name: str = ""
    subnet_id: str = ""
    security_group_id: str = ""
    available_zone: str = "eu-de-01"
    access_ip: str = "192.168.0.10"
    created: float = 0.0
    data_node_ids: list[str] = field(default_factory=list)
    schemas: list[FakeSchema] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    frozen: bool = False
    restorable_since: float = 0.0
    """Start of this instance's restorable window; the window ends now."""
    busy_job_id: str | None = None
    """The running restore job that targets this instance, if any."""

    @property
    def status(self) -> str:
        """The v1 status: `RESTORE` while a restore runs on it, else `state`."""
        return "RESTORE" if self.busy_job_id else self.state

    @property
    def empty(self) -> bool:
        """True when it has no data nodes, schemas or accounts."""
        return not (self.data_node_ids or self.schemas or self.accounts)

    @property
    def schema_names(self) -> list[str]:
        """The names of its schemas, in order."""
        return [schema.name for schema in self.schemas]

    def schema(self, name: str) -> FakeSchema | None:
        """Its schema of that name (case-insensitive, as DDM compares schema names), or `None`."""
        return next((s for s in self.schemas if s.name.lower() == name.lower()), None)


@dataclass
class FakeDataNode:
    """An RDS for MySQL instance that can serve as a DDM data node."""

    id: str
    project_id: str
    name: str
    vpc_id: str = ""
    vpc_name: str = ""
    subnet_id: str = ""
    status: str = "Normal"
    engine_name: str = "MySQL"
    engine_version: str = "8.0"
    private_ip: str = "192.168.0.20"
    data_volume_size: int = 40
    """Storage in GB (rendered in bytes where the docs say so)."""
    read_only: bool = False
    pitr_completed: bool = True
    """Whether a point-in-time restore (PITR) of this RDS instance completed; a restore target needs one."""
    instance_id: str | None = None
    """The DDM instance it is associated with, if any."""
    reserved_by_job: str | None = None
    """A running restore job that will associate it."""
    restorable_since: float = 0.0


@dataclass
class FakeBackup:
    """A DDM metadata backup of one instance."""

    id: str
    project_id: str
    instance_id: str
    name: str
    created: float
    status: str = "normal"
    backup_type: str = "auto_metadata"
    description: str = ""
    file_size: int = 12
    data_node_ids: list[str] = field(default_factory=list)
    """The data nodes associated with the instance when the backup was taken."""
    schemas: list[FakeSchema] = field(default_factory=list)
    """The instance's schemas when the backup was taken (what a restore from it brings back)."""


PROGRESS_CURVES: tuple[str, ...] = ("linear", "linear-from-5", "stepwise", "stalled-then-jump")


def progress_percent(curve: str, fraction: float) -> int:
    """The `process` percentage (0-99) of a running job `fraction` (0-1) through its time."""
    fraction = min(max(fraction, 0.0), 1.0) + 1e-6  # epoch floats land a hair below a step
    if curve == "stepwise":
        percent = int(fraction * 4) * 25
    elif curve == "stalled-then-jump":
        percent = 5 if fraction < 0.8 else 95
    elif curve == "linear-from-5":  # a service that counts the accepted job as 5 % done
        percent = 5 + int(fraction * 95)
    else:
        percent = int(fraction * 100)
    return min(99, percent)


@dataclass
class FakeJob:
    """A restore job. Its effects apply to `target_instance_id`; it names `instance_id`."""

    id: str
    project_id: str
    name: str
    instance_id: str
    """The instance the job names (the target, or the source under `job_bound_to=source`)."""
    instance_name: str
    created: float
    duration: float
    source_instance_id: str
    target_instance_id: str
    data_node_ids: list[str]
    backup_id: str | None = None
    restore_time_ms: int | None = None
    fail_reason: str | None = None
    """When set, the job ends `Failed` with this reason instead of `Completed`."""
    progress_curve: str = "linear"
    """How `process` grows while it runs (`PROGRESS_CURVES`)."""
    status_override: str | None = None
    """A status forced by a test; wins over the time-derived status."""
    override_in_list_only: bool = False
    """Show `status_override` in the job list only (the list-only states); the single job keeps its own."""
    status_field: str = "present"
    """`present`, or `missing` / `null` to render the job without a status (a test's choice)."""
    settled: bool = False
    """True once the end effects (association, busy flag) were applied."""
    schemas: list[FakeSchema] = field(default_factory=list)
    """What a completed job leaves on the target: the source's schemas at the restore point, shards
    moved onto the target's data nodes (and the `restore_drops_schema` / `restore_misplaces_shard`
    switches applied when the job was accepted)."""
    delete_target_after: float | None = None
    """Emulated seconds after the job's end at which its target is deleted (`None`: never)."""

    @property
    def end(self) -> float:
        """The emulated time the job ends."""
        return self.created + self.duration

    def finished_at(self, now: float) -> bool:
        """Return whether the job's time has run out at `now`."""
        return now >= self.end

    def natural_status(self, now: float) -> str:
        """The status from elapsed time alone, ignoring overrides."""
        if not self.finished_at(now):
            return "Running"
        return "Failed" if self.fail_reason is not None else "Completed"

    def status_at(self, now: float, *, in_list: bool = False) -> str:
        """The status a client sees at `now` (in the job list when `in_list`)."""
        if self.status_override is not None and (in_list or not self.override_in_list_only):
            return self.status_override
        return self.natural_status(now)

    def process_at(self, now: float) -> str:
        """The progress string: `"40%"` while running, `""` otherwise (also under a forced status)."""
        if self.status_at(now) != "Running":
            return ""
        fraction = (now - self.created) / self.duration if self.duration > 0 else 1.0
        return f"{progress_percent(self.progress_curve, fraction)}%"

    def end_time_at(self, now: float) -> float | None:
        """The end time once the job is over, else `None`."""
        return self.end if self.finished_at(now) else None

    def fail_reason_at(self, now: float) -> str:
        """The failure reason once the job failed, else `""`."""
        if self.natural_status(now) == "Failed":
            return self.fail_reason or ""
        return ""
