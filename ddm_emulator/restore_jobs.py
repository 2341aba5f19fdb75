"""
Restore submission and the job lifecycle: the only code that changes a `World` by the service's rules.

`RestoreJobs` accepts a metadata restore (docs/ddm-api.md section 2.1) and answers
the job APIs (section 3.1 single job, section 3.2 job list); the admin API's
job controls (status overrides, progress curves) are here too, since they act
on the same jobs. `settle_finished_jobs` ends the lifecycle; the `World` runs it
on every access (`World.state()`), which is why it is a function of the world
and not a method here.

A restore is checked against the state as the service does it (source, backup
or restore time, target, busy target, data nodes, in that order) with the same
`rules` the read-only restore lookups report as `available` /
`unavailable_reason`. The job is bound to its target instance and runs
`job_seconds` emulated seconds. While it runs the target is busy (status
`RESTORE`) and the data nodes are reserved; when it ends the effects are
applied lazily on the next access: on success the nodes are associated with
the target (which is then no longer empty), on failure only the busy flag and
the reservations are cleared (and the target keeps partial schemas when
`failed_restore_leaves_target` is `dirty`). A completed job also leaves the
source's schemas at the restore point on the target, their shards moved onto
the target's data nodes (`schemas.restored_schemas`, with the switches
`restore_drops_schema` and `restore_misplaces_shard` as they were when the job
was accepted), and deletes the target `delete_target_after_seconds` later when
that was set.
"""

from __future__ import annotations

import copy

from .clock import to_millis
from .errors import InvalidRestoreTime, OperationConflict, ServiceError
from .models import PROGRESS_CURVES, FakeInstance, FakeJob, FakeSchema, new_hex_id
from .rules import node_unavailable_reason, restorable_window, source_unsupported_reason, target_unavailable_reason
from .schemas import placed, restored_schemas, schemas_at
from .world import World

__all__ = ["JOB_LIST_MAX_AGE_SECONDS", "RestoreJobs", "settle_finished_jobs"]

JOB_LIST_MAX_AGE_SECONDS = 30 * 86400
"""How far back the job list reaches (docs/ddm-api.md section 3.2: `start_time` no earlier than 30 days ago)."""


