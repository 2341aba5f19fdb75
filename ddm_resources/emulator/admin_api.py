"""
The admin API under `/_emulator/`, for tests and scripts in other processes.

Like moto's `/moto-api`: no authentication, never recorded in the request log,
never affected by faults. Bad input answers 400 `{"error": "..."}`.

    GET    /_emulator/requests[?method=&path_contains=&path_regex=]  the request log
    DELETE /_emulator/requests                  clear the log
    POST   /_emulator/reset                     back to the seed; clears log and faults
    GET    /_emulator/config                    current settings
    POST   /_emulator/config                    {job_seconds, clock_scale, token_ttl_seconds,
                                                 error_style, fail_next_job: {reason},
                                                 advance_seconds}
    GET    /_emulator/faults                    fault rules with their counters
    POST   /_emulator/faults                    add a rule (fields of `Fault`) → 201
    DELETE /_emulator/faults                    remove all rules
    GET    /_emulator/jobs                      every job, with all details
    POST   /_emulator/jobs/<job_id>/status      {"status": "X"} force a status (null undoes)
    POST   /_emulator/tokens                    {"token", "project_id"?} accept a static token
    GET    /_emulator/seed                      the seeded ids
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import views
from .backend import DdmBackend
from .faults import Fault
from .routing import json_response
from .seed import DEMO_PROJECT_ID, SEED

__all__ = ["ADMIN_PREFIX", "AdminApi"]

ADMIN_PREFIX = "/_emulator"

_Handler = Callable[..., Response]


class AdminApi:
    """Serves `/_emulator/...` for one backend."""

    def __init__(self, backend: DdmBackend) -> None:
        self.backend = backend
        table: list[tuple[str, str, _Handler]] = [
            ("/requests", "GET", self.list_requests),
            ("/requests", "DELETE", self.clear_requests),
            ("/reset", "POST", self.reset),
            ("/config", "GET", self.get_config),
            ("/config", "POST", self.set_config),
            ("/faults", "GET", self.list_faults),
            ("/faults", "POST", self.add_fault),
            ("/faults", "DELETE", self.clear_faults),
            ("/jobs", "GET", self.list_jobs),
            ("/jobs/<job_id>/status", "POST", self.override_job_status),
            ("/tokens", "POST", self.add_token),
            ("/seed", "GET", self.seed),
        ]
        self._handlers = {f"{m} {p}": h for p, m, h in table}
        self.url_map = Map(
            [Rule(ADMIN_PREFIX + p, endpoint=f"{m} {p}", methods=[m]) for p, m, _ in table],
            strict_slashes=False,
        )

    def __call__(self, request: Request) -> Response:
        """Answer one admin request."""
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except NotFound:
            return json_response(404, {"error": f"unknown admin route {request.path}"})
        except MethodNotAllowed:
            return json_response(405, {"error": f"{request.method} not allowed on {request.path}"})
        try:
            body = self._body(request)
            return self._handlers[endpoint](request, body, **args)
        except (ValueError, TypeError) as exc:
            return json_response(400, {"error": str(exc)})
        except KeyError as exc:
            return json_response(404, {"error": f"not found: {exc.args[0]}"})

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        raw = request.get_data()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"invalid JSON body: {exc}") from exc
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body

    # Handlers (each gets the request, the parsed body and the path arguments)...

    def list_requests(self, request: Request, _body: dict[str, Any]) -> Response:
        records = self.backend.requests(
            method=request.args.get("method"),
            path_contains=request.args.get("path_contains"),
            path_regex=request.args.get("path_regex"),
        )
        return json_response(
            200, {"requests": [r.to_dict() for r in records], "total": len(records)}
        )

    def clear_requests(self, _request: Request, _body: dict[str, Any]) -> Response:
        self.backend.request_log.clear()
        return json_response(200, {"cleared": True})

    def reset(self, _request: Request, _body: dict[str, Any]) -> Response:
        self.backend.reset()
        return json_response(200, {"reset": True, "seed": SEED.to_dict()})

    def get_config(self, _request: Request, _body: dict[str, Any]) -> Response:
        return json_response(200, self.backend.config())

    def set_config(self, _request: Request, body: dict[str, Any]) -> Response:
        return json_response(200, self.backend.configure(**body))

    def list_faults(self, _request: Request, _body: dict[str, Any]) -> Response:
        return json_response(200, {"faults": [f.to_dict() for f in self.backend.faults.list()]})

    def add_fault(self, _request: Request, body: dict[str, Any]) -> Response:
        fault = self.backend.add_fault(Fault.from_dict(body))
        return json_response(201, {"fault": fault.to_dict()})

    def clear_faults(self, _request: Request, _body: dict[str, Any]) -> Response:
        return json_response(200, {"cleared": self.backend.clear_faults()})

    def list_jobs(self, _request: Request, _body: dict[str, Any]) -> Response:
        now = self.backend.now()
        jobs = [views.job_admin(job, now) for job in self.backend.all_jobs()]
        return json_response(200, {"jobs": jobs})

    def override_job_status(self, _request: Request, body: dict[str, Any], job_id: str) -> Response:
        status = body.get("status")
        if status is not None and not isinstance(status, str):
            raise ValueError("status must be a string or null")
        job = self.backend.override_job_status(job_id, status)
        return json_response(200, {"job": views.job_admin(job, self.backend.now())})

    def add_token(self, _request: Request, body: dict[str, Any]) -> Response:
        token = body.get("token")
        project_id = body.get("project_id", DEMO_PROJECT_ID)
        if not isinstance(token, str) or not token or not isinstance(project_id, str):
            raise ValueError("token (non-empty string) is required; project_id must be a string")
        self.backend.add_static_token(token, project_id)
        return json_response(201, {"added": True, "project_id": project_id})

    def seed(self, _request: Request, _body: dict[str, Any]) -> Response:
        return json_response(200, SEED.to_dict())
