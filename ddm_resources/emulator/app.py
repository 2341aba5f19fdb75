"""
The WSGI application: route table, request pipeline, request log, faults.

For every non-admin request `EmulatorApp` does, in order: record the request
(without the token value), apply a matching fault rule (`respond`, `drop`,
`delay`; `lose_response` after processing), match the route (404
`APIGW.0101` / 405), check the token (401 `APIGW.0301`, 403 for another
project), require `Content-Type: application/json` on POST (415), parse the
JSON body, call the handler and render `ServiceError`s in the body style of
the endpoint (or the backend's forced style). Every answer carries an
`X-Request-Id`. Requests under `/_emulator/` go to the admin API instead and
are neither logged nor faulted.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import ddm_api, iam_api
from .admin_api import ADMIN_PREFIX, AdminApi
from .backend import DdmBackend
from .errors import (
    ApiNotFoundError,
    IamError,
    ParameterError,
    ServiceError,
    ThrottledError,
    UnsupportedMediaTypeError,
    resolve_style,
)
from .faults import Fault
from .models import FakeToken
from .requestlog import RequestRecord, redact
from .routing import Call, Route, json_response, parse_json

__all__ = ["ROUTES", "ConnectionDropped", "EmulatorApp"]

log = logging.getLogger(__name__)

ROUTES: list[Route] = [*iam_api.ROUTES, *ddm_api.ROUTES]
"""Every emulated endpoint (IAM and DDM)."""


class ConnectionDropped(ConnectionAbortedError):
    """Raised after a fault closed the client connection; werkzeug's server ignores it."""


def _json_or_none(raw: bytes) -> Any:
    try:
        return parse_json(raw)
    except ValueError:
        return None


class EmulatorApp:
    """The emulator as a WSGI callable over one `DdmBackend`."""

    def __init__(self, backend: DdmBackend, *, stopping: threading.Event | None = None) -> None:
        self.backend = backend
        # Set when the server stops, to cut `delay` faults short.
        self.stopping = stopping or threading.Event()
        self.admin = AdminApi(backend)
        self._routes = {route.endpoint: route for route in ROUTES}
        self.url_map = Map(
            [Rule(r.path, endpoint=r.endpoint, methods=[r.method]) for r in ROUTES],
            strict_slashes=False,
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request_id = uuid.uuid4().hex
        if request.path == ADMIN_PREFIX or request.path.startswith(ADMIN_PREFIX + "/"):
            response = self.admin(request)
            response.headers["X-Request-Id"] = request_id
        else:
            response = self._serve(request, request_id)
        return response(environ, start_response)

    # The pipeline...

    def _serve(self, request: Request, request_id: str) -> Response:
        raw = request.get_data(cache=True)
        record = RequestRecord(
            seq=0,
            request_id=request_id,
            time=time.time(),
            emulated_time=self.backend.now(),
            method=request.method,
            path=request.path,
            query=request.args.to_dict(),
            body=redact(_json_or_none(raw)),
            has_auth_token="X-Auth-Token" in request.headers,
        )
        fault = self.backend.faults.pick(request.method, request.path)
        if fault is not None:
            record.fault = fault.action
            if fault.action == "respond":
                return self._finish(record, self._fault_response(fault, request.path))
            if fault.action == "drop":
                self._sever(request, record)
            if fault.action == "delay":
                self.stopping.wait(fault.delay)
                if self.stopping.is_set():
                    self._sever(request, record)
        response = self._handle(request)
        if fault is not None and fault.action == "lose_response":
            record.status = response.status_code
            record.response = _json_or_none(response.get_data())
            self._sever(request, record)
        return self._finish(record, response)

    def _finish(self, record: RequestRecord, response: Response) -> Response:
        response.headers["X-Request-Id"] = record.request_id
        record.status = response.status_code
        if response.mimetype == "application/json":
            record.response = _json_or_none(response.get_data())
        self.backend.request_log.add(record)
        return response

    def _sever(self, request: Request, record: RequestRecord) -> None:
        """Log the request as unanswered and close the TCP connection."""
        record.answered = False
        self.backend.request_log.add(record)
        sock = request.environ.get("werkzeug.socket")
        if isinstance(sock, socket.socket):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        raise ConnectionDropped(f"connection closed by fault ({record.fault})")

    def _fault_response(self, fault: Fault, path: str) -> Response:
        status = fault.status or 500
        headers = dict(fault.headers or {})
        body = fault.body
        if body is None and status == 429:
            body = ThrottledError().body(resolve_style(self.backend.error_style, path))
        elif body is None and status >= 500:
            error = ServiceError(status, "DBS.200412", "Server failure.")
            body = error.body(resolve_style(self.backend.error_style, path))
        if isinstance(body, str):
            return Response(body, status=status, headers=headers, mimetype="text/plain")
        if body is None:
            return Response(b"", status=status, headers=headers)
        return json_response(status, body, headers)

    def _handle(self, request: Request) -> Response:
        route: Route | None = None
        try:
            adapter = self.url_map.bind_to_environ(request.environ)
            try:
                endpoint, args = adapter.match()
            except NotFound:
                raise ApiNotFoundError() from None
            except MethodNotAllowed:
                raise ServiceError(
                    405, "DBS.280001", f"Method {request.method} is not allowed on {request.path}."
                ) from None
            route = self._routes[endpoint]
            token = self._authenticate(route, request, args)
            body = self._json_body(request) if request.method == "POST" else None
            return route.handler(Call(request, self.backend, body, token), **args)
        except ServiceError as error:
            return self._error_response(error, request.path, route)
        except Exception:
            log.exception("unexpected error while serving %s %s", request.method, request.path)
            error = ServiceError(500, "DBS.200412", "Server failure.")
            return self._error_response(error, request.path, route)

    def _authenticate(
        self, route: Route, request: Request, args: dict[str, str]
    ) -> FakeToken | None:
        if route.auth == "none":
            return None
        token = request.headers.get("X-Auth-Token")
        if route.auth == "token":
            return self.backend.iam.lookup(token)
        return self.backend.iam.authenticate(token, args["project_id"])

    @staticmethod
    def _json_body(request: Request) -> Any:
        if request.mimetype != "application/json":
            raise UnsupportedMediaTypeError(request.content_type or "")
        try:
            return parse_json(request.get_data(cache=True))
        except ValueError:
            raise ParameterError("Parameter error: the request body is not valid JSON.") from None

    def _error_response(self, error: ServiceError, path: str, route: Route | None) -> Response:
        if route is not None and route.api == "iam" and not isinstance(error, IamError):
            error = IamError(error.status, error.message)
        body = error.body(resolve_style(self.backend.error_style, path))
        return json_response(error.status, body, error.headers)
