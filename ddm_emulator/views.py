"""
JSON shapes of the DDM API, rendered from the state objects.

One function per documented schema (docs/ddm-api.md sections 2-4): JobInfo,
JobItem, QueryDDM4RestoreResp, RestoreTimeInterval, RelatedDn,
TargetDn4Restore, BackupInfo, backup details and the v1 instance details,
and (section 9) GetDatabaseInfo of the v1 schema list and the V3 schema details,
plus `page` for the V3 `offset`/`limit`/`total` envelope. Times use the
documented formats; nothing here reads the clock, `now` is passed in, and the
settings that change a shape (`EmulatorSettings`) are passed in too.
"""

from __future__ import annotations

from typing import Any

from .clock import format_job_time, format_offset_time, to_millis
from .models import FakeBackup, FakeDataNode, FakeInstance, FakeJob, FakeSchema
from .settings import EmulatorSettings

__all__ = [
    "backup_detail",
    "backup_info",
    "database_info",
    "database_detail",
    "instance_v1",
    "instance_page_v1",
    "job_admin",
    "job_info",
    "job_item",
    "page",
    "related_dn",
    "restorable_instance",
    "restore_list_status",
    "target_dn",
    "time_interval",
]

ACCESS_PORT = "5066"


def _start(offset: int, limit: int, reading: str) -> int:
    """The index of the first item a page shows (`reading`: see `page`)."""
    if reading == "page":
        return offset * limit
    if reading == "page-from-1":
        return max(offset - 1, 0) * limit
    return offset


def page(key: str, items: list[Any], offset: int, limit: int, reading: str = "index") -> dict[str, Any]:
    """The V3 list envelope: the requested slice plus `offset`, `limit`, `total`.

    `reading` is how `offset` is read: an item index, or a page number from 0 (`page`) or
    from 1 (`page-from-1`, where 0 is the first page too)."""
    start = _start(offset, limit, reading)
    shown = items[start : start + limit]
    return {key: shown, "offset": offset, "limit": limit, "total": len(items)}


def _status(job: FakeJob, now: float, settings: EmulatorSettings, *, in_list: bool) -> str:
    status = job.status_at(now, in_list=in_list)
    if settings.job_status_case == "lower":
        return status.lower()
    if settings.job_status_case == "upper":
        return status.upper()
    return status


def _job_fields(job: FakeJob, now: float, settings: EmulatorSettings, *, in_list: bool) -> dict[str, Any]:
    end = job.end_time_at(now)
    if end is None and settings.end_time_while_running == "filled":
        end = job.end
    fields: dict[str, Any] = {
        "id": job.id,
        "name": job.name,
        "status": _status(job, now, settings, in_list=in_list),
        "created_time": format_job_time(job.created, settings.job_time_format),
        "end_time": format_job_time(end, settings.job_time_format) if end is not None else "",
        "process": job.process_at(now),
    }
    if job.status_field == "missing":
        del fields["status"]
    elif job.status_field == "null":
        fields["status"] = None
    return fields


def job_info(job: FakeJob, now: float, settings: EmulatorSettings) -> dict[str, Any]:
    """JobInfo of GET /v3/{project_id}/jobs/{job_id} (no failure reason)."""
    return {
        **_job_fields(job, now, settings, in_list=False),
        "instance": {"id": job.instance_id, "name": job.instance_name},
    }


def job_item(job: FakeJob, now: float, settings: EmulatorSettings) -> dict[str, Any]:
    """JobItem of GET /v3/{project_id}/jobs, which carries `fail_reason`."""
    return {
        **_job_fields(job, now, settings, in_list=True),
        "instance_id": job.instance_id,
        "instance_name": job.instance_name,
        "fail_reason": job.fail_reason_at(now),
        "database_name": "",
        "operations": [],
    }


def job_admin(job: FakeJob, now: float, settings: EmulatorSettings) -> dict[str, Any]:
    """Everything about a job, for the admin API."""
    return {
        **job_item(job, now, settings),
        "project_id": job.project_id,
        "source_instance_id": job.source_instance_id,
        "target_instance_id": job.target_instance_id,
        "created": job.created,
        "progress_curve": job.progress_curve,
        "status_field": job.status_field,
        "data_nodes": list(job.data_node_ids),
        "backup_id": job.backup_id,
        "restore_time": job.restore_time_ms,
        "planned_fail_reason": job.fail_reason,
        "status_override": job.status_override,
        "schemas": [schema.name for schema in job.schemas],
        "delete_target_after": job.delete_target_after,
    }


def restore_list_status(instance: FakeInstance) -> str:
    """Status as the restore lists show it (`normal`), not the v1 `RUNNING`."""
    status = instance.status
    return {"RUNNING": "normal", "RESTORE": "restoring"}.get(status, status.lower())


def restorable_instance(instance: FakeInstance, reason: str) -> dict[str, Any]:
    """QueryDDM4RestoreResp: a candidate target DDM instance."""
    return {
        "instance_id": instance.id,
        "instance_name": instance.name,
        "status": restore_list_status(instance),
        "available": not reason,
        "unavailable_reason": reason,
        "vpc_name": instance.vpc_name,
    }


def time_interval(start: float, end: float) -> dict[str, str]:
    """RestoreTimeInterval."""
    return {"start_time": format_offset_time(start), "end_time": format_offset_time(end)}


_GIB = 1024**3


def _engine(node: FakeDataNode, settings: EmulatorSettings) -> str:
    return node.engine_name.lower() if settings.data_node_values == "documented" else node.engine_name


def _node_status(node: FakeDataNode, settings: EmulatorSettings) -> str:
    return node.status.lower() if settings.data_node_values == "documented" else node.status


