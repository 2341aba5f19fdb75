"""
The reads that check an instance after a restore: its details, its schemas, one schema's shards.

`InstanceReads` answers the reads of docs/ddm-api.md section 9 from a `World`,
without changing it: instance details (GET
`/v1/{project_id}/instances/{instance_id}`, also section 4), the instance list
(section 4, where a deleted instance is missing), the schema list and schema
details with `shards[]` and `data_nodes[]`. Where the docs are silent the
settings answer: a deleted instance (`deleted_instance_answer`: 404 with an
error body, or 200 with status `DELETED`, listed, without schemas) and a
schema the instance does not have
(`missing_schema_answer`). An instance that never existed answers 404
`DBS.300350`, as the instance details always did here.
"""

from __future__ import annotations

from .errors import ResourceNotFound, ServiceError
from .models import FakeDataNode, FakeInstance, FakeSchema
from .world import World

__all__ = ["InstanceReads"]


class InstanceReads:
    """Instance details and schema reads over one `World`; each answer is taken under the world's lock."""

    def __init__(self, world: World) -> None:
        self._world = world

    def instance_details(self, project_id: str, instance_id: str) -> FakeInstance:
        """The instance (status `RESTORE` while a restore runs on it), or the deleted-instance answer."""
        with self._world.state():
            return self._readable(project_id, instance_id)

    def list_instances(self, project_id: str) -> list[FakeInstance]:
        """The project's instances, oldest first; deleted ones too (status `DELETED`) when the
        `deleted_instance_answer` setting is `200 DELETED`."""
        world = self._world
        with world.state():
            found = [i for i in world.instances.values() if i.project_id == project_id]
            if world.settings.deleted_instance_answer == "200 DELETED":
                found += [i for i in world.deleted_instances.values() if i.project_id == project_id]
            return sorted(found, key=lambda i: (i.created, i.id))

    def list_schemas(self, project_id: str, instance_id: str) -> list[tuple[FakeSchema, list[FakeDataNode]]]:
        """The instance's schemas in the order they were created, each with the data nodes of its shards
        (none for a deleted instance answered 200)."""
        world = self._world
        with world.state():
            schemas = self._readable(project_id, instance_id).schemas
            return [(schema, world.nodes_by_id(schema.data_node_ids)) for schema in schemas]

    def schema_details(
        self, project_id: str, instance_id: str, name: str
    ) -> tuple[FakeSchema, list[FakeDataNode]]:
        """A schema and the data nodes its shards sit on, or the `missing_schema_answer` error."""
        world = self._world
        with world.state():
            instance = self._readable(project_id, instance_id)
            schema = instance.schema(name)
            if schema is None:
                status, code = world.settings.missing_schema_answer.split()
                raise ServiceError(
                    int(status), code, f"Failed to query schema {name}. Make sure the schema exists."
                )
            return schema, world.nodes_by_id(schema.data_node_ids)

    def _readable(self, project_id: str, instance_id: str) -> FakeInstance:
        world = self._world
        instance = world.instances.get(instance_id)
        if instance is not None and instance.project_id == project_id:
            return instance
        gone = world.deleted_instances.get(instance_id)
        if gone is not None and gone.project_id == project_id:
            answer = world.settings.deleted_instance_answer
            if answer == "200 DELETED":
                return gone
            status, code = answer.split()
            raise ServiceError(int(status), code, f"The DDM instance {instance_id} does not exist.")
        raise ResourceNotFound(f"The DDM instance {instance_id} does not exist.")