class RestoreJobs:
    """Restores and their jobs in one `World`; every method takes the world's lock."""

    def __init__(self, world: World) -> None:
        self._world = world

    def restore_metadata(
        self, project_id: str, instance_id: str, target_instance_id: str, data_nodes: list[str],
        backup_id: str | None, restore_time_ms: int | None,
    ) -> FakeJob:
        """Accept a restore of `instance_id` onto the target and return its job (see `DdmBackend.restore_metadata`)."""
        world = self._world
        with world.state():
            now = world.now()
            source = world.get_source(project_id, instance_id)
            if reason := source_unsupported_reason(source):
                raise ServiceError(400, "DBS.300360", reason)
            source_nodes, schemas = self._restore_point(source, backup_id, restore_time_ms)
            target = world.get_target_instance(project_id, target_instance_id)
            if target.busy_job_id:
                running = world.jobs[target.busy_job_id]
                if world.settings.repost_while_running == "202 same job":
                    return running
                status, code = world.settings.repost_while_running.split()
                raise ServiceError(int(status), code, "Other operations are being performed on the instance.")
            refusal = self._refusal(project_id, source, target, source_nodes, data_nodes, restore_time_ms, now)
            if refusal is not None and self._refused_at_once(target):
                raise refusal
            nodes = world.nodes_by_id(data_nodes)
            fail_reason = f"{refusal.code}: {refusal.message}" if refusal is not None else world.fail_next
            job = self._new_job(project_id, source, target, data_nodes, backup_id, restore_time_ms, now)
            job.fail_reason = fail_reason
            job.schemas = restored_schemas(
                schemas, source_nodes, data_nodes,
                drop=world.settings.restore_drops_schema, misplace=world.settings.restore_misplaces_shard,
            )
            if world.settings.delete_target_after_seconds >= 0:
                job.delete_target_after = world.settings.delete_target_after_seconds
            world.fail_next = None
            target.busy_job_id = job.id
            for node in nodes:
                if not node.instance_id and not node.reserved_by_job:
                    node.reserved_by_job = job.id
            world.jobs[job.id] = job
            settle_finished_jobs(world)
            return job

    def _new_job(
        self,
        project_id: str,
        source: FakeInstance,
        target: FakeInstance,
        data_nodes: list[str],
        backup_id: str | None,
        restore_time_ms: int | None,
        now: float,
    ) -> FakeJob:
        settings = self._world.settings
        named = source if settings.job_bound_to == "source" else target
        return FakeJob(
            id=new_hex_id(),
            project_id=project_id,
            name=settings.job_name,
            instance_id=named.id,
            instance_name=named.name,
            created=now,
            duration=settings.job_seconds,
            source_instance_id=source.id,
            target_instance_id=target.id,
            data_node_ids=list(data_nodes),
            backup_id=backup_id,
            restore_time_ms=restore_time_ms,
            progress_curve=settings.progress_curve,
        )

    def _restore_point(
        self, source: FakeInstance, backup_id: str | None, restore_time_ms: int | None
    ) -> tuple[list[str], list[FakeSchema]]:
        """The source's data nodes and schemas at the backup (checked here) or the restore time."""
        if backup_id is None:
            point = (restore_time_ms or 0) / 1000
            schemas = schemas_at(source.schemas, point)
            if self._world.settings.time_restore_schemas == "latest-backup":
                backups = [b for b in self._world.backups.values()
                           if b.instance_id == source.id and b.status == "normal" and b.created <= point]
                if backups:
                    schemas = list(max(backups, key=lambda b: b.created).schemas)
            return list(source.data_node_ids), schemas
        backup = self._world.backups.get(backup_id)
        if backup is None or backup.instance_id != source.id:
            raise ServiceError(400, "DBS.300350", f"Backup {backup_id} of instance {source.id} not found.")
        if backup.status != "normal":
            raise ServiceError(400, "DBS.300363", f"Backup status is {backup.status}.")
        return list(backup.data_node_ids), list(backup.schemas)

    def _refusal(
        self,
        project_id: str,
        source: FakeInstance,
        target: FakeInstance,
        source_nodes: list[str],
        data_nodes: list[str],
        restore_time_ms: int | None,
        now: float,
    ) -> ServiceError | None:
        """Why the state forbids this restore (the first reason), or `None`."""
        if restore_time_ms is not None:
            start, end = restorable_window(source, self._world.nodes_of(source), now)
            if not to_millis(start) <= restore_time_ms <= to_millis(end):
                return InvalidRestoreTime(start, end)
        if reason := target_unavailable_reason(target, source):
            return ServiceError(
                400,
                "DBS.300372",
                f"Invalid destination DDM instance: {reason} Create a new DDM instance as the destination.",
            )
        for node_id in data_nodes:
            node = self._world.data_nodes.get(node_id)
            if node is None or node.project_id != project_id:
                return ServiceError(400, "DBS.300323", f"The RDS instance {node_id} does not exist.")
            if reason := node_unavailable_reason(node, target):
                return ServiceError(400, "DBS.300323", f"The RDS instance {node_id} is unavailable: {reason}")
        if source_nodes and len(data_nodes) != len(source_nodes):
            return ServiceError(
                400,
                "DBS.300375",
                f"Invalid data_nodes: the source had {len(source_nodes)} data node(s) at the restore point, "
                f"{len(data_nodes)} were given.",
            )
        return None

    def _refused_at_once(self, target: FakeInstance) -> bool:
        """Whether a refused restore is answered now (else it becomes a job that fails).

        After a completed restore of the target the `repost_after_completed` setting
        decides (409 raised here, or a failing job); otherwise `restore_refusal` does."""
        settings = self._world.settings
        if self._completed_restore_on(target) is not None:
            choice = settings.repost_after_completed
            if choice == "409 DBS.212033":
                raise OperationConflict("Other operations are being performed on the instance.")
            if choice == "202 then job fails":
                return False
        return settings.restore_refusal == "immediate"

    def _completed_restore_on(self, target: FakeInstance) -> FakeJob | None:
        """The latest completed restore job onto `target`, if any (call with the lock held)."""
        done = [
            j
            for j in self._world.jobs.values()
            if j.target_instance_id == target.id and j.settled and j.fail_reason is None
        ]
        return max(done, key=lambda j: j.created, default=None)

    # Job controls and the job APIs...

    def override_job_status(self, job_id: str, status: str | None, list_only: bool, field: str) -> FakeJob:
        """Force the status clients see (see `DdmBackend.override_job_status`)."""
        if field not in ("present", "missing", "null"):
            raise ValueError("field must be present, missing or null")
        with self._world.lock:
            job = self._world.jobs[job_id]
            job.status_override = status
            job.override_in_list_only = list_only
            job.status_field = field
            return job

    def set_job_progress(self, job_id: str, curve: str) -> FakeJob:
        """Choose how one job's `process` grows (`PROGRESS_CURVES`); `KeyError` / `ValueError`."""
        if curve not in PROGRESS_CURVES:
            raise ValueError(f"curve must be one of {', '.join(PROGRESS_CURVES)}")
        with self._world.lock:
            job = self._world.jobs[job_id]
            job.progress_curve = curve
            return job

    def get_job(self, project_id: str, job_id: str) -> FakeJob:
        """The job, or a 400 `DBS.300400` (section 3.1)."""
        with self._world.state():
            job = self._world.jobs.get(job_id)
            if job is None or job.project_id != project_id:
                raise ServiceError(400, "DBS.300400", f"Task {job_id} not found.")
            return job

    def list_jobs(self, project_id: str, start_ms: int, end_ms: int) -> list[FakeJob]:
        """Jobs created within [start_ms, end_ms], newest first, or a 400 `DBS.300377` (section 3.2)."""
        world = self._world
        with world.state():
            if end_ms < start_ms:
                raise ServiceError(400, "DBS.300377", "Invalid time range: end_time < start_time.")
            now_ms = to_millis(world.now())
            if start_ms < now_ms - JOB_LIST_MAX_AGE_SECONDS * 1000:
                raise ServiceError(
                    400, "DBS.300377", "Invalid time range: start_time is more than 30 days ago."
                )
            if world.settings.job_list_refuses_future_end and end_ms > now_ms:
                raise ServiceError(400, "DBS.300377", "Invalid time range: end_time is in the future.")
            found = [
                j
                for j in world.jobs.values()
                if j.project_id == project_id and start_ms <= to_millis(j.created) <= end_ms
            ]
        return sorted(found, key=lambda j: j.created, reverse=True)

    def all_jobs(self) -> list[FakeJob]:
        """Every job of every project, oldest first."""
        with self._world.state():
            return sorted(self._world.jobs.values(), key=lambda j: j.created)


