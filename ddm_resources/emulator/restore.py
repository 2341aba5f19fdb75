"""
Restore jobs: the metadata-recovery rules and the job lifecycle.

`RestoreJobsMixin` is half of `DdmBackend` (see `backend.py`): it validates a
restore against the state as the service does (source, backup or restore time,
target, busy target, data nodes, in that order), creates the job bound to the
TARGET instance, and applies a finished job's effects lazily (`_settle`): on
success the data nodes are associated with the target, which is then no longer
empty; on failure only the busy flag and node reservations are cleared.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from .clock import to_millis
from .errors import ConflictError, ServiceError
from .models import FakeDataNode, FakeInstance, FakeJob, new_hex_id
from .rules import (
    node_unavailable_reason,
    restorable_window,
    source_unsupported_reason,
    target_unavailable_reason,
)

__all__ = ["JOB_LIST_MAX_AGE_SECONDS", "RESTORE_JOB_NAME", "RestoreJobsMixin"]

RESTORE_JOB_NAME = "RestoreMetadata"
JOB_LIST_MAX_AGE_SECONDS = 30 * 86400


class RestoreJobsMixin:
    """Metadata restore and job methods of `DdmBackend`."""

    _lock: threading.RLock
    _fail_next: str | None
    job_seconds: float
    instances: dict[str, FakeInstance]
    data_nodes: dict[str, FakeDataNode]
    jobs: dict[str, FakeJob]

    if TYPE_CHECKING:  # provided by DdmBackend

        def now(self) -> float: ...

        def state(self) -> AbstractContextManager[None]: ...

        def get_instance(self, project_id: str, instance_id: str) -> FakeInstance: ...

        def get_target_instance(self, project_id: str, instance_id: str) -> FakeInstance: ...

        def nodes_of(self, instance: FakeInstance) -> list[FakeDataNode]: ...

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
                raise ConflictError("Other operations are being performed on the instance.")
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
                duration=self.job_seconds,
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
