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
from .errors import InvalidRestoreTime, OperationConflict, ResourceNotFound, ServiceError
from .faults import Fault, FaultRegistry
from .iam import IamDirectory
from .models import PROGRESS_CURVES, FakeBackup, FakeDataNode, FakeInstance, FakeJob, new_hex_id
from .requestlog import RequestLog, RequestRecord
from .rules import (
    node_unavailable_reason,
    restorable_window,
    source_unsupported_reason,
    target_unavailable_reason,
)
from .seed import seed_documented_example
from .settings import EmulatorSettings

__all__ = ["JOB_LIST_MAX_AGE_SECONDS", "DdmBackend"]

_MAX_ADVANCE = 10 * 365 * 86400.0
"""The longest jump of emulated time one `advance_seconds` may ask for (ten years)."""
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
        if advance is not None and (
            isinstance(advance, bool) or not isinstance(advance, (int, float)) or not 0 <= advance <= _MAX_ADVANCE
        ):
            raise ValueError(f"advance_seconds must be a number from 0 to {_MAX_ADVANCE:g}")
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

    def add_access_key(self, access_key: str, secret_key: str, project_id: str) -> None:
        """Accept requests signed with this AK/SK pair (SDK-HMAC-SHA256) for `project_id`."""
        self.iam.add_access_key(access_key, secret_key, project_id)

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

    def nodes_of(self, instance: FakeInstance) -> list[FakeDataNode]:
        """The data nodes associated with an instance."""
        with self._lock:
            return [self.data_nodes[n] for n in instance.data_node_ids if n in self.data_nodes]

    def get_source(self, project_id: str, instance_id: str) -> FakeInstance:
        """The source instance of a restore API, or the `missing_source_answer` error."""
        with self.state():
            instance = self.instances.get(instance_id)
            if instance is None or instance.project_id != project_id:
                status = int(self.settings.missing_source_answer.split()[0])
                raise ServiceError(status, "DBS.300350", f"The DDM instance {instance_id} does not exist.")
            return instance

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
        """
        Accept a metadata restore of `instance_id` (the source) and return its job.

        Checks in the service's order: source (404/400 `DBS.300350` by setting; version
        `DBS.300360`), backup (`DBS.300350`, status `DBS.300363`), a second POST onto a
        target that has a running or completed restore (`repost_*` settings), then the
        refusals the state decides (`restore_refusal`: at once, or a job that fails):
        time range `DBS.300377`, target `DBS.300372`, data nodes `DBS.300323`, node count
        against the source `DBS.300375`.
        """
        with self.state():
            now = self.now()
            source = self.get_source(project_id, instance_id)
            if reason := source_unsupported_reason(source):
                raise ServiceError(400, "DBS.300360", reason)
            source_nodes = self._source_nodes_for(source, backup_id)
            target = self.get_target_instance(project_id, target_instance_id)
            if target.busy_job_id:
                running = self.jobs[target.busy_job_id]
                if self.settings.repost_while_running == "202 same job":
                    return running
                status, code = self.settings.repost_while_running.split()
                raise ServiceError(int(status), code, "Other operations are being performed on the instance.")
            refusal = self._refusal(project_id, source, target, source_nodes, data_nodes, restore_time_ms, now)
            if refusal is not None and self._refused_at_once(target):
                raise refusal
            nodes = [self.data_nodes[n] for n in data_nodes if n in self.data_nodes]
            fail_reason = f"{refusal.code}: {refusal.message}" if refusal is not None else self._fail_next
            job = self._new_job(project_id, source, target, data_nodes, backup_id, restore_time_ms, now)
            job.fail_reason = fail_reason
            self._fail_next = None
            target.busy_job_id = job.id
            for node in nodes:
                if not node.instance_id and not node.reserved_by_job:
                    node.reserved_by_job = job.id
            self.jobs[job.id] = job
            self._settle()
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
        named = source if self.settings.job_bound_to == "source" else target
        return FakeJob(
            id=new_hex_id(),
            project_id=project_id,
            name=self.settings.job_name,
            instance_id=named.id,
            instance_name=named.name,
            created=now,
            duration=self.settings.job_seconds,
            source_instance_id=source.id,
            target_instance_id=target.id,
            data_node_ids=list(data_nodes),
            backup_id=backup_id,
            restore_time_ms=restore_time_ms,
            progress_curve=self.settings.progress_curve,
        )

    def _source_nodes_for(self, source: FakeInstance, backup_id: str | None) -> list[str]:
        """The source's data nodes at the backup (checked here) or now."""
        if backup_id is None:
            return list(source.data_node_ids)
        backup = self.backups.get(backup_id)
        if backup is None or backup.instance_id != source.id:
            raise ServiceError(400, "DBS.300350", f"Backup {backup_id} of instance {source.id} not found.")
        if backup.status != "normal":
            raise ServiceError(400, "DBS.300363", f"Backup status is {backup.status}.")
        return list(backup.data_node_ids)

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
            start, end = restorable_window(source, self.nodes_of(source), now)
            if not to_millis(start) <= restore_time_ms <= to_millis(end):
                return InvalidRestoreTime(start, end)
        if reason := target_unavailable_reason(target, source):
            return ServiceError(
                400,
                "DBS.300372",
                f"Invalid destination DDM instance: {reason} Create a new DDM instance as the destination.",
            )
        for node_id in data_nodes:
            node = self.data_nodes.get(node_id)
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
        if self._completed_restore_on(target) is not None:
            choice = self.settings.repost_after_completed
            if choice == "409 DBS.212033":
                raise OperationConflict("Other operations are being performed on the instance.")
            if choice == "202 then job fails":
                return False
        return self.settings.restore_refusal == "immediate"

    def _completed_restore_on(self, target: FakeInstance) -> FakeJob | None:
        """The latest completed restore job onto `target`, if any (call with the lock held)."""
        done = [
            j
            for j in self.jobs.values()
            if j.target_instance_id == target.id and j.settled and j.fail_reason is None
        ]
        return max(done, key=lambda j: j.created, default=None)

    def _settle(self) -> None:
        """Apply the end effects of jobs whose time ran out (call with the lock held)."""
        now = self.now()
        for job in self.jobs.values():
            if job.settled or not job.finished_at(now):
                continue
            job.settled = True
            target = self.instances.get(job.target_instance_id)
            nodes = [self.data_nodes[n] for n in job.data_node_ids if n in self.data_nodes]
            for node in nodes:
                if node.reserved_by_job == job.id:
                    node.reserved_by_job = None
            if target is None:
                continue
            if target.busy_job_id == job.id:
                target.busy_job_id = None
            source = self.instances.get(job.source_instance_id)
            if job.fail_reason is None:
                for node in nodes:
                    if not node.instance_id:
                        node.instance_id = target.id
                        target.data_node_ids.append(node.id)
                target.schemas = list(source.schemas) if source else []
            elif self.settings.failed_restore_leaves_target == "dirty":
                target.schemas = sorted({*target.schemas, *(source.schemas if source else ["partial"])})

    # Jobs...

    def fail_next_job(self, reason: str = "Metadata restoration failed.") -> None:
        """Make the next accepted restore job end `Failed` with `reason`."""
        with self._lock:
            self._fail_next = reason

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
        if field not in ("present", "missing", "null"):
            raise ValueError("field must be present, missing or null")
        with self._lock:
            job = self.jobs[job_id]
            job.status_override = status
            job.override_in_list_only = list_only
            job.status_field = field
            return job

    def set_job_progress(self, job_id: str, curve: str) -> FakeJob:
        """Choose how one job's `process` grows (`PROGRESS_CURVES`); `KeyError` / `ValueError`."""
        if curve not in PROGRESS_CURVES:
            raise ValueError(f"curve must be one of {', '.join(PROGRESS_CURVES)}")
        with self._lock:
            job = self.jobs[job_id]
            job.progress_curve = curve
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
            now_ms = to_millis(self.now())
            if start_ms < now_ms - JOB_LIST_MAX_AGE_SECONDS * 1000:
                raise ServiceError(
                    400, "DBS.300377", "Invalid time range: start_time is more than 30 days ago."
                )
            if self.settings.job_list_refuses_future_end and end_ms > now_ms:
                raise ServiceError(400, "DBS.300377", "Invalid time range: end_time is in the future.")
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

    def _check_restore_time(self, source: FakeInstance, restore_time_ms: int, now: float) -> None:
        start, end = restorable_window(source, self.nodes_of(source), now)
        if not to_millis(start) <= restore_time_ms <= to_millis(end):
            raise InvalidRestoreTime(start, end)

    def restorable_instances(
        self, project_id: str, instance_id: str
    ) -> list[tuple[FakeInstance, str]]:
        """Other instances of the project, each with its unavailable reason (`""` if usable)."""
        with self.state():
            source = self.get_source(project_id, instance_id)
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
            source = self.get_source(project_id, instance_id)
            return restorable_window(source, self.nodes_of(source), self.now())

    def related_data_nodes(
        self, project_id: str, instance_id: str, restore_time_ms: int
    ) -> tuple[list[FakeDataNode], float]:
        """The data nodes associated at `restore_time_ms`, and the latest restorable time."""
        with self.state():
            source = self.get_source(project_id, instance_id)
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
        """
        Nodes that could replace `source_dn_instance_id` under the target instance.

        `restore_time_ms` must lie in the restorable window, or be exactly the `created`
        time (whole seconds, as epoch ms) of a backup of the source: that is what a tool
        checking a `backup_id` restore sends, since the docs do not say which time this
        call expects for a backup. For such a backup older than the window the answer is
        the `old_backup_restore_time` setting.
        """
        with self.state():
            source = self.get_source(project_id, instance_id)
            target = self.get_target_instance(project_id, target_instance_id)
            source_dn = self.data_nodes.get(source_dn_instance_id)
            backup_nodes = {
                n for b in self.backups.values() if b.instance_id == source.id for n in b.data_node_ids
            }
            if source_dn is None or (source_dn.instance_id != source.id and source_dn.id not in backup_nodes):
                raise ServiceError(
                    400,
                    "DBS.300350",
                    f"Data node {source_dn_instance_id} is not associated with {source.id}.",
                )
            self._check_data_node_time(source, restore_time_ms)
            candidates = sorted(
                (
                    n
                    for n in self.data_nodes.values()
                    if n.project_id == project_id and n.instance_id != source.id
                ),
                key=lambda n: (n.name, n.id),
            )
            return [(n, node_unavailable_reason(n, target, source_dn)) for n in candidates]

    def _check_data_node_time(self, source: FakeInstance, restore_time_ms: int) -> None:
        start, end = restorable_window(source, self.nodes_of(source), self.now())
        if to_millis(start) <= restore_time_ms <= to_millis(end):
            return
        backup_times = {
            int(b.created) * 1000 for b in self.backups.values() if b.instance_id == source.id
        }
        if restore_time_ms not in backup_times or restore_time_ms > to_millis(end):
            raise InvalidRestoreTime(start, end)
        choice = self.settings.old_backup_restore_time
        if choice == "accept":
            return
        status, code = choice.split()
        raise ServiceError(
            int(status), code, "Invalid time range: the backup is older than the restorable time range."
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
            instance = self.get_source(project_id, instance_id)
            backup = self.backups.get(backup_id)
            if backup is None or backup.instance_id != instance.id:
                raise ResourceNotFound(f"Backup {backup_id} of instance {instance_id} not found.")
            nodes = [self.data_nodes[n] for n in backup.data_node_ids if n in self.data_nodes]
            return backup, instance, nodes
