"""
`World`: everything one emulated DDM service holds, its settings and its time.

Its one job is the state and its setup, with no service rules beyond "does it
exist": IAM (via `IamDirectory`, docs/ddm-api.md section 6), DDM instances and RDS
data nodes (section 4), metadata backups (section 2.7) and restore jobs
(section 3, as data: `FakeJob`), plus the fault rules and the request log the
HTTP layer uses, the pending forced failure (`fail_next`) and the
`EmulatorSettings`. Setup adds instances, data nodes and backups; the lookups
by id raise the service's not-found errors for a path's instance (section 2,
every restore API names its source in the path; section 4 for the details).

Time is emulated (`now()`): an injectable source clock times `clock_scale`.
Jobs end by time alone, so their effects are applied lazily on the next access:
`state()` holds the lock and runs the `settle` step its owner passes in. The
step is passed in (the job rules live in `restore_jobs`) so that this module
stays below the rules and imports none of them.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .clock import Clock, ScaledClock, format_iam_time
from .errors import ResourceNotFound, ServiceError
from .faults import FaultRegistry
from .iam import IamDirectory
from .models import FakeBackup, FakeDataNode, FakeInstance, FakeJob, FakeSchema, new_hex_id
from .requestlog import RequestLog
from .schemas import layout, placed, schemas_at
from .settings import EmulatorSettings

__all__ = ["MAX_ADVANCE_SECONDS", "World"]

MAX_ADVANCE_SECONDS = 10 * 365 * 86400.0
"""The longest jump of emulated time one `advance_seconds` may ask for (ten years)."""


class World:
    """
    The state of one emulated DDM service; thread-safe through `lock` (re-entrant).

    **Parameters:**

    * **settings** - the initial settings (`clear()` returns to them).
    * **clock** - the source of time, epoch seconds (tests pass a `ManualClock`).
    * **settle** - applies the effects of jobs whose time ran out; called with the
      lock held by `state()`.
    """

    def __init__(self, settings: EmulatorSettings, clock: Clock, *, settle: Callable[[World], None]) -> None:
        self.lock = threading.RLock()
        self.initial_settings = settings
        self.settings = settings
        self._clock = ScaledClock(clock, settings.clock_scale)
        self._settle = settle
        self.iam = IamDirectory(self.now, settings.token_ttl_seconds)
        self.faults = FaultRegistry()
        self.request_log = RequestLog()
        self.instances: dict[str, FakeInstance] = {}
        self.deleted_instances: dict[str, FakeInstance] = {}
        """Deleted DDM instances (status `DELETED`), for the `deleted_instance_answer` setting."""
        self.data_nodes: dict[str, FakeDataNode] = {}
        self.backups: dict[str, FakeBackup] = {}
        self.jobs: dict[str, FakeJob] = {}
        self.fail_next: str | None = None
        """The failure reason the next accepted restore job ends with, if one was asked for."""

    @contextmanager
    def state(self) -> Iterator[None]:
        """Hold the state lock, with finished jobs' effects applied."""
        with self.lock:
            self._settle(self)
            yield

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the state lock; if the block raises, put instances, data nodes and backups back as
        they were (an inventory is added whole or not at all)."""
        with self.state():
            saved = copy.deepcopy((self.instances, self.deleted_instances, self.data_nodes, self.backups))
            try:
                yield
            except BaseException:
                self.instances, self.deleted_instances, self.data_nodes, self.backups = saved
                raise

    # Time and settings...

    def now(self) -> float:
        """The current emulated time, epoch seconds."""
        return self._clock.now()

    def advance(self, seconds: float) -> float:
        """Jump emulated time forward by `seconds`; returns the new `now()`."""
        return self._clock.advance(seconds)

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change settings and run the `fail_next_job` / `advance_seconds` actions (see `DdmBackend.configure`)."""
        fail_next = changes.pop("fail_next_job", None)
        advance = changes.pop("advance_seconds", None)
        if advance is not None and (
            isinstance(advance, bool)
            or not isinstance(advance, (int, float))
            or not 0 <= advance <= MAX_ADVANCE_SECONDS
        ):
            raise ValueError(f"advance_seconds must be a number from 0 to {MAX_ADVANCE_SECONDS:g}")
        self._apply(self.settings.replace(**changes))
        if fail_next is not None:
            reason = fail_next.get("reason") if isinstance(fail_next, dict) else fail_next
            # `true` (or any non-text) asks for the default reason, not for the reason "True"
            self.fail_next_job(reason if isinstance(reason, str) and reason else "Metadata restoration failed.")
        if advance is not None:
            self.advance(float(advance))
        return self.config()

    def _apply(self, settings: EmulatorSettings) -> None:
        with self.lock:
            self.settings = settings
            self._clock.set_scale(settings.clock_scale)
            self.iam.token_ttl_seconds = settings.token_ttl_seconds

    def config(self) -> dict[str, Any]:
        """The current settings as JSON-ready data, with the pending failure and the time."""
        return {
            **self.settings.to_dict(),
            "fail_next_job": self.fail_next,
            "now": format_iam_time(self.now()),
        }

    def fail_next_job(self, reason: str) -> None:
        """Make the next accepted restore job end `Failed` with `reason`."""
        with self.lock:
            self.fail_next = reason

    def clear(self) -> None:
        """Empty the state, log and faults, and restore the initial settings (the owner re-seeds)."""
        with self.lock:
            self.instances.clear()
            self.deleted_instances.clear()
            self.data_nodes.clear()
            self.backups.clear()
            self.jobs.clear()
            self.iam.reset()
            self.faults.clear()
            self.request_log.clear()
            self.fail_next = None
            self._apply(self.initial_settings)

    # Inventory...

    def add_instance(
        self, project_id: str, instance_id: str | None, name: str | None, fields: dict[str, Any]
    ) -> FakeInstance:
        """Create a DDM instance; `fields` are `FakeInstance` attributes."""
        now = self.now()
        instance_id = instance_id or new_hex_id("in09")
        fields.setdefault("created", now - 30 * 86400)
        fields.setdefault("restorable_since", now - 7 * 86400)
        instance = FakeInstance(instance_id, project_id, name or f"ddm-{instance_id[:6]}", **fields)
        with self.lock:
            self.instances[instance.id] = instance
        return instance

    def add_data_node(
        self,
        project_id: str,
        node_id: str | None,
        name: str | None,
        instance_id: str | None,
        fields: dict[str, Any],
    ) -> FakeDataNode:
        """Create an RDS data node, associated with `instance_id` if given (`KeyError` if unknown)."""
        node_id = node_id or new_hex_id("in01")
        fields.setdefault("restorable_since", self.now() - 7 * 86400)
        node = FakeDataNode(node_id, project_id, name or f"rds-{node_id[:6]}", **fields)
        with self.lock:
            if instance_id is not None:
                self.instances[instance_id].data_node_ids.append(node.id)
                node.instance_id = instance_id
            self.data_nodes[node.id] = node
        return node

    def add_backup(
        self, project_id: str, instance_id: str, backup_id: str | None, fields: dict[str, Any]
    ) -> FakeBackup:
        """Create a metadata backup of an instance, recording its current data nodes and the schemas
        created by the backup's time (`KeyError` if the instance is unknown)."""
        with self.lock:
            instance = self.instances[instance_id]
            backup_id = backup_id or new_hex_id("br09")
            fields.setdefault("name", f"{instance.name}-{backup_id[:8]}")
            fields.setdefault("created", self.now() - 3600)
            fields.setdefault("data_node_ids", list(instance.data_node_ids))
            fields.setdefault("schemas", schemas_at(instance.schemas, fields["created"]))
            backup = FakeBackup(backup_id, project_id, instance_id, **fields)
            self.backups[backup.id] = backup
            return backup

    def add_schema(
        self,
        instance_id: str,
        name: str,
        shard_nodes: list[str] | None,
        fields: dict[str, Any],
    ) -> FakeSchema:
        """Create a schema on an instance: shard `i` on `shard_nodes[i]`, or laid out over the instance's
        data nodes (`schemas.layout`: `shard_mode`, `shard_unit`); `created` defaults to the instance's.
        `KeyError` for an unknown instance, `ValueError` for a name it has or no data node to hold shards."""
        with self.lock:
            instance = self.instances[instance_id]
            if (existing := instance.schema(name)) is not None:
                raise ValueError(f"instance {instance.name} already has a schema {existing.name}")
            fields.setdefault("created", instance.created)
            if shard_nodes is not None:
                schema = placed(name, shard_nodes, **fields)
            else:
                schema = layout(name, instance.data_node_ids, **fields)
            instance.schemas.append(schema)
            return schema

    def delete_instance(self, instance_id: str) -> FakeInstance:
        """Delete a DDM instance as the console would (`KeyError` if unknown): its schemas go with it,
        its data nodes are released, and it answers as the `deleted_instance_answer` setting says."""
        with self.state():
            return self.bury(self.instances[instance_id])

    def drop_schema(self, instance_id: str, name: str) -> FakeSchema:
        """Drop a schema of an instance, as a DBA would (`KeyError` for an unknown instance or schema)."""
        with self.state():
            instance = self.instances[instance_id]
            schema = instance.schema(name)
            if schema is None:
                raise KeyError(f"schema {name} of {instance_id}")
            instance.schemas.remove(schema)
            return schema

    def bury(self, instance: FakeInstance) -> FakeInstance:
        """The deletion itself (call with the lock held; `settle` deletes targets this way too)."""
        self.instances.pop(instance.id, None)
        for node in self.nodes_of(instance):
            node.instance_id = None
        instance.state = "DELETED"
        instance.busy_job_id = None
        instance.data_node_ids = []
        instance.schemas = []
        self.deleted_instances[instance.id] = instance
        return instance

    # Lookups by id...

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

    def get_source(self, project_id: str, instance_id: str) -> FakeInstance:
        """The source instance of a restore API, or the `missing_source_answer` error."""
        with self.state():
            instance = self.instances.get(instance_id)
            if instance is None or instance.project_id != project_id:
                status = int(self.settings.missing_source_answer.split()[0])
                raise ServiceError(status, "DBS.300350", f"The DDM instance {instance_id} does not exist.")
            return instance

    def nodes_of(self, instance: FakeInstance) -> list[FakeDataNode]:
        """The data nodes associated with an instance."""
        return self.nodes_by_id(instance.data_node_ids)

    def nodes_by_id(self, node_ids: list[str]) -> list[FakeDataNode]:
        """The data nodes of these ids that exist, in the given order."""
        with self.lock:
            return [self.data_nodes[n] for n in node_ids if n in self.data_nodes]
