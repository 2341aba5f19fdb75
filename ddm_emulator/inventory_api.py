"""
The admin API's inventory routes: what `--inventory` and `--access-key` do at start, while it runs.

Each body is the inventory format (`inventory.py`): the whole document, or one
entry of one of its lists. An addition is whole or nothing; a bad one answers
400 `{"error", "problems": [...]}` with one line per problem, naming the entry
and the field. Part of the admin API's route table (`admin_api.ROUTES`), so
loopback only, unlogged and never faulted like the rest of it. A reset
(`POST /_emulator/reset`) returns to the seed: the `--inventory` file, without
what these routes added.

    GET    /_emulator/inventory                       everything, as an inventory with ids
    POST   /_emulator/inventory                       {instances, data_nodes, backups, ...} → 201
    POST   /_emulator/instances                       one instance entry → 201
    DELETE /_emulator/instances/<instance_id>         delete it (its reads answer deleted_instance_answer)
    POST   /_emulator/instances/<instance_id>/status  {"status": "ERROR"}: any documented instance status
    POST   /_emulator/instances/<instance_id>/schemas one schema entry → 201
    DELETE /_emulator/instances/<instance_id>/schemas/<name>   drop a schema
    POST   /_emulator/data-nodes                      one data node entry → 201
    POST   /_emulator/backups                         one backup entry → 201
    POST   /_emulator/access-keys                     {access_key, secret_key, project?, security_token?} → 201
"""

from __future__ import annotations

from typing import Any, get_args

from werkzeug.wrappers import Response

from .inventory import (
    INSTANCE_STATUSES,
    AccessKeySpec,
    BackupSpec,
    DataNodeSpec,
    InstanceSpec,
    InventoryError,
    SchemaSpec,
    parse_inventory,
)
from .inventory_apply import apply_inventory, apply_schema, export_inventory
from .routing import Call, Route, json_response

__all__ = ["ROUTES"]


def _refused(error: InventoryError) -> Response:
    return json_response(400, {"error": str(error).splitlines()[0], "problems": error.problems})


def _add(call: Call, document: dict[str, Any], entry: type[Any] | None = None) -> Response:
    """Check `call.body` (as one `entry`, or a whole document) and add it."""
    try:
        if entry is not None:
            parse_inventory(call.body, "entry", entry)  # names the entry's own fields
        inventory = parse_inventory(document, "request body")
        added = apply_inventory(call.backend, inventory, "request body")
    except InventoryError as error:
        return _refused(error)
    return json_response(201, {"added": added})


def get_inventory(call: Call) -> Response:
    """Everything the emulator holds, as an inventory document with every id."""
    return json_response(200, export_inventory(call.backend))


def add_inventory(call: Call) -> Response:
    """Add a whole inventory document."""
    return _add(call, call.body)


def add_instance(call: Call) -> Response:
    """Add one instance entry."""
    return _add(call, {"instances": [call.body]}, InstanceSpec)


def add_data_node(call: Call) -> Response:
    """Add one data node entry."""
    return _add(call, {"data_nodes": [call.body]}, DataNodeSpec)


def add_backup(call: Call) -> Response:
    """Add one backup entry."""
    return _add(call, {"backups": [call.body]}, BackupSpec)


def add_access_key(call: Call) -> Response:
    """Accept an AK/SK pair (for every project unless `project` names one; temporary with `security_token`);
    the answer omits the secret key and the token."""
    return _add(call, {"access_keys": [call.body]}, AccessKeySpec)


def add_schema(call: Call, instance_id: str) -> Response:
    """Add one schema entry to an instance (by id or name; 404 if unknown)."""
    try:
        spec: SchemaSpec = parse_inventory(call.body, "entry", SchemaSpec)
        apply_schema(call.backend, instance_id, spec, "request body")
    except InventoryError as error:
        return _refused(error)
    return json_response(201, {"added": {"schemas": [spec.name]}})


def delete_instance(call: Call, instance_id: str) -> Response:
    """Delete an instance as the console would (404 if unknown)."""
    instance = call.backend.delete_instance(instance_id)
    return json_response(200, {"deleted": instance.id})


def set_instance_status(call: Call, instance_id: str) -> Response:
    """Set an instance's stored status (`{"status": ...}`, a documented one; 404 if unknown)."""
    status = call.body.get("status")
    if status not in get_args(INSTANCE_STATUSES):
        raise ValueError(f"status must be one of {', '.join(get_args(INSTANCE_STATUSES))}")
    with call.backend.state():
        instance = call.backend.instances[instance_id]
        instance.state = status
    return json_response(200, {"id": instance_id, "status": instance.status})


def drop_schema(call: Call, instance_id: str, name: str) -> Response:
    """Drop a schema of an instance (404 if either is unknown)."""
    schema = call.backend.drop_schema(instance_id, name)
    return json_response(200, {"dropped": schema.name})


def _admin(path: str, method: str, handler: Any) -> Route:
    return Route("/_emulator" + path, method, handler, auth="none", api="admin")


ROUTES: list[Route] = [
    _admin("/inventory", "GET", get_inventory),
    _admin("/inventory", "POST", add_inventory),
    _admin("/instances", "POST", add_instance),
    _admin("/instances/<instance_id>", "DELETE", delete_instance),
    _admin("/instances/<instance_id>/status", "POST", set_instance_status),
    _admin("/instances/<instance_id>/schemas", "POST", add_schema),
    _admin("/instances/<instance_id>/schemas/<name>", "DELETE", drop_schema),
    _admin("/data-nodes", "POST", add_data_node),
    _admin("/backups", "POST", add_backup),
    _admin("/access-keys", "POST", add_access_key),
]
"""The inventory routes, part of the admin API's table."""
