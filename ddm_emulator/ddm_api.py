"""
Thin handlers for the DDM endpoints: parse, call the backend, render.

One function per endpoint of docs/ddm-api.md sections 2-4 and 9 that a
metadata-restore tool uses (restore, then verify), and `ROUTES`, their table. Every route needs an `X-Auth-Token`
scoped to the path's `project_id` (checked by the app before the handler).
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from . import views
from .clock import format_offset_time
from .routing import Call, Route, json_response
from .validation import (
    optional_str_arg,
    parse_paging,
    parse_restore_metadata,
    required_int_arg,
    required_str_arg,
)

__all__ = ["ROUTES"]

_BACKUPS = "/v3/<project_id>/instances/<instance_id>/backups"


def _page(call: Call, key: str, items: list[Any], offset: int, limit: int) -> dict[str, Any]:
    return views.page(key, items, offset, limit, call.backend.settings.offset_reading)


def restore_metadata(call: Call, project_id: str, instance_id: str) -> Response:
    """POST .../backups/metadata-recovery → 202 `{"job_id"}`."""
    req = parse_restore_metadata(call.body, accept_float_time=call.backend.settings.float_restore_time == "accept")
    job = call.backend.restore_metadata(
        project_id,
        instance_id,
        target_instance_id=req.target_instance_id,
        data_nodes=req.data_nodes,
        backup_id=req.backup_id,
        restore_time_ms=req.restore_time_ms,
    )
    return json_response(202, {"job_id": job.id})


def restorable_instances(call: Call, project_id: str, instance_id: str) -> Response:
    """GET .../backups/restorable-instances."""
    offset, limit = parse_paging(call.args)
    rows = call.backend.restorable_instances(project_id, instance_id)
    items = [views.restorable_instance(instance, reason) for instance, reason in rows]
    return json_response(200, _page(call, "instances", items, offset, limit))


def restorable_time_interval(call: Call, project_id: str, instance_id: str) -> Response:
    """GET .../backups/restorable-time-interval."""
    offset, limit = parse_paging(call.args)
    start, end = call.backend.restorable_time_window(project_id, instance_id)
    items = [views.time_interval(start, end)]
    return json_response(200, _page(call, "restorable_time_intervals", items, offset, limit))


def related_dn(call: Call, project_id: str, instance_id: str) -> Response:
    """GET .../backups/related-dn?restore_time= (mandatory)."""
    restore_time = required_int_arg(call.args, "restore_time")
    offset, limit = parse_paging(call.args)
    nodes, latest = call.backend.related_data_nodes(project_id, instance_id, restore_time)
    body = _page(call, "related_data_nodes", [views.related_dn(n, call.backend.settings) for n in nodes], offset, limit)
    body["latest_restorable_time"] = format_offset_time(latest)
    return json_response(200, body)


def restorable_data_node(call: Call, project_id: str, instance_id: str) -> Response:
    """GET .../backups/restorable-data-node (target, source DN and time mandatory)."""
    target_instance_id = required_str_arg(call.args, "target_instance_id")
    source_dn_instance_id = required_str_arg(call.args, "source_dn_instance_id")
    restore_time = required_int_arg(call.args, "restore_time")
    offset, limit = parse_paging(call.args)
    rows = call.backend.restorable_data_nodes(
        project_id,
        instance_id,
        target_instance_id=target_instance_id,
        source_dn_instance_id=source_dn_instance_id,
        restore_time_ms=restore_time,
    )
    items = [views.target_dn(node, reason, call.backend.settings) for node, reason in rows]
    return json_response(200, _page(call, "target_data_nodes", items, offset, limit))


def list_backups(call: Call, project_id: str) -> Response:
    """GET /v3/{project_id}/backups (the SDK's optional filters are honoured)."""
    offset, limit = parse_paging(call.args)
    backups = call.backend.list_backups(
        project_id,
        instance_id=optional_str_arg(call.args, "instance_id"),
        instance_name=optional_str_arg(call.args, "instance_name"),
        backup_name=optional_str_arg(call.args, "backup_name"),
    )
    items = [views.backup_info(b, call.backend.find_instance(b.instance_id)) for b in backups]
    return json_response(200, _page(call, "backups", items, offset, limit))


def show_backup(call: Call, project_id: str, instance_id: str, backup_id: str) -> Response:
    """GET /v3/{project_id}/instances/{instance_id}/backups/{backup_id}."""
    backup, instance, nodes = call.backend.backup_details(project_id, instance_id, backup_id)
    return json_response(200, views.backup_detail(backup, instance, nodes))


def show_job(call: Call, project_id: str, job_id: str) -> Response:
    """GET /v3/{project_id}/jobs/{job_id} → `{"job": JobInfo}`."""
    job = call.backend.get_job(project_id, job_id)
    return json_response(200, {"job": views.job_info(job, call.backend.now(), call.backend.settings)})


def list_jobs(call: Call, project_id: str) -> Response:
    """GET /v3/{project_id}/jobs?start_time=&end_time= (both mandatory, epoch ms)."""
    start_time = required_int_arg(call.args, "start_time")
    end_time = required_int_arg(call.args, "end_time")
    offset, limit = parse_paging(call.args)
    jobs = call.backend.list_jobs(project_id, start_time, end_time)
    now = call.backend.now()
    items = [views.job_item(job, now, call.backend.settings) for job in jobs]
    return json_response(200, _page(call, "jobs", items, offset, limit))


def show_instance_v1(call: Call, project_id: str, instance_id: str) -> Response:
    """GET /v1/{project_id}/instances/{instance_id} (v1 error style; a deleted instance by setting)."""
    instance = call.backend.instance_details(project_id, instance_id)
    return json_response(200, views.instance_v1(instance))


def list_instances_v1(call: Call, project_id: str) -> Response:
    """GET /v1/{project_id}/instances?offset&limit → `instances[]`, `instance_num`, `page_no`, `page_size`,
    `total_record`, `total_page`."""
    offset, limit = parse_paging(call.args)
    instances = call.backend.list_instances(project_id)
    return json_response(200, views.instance_page_v1(instances, offset, limit, call.backend.settings.offset_reading))


def list_databases(call: Call, project_id: str, instance_id: str) -> Response:
    """GET /v1/{project_id}/instances/{instance_id}/databases → `databases[]`, `total` (no offset/limit echo)."""
    offset, limit = parse_paging(call.args)
    rows = call.backend.list_schemas(project_id, instance_id)
    items = [views.database_info(schema, nodes, call.backend.settings) for schema, nodes in rows]
    body = _page(call, "databases", items, offset, limit)
    return json_response(200, {"databases": body["databases"], "total": body["total"]})


def show_database(call: Call, project_id: str, instance_id: str, database_name: str) -> Response:
    """GET /v3/{project_id}/instances/{instance_id}/databases/{database_name} (top-level fields)."""
    schema, nodes = call.backend.schema_details(project_id, instance_id, database_name)
    return json_response(200, views.database_detail(schema, nodes, call.backend.settings))


ROUTES: list[Route] = [
    Route(f"{_BACKUPS}/metadata-recovery", "POST", restore_metadata),
    Route(f"{_BACKUPS}/restorable-instances", "GET", restorable_instances),
    Route(f"{_BACKUPS}/restorable-time-interval", "GET", restorable_time_interval),
    Route(f"{_BACKUPS}/related-dn", "GET", related_dn),
    Route(f"{_BACKUPS}/restorable-data-node", "GET", restorable_data_node),
    Route(f"{_BACKUPS}/<backup_id>", "GET", show_backup),
    Route("/v3/<project_id>/backups", "GET", list_backups),
    Route("/v3/<project_id>/jobs/<job_id>", "GET", show_job),
    Route("/v3/<project_id>/jobs", "GET", list_jobs),
    Route("/v1/<project_id>/instances", "GET", list_instances_v1, api="v1"),
    Route("/v1/<project_id>/instances/<instance_id>", "GET", show_instance_v1, api="v1"),
    Route("/v1/<project_id>/instances/<instance_id>/databases", "GET", list_databases, api="v1"),
    Route("/v3/<project_id>/instances/<instance_id>/databases/<database_name>", "GET", show_database),
]