def settle_finished_jobs(world: World) -> None:
    """Apply the end effects of jobs whose time ran out, and delete the targets whose time after
    their restore ran out (call with the world's lock held)."""
    now = world.now()
    for job in world.jobs.values():
        if not job.settled and job.finished_at(now):
            _settle(world, job)
        if job.delete_target_after is not None and job.settled and now >= job.end + job.delete_target_after:
            target = world.instances.get(job.target_instance_id)
            job.delete_target_after = None
            if target is not None and job.fail_reason is None:
                world.bury(target)


def _settle(world: World, job: FakeJob) -> None:
    job.settled = True
    target = world.instances.get(job.target_instance_id)
    nodes = world.nodes_by_id(job.data_node_ids)
    for node in nodes:
        if node.reserved_by_job == job.id:
            node.reserved_by_job = None
    if target is None:
        return
    if target.busy_job_id == job.id:
        target.busy_job_id = None
    if job.fail_reason is None:
        for node in nodes:
            if not node.instance_id:
                node.instance_id = target.id
                target.data_node_ids.append(node.id)
        target.schemas = copy.deepcopy(job.schemas)
    elif world.settings.failed_restore_leaves_target == "dirty":
        written = [s for s in copy.deepcopy(job.schemas) if target.schema(s.name) is None]
        target.schemas.extend(written or [placed("partial", job.data_node_ids[:1])])