def related_dn(node: FakeDataNode, settings: EmulatorSettings) -> dict[str, Any]:
    """RelatedDn: a data node associated with the source at the restore time."""
    documented = settings.data_node_values == "documented"
    return {
        "instance_id": node.id,
        "instance_name": node.name,
        "instance_status": _node_status(node, settings),
        "engine_name": _engine(node, settings),
        "data_volume_size": node.data_volume_size * _GIB if documented else node.data_volume_size,
        "version": node.engine_version,
    }


def target_dn(node: FakeDataNode, reason: str, settings: EmulatorSettings) -> dict[str, Any]:
    """TargetDn4Restore: a candidate target data node."""
    return {
        "instance_id": node.id,
        "instance_name": node.name,
        "engine_name": _engine(node, settings),
        "status": _node_status(node, settings),
        "available": not reason,
        "unavailable_reason": reason,
        "vpc_name": node.vpc_name,
        "private_ip": node.private_ip,
    }


def backup_info(backup: FakeBackup, instance: FakeInstance | None) -> dict[str, Any]:
    """BackupInfo of the backup list."""
    return {
        "id": backup.id,
        "name": backup.name,
        "description": backup.description,
        "status": backup.status,
        "instance_id": backup.instance_id,
        "instance_name": instance.name if instance else "",
        "instance_status": restore_list_status(instance) if instance else "deleted",
        "file_size": backup.file_size,
        "created": format_offset_time(backup.created),
        "updated": format_offset_time(backup.created),
        "backup_type": backup.backup_type,
    }


def backup_detail(
    backup: FakeBackup, instance: FakeInstance, nodes: list[FakeDataNode]
) -> dict[str, Any]:
    """Backup details, with the data nodes associated when it was taken."""
    return {
        "id": backup.id,
        "name": backup.name,
        "instance_id": instance.id,
        "instance_name": instance.name,
        "related_data_nodes": [{"instance_id": n.id, "instance_name": n.name} for n in nodes],
    }


def instance_v1(instance: FakeInstance) -> dict[str, Any]:
    """The v1 instance details (GET /v1/{project_id}/instances/{instance_id})."""
    status = instance.status
    body: dict[str, Any] = {
        "id": instance.id,
        "status": status,
        "name": instance.name,
        "created": format_offset_time(instance.created),
        "updated": format_offset_time(instance.created),
        "available_zone": instance.available_zone,
        "vpc_id": instance.vpc_id,
        "subnet_id": instance.subnet_id,
        "security_group_id": instance.security_group_id,
        "node_count": 1,
        "access_ip": instance.access_ip,
        "access_port": ACCESS_PORT,
        "node_status": status,
        "core_count": "2",
        "ram_capacity": "8",
        "project_id": instance.project_id,
        "order_id": "",
        "engine_version": instance.engine_version,
        "admin_user_name": "root",
        "enable_ssl": False,
        "flavor_ref": "ddm.c6.large.2",
        "nodes": [
            {
                "status": status,
                "port": ACCESS_PORT,
                "ip": instance.access_ip,
                "group_id": "",
                "node_id": instance.id[:32] + "no09",
            }
        ],
    }
    if status in ("ERROR", "CREATEFAILED"):
        body["error_msg"] = f"The instance status is {status}."
    return body


def _used_rds(node: FakeDataNode, settings: EmulatorSettings) -> dict[str, Any]:
    body = {"id": node.id, "name": node.name, "status": _node_status(node, settings)}
    if node.status != "Normal":
        body["error_msg"] = f"The RDS instance status is {node.status}."
    return body


def database_info(schema: FakeSchema, nodes: list[FakeDataNode], settings: EmulatorSettings) -> dict[str, Any]:
    """GetDatabaseInfo of the v1 schema list (`created` in epoch ms; `used_rds`: the nodes of its shards)."""
    return {
        "name": schema.name,
        "shard_mode": schema.shard_mode,
        "shard_number": schema.shard_number,
        "shard_unit": schema.shard_unit,
        "status": schema.status,
        "created": to_millis(schema.created),
        "used_rds": [_used_rds(node, settings) for node in nodes],
    }


def database_detail(schema: FakeSchema, nodes: list[FakeDataNode], settings: EmulatorSettings) -> dict[str, Any]:
    """The V3 schema details: top-level fields, `shards[]` and the `data_nodes[]` they sit on.

    `shard_number` is an integer or a string (`shard_number_type`); times are `...+0000` strings."""
    count = schema.shard_number
    return {
        "name": schema.name,
        "status": schema.status,
        "shard_mode": schema.shard_mode,
        "shard_number": str(count) if settings.shard_number_type == "string" else count,
        "created": format_offset_time(schema.created),
        "updated": format_offset_time(schema.created),
        "shards": [
            {
                "data_node_id": shard.data_node_id,
                "physical_db_name": shard.physical_db_name,
                "status": shard.status,
                "shard_index": shard.shard_index,
            }
            for shard in schema.shards
        ],
        "data_nodes": [
            {
                "id": node.id,
                "status": _node_status(node, settings),
                "name": node.name,
                "engine_name": _engine(node, settings),
                "engine_version": node.engine_version,
                "mem": 8,
                "cpu": 2,
            }
            for node in nodes
        ],
    }


def instance_page_v1(instances: list[FakeInstance], offset: int, limit: int, reading: str) -> dict[str, Any]:
    """The v1 instance list: a page of instance details with `instance_num`, `page_no`, `page_size`,
    `total_record` and `total_page` (no `offset`/`limit` echo); `offset` read as `page` reads it."""
    start, total = _start(offset, limit, reading), len(instances)
    return {
        "instances": [instance_v1(i) for i in instances[start : start + limit]],
        "instance_num": total,
        "page_no": start // limit + 1,
        "page_size": limit,
        "total_record": total,
        "total_page": -(-total // limit),
    }
