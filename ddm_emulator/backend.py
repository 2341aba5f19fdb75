"""
`DdmBackend`: the emulated service's state and rules, with no HTTP.

It holds IAM (via `IamDirectory`), DDM instances, RDS data nodes, backups and
restore jobs, plus the request log and fault rules the HTTP layer uses, and
its `EmulatorSettings`. Its methods raise `ServiceError`s exactly as the
service would answer. Time is emulated (`now()`): an injectable source clock
times `clock_scale`, so a test moves jobs forward with a `ManualClock` and a
script with a higher scale.

A restore (ddm-api.md section 2.1) is checked against the state as the service
does it (source, backup or restore time, target, busy target, data nodes, in
that order) with the same `rules` the read-only restore APIs report as
`available` / `unavailable_reason`. The job is bound to its target instance and
runs `job_seconds` emulated seconds. While it runs the target is busy (status
`RESTORE`) and the data nodes are reserved; when it ends the effects are applied
lazily on the next access (`_settle`): on success the nodes are associated with
the target (which is then no longer empty), on failure only the busy flag and
the reservations are cleared.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .clock import Clock, ScaledClock, format_iam_time, to_millis
from .errors import OperationConflict, ResourceNotFound, ServiceError
from .faults import Fault, FaultRegistry
from .iam import IamDirectory
from .models import FakeBackup, FakeDataNode, FakeInstance, FakeJob, new_hex_id
from .requestlog import RequestLog, RequestRecord
from .rules import (
    node_unavailable_reason,
    restorable_window,
    source_unsupported_reason,
    target_unavailable_reason,
)
from .seed import seed_documented_example
from .settings import EmulatorSettings

__all__ = ["JOB_LIST_MAX_AGE_SECONDS", "RESTORE_JOB_NAME", "DdmBackend"]

RESTORE_JOB_NAME = "RestoreMetadata"
JOB_LIST_MAX_AGE_SECONDS = 30 * 86400


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
        self._lock = threading.RLock()
        self._initial = (settings or EmulatorSettings()).replace(**setting_changes)
        self.settings = self._initial
        self._clock = ScaledClock(clock, self.settings.clock_scale)
        self.iam = IamDirectory(self.now, self.settings.token_ttl_seconds)
        self.faults = FaultRegistry()
        self.request_log = RequestLog()
        self.instances: dict[str, FakeInstance] = {}
        self.data_nodes: dict[str, FakeDataNode] = {}
        self.backups: dict[str, FakeBackup] = {}
        self.jobs: dict[str, FakeJob] = {}
        self._fail_next: str | None = None
        self._seed = seed
        if seed is not None:
            seed(self)

    @contextmanager
    def state(self) -> Iterator[None]:
        """Hold the state lock, with finished jobs' effects applied."""
        with self._lock:
            self._settle()
            yield

    # Time and settings...

    def now(self) -> float:
        """The current emulated time, epoch seconds."""
        return self._clock.now()

    def advance(self, seconds: float) -> float:
        """Jump emulated time forward (jobs progress, tokens age)."""
        return self._clock.advance(seconds)

    def configure(self, **changes: Any) -> dict[str, Any]:
        """
        Change settings by name (fields of `EmulatorSettings`) and return `config()`.

        Two actions are accepted too: `fail_next_job` (a reason, or `{"reason"}`)
        and `advance_seconds` (jump emulated time). Raises `ValueError` on an
        unknown name or a bad value, before anything changed.
        """
        fail_next = changes.pop("fail_next_job", None)
        advance = changes.pop("advance_seconds", None)
        if advance is not None and (isinstance(advance, bool) or not isinstance(advance, (int, float)) or advance < 0):
            raise ValueError("advance_seconds must be a number >= 0")
        self._apply(self.settings.replace(**changes))
        if fail_next is not None:
            reason = fail_next.get("reason") if isinstance(fail_next, dict) else fail_next
            self.fail_next_job(str(reason) if reason else "Metadata restoration failed.")
        if advance is not None:
            self.advance(float(advance))
        return self.config()

    def _apply(self, settings: EmulatorSettings) -> None:
        with self._lock:
            self.settings = settings
            self._clock.set_scale(settings.clock_scale)
            self.iam.token_ttl_seconds = settings.token_ttl_seconds

    def config(self) -> dict[str, Any]:
        """The current settings as JSON-ready data, with the pending failure and the time."""
        return {
            **self.settings.to_dict(),
            "fail_next_job": self._fail_next,
            "now": format_iam_time(self.now()),
        }

    def reset(self) -> None:
        """Back to the seed: clear state, log and faults; restore the initial settings."""
        with self._lock:
            self.instances.clear()
            self.data_nodes.clear()
            self.backups.clear()
            self.jobs.clear()
            self.iam.reset()
            self.faults.clear()
            self.request_log.clear()
            self._fail_next = None
            self._apply(self._initial)
            if self._seed is not None:
                self._seed(self)

    # IAM shortcuts, requests and faults...

    def add_static_token(self, token: str, project_id: str) -> None:
        """Accept `token` as given for `project_id` (e.g. a demo's `OS_TOKEN`)."""
        self.iam.add_static_token(token, project_id)

    def requests(
        self,
        method: str | None = None,
        path_contains: str | None = None,
        path_regex: str | None = None,
    ) -> list[RequestRecord]:
        """Recorded requests matching all given filters, oldest first."""
        return self.request_log.find(method, path_contains, path_regex)

    def add_fault(self, fault: Fault) -> Fault:
        """Add a fault rule."""
        return self.faults.add(fault)

    def clear_faults(self) -> int:
        """Remove all fault rules."""
        return self.faults.clear()

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
        now = self.now()
        instance_id = instance_id or new_hex_id("in09")
        fields.setdefault("created", now - 30 * 86400)
        fields.setdefault("restorable_since", now - 7 * 86400)
        instance = FakeInstance(instance_id, project_id, name or f"ddm-{instance_id[:6]}", **fields)
        with self._lock:
            self.instances[instance.id] = instance
        return instance

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
        node_id = node_id or new_hex_id("in01")
        fields.setdefault("restorable_since", self.now() - 7 * 86400)
        node = FakeDataNode(node_id, project_id, name or f"rds-{node_id[:6]}", **fields)
        with self._lock:
            if instance_id is not None:
                self.instances[instance_id].data_node_ids.append(node.id)
                node.instance_id = instance_id
            self.data_nodes[node.id] = node
        return node

    def add_backup(
        self, project_id: str, instance_id: str, *, backup_id: str | None = None, **fields: Any
    ) -> FakeBackup:
        """Create a metadata backup of an instance, recording its current data nodes."""
        with self._lock:
            instance = self.instances[instance_id]
            backup_id = backup_id or new_hex_id("br09")
            fields.setdefault("name", f"{instance.name}-{backup_id[:8]}")
            fields.setdefault("created", self.now() - 3600)
            fields.setdefault("data_node_ids", list(instance.data_node_ids))
            backup = FakeBackup(backup_id, project_id, instance_id, **fields)
            self.backups[backup.id] = backup
            return backup

    def find_instance(self, instance_id: str) -> FakeInstance | None:
        """The instance with that id in any project, or `None`."""
        with self.state():
            return self.instances.get(instance_id)

    def get_instance(self, project_id: str, instance_id: str) -> FakeInstance:
        """The instance, or a 404 `DBS.300350`."""
        with self.state():
            instance = self.instances.get(instance_id)
            if instance is None or instance.project_id != project_id:
                raise ResourceNotFound(f"The DDM instance {instance_id} does not exist.")
            return instance

    def get_target_instance(self, project_id: str, instance_id: str) -> FakeInstance:
        """The instance named as a restore target, or a 400 `DBS.300372` (invalid destination)."""
        with self.state():
            target = self.instances.get(instance_id)
            if target is None or target.project_id != project_id:
                raise ServiceError(
                    400, "DBS.300372", f"Invalid destination DDM instance: {instance_id} does not exist."
                )
            return target

    def list_instances(self, project_id: str) -> list[FakeInstance]:
        """The project's instances, oldest first."""
        with self.state():
            found = [i for i in self.instances.values() if i.project_id == project_id]
        return sorted(found, key=lambda i: (i.created, i.id))

    def nodes_of(self, instance: FakeInstance) -> list[FakeDataNode]:
        """The data nodes associated with an instance."""
        with self._lock:
            return [self.data_nodes[n] for n in instance.data_node_ids if n in self.data_nodes]

    # Restore...

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
        """Accept a metadata restore of `instance_id` (the source) and return its job."""
        with self.state():
            now = self.now()
            source = self.get_instance(project_id, instance_id)
            if reason := source_unsupported_reason(source):
                raise ServiceError(400, "DBS.300360", reason)
            if backup_id is not None:
                backup = self.backups.get(backup_id)
                if backup is None or backup.instance_id != source.id:
                    raise ServiceError(
                        400, "DBS.300350", f"Backup {backup_id} of instance {source.id} not found."
                    )
                if backup.status != "normal":
                    raise ServiceError(400, "DBS.300363", f"Backup status is {backup.status}.")
            else:
                self._check_restore_time(source, restore_time_ms, now)
            target = self.get_target_instance(project_id, target_instance_id)
            if target.busy_job_id:
                raise OperationConflict("Other operations are being performed on the instance.")
            if reason := target_unavailable_reason(target, source):
                raise ServiceError(
                    400,
                    "DBS.300372",
                    f"Invalid destination DDM instance: {reason} "
                    "Create a new DDM instance as the destination.",
                )
            nodes = [self._usable_node(project_id, node_id, target) for node_id in data_nodes]
            job = FakeJob(
                id=new_hex_id(),
                project_id=project_id,
                name=RESTORE_JOB_NAME,
                instance_id=target.id,
                instance_name=target.name,
                created=now,
                duration=self.settings.job_seconds,
                source_instance_id=source.id,
                data_node_ids=list(data_nodes),
                backup_id=backup_id,
                restore_time_ms=restore_time_ms,
                fail_reason=self._fail_next,
            )
            self._fail_next = None
            target.busy_job_id = job.id
            for node in nodes:
                node.reserved_by_job = job.id
            self.jobs[job.id] = job
            self._settle()
            return job

    def _check_restore_time(
        self, source: FakeInstance, restore_time_ms: int | None, now: float
    ) -> None:
        start, end = restorable_window(source, self.nodes_of(source), now)
        if restore_time_ms is None or not to_millis(start) <= restore_time_ms <= to_millis(end):
            raise ServiceError(
                400,
                "DBS.300377",
                f"Invalid time range: restore_time must be between {to_millis(start)} "
                f"and {to_millis(end)}.",
            )

    def _usable_node(self, project_id: str, node_id: str, target: FakeInstance) -> FakeDataNode:
        node = self.data_nodes.get(node_id)
        if node is None or node.project_id != project_id:
            raise ServiceError(400, "DBS.300323", f"The RDS instance {node_id} does not exist.")
        if reason := node_unavailable_reason(node, target):
            raise ServiceError(
                400, "DBS.300323", f"The RDS instance {node_id} is unavailable: {reason}"
            )
        return node

    def _settle(self) -> None:
        """Apply the end effects of jobs whose time ran out (call with the lock held)."""
        now = self.now()
        for job in self.jobs.values():
            if job.settled or not job.finished_at(now):
                continue
            job.settled = True
            target = self.instances.get(job.instance_id)
            nodes = [self.data_nodes[n] for n in job.data_node_ids if n in self.data_nodes]
            for node in nodes:
                if node.reserved_by_job == job.id:
                    node.reserved_by_job = None
            if target is None:
                continue
            if target.busy_job_id == job.id:
                target.busy_job_id = None
            if job.fail_reason is None:
                for node in nodes:
                    node.instance_id = target.id
                    target.data_node_ids.append(node.id)
                source = self.instances.get(job.source_instance_id)
                target.schemas = list(source.schemas) if source else []

    # Jobs...

    def fail_next_job(self, reason: str = "Metadata restoration failed.") -> None:
        """Make the next accepted restore job end `Failed` with `reason`."""
        with self._lock:
            self._fail_next = reason

    def override_job_status(self, job_id: str, status: str | None) -> FakeJob:
        """Force the status clients see (`None` to undo); effects still follow time."""
        with self._lock:
            job = self.jobs[job_id]
            job.status_override = status
            return job

    def get_job(self, project_id: str, job_id: str) -> FakeJob:
        """The job, or a 400 `DBS.300400`."""
        with self.state():
            job = self.jobs.get(job_id)
            if job is None or job.project_id != project_id:
                raise ServiceError(400, "DBS.300400", f"Task {job_id} not found.")
            return job

    def list_jobs(self, project_id: str, start_ms: int, end_ms: int) -> list[FakeJob]:
        """Jobs created within [start_ms, end_ms], newest first."""
        with self.state():
            if end_ms < start_ms:
                raise ServiceError(400, "DBS.300377", "Invalid time range: end_time < start_time.")
            if start_ms < to_millis(self.now() - JOB_LIST_MAX_AGE_SECONDS):
                raise ServiceError(
                    400, "DBS.300377", "Invalid time range: start_time is more than 30 days ago."
                )
            found = [
                j
                for j in self.jobs.values()
                if j.project_id == project_id and start_ms <= to_millis(j.created) <= end_ms
            ]
        return sorted(found, key=lambda j: j.created, reverse=True)

    def all_jobs(self) -> list[FakeJob]:
        """Every job of every project, oldest first."""
        with self.state():
            return sorted(self.jobs.values(), key=lambda j: j.created)

    # Read-only restore queries...

    def restorable_instances(
        self, project_id: str, instance_id: str
    ) -> list[tuple[FakeInstance, str]]:
        """Other instances of the project, each with its unavailable reason (`""` if usable)."""
        with self.state():
            source = self.get_instance(project_id, instance_id)
            candidates = sorted(
                (
                    i
                    for i in self.instances.values()
                    if i.project_id == project_id and i.id != source.id
                ),
                key=lambda i: (i.created, i.id),
            )
            return [(i, target_unavailable_reason(i, source)) for i in candidates]

    def restorable_time_window(self, project_id: str, instance_id: str) -> tuple[float, float]:
        """The restorable range of the instance and all its data nodes."""
        with self.state():
            source = self.get_instance(project_id, instance_id)
            return restorable_window(source, self.nodes_of(source), self.now())

    def related_data_nodes(
        self, project_id: str, instance_id: str, restore_time_ms: int
    ) -> tuple[list[FakeDataNode], float]:
        """The data nodes associated at `restore_time_ms`, and the latest restorable time."""
        with self.state():
            source = self.get_instance(project_id, instance_id)
            now = self.now()
            self._check_restore_time(source, restore_time_ms, now)
            return self.nodes_of(source), now

    def restorable_data_nodes(
        self,
        project_id: str,
        instance_id: str,
        *,
        target_instance_id: str,
        source_dn_instance_id: str,
        restore_time_ms: int,
    ) -> list[tuple[FakeDataNode, str]]:
        """Nodes that could replace `source_dn_instance_id` under the target instance."""
        with self.state():
            source = self.get_instance(project_id, instance_id)
            target = self.get_target_instance(project_id, target_instance_id)
            source_dn = self.data_nodes.get(source_dn_instance_id)
            if source_dn is None or source_dn.instance_id != source.id:
                raise ServiceError(
                    400,
                    "DBS.300350",
                    f"Data node {source_dn_instance_id} is not associated with {source.id}.",
                )
            self._check_restore_time(source, restore_time_ms, self.now())
            candidates = sorted(
                (
                    n
                    for n in self.data_nodes.values()
                    if n.project_id == project_id and n.instance_id != source.id
                ),
                key=lambda n: (n.name, n.id),
            )
            return [(n, node_unavailable_reason(n, target, source_dn)) for n in candidates]

    def list_backups(
        self,
        project_id: str,
        *,
        instance_id: str | None = None,
        instance_name: str | None = None,
        backup_name: str | None = None,
    ) -> list[FakeBackup]:
        """The project's backups, newest first, optionally filtered."""
        with self.state():
            found = []
            for backup in self.backups.values():
                instance = self.instances.get(backup.instance_id)
                if (
                    backup.project_id == project_id
                    and (instance_id is None or backup.instance_id == instance_id)
                    and (instance_name is None or (instance and instance.name == instance_name))
                    and (backup_name is None or backup.name == backup_name)
                ):
                    found.append(backup)
        return sorted(found, key=lambda b: (b.created, b.id), reverse=True)

    def backup_details(
        self, project_id: str, instance_id: str, backup_id: str
    ) -> tuple[FakeBackup, FakeInstance, list[FakeDataNode]]:
        """A backup of the instance with its data nodes, or a 404 `DBS.300350`."""
        with self.state():
            instance = self.get_instance(project_id, instance_id)
            backup = self.backups.get(backup_id)
            if backup is None or backup.instance_id != instance.id:
                raise ResourceNotFound(f"Backup {backup_id} of instance {instance_id} not found.")
            nodes = [self.data_nodes[n] for n in backup.data_node_ids if n in self.data_nodes]
            return backup, instance, nodes
