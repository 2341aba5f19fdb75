"""
`DdmBackend`: the emulated service's state and rules, with no HTTP.

It holds IAM (via `IamDirectory`), DDM instances, RDS data nodes, backups and
restore jobs, plus the request log and fault rules the HTTP layer uses. Its
methods raise `ServiceError`s exactly as the service would answer. Time is
emulated (`now()`): an injectable source clock times `clock_scale`, so a test
moves jobs forward with a `ManualClock` and a script with a higher scale.

A restore job is bound to its target instance and runs `job_seconds` emulated
seconds. While it runs the target is busy (status `RESTORE`) and the data nodes
are reserved; when it ends the effects are applied lazily on the next access:
on success the nodes are associated with the target (which is then no longer
empty), on failure only the busy flag is cleared.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .clock import Clock, ScaledClock, format_iam_time
from .errors import ERROR_STYLES, NotFoundError, ServiceError
from .faults import Fault, FaultRegistry
from .iam import DEFAULT_TOKEN_TTL_SECONDS, IamDirectory
from .models import FakeBackup, FakeDataNode, FakeInstance, FakeJob, new_hex_id
from .queries import RestoreQueriesMixin
from .requestlog import RequestLog, RequestRecord
from .restore import RestoreJobsMixin
from .seed import seed_documented_example

__all__ = ["DEFAULT_JOB_SECONDS", "DdmBackend"]

DEFAULT_JOB_SECONDS = 3.0


class DdmBackend(RestoreJobsMixin, RestoreQueriesMixin):
    """
    State and rules of one emulated DDM service; thread-safe.

    Restore and job methods come from `RestoreJobsMixin` (`restore.py`), the
    read-only restore APIs from `RestoreQueriesMixin` (`queries.py`).
    """

    def __init__(
        self,
        *,
        clock: Clock = time.time,
        clock_scale: float = 1.0,
        job_seconds: float = DEFAULT_JOB_SECONDS,
        token_ttl_seconds: float = DEFAULT_TOKEN_TTL_SECONDS,
        error_style: str = "auto",
        seed: Callable[[DdmBackend], None] | None = seed_documented_example,
    ) -> None:
        self._lock = threading.RLock()
        self._clock = ScaledClock(clock, clock_scale)
        self.iam = IamDirectory(self.now, token_ttl_seconds)
        self.faults = FaultRegistry()
        self.request_log = RequestLog()
        self.instances: dict[str, FakeInstance] = {}
        self.data_nodes: dict[str, FakeDataNode] = {}
        self.backups: dict[str, FakeBackup] = {}
        self.jobs: dict[str, FakeJob] = {}
        self._fail_next: str | None = None
        self._seed = seed
        self.job_seconds = DEFAULT_JOB_SECONDS
        """Emulated seconds a restore job runs (fixed per job when it is accepted)."""
        self.error_style = "auto"
        """`auto` (v1 paths answer errCode style, others error_code), `v3` or `v1`."""
        self._initial: dict[str, Any] = {
            "job_seconds": job_seconds,
            "clock_scale": clock_scale,
            "token_ttl_seconds": token_ttl_seconds,
            "error_style": error_style,
        }
        self.configure(**self._initial)
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

    @property
    def clock_scale(self) -> float:
        """Emulated seconds per real second."""
        return self._clock.scale

    @clock_scale.setter
    def clock_scale(self, scale: float) -> None:
        self._clock.set_scale(scale)

    @property
    def token_ttl_seconds(self) -> float:
        """Lifetime of newly issued tokens, emulated seconds."""
        return self.iam.token_ttl_seconds

    @token_ttl_seconds.setter
    def token_ttl_seconds(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError("token_ttl_seconds must be > 0")
        self.iam.token_ttl_seconds = float(seconds)

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change settings by name; raise `ValueError` on unknown names or bad values."""
        for name, value in settings.items():
            if name == "job_seconds":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError("job_seconds must be a number >= 0")
                self.job_seconds = float(value)
            elif name == "clock_scale":
                self.clock_scale = float(value)
            elif name == "token_ttl_seconds":
                self.token_ttl_seconds = float(value)
            elif name == "error_style":
                if value not in ERROR_STYLES:
                    raise ValueError(f"error_style must be one of {', '.join(ERROR_STYLES)}")
                self.error_style = str(value)
            elif name == "fail_next_job":
                reason = value.get("reason") if isinstance(value, dict) else value
                self.fail_next_job(str(reason) if reason else "Metadata restoration failed.")
            elif name == "advance_seconds":
                self.advance(float(value))
            else:
                raise ValueError(f"unknown setting: {name}")
        return self.config()

    def config(self) -> dict[str, Any]:
        """The current settings as JSON-ready data."""
        return {
            "job_seconds": self.job_seconds,
            "clock_scale": self.clock_scale,
            "token_ttl_seconds": self.token_ttl_seconds,
            "error_style": self.error_style,
            "fail_next_job": self._fail_next,
            "now": format_iam_time(self.now()),
        }

    def reset(self) -> None:
        """Back to the seed: clear state, log and faults; restore initial settings."""
        with self._lock:
            self.instances.clear()
            self.data_nodes.clear()
            self.backups.clear()
            self.jobs.clear()
            self.iam.reset()
            self.faults.clear()
            self.request_log.clear()
            self._fail_next = None
            self.configure(**self._initial)
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
                raise NotFoundError(f"The DDM instance {instance_id} does not exist.")
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
