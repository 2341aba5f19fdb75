"""
Read-only restore APIs of `DdmBackend` (ddm-api.md section 2).

`RestoreQueriesMixin` answers restorable-instances, restorable-time-interval,
related-dn, restorable-data-node and the backup lookups from the current
state, using the same `rules` as the restore POST, so `available` /
`unavailable_reason` always agree with what a restore would do.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from .errors import NotFoundError, ServiceError
from .models import FakeBackup, FakeDataNode, FakeInstance
from .rules import node_unavailable_reason, restorable_window, target_unavailable_reason

__all__ = ["RestoreQueriesMixin"]


class RestoreQueriesMixin:
    """Read-only restore queries of `DdmBackend`."""

    instances: dict[str, FakeInstance]
    data_nodes: dict[str, FakeDataNode]
    backups: dict[str, FakeBackup]

    if TYPE_CHECKING:  # provided by DdmBackend and RestoreJobsMixin

        def now(self) -> float: ...

        def state(self) -> AbstractContextManager[None]: ...

        def get_instance(self, project_id: str, instance_id: str) -> FakeInstance: ...

        def get_target_instance(self, project_id: str, instance_id: str) -> FakeInstance: ...

        def nodes_of(self, instance: FakeInstance) -> list[FakeDataNode]: ...

        def _check_restore_time(
            self, source: FakeInstance, restore_time_ms: int | None, now: float
        ) -> None: ...

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
                raise NotFoundError(f"Backup {backup_id} of instance {instance_id} not found.")
            nodes = [self.data_nodes[n] for n in backup.data_node_ids if n in self.data_nodes]
            return backup, instance, nodes
