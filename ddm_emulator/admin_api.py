"""
The admin API under `/_emulator/`, for tests and scripts in other processes.

Like moto's `/moto-api`: no authentication, so for local use only; never
recorded in the request log, never affected by faults. Because a browser on the
same machine could be tricked into calling it, it answers only requests whose
`Host` is a loopback name or address (or the address the server was bound to;
against DNS rebinding), and a POST only with `Content-Type: application/json`
(a cross-origin form or `text/plain` POST is refused with 415). Its routes are in the app's one route table
(`api="admin"`); bad input answers 400 `{"error": "..."}`, an unknown job 404.

    GET    /_emulator/requests[?method=&path_contains=&path_regex=]  the request log
    DELETE /_emulator/requests                  clear the log
    POST   /_emulator/reset                     back to the seed; clears log and faults
    GET    /_emulator/config                    current settings
    POST   /_emulator/config                    {any EmulatorSettings field, fail_next_job:
                                                 {reason}, advance_seconds}
    GET    /_emulator/faults                    fault rules with their counters
    POST   /_emulator/faults                    add a rule (fields of `Fault`) → 201
    DELETE /_emulator/faults                    remove all rules
    GET    /_emulator/jobs                      every job, with all details
    POST   /_emulator/jobs/<job_id>/status      {"status": "X"} force a status (null undoes);
                                                 "list_only": true, "field": "missing" | "null"
    POST   /_emulator/jobs/<job_id>/progress    {"curve": "linear" | "linear-from-5" | "stepwise" | "stalled-then-jump"}
    POST   /_emulator/tokens                    {"token", "project_id"?} accept a static token
    GET    /_emulator/seed                      the seeded ids

and the inventory routes (`inventory_api`): GET/POST `/_emulator/inventory`,
POST `/_emulator/instances`, `/_emulator/data-nodes`, `/_emulator/backups`,
`/_emulator/instances/<id>/schemas`, `/_emulator/instances/<id>/status`,
`/_emulator/access-keys`, and DELETE `/_emulator/instances/<id>` and
`/_emulator/instances/<id>/schemas/<name>`.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Collection
from typing import Any

from werkzeug.wrappers import Request, Response

from . import inventory_api, views
from .faults import Fault
from .routing import Call, Route, json_response
from .seed import DEMO_PROJECT_ID, SEED

__all__ = ["ADMIN_PREFIX", "ROUTES", "admin_body", "admin_refusal", "is_admin_path", "is_loopback_host"]

ADMIN_PREFIX = "/_emulator"


def is_admin_path(path: str) -> bool:
    """Whether `path` belongs to the admin API."""
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def is_loopback_host(host_header: str, also: Collection[str] = ()) -> bool:
    """Whether a `Host` header names this machine's loopback (or one of `also`)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    if host in ("localhost", "localhost.") or host in also:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def admin_refusal(request: Request, allowed_hosts: Collection[str] | None) -> Response | None:
    """The answer refusing an admin request from outside (`None` when it may proceed).

    `allowed_hosts` `None` means any `Host` (in process, where no network is involved)."""
    if allowed_hosts is not None and not is_loopback_host(request.host, allowed_hosts):
        return json_response(403, {"error": "the admin API answers only loopback Host headers (local use only)"})
    if request.method == "POST" and request.mimetype != "application/json":
        return json_response(415, {"error": "admin POSTs need Content-Type: application/json"})
    return None


