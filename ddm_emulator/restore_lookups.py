"""
The read-only restore lookups: what a restore could use, computed from a `World` without changing it.

`RestoreLookups` answers docs/ddm-api.md section 2.2 (restorable instances), 2.3
(restorable time range), 2.4 (data nodes related at a time), 2.5 (restorable
target data nodes) and 2.7 (backup list and details). Availability comes from
the same `rules` the restore POST (`restore_jobs`) refuses with, so a lookup
never calls usable what a restore would refuse. Every lookup reads the state
through `World.state()`, so finished jobs' effects are applied first.
"""

from __future__ import annotations

from .clock import to_millis
from .errors import InvalidRestoreTime, ResourceNotFound, ServiceError
from .models import FakeBackup, FakeDataNode, FakeInstance
from .rules import node_unavailable_reason, restorable_window, target_unavailable_reason
from .world import World

__all__ = ["RestoreLookups"]


class RestoreLookups:
    """The read-only restore APIs over one `World`; each answer is taken under the world's lock."""

    def __init__(self, world: World) -> None:
        self._world = world

    def restorable_instances(self, project_id: str, instance_id: str) -> list[tuple[FakeInstance, str]]:
        """Other instances of the project, each with its unavailable reason (`""` if usable); section 2.2."""
        world = self._world
        with world.state():
            source = world.get_source(project_id, instance_id)
            candidates = sorted(
                (i for i in world.instances.values() if i.project_id == project_id and i.id != source.id),
                key=lambda i: (i.created, i.id),
            )
            return [(i, target_unavailable_reason(i, source)) for i in candidates]

    def restorable_time_window(self, project_id: str, instance_id: str) -> tuple[float, float]:
        """The restorable range of the instance and all its data nodes, epoch seconds; section 2.3."""
        world = self._world
        with world.state():
            source = world.get_source(project_id, instance_id)
            return restorable_window(source, world.nodes_of(source), world.now())

    def related_data_nodes(
        self, project_id: str, instance_id: str, restore_time_ms: int
    ) -> tuple[list[FakeDataNode], float]:
        """The data nodes associated at `restore_time_ms`, and the latest restorable time; section 2.4."""
        world = self._world
        with world.state():
            source = world.get_source(project_id, instance_id)
            now = world.now()
            start, end = restorable_window(source, world.nodes_of(source), now)
            if not to_millis(start) <= restore_time_ms <= to_millis(end):
                raise InvalidRestoreTime(start, end)
            return world.nodes_of(source), now

    def restorable_data_nodes(
        self, project_id: str, instance_id: str, target_instance_id: str, source_dn_instance_id: str,
        restore_time_ms: int,
    ) -> list[tuple[FakeDataNode, str]]:
        """Nodes that could replace `source_dn_instance_id` under the target (see `DdmBackend`); section 2.5."""
        world = self._world
        with world.state():
            source = world.get_source(project_id, instance_id)
            target = world.get_target_instance(project_id, target_instance_id)
            source_dn = world.data_nodes.get(source_dn_instance_id)
            backup_nodes = {
                n for b in world.backups.values() if b.instance_id == source.id for n in b.data_node_ids
            }
            if source_dn is None or (source_dn.instance_id != source.id and source_dn.id not in backup_nodes):
                raise ServiceError(
                    400,
                    "DBS.300350",
                    f"Data node {source_dn_instance_id} is not associated with {source.id}.",
                )
            self._check_data_node_time(source, restore_time_ms)
            candidates = sorted(
                (n for n in world.data_nodes.values() if n.project_id == project_id and n.instance_id != source.id),
                key=lambda n: (n.name, n.id),
            )
            return [(n, node_unavailable_reason(n, target, source_dn)) for n in candidates]

    def _check_data_node_time(self, source: FakeInstance, restore_time_ms: int) -> None:
        """Accept a time in the window or a backup's `created` time; the `old_backup_restore_time` setting
        answers for a backup older than the window."""
        world = self._world
        start, end = restorable_window(source, world.nodes_of(source), world.now())
        if to_millis(start) <= restore_time_ms <= to_millis(end):
            return
        backup_times = {int(b.created) * 1000 for b in world.backups.values() if b.instance_id == source.id}
        if restore_time_ms not in backup_times or restore_time_ms > to_millis(end):
            raise InvalidRestoreTime(start, end)
        choice = world.settings.old_backup_restore_time
        if choice == "accept":
            return
        status, code = choice.split()
        raise ServiceError(
            int(status), code, "Invalid time range: the backup is older than the restorable time range."
        )

    def list_backups(
        self, project_id: str, instance_id: str | None, instance_name: str | None, backup_name: str | None
    ) -> list[FakeBackup]:
        """The project's backups, newest first, filtered by the names given (`None` = any); section 2.7."""
        world = self._world
        with world.state():
            found = []
            for backup in world.backups.values():
                instance = world.instances.get(backup.instance_id)
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
        """A backup of the instance with its data nodes, or a 404 `DBS.300350`; section 2.7."""
        world = self._world
        with world.state():
            instance = world.get_source(project_id, instance_id)
            backup = world.backups.get(backup_id)
            if backup is None or backup.instance_id != instance.id:
                raise ResourceNotFound(f"Backup {backup_id} of instance {instance_id} not found.")
            return backup, instance, world.nodes_by_id(backup.data_node_ids)
