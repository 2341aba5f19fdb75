"""
`DdmBackend`: the emulated service's state and rules, with no HTTP; the one public facade.

Tests, the demo and the HTTP layer talk to this class only. It composes three
parts, each a module with one job:

* `world.World` - the state (IAM, instances, data nodes, backups, jobs, faults,
  request log), the settings and emulated time, and the setup calls;
* `restore_jobs.RestoreJobs` - the metadata restore POST (docs/ddm-api.md section
  2.1) and the job lifecycle and job APIs (section 3);
* `restore_lookups.RestoreLookups` - the read-only restore lookups (sections
  2.2 to 2.5, and 2.7 for backups);
* `instance_reads.InstanceReads` - instance details and schema reads, what a
  client checks after a restore (section 9).

Composition rather than mixins: each part is built over the one `World` it is
given and reaches nothing else, so what a part may touch is visible in its
constructor, and a part can be read (and tested) without the others; with
mixins every part would see every attribute of the combined class. The price
is that every public method here forwards one call; the public docstrings live
here, the parts' docstrings say how they do it.

Its methods raise `ServiceError`s exactly as the service would answer. Time is
emulated (`now()`): an injectable source clock times `clock_scale`, so a test
moves jobs forward with a `ManualClock` and a script with a higher scale.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .clock import Clock
from .faults import Fault, FaultRegistry
from .iam import IamDirectory
from .instance_reads import InstanceReads
from .models import FakeBackup, FakeDataNode, FakeInstance, FakeJob, FakeSchema
from .requestlog import RequestLog, RequestRecord
from .restore_jobs import JOB_LIST_MAX_AGE_SECONDS, RestoreJobs, settle_finished_jobs
from .restore_lookups import RestoreLookups
from .seed import seed_documented_example
from .settings import EmulatorSettings
from .world import World

__all__ = ["JOB_LIST_MAX_AGE_SECONDS", "DdmBackend"]


class DdmBackend:
    """
    State and rules of one emulated DDM service; thread-safe.

    **Parameters:**

    * **settings** - the initial settings (`reset()` returns to them); changed
      by `setting_changes` given as keywords, e.g. `DdmBackend(job_seconds=0.3)`.
    * **clock** - the source of time, `time.time` by default (tests pass a `ManualClock`).
    * **seed** - fills a fresh or reset backend; the documented example by default.
    """

    def __init__(
        self,
        settings: EmulatorSettings | None = None,
        *,
        clock: Clock = time.time,
        seed: Callable[[DdmBackend], None] | None = seed_documented_example,
        **setting_changes: Any,
    ) -> None:
        initial = (settings or EmulatorSettings()).replace(**setting_changes)
        self._world = World(initial, clock, settle=settle_finished_jobs)
        self._jobs = RestoreJobs(self._world)
        self._lookups = RestoreLookups(self._world)
        self._reads = InstanceReads(self._world)
        self._seed = seed
        if seed is not None:
            seed(self)

    # The state, as attributes (the same objects the parts change)...

    @property
    def settings(self) -> EmulatorSettings:
        """The current settings (replaced as a whole by `configure` and `reset`)."""
        return self._world.settings

    @property
    def iam(self) -> IamDirectory:
        """Projects, users and tokens (docs/ddm-api.md section 6)."""
        return self._world.iam

    @property
    def faults(self) -> FaultRegistry:
        """The fault rules the HTTP layer applies."""
        return self._world.faults

    @property
    def request_log(self) -> RequestLog:
        """Every request the HTTP layer received."""
        return self._world.request_log

    @property
    def instances(self) -> dict[str, FakeInstance]:
        """DDM instances by id, all projects."""
        return self._world.instances

    @property
    def data_nodes(self) -> dict[str, FakeDataNode]:
        """RDS data nodes by id, all projects."""
        return self._world.data_nodes

    @property
    def backups(self) -> dict[str, FakeBackup]:
        """Metadata backups by id, all projects."""
        return self._world.backups

    @property
    def deleted_instances(self) -> dict[str, FakeInstance]:
        """Deleted DDM instances by id (status `DELETED`), all projects."""
        return self._world.deleted_instances

    @property
    def jobs(self) -> dict[str, FakeJob]:
        """Restore jobs by id, all projects."""
        return self._world.jobs

    @contextmanager
    def state(self) -> Iterator[None]:
        """Hold the state lock, with finished jobs' effects applied."""
        with self._world.state():
            yield

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the state lock; when the block raises, instances, data nodes and backups are put back."""
        with self._world.transaction():
            yield

    # Time and settings...

    def now(self) -> float:
        """The current emulated time, epoch seconds."""
        return self._world.now()

    def advance(self, seconds: float) -> float:
        """Jump emulated time forward (jobs progress, tokens age)."""
        return self._world.advance(seconds)

    def configure(self, **changes: Any) -> dict[str, Any]:
        """
        Change settings by name (fields of `EmulatorSettings`) and return `config()`.

        Two actions are accepted too: `fail_next_job` (a reason, `{"reason"}`, or `true`
        for the default reason)
        and `advance_seconds` (jump emulated time). Raises `ValueError` on an
        unknown name or a bad value, before anything changed.
        """
        return self._world.configure(**changes)

    def config(self) -> dict[str, Any]:
        """The current settings as JSON-ready data, with the pending failure and the time."""
        return self._world.config()

    def reset(self) -> None:
        """Back to the seed: clear state, log and faults; restore the initial settings."""
        with self._world.lock:
            self._world.clear()
            if self._seed is not None:
                self._seed(self)

    # IAM shortcuts, requests and faults...

    def add_access_key(self, access_key: str, secret_key: str, project_id: str | None,
                       security_token: str | None = None) -> None:
        """Accept requests signed with this AK/SK pair (SDK-HMAC-SHA256) for `project_id`, or for every
        project the emulated IAM knows when `None` (as a user's key pair works in all its projects); with
        `security_token`, a temporary pair whose requests must carry it (`X-Security-Token`, signed)."""
        self._world.iam.add_access_key(access_key, secret_key, project_id, security_token)

    def add_static_token(self, token: str, project_id: str) -> None:
        """Accept `token` as given for `project_id` (e.g. a demo's `OS_TOKEN`)."""
        self._world.iam.add_static_token(token, project_id)

    def requests(
        self,
        method: str | None = None,
        path_contains: str | None = None,
        path_regex: str | None = None,
    ) -> list[RequestRecord]:
        """Recorded requests matching all given filters, oldest first."""
        return self._world.request_log.find(method, path_contains, path_regex)

    def add_fault(self, fault: Fault) -> Fault:
        """Add a fault rule."""
        return self._world.faults.add(fault)

    def clear_faults(self) -> int:
        """Remove all fault rules."""
        return self._world.faults.clear()

    # Inventory...

    def add_instance(
        self,
        project_id: str,
        *,
        instance_id: str | None = None,
        name: str | None = None,
        **fields: Any,
    ) -> FakeInstance:
        """Create a DDM instance; `fields` are `FakeInstance` attributes."""
        return self._world.add_instance(project_id, instance_id, name, fields)

    def add_data_node(
        self,
        project_id: str,
        *,
        node_id: str | None = None,
        name: str | None = None,
        instance_id: str | None = None,
        **fields: Any,
    ) -> FakeDataNode:
        """Create an RDS data node, associated with `instance_id` if given."""
        return self._world.add_data_node(project_id, node_id, name, instance_id, fields)

    def add_backup(
        self, project_id: str, instance_id: str, *, backup_id: str | None = None, **fields: Any
    ) -> FakeBackup:
        """Create a metadata backup of an instance, recording its current data nodes."""
        return self._world.add_backup(project_id, instance_id, backup_id, fields)

    def add_schema(
        self,
        instance_id: str,
        name: str,
        *,
        shard_nodes: list[str] | None = None,
        **fields: Any,
    ) -> FakeSchema:
        """
        Create a schema on an instance (docs/ddm-api.md section 9).

        Shard `i` sits on `shard_nodes[i]` when given; otherwise `shard_mode` `cluster`
        (default) puts `shard_unit` (default 2) shards on each of the instance's data nodes
        and `single` one shard on the first. `created` (epoch s) defaults to the instance's.
        Raises `KeyError` for an unknown instance, `ValueError` for a duplicate name or no
        data node to hold the shards.
        """
        return self._world.add_schema(instance_id, name, shard_nodes, fields)

    def delete_instance(self, instance_id: str) -> FakeInstance:
        """
        Delete a DDM instance (`KeyError` if unknown): its schemas go, its data nodes are
        released, and its reads answer as the `deleted_instance_answer` setting says.
        """
        return self._world.delete_instance(instance_id)

    def drop_schema(self, instance_id: str, name: str) -> FakeSchema:
        """Drop a schema of an instance (case-insensitive name); `KeyError` if either is unknown."""
        return self._world.drop_schema(instance_id, name)

    def find_instance(self, instance_id: str) -> FakeInstance | None:
        """The instance with that id in any project, or `None`."""
        return self._world.find_instance(instance_id)

    def get_instance(self, project_id: str, instance_id: str) -> FakeInstance:
        """The instance, or a 404 `DBS.300350`."""
        return self._world.get_instance(project_id, instance_id)

    def get_target_instance(self, project_id: str, instance_id: str) -> FakeInstance:
        """The instance named as a restore target, or a 400 `DBS.300372` (invalid destination)."""
        return self._world.get_target_instance(project_id, instance_id)

    def nodes_of(self, instance: FakeInstance) -> list[FakeDataNode]:
        """The data nodes associated with an instance."""
        return self._world.nodes_of(instance)

    def get_source(self, project_id: str, instance_id: str) -> FakeInstance:
        """The source instance of a restore API, or the `missing_source_answer` error."""
        return self._world.get_source(project_id, instance_id)

    # Restore and jobs...

    def restore_metadata(
        self,
        project_id: str,
        instance_id: str,
        *,
        target_instance_id: str,
        data_nodes: list[str],
        backup_id: str | None = None,
        restore_time_ms: int | None = None,
    ) -> FakeJob:
        """
        Accept a metadata restore of `instance_id` (the source) and return its job (docs/ddm-api.md section 2.1).

        Checks in the service's order: source (404/400 `DBS.300350` by setting; version
        `DBS.300360`), backup (`DBS.300350`, status `DBS.300363`), a second POST onto a
        target that has a running or completed restore (`repost_*` settings), then the
        refusals the state decides (`restore_refusal`: at once, or a job that fails):
        time range `DBS.300377`, target `DBS.300372`, data nodes `DBS.300323`, node count
        against the source `DBS.300375`.
        """
        return self._jobs.restore_metadata(
            project_id, instance_id, target_instance_id, data_nodes, backup_id, restore_time_ms
        )

    def fail_next_job(self, reason: str = "Metadata restoration failed.") -> None:
        """Make the next accepted restore job end `Failed` with `reason`."""
        self._world.fail_next_job(reason)

    def override_job_status(
        self, job_id: str, status: str | None, *, list_only: bool = False, field: str = "present"
    ) -> FakeJob:
        """
        Force the status clients see; effects still follow time.

        `status` is shown as given (any string, e.g. a job-list-only state such as
        `Rollbacking`, or an unknown value; `None` undoes), in the job list only when
        `list_only`. `field` `missing` / `null` renders the job without a status.
        Raises `KeyError` for an unknown job, `ValueError` for a bad `field`.
        """
        return self._jobs.override_job_status(job_id, status, list_only, field)

    def set_job_progress(self, job_id: str, curve: str) -> FakeJob:
        """Choose how one job's `process` grows (`PROGRESS_CURVES`); `KeyError` / `ValueError`."""
        return self._jobs.set_job_progress(job_id, curve)

    def get_job(self, project_id: str, job_id: str) -> FakeJob:
        """The job, or a 400 `DBS.300400` (docs/ddm-api.md section 3.1)."""
        return self._jobs.get_job(project_id, job_id)

    def list_jobs(self, project_id: str, start_ms: int, end_ms: int) -> list[FakeJob]:
        """Jobs created within [start_ms, end_ms], newest first (docs/ddm-api.md section 3.2)."""
        return self._jobs.list_jobs(project_id, start_ms, end_ms)

    def all_jobs(self) -> list[FakeJob]:
        """Every job of every project, oldest first."""
        return self._jobs.all_jobs()

    # Read-only restore lookups...

    def restorable_instances(self, project_id: str, instance_id: str) -> list[tuple[FakeInstance, str]]:
        """Other instances of the project, each with its unavailable reason (`""` if usable)."""
        return self._lookups.restorable_instances(project_id, instance_id)

    def restorable_time_window(self, project_id: str, instance_id: str) -> tuple[float, float]:
        """The restorable range of the instance and all its data nodes."""
        return self._lookups.restorable_time_window(project_id, instance_id)

    def related_data_nodes(
        self, project_id: str, instance_id: str, restore_time_ms: int
    ) -> tuple[list[FakeDataNode], float]:
        """The data nodes associated at `restore_time_ms`, and the latest restorable time."""
        return self._lookups.related_data_nodes(project_id, instance_id, restore_time_ms)

    def restorable_data_nodes(
        self,
        project_id: str,
        instance_id: str,
        *,
        target_instance_id: str,
        source_dn_instance_id: str,
        restore_time_ms: int,
    ) -> list[tuple[FakeDataNode, str]]:
        """
        Nodes that could replace `source_dn_instance_id` under the target instance.

        `restore_time_ms` must lie in the restorable window, or be exactly the `created`
        time (whole seconds, as epoch ms) of a backup of the source: that is what a tool
        checking a `backup_id` restore sends, since the docs do not say which time this
        call expects for a backup. For such a backup older than the window the answer is
        the `old_backup_restore_time` setting.
        """
        return self._lookups.restorable_data_nodes(
            project_id, instance_id, target_instance_id, source_dn_instance_id, restore_time_ms
        )

    def list_backups(
        self,
        project_id: str,
        *,
        instance_id: str | None = None,
        instance_name: str | None = None,
        backup_name: str | None = None,
    ) -> list[FakeBackup]:
        """The project's backups, newest first, optionally filtered."""
        return self._lookups.list_backups(project_id, instance_id, instance_name, backup_name)

    def backup_details(
        self, project_id: str, instance_id: str, backup_id: str
    ) -> tuple[FakeBackup, FakeInstance, list[FakeDataNode]]:
        """A backup of the instance with its data nodes, or a 404 `DBS.300350`."""
        return self._lookups.backup_details(project_id, instance_id, backup_id)

    # Reads after a restore...

    def instance_details(self, project_id: str, instance_id: str) -> FakeInstance:
        """
        The instance of GET /v1/{project_id}/instances/{instance_id} (docs/ddm-api.md section 9).

        Status `RESTORE` while a restore runs on it. A deleted instance answers as the
        `deleted_instance_answer` setting says (a `ServiceError` 404, or the instance with
        status `DELETED`); one that never existed raises a 404 `DBS.300350`.
        """
        return self._reads.instance_details(project_id, instance_id)

    def list_instances(self, project_id: str) -> list[FakeInstance]:
        """The project's instances, oldest first (GET /v1/{project_id}/instances, ddm-api.md section 4);
        a deleted one is missing, or listed as `DELETED` under `deleted_instance_answer` `200 DELETED`."""
        return self._reads.list_instances(project_id)

    def list_schemas(self, project_id: str, instance_id: str) -> list[tuple[FakeSchema, list[FakeDataNode]]]:
        """The instance's schemas, oldest first, each with the data nodes of its shards (docs/ddm-api.md
        section 9); errors as `instance_details`."""
        return self._reads.list_schemas(project_id, instance_id)

    def schema_details(
        self, project_id: str, instance_id: str, name: str
    ) -> tuple[FakeSchema, list[FakeDataNode]]:
        """
        A schema and the data nodes its shards sit on (docs/ddm-api.md section 9).

        A schema the instance lacks raises the `missing_schema_answer` error (400
        `DBS.300129` by default); instance errors as `instance_details`.
        """
        return self._reads.schema_details(project_id, instance_id, name)
