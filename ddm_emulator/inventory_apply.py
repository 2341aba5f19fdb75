"""
Adding an inventory (`inventory.Inventory`) to a backend, and reading one back.

`apply_inventory(backend, inventory)` adds projects, instances, data nodes,
schemas, backups and access keys, in that order, resolving every reference (a
name or an id, within the entry's project) against what the backend already
holds and what the document added before it. It adds the whole document or
nothing: every problem is collected, and if there is one the state is put back
(`DdmBackend.transaction`) and `InventoryError` lists them all, each naming the
entry and the field. `inventory_seed(inventory)` is a backend's `seed`: the demo
IAM (and the documented example if asked for), then the inventory, so a reset
brings it back. `export_inventory(backend)` is the current state in the same
format, with every id and absolute times (`GET /_emulator/inventory`).
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .clock import format_offset_time
from .faults import Fault
from .inventory import BackupSpec, DataNodeSpec, InstanceSpec, Inventory, InventoryError, SchemaSpec
from .models import FakeDataNode, FakeInstance, FakeSchema
from .schemas import layout, placed
from .seed import (
    DEMO_DOMAIN_ID,
    DEMO_DOMAIN_NAME,
    DEMO_PROJECT_ID,
    DEMO_USER_NAME,
    seed_demo_iam,
    seed_documented_example,
)

if TYPE_CHECKING:
    from .backend import DdmBackend

__all__ = ["apply_inventory", "apply_schema", "derived_id", "export_inventory", "inventory_seed"]


def derived_id(project_id: str, kind: str, name: str, suffix: str) -> str:
    """The id an entry without one gets: the same for the same project, kind and name."""
    return hashlib.sha256(f"{project_id}/{kind}/{name}".encode()).hexdigest()[:32] + suffix


def _network_id(project_id: str, kind: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ddm-emulator:{project_id}:{kind}:{name}"))


def _address(entry_id: str, base: int) -> str:
    digest = int(entry_id[:8], 16)
    return f"192.168.{digest % 200 + 1}.{base + digest // 200 % 100}"


class _Adding:
    """One application of an inventory: the references resolved so far and the problems found."""

    def __init__(self, backend: DdmBackend, inventory: Inventory) -> None:
        self.backend = backend
        self.now = backend.now()
        self.problems: list[str] = []
        self.projects = {p.id: p.id for p in backend.iam.projects.values()}
        self.projects.update({p.name: p.id for p in backend.iam.projects.values()})
        self.new_projects = [(spec, spec.id or derived_id("", "project", spec.name, "")[:32])
                             for spec in inventory.projects]
        for spec, project_id in self.new_projects:
            self.projects.update({spec.name: project_id, project_id: project_id})

    def project(self, where: str, ref: str | None) -> str | None:
        if ref is None:
            return DEMO_PROJECT_ID
        if ref in self.projects:
            return self.projects[ref]
        known = sorted(name for name, project_id in self.projects.items() if name != project_id)
        self.problems.append(f"{where}.project: no project {ref!r} (known: {', '.join(known)})")
        return None

    def instance(self, where: str, project_id: str, ref: str) -> FakeInstance | None:
        found = [i for i in self.backend.instances.values() if i.project_id == project_id and ref in (i.id, i.name)]
        if len(found) == 1:
            return found[0]
        known = sorted(i.name for i in self.backend.instances.values() if i.project_id == project_id)
        self.problems.append(f"{where}: no instance {ref!r} in the project (known: {', '.join(known) or 'none'})")
        return None

    def nodes(
        self, where: str, project_id: str | None, refs: list[str], among: list[str] | None = None
    ) -> list[str] | None:
        """The ids of the data nodes `refs` name (of the project, or among the ids `among`), or `None` after
        a problem."""
        pool = [n for n in self.backend.data_nodes.values() if project_id in (None, n.project_id)]
        if among is not None:
            pool = [n for n in pool if n.id in among]
        ids = []
        for index, ref in enumerate(refs):
            found = [n.id for n in pool if ref in (n.id, n.name)]
            if len(found) != 1:
                scope = "of the instance" if among is not None else "in the project"
                known = ", ".join(n.name for n in pool) or "none"
                self.problems.append(f"{where}[{index}]: no data node {ref!r} {scope} (known: {known})")
                return None
            ids.extend(found)
        return ids

    def unique(self, where: str, kind: str, taken: bool, value: str) -> bool:
        if taken:
            self.problems.append(f"{where}: the project already has {kind} {value!r}")
        return not taken


def _add_instance(adding: _Adding, where: str, spec: InstanceSpec) -> FakeInstance | None:
    backend = adding.backend
    project_id = adding.project(where, spec.project)
    if project_id is None:
        return None
    instance_id = spec.id or derived_id(project_id, "instance", spec.name, "in09")
    same_name = any(i.project_id == project_id and i.name == spec.name for i in backend.instances.values())
    if not (adding.unique(f"{where}.name", "an instance named", same_name, spec.name)
            and adding.unique(f"{where}.id", "an instance with id", instance_id in backend.instances, instance_id)):
        return None
    return backend.add_instance(
        project_id, instance_id=instance_id, name=spec.name, state=spec.status, engine_version=spec.engine_version,
        vpc_name=spec.vpc, vpc_id=spec.vpc_id or _network_id(project_id, "vpc", spec.vpc),
        subnet_id=spec.subnet_id or _network_id(project_id, "subnet", spec.vpc),
        security_group_id=spec.security_group_id or _network_id(project_id, "security-group", spec.vpc),
        available_zone=spec.available_zone, access_ip=spec.access_ip or _address(instance_id, 10),
        created=spec.created.at(adding.now), restorable_since=spec.restorable_since.at(adding.now),
        frozen=spec.frozen, accounts=list(spec.accounts),
    )


def _add_data_node(adding: _Adding, where: str, spec: DataNodeSpec) -> None:
    backend = adding.backend
    project_id = adding.project(where, spec.project)
    if project_id is None:
        return
    instance = adding.instance(f"{where}.instance", project_id, spec.instance) if spec.instance else None
    if spec.instance and instance is None:
        return
    node_id = spec.id or derived_id(project_id, "data node", spec.name, "in01")
    same_name = any(n.project_id == project_id and n.name == spec.name for n in backend.data_nodes.values())
    if not (adding.unique(f"{where}.name", "a data node named", same_name, spec.name)
            and adding.unique(f"{where}.id", "a data node with id", node_id in backend.data_nodes, node_id)):
        return
    vpc = spec.vpc or (instance.vpc_name if instance else "vpc-default")
    network = {"vpc_name": vpc, "vpc_id": spec.vpc_id or _network_id(project_id, "vpc", vpc),
               "subnet_id": spec.subnet_id or _network_id(project_id, "subnet", vpc)}
    if instance is not None and spec.vpc is None:  # in its instance's network, whatever ids it has
        network.update(vpc_id=spec.vpc_id or instance.vpc_id, subnet_id=spec.subnet_id or instance.subnet_id)
    backend.add_data_node(
        project_id, node_id=node_id, name=spec.name, instance_id=instance.id if instance else None,
        status=spec.status, engine_name=spec.engine_name, engine_version=spec.engine_version, **network,
        private_ip=spec.private_ip or _address(node_id, 110), data_volume_size=spec.data_volume_size,
        read_only=spec.read_only, pitr_completed=spec.pitr_completed,
        restorable_since=spec.restorable_since.at(adding.now),
    )


def _schema(adding: _Adding, where: str, spec: SchemaSpec, nodes: list[str], created: float) -> FakeSchema | None:
    """The schema `spec` describes, its shards on `nodes` (or on the data nodes its `shards` name among them)."""
    when = spec.created.at(adding.now) if spec.created else created
    fields: dict[str, Any] = {"shard_mode": spec.shard_mode, "created": when, "status": spec.status}
    if spec.shards is not None:
        shard_nodes = adding.nodes(f"{where}.shards", None, spec.shards, among=nodes)
        if shard_nodes is None:
            return None
        per_node = max(shard_nodes.count(node) for node in shard_nodes)
        return placed(spec.name, shard_nodes, shard_unit=per_node, **fields)
    if not nodes:
        adding.problems.append(f"{where}: no data node to hold its shards; associate data nodes with the instance")
        return None
    return layout(spec.name, nodes, shard_unit=spec.shards_per_node, **fields)


def _add_schemas(adding: _Adding, where: str, entries: list[SchemaSpec], instance: FakeInstance) -> None:
    for index, entry in enumerate(entries):
        at = f"{where}.schemas[{index}] ({entry.name})"
        if instance.schema(entry.name) is not None:
            adding.problems.append(f"{at}: the instance already has a schema {entry.name!r}")
            continue
        schema = _schema(adding, at, entry, instance.data_node_ids, instance.created)
        if schema is not None:
            instance.schemas.append(schema)


def _add_backup(adding: _Adding, where: str, spec: BackupSpec) -> None:
    backend = adding.backend
    project_id = adding.project(where, spec.project)
    instance = adding.instance(f"{where}.instance", project_id, spec.instance) if project_id else None
    if instance is None:
        return
    project_id = instance.project_id
    created = spec.created.at(adding.now)
    nodes = list(instance.data_node_ids)
    if spec.data_nodes is not None:
        found = adding.nodes(f"{where}.data_nodes", project_id, spec.data_nodes)
        if found is None:
            return
        nodes = found
    fields: dict[str, Any] = {}
    if spec.schemas is not None:
        schemas = []
        for index, entry in enumerate(spec.schemas):
            own = instance.schema(entry.name)
            if own is not None and entry.model_fields_set == {"name"}:
                schemas.append(copy.deepcopy(own))
                continue
            schema = _schema(adding, f"{where}.schemas[{index}] ({entry.name})", entry, nodes, created)
            if schema is not None:
                schemas.append(schema)
        fields["schemas"] = schemas
    name = spec.name or f"{instance.name}-{format_offset_time(created)[:10]}-{spec.backup_type}"
    backup_id = spec.id or derived_id(project_id, "backup", f"{instance.id}/{name}/{created}", "br09")
    if not adding.unique(f"{where}.id", "a backup with id", backup_id in backend.backups, backup_id):
        return
    backend.add_backup(
        project_id, instance.id, backup_id=backup_id, name=name, created=created, status=spec.status,
        backup_type=spec.backup_type, description=spec.description, file_size=spec.file_size,
        data_node_ids=nodes, **fields,
    )


def _add_iam(adding: _Adding, keys: list[tuple[str, str, str | None, str | None]]) -> None:
    """The projects (the demo user may use them) and the access keys; nothing here can fail."""
    iam = adding.backend.iam
    for spec, project_id in adding.new_projects:
        iam.add_project(spec.name, project_id=project_id, domain_name=DEMO_DOMAIN_NAME, domain_id=DEMO_DOMAIN_ID)
        for user in iam.users.values():
            if user.name == DEMO_USER_NAME and project_id not in user.project_ids:
                user.project_ids.append(project_id)
    for access_key, secret_key, key_project, security_token in keys:
        adding.backend.add_access_key(access_key, secret_key, key_project, security_token)


def apply_inventory(
    backend: DdmBackend, inventory: Inventory, source: str = "document", *, with_settings: bool = True
) -> dict[str, list[str]]:
    """Add the whole inventory (or nothing: `InventoryError`): its state, its fault rules and (unless
    `with_settings` is false: a seed's settings are the backend's initial ones) its settings.
    Returns the ids added by kind."""
    adding = _Adding(backend, inventory)
    existing = {p.name for p in backend.iam.projects.values()} | set(backend.iam.projects)
    for index, (project, project_id) in enumerate(adding.new_projects):
        if {project.name, project_id} & existing:
            adding.problems.append(f"projects[{index}] ({project.name}): the emulated IAM has this project already")
    keys = [(key.access_key, key.secret_key, adding.project(f"access_keys[{index}]", key.project) if key.project
             else None, key.security_token) for index, key in enumerate(inventory.access_keys)]
    before = (set(backend.instances), set(backend.data_nodes), set(backend.backups))
    with backend.transaction():
        added = [(spec, index, _add_instance(adding, f"instances[{index}] ({spec.name})", spec))
                 for index, spec in enumerate(inventory.instances)]
        for index, node in enumerate(inventory.data_nodes):
            _add_data_node(adding, f"data_nodes[{index}] ({node.name})", node)
        for spec, index, instance in added:
            if instance is not None:
                _add_schemas(adding, f"instances[{index}] ({spec.name})", spec.schemas, instance)
        for index, backup in enumerate(inventory.backups):
            _add_backup(adding, f"backups[{index}] (of {backup.instance})", backup)
        if adding.problems:
            raise InventoryError(source, adding.problems)
        _add_iam(adding, keys)
        if with_settings and inventory.settings:
            backend.configure(**inventory.settings)
        for rule in inventory.faults:
            backend.add_fault(Fault.from_dict(rule))
    return {
        "instances": sorted(set(backend.instances) - before[0]),
        "data_nodes": sorted(set(backend.data_nodes) - before[1]),
        "backups": sorted(set(backend.backups) - before[2]),
    }


def apply_schema(backend: DdmBackend, instance_id: str, spec: SchemaSpec, source: str = "document") -> None:
    """Add one schema to an instance (`KeyError` if unknown, `InventoryError` for a bad entry)."""
    adding = _Adding(backend, Inventory())
    with backend.transaction():
        instance = backend.instances[instance_id]
        _add_schemas(adding, f"instance {instance.name}", [spec], instance)
        if adding.problems:
            raise InventoryError(source, adding.problems)


def inventory_seed(inventory: Inventory, source: str = "document") -> Callable[[DdmBackend], None]:
    """A backend `seed`: the demo IAM (with the documented example when the inventory asks), then the
    inventory and its fault rules; its settings are for the backend's constructor
    (`DdmBackend(inventory.emulator_settings(), seed=inventory_seed(inventory))`)."""

    def seed(backend: DdmBackend) -> None:
        (seed_documented_example if inventory.documented_example else seed_demo_iam)(backend)
        apply_inventory(backend, inventory, source, with_settings=False)

    return seed


# Reading back...

def _schema_out(schema: FakeSchema, nodes: dict[str, FakeDataNode]) -> dict[str, Any]:
    return {
        "name": schema.name, "shard_mode": schema.shard_mode, "status": schema.status,
        "created": format_offset_time(schema.created),
        "shards": [nodes[s.data_node_id].name if s.data_node_id in nodes else s.data_node_id for s in schema.shards],
    }


def export_inventory(backend: DdmBackend) -> dict[str, Any]:
    """The backend's projects, instances, data nodes and backups as an inventory document (ids, absolute times)."""
    with backend.state():
        nodes = dict(backend.data_nodes)
        names = {p.id: p.name for p in backend.iam.projects.values()}
        return {
            "projects": [
                {"name": p.name, "id": p.id} for p in backend.iam.projects.values() if p.id != DEMO_PROJECT_ID
            ],
            "instances": [
                {"name": i.name, "id": i.id, "project": names.get(i.project_id, i.project_id), "status": i.state,
                 "engine_version": i.engine_version, "vpc": i.vpc_name, "vpc_id": i.vpc_id, "subnet_id": i.subnet_id,
                 "created": format_offset_time(i.created), "restorable_since": format_offset_time(i.restorable_since),
                 "accounts": list(i.accounts), "schemas": [_schema_out(s, nodes) for s in i.schemas]}
                for i in backend.instances.values()
            ],
            "data_nodes": [
                {"name": n.name, "id": n.id, "project": names.get(n.project_id, n.project_id),
                 "instance": n.instance_id, "status": n.status, "engine_version": n.engine_version,
                 "vpc": n.vpc_name, "vpc_id": n.vpc_id, "subnet_id": n.subnet_id,
                 "pitr_completed": n.pitr_completed, "restorable_since": format_offset_time(n.restorable_since)}
                for n in nodes.values()
            ],
            "backups": [
                {"instance": b.instance_id, "id": b.id, "name": b.name, "created": format_offset_time(b.created),
                 "status": b.status, "backup_type": b.backup_type,
                 "data_nodes": list(b.data_node_ids), "schemas": [_schema_out(s, nodes) for s in b.schemas]}
                for b in backend.backups.values()
            ],
        }