def admin_body(request: Request) -> dict[str, Any]:
    """The JSON object body of an admin request (`{}` when empty); `ValueError` otherwise."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"invalid JSON body: {exc}") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def list_requests(call: Call) -> Response:
    """The request log, optionally filtered by method and path."""
    records = call.backend.requests(
        method=call.args.get("method"),
        path_contains=call.args.get("path_contains"),
        path_regex=call.args.get("path_regex"),
    )
    return json_response(200, {"requests": [r.to_dict() for r in records], "total": len(records)})


def clear_requests(call: Call) -> Response:
    """Forget the request log."""
    call.backend.request_log.clear()
    return json_response(200, {"cleared": True})


def reset(call: Call) -> Response:
    """Back to the seed."""
    call.backend.reset()
    return json_response(200, {"reset": True, "seed": SEED.to_dict()})


def get_config(call: Call) -> Response:
    """The current settings."""
    return json_response(200, call.backend.config())


def set_config(call: Call) -> Response:
    """Change settings (fields of `EmulatorSettings`, `fail_next_job`, `advance_seconds`)."""
    return json_response(200, call.backend.configure(**call.body))


def list_faults(call: Call) -> Response:
    """The fault rules with their counters."""
    return json_response(200, {"faults": [f.to_dict() for f in call.backend.faults.list()]})


def add_fault(call: Call) -> Response:
    """Add a fault rule."""
    fault = call.backend.add_fault(Fault.from_dict(call.body))
    return json_response(201, {"fault": fault.to_dict()})


def clear_faults(call: Call) -> Response:
    """Remove all fault rules."""
    return json_response(200, {"cleared": call.backend.clear_faults()})


def list_jobs(call: Call) -> Response:
    """Every job with all details."""
    now, settings = call.backend.now(), call.backend.settings
    return json_response(200, {"jobs": [views.job_admin(job, now, settings) for job in call.backend.all_jobs()]})


def override_job_status(call: Call, job_id: str) -> Response:
    """Force the status clients see: `{"status": "X" | null, "list_only"?: bool, "field"?: "missing" | "null"}`."""
    status = call.body.get("status")
    list_only = call.body.get("list_only", False)
    field = call.body.get("field", "present")
    if status is not None and not isinstance(status, str):
        raise ValueError("status must be a string or null")
    if not isinstance(list_only, bool) or not isinstance(field, str):
        raise ValueError("list_only must be true or false, field a string")
    job = call.backend.override_job_status(job_id, status, list_only=list_only, field=field)
    return json_response(200, {"job": views.job_admin(job, call.backend.now(), call.backend.settings)})


def set_job_progress(call: Call, job_id: str) -> Response:
    """Choose one job's progress curve: `{"curve": ...}`, one of `models.PROGRESS_CURVES`."""
    curve = call.body.get("curve")
    if not isinstance(curve, str):
        raise ValueError("curve (a string) is required")
    job = call.backend.set_job_progress(job_id, curve)
    return json_response(200, {"job": views.job_admin(job, call.backend.now(), call.backend.settings)})


def add_token(call: Call) -> Response:
    """Accept a static token for a project."""
    token = call.body.get("token")
    project_id = call.body.get("project_id", DEMO_PROJECT_ID)
    if not isinstance(token, str) or not token or not isinstance(project_id, str):
        raise ValueError("token (non-empty string) is required; project_id must be a string")
    call.backend.add_static_token(token, project_id)
    return json_response(201, {"added": True, "project_id": project_id})


def seed(_call: Call) -> Response:
    """The seeded ids."""
    return json_response(200, SEED.to_dict())


def _admin(path: str, method: str, handler: Any) -> Route:
    return Route(ADMIN_PREFIX + path, method, handler, auth="none", api="admin")


ROUTES: list[Route] = [
    _admin("/requests", "GET", list_requests),
    _admin("/requests", "DELETE", clear_requests),
    _admin("/reset", "POST", reset),
    _admin("/config", "GET", get_config),
    _admin("/config", "POST", set_config),
    _admin("/faults", "GET", list_faults),
    _admin("/faults", "POST", add_fault),
    _admin("/faults", "DELETE", clear_faults),
    _admin("/jobs", "GET", list_jobs),
    _admin("/jobs/<job_id>/status", "POST", override_job_status),
    _admin("/jobs/<job_id>/progress", "POST", set_job_progress),
    _admin("/tokens", "POST", add_token),
    _admin("/seed", "GET", seed),
    *inventory_api.ROUTES,
]
"""The admin API's routes (with the inventory routes of `inventory_api`), part of the app's route table."""
