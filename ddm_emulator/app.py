"""
The WSGI application: route table, request pipeline, request log, faults.

For every non-admin request `EmulatorApp` does, in order: record the request
(exactly, credentials masked), apply a matching fault rule (`respond`, `drop`,
`delay`; `lose_response` after processing), match the route (404
`APIGW.0101` / 405), require `Content-Type: application/json` (the gateway's
400 `APIGW.0201`, GETs too, unless `require_content_type` is off), check the
token (401 `APIGW.0301`, 403 `APIGW.0302` for another project or no project,
or a verified AK/SK signature), parse the JSON body of a POST (415 for another
body type), call the handler and render `ServiceError`s in the body style of
the endpoint (gateway errors always `error_code`/`error_msg`). Every answer
carries an `X-Request-Id`. Requests under `/_emulator/` go to the admin API
instead (loopback `Host` only, JSON POSTs only) and are neither logged nor
faulted; their routes are in the same table.

`wsgi_transport(backend)` is the in-process seam (like httpx's own examples
and moto's decorators): an `httpx.WSGITransport` over the app, so a client
talks to the emulator without opening a socket.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

import httpx
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.http import http_date
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import admin_api, ddm_api, iam_api
from .admin_api import admin_body, admin_refusal, is_admin_path
from .aksk import ALGORITHM, SignatureError, signed_header_names, verify_signature
from .backend import DdmBackend
from .errors import (
    BadParameter,
    GatewayApiNotFound,
    GatewayBadRequest,
    GatewayError,
    GatewayThrottled,
    GatewayUnauthorized,
    IamError,
    ServiceError,
    UnsupportedMediaType,
    resolve_style,
)
from .faults import Fault
from .models import FakeToken
from .requestlog import RequestRecord, redact, redact_headers, redact_text
from .routing import Call, Route, json_response, parse_json

__all__ = ["ROUTES", "ConnectionDropped", "EmulatorApp", "wsgi_transport"]

log = logging.getLogger(__name__)

ROUTES: list[Route] = [*iam_api.ROUTES, *ddm_api.ROUTES, *admin_api.ROUTES]
"""Every endpoint: emulated IAM and DDM, and the admin API."""


class ConnectionDropped(ConnectionAbortedError):
    """Raised after a fault closed the client connection; werkzeug's server ignores it."""


def _json_or_none(raw: bytes) -> Any:
    try:
        return parse_json(raw)
    except ValueError:
        return None


class EmulatorApp:
    """The emulator as a WSGI callable over one `DdmBackend`."""

    def __init__(
        self,
        backend: DdmBackend,
        *,
        stopping: threading.Event | None = None,
        admin_hosts: Collection[str] | None = (),
    ) -> None:
        self.backend = backend
        self.admin_hosts = admin_hosts
        """`Host` values the admin API accepts besides loopback ones; `None` accepts any (in process)."""
        # Set when the server stops, to cut `delay` faults short.
        self.stopping = stopping or threading.Event()
        self._routes = {route.endpoint: route for route in ROUTES}
        self.url_map = Map(
            [Rule(r.path, endpoint=r.endpoint, methods=[r.method]) for r in ROUTES],
            strict_slashes=False,
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request_id = uuid.uuid4().hex
        if is_admin_path(request.path):
            response = self._serve_admin(request)
            response.headers["X-Request-Id"] = request_id
        else:
            response = self._serve(request, request_id)
        response.headers["Date"] = http_date(self.backend.now())  # the service's (emulated) clock
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
            query_string=request.query_string.decode("latin-1"),
            headers=redact_headers(request.headers.items()),
            body_text=redact_text(raw.decode("utf-8", errors="replace")),
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
        if fault is not None and fault.action == "replace_response":
            response = self._fault_response(fault, request.path)
        if fault is not None and fault.action == "add_headers":
            for name, value in (fault.headers or {}).items():
                response.headers[name] = value
        if fault is not None and fault.action == "lose_response":
            record.status = response.status_code
            record.response = _json_or_none(response.get_data())
            self._sever(request, record)
        return self._finish(record, response)

    def _serve_admin(self, request: Request) -> Response:
        refusal = admin_refusal(request, self.admin_hosts)
        if refusal is not None:
            return refusal
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except NotFound:
            return json_response(404, {"error": f"unknown admin route {request.path}"})
        except MethodNotAllowed:
            return json_response(405, {"error": f"{request.method} not allowed on {request.path}"})
        route = self._routes[endpoint]
        try:
            call = Call(request, self.backend, admin_body(request), None)
            return route.handler(call, **args)
        except (ValueError, TypeError) as exc:
            return json_response(400, {"error": str(exc)})
        except KeyError as exc:
            return json_response(404, {"error": f"not found: {exc.args[0]}"})

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
        if status == 429 and not any(name.lower() == "retry-after" for name in headers):
            headers.update(self._retry_after())
        if body is None and status == 429:
            body = GatewayThrottled().body("v3")
        elif body is None and status >= 500:
            error = ServiceError(status, "DBS.200412", "Server failure.")
            body = error.body(resolve_style(self.backend.settings.error_style, path))
        if isinstance(body, str):
            return Response(body, status=status, headers=headers, mimetype="text/plain")
        if body is None:
            return Response(b"", status=status, headers=headers)
        return json_response(status, body, headers)

    def _retry_after(self) -> dict[str, str]:
        choice = self.backend.settings.retry_after_on_429
        if choice == "seconds":
            return {"Retry-After": "1"}
        if choice == "http-date":
            return {"Retry-After": http_date(time.time() + 1)}
        return {}

    def _check_content_type(self, request: Request) -> None:
        """The gateway's 400 for a request without `Content-Type: application/json` (setting)."""
        if not self.backend.settings.require_content_type:
            return
        if request.mimetype != "application/json" and not (request.method == "POST" and request.mimetype):
            shown = request.content_type or "none"
            raise GatewayBadRequest(f"API request error: Content-Type must be application/json (got {shown}).")

    def _handle(self, request: Request) -> Response:
        route: Route | None = None
        try:
            adapter = self.url_map.bind_to_environ(request.environ)
            try:
                endpoint, args = adapter.match()
            except NotFound:
                raise GatewayApiNotFound() from None
            except MethodNotAllowed:
                raise ServiceError(
                    405, "DBS.280001", f"Method {request.method} is not allowed on {request.path}."
                ) from None
            route = self._routes[endpoint]
            self._check_content_type(request)
            token = self._authenticate(route, request, args)
            body = self._json_body(request) if request.method == "POST" else None
            return route.handler(Call(request, self.backend, body, token), **args)
        except ServiceError as error:
            return self._error_response(error, request.path, route)
        except Exception:
            log.exception("unexpected error while serving %s %s", request.method, request.path)
            failure = ServiceError(500, "DBS.200412", "Server failure.")
            return self._error_response(failure, request.path, route)

    def _authenticate(
        self, route: Route, request: Request, args: Mapping[str, str]
    ) -> FakeToken | None:
        if route.auth == "none":
            return None
        token = request.headers.get("X-Auth-Token")
        if route.auth == "project" and request.headers.get("Authorization", "").startswith(ALGORITHM):
            try:
                access_key = verify_signature(
                    method=request.method, path=request.path, query=list(request.args.items(multi=True)),
                    headers={k.lower(): v for k, v in request.headers.items()},
                    body=request.get_data(cache=True), secret_of=self.backend.iam.secret_of)
            except SignatureError as exc:
                raise GatewayUnauthorized(str(exc)) from None
            self._check_signature_date(request.headers.get("X-Sdk-Date", ""))
            return self.backend.iam.authenticate_signed(
                access_key, args["project_id"], request.headers.get("X-Security-Token"),
                signed_header_names(request.headers.get("Authorization", "")))
        if route.auth == "token":
            return self.backend.iam.lookup(token)
        return self.backend.iam.authenticate(token, args["project_id"])

    def _check_signature_date(self, sdk_date: str) -> None:
        """The gateway's 401 for a signature dated too far from its clock (`signature_max_skew_seconds`)."""
        allowed = self.backend.settings.signature_max_skew_seconds
        if not allowed:
            return
        try:
            signed = datetime.strptime(sdk_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise GatewayUnauthorized("The X-Sdk-Date header is not a date such as 20261207T101500Z.") from None
        if abs(signed - self.backend.now()) > allowed:
            raise GatewayUnauthorized("The request has expired: X-Sdk-Date is too far from the server's time.")

    @staticmethod
    def _json_body(request: Request) -> Any:
        if request.mimetype != "application/json":
            raise UnsupportedMediaType(request.content_type or "")
        try:
            return parse_json(request.get_data(cache=True))
        except ValueError:
            raise BadParameter("Parameter error: the request body is not valid JSON.") from None

    def _error_response(self, error: ServiceError, path: str, route: Route | None) -> Response:
        if route is not None and route.api == "iam" and not isinstance(error, IamError):
            error = IamError(error.status, error.message)
        style = "v3" if isinstance(error, GatewayError) else resolve_style(self.backend.settings.error_style, path)
        body = error.body(style)
        return json_response(error.status, body, error.headers)


class _InProcessTransport(httpx.WSGITransport):
    """`httpx.WSGITransport` that turns a fault's dropped connection into httpx's own error."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from exc


def wsgi_transport(backend: DdmBackend) -> httpx.WSGITransport:
    """
    An httpx transport that serves `backend` in-process, without a socket.

    Usage: `httpx.Client(transport=wsgi_transport(backend), base_url="http://ddm.emulator")`.
    Faults behave as on a socket, except that `drop` and `lose_response` raise
    `httpx.RemoteProtocolError` at once (there is no connection to close) and a
    `delay` blocks the calling thread.
    """
    return _InProcessTransport(app=EmulatorApp(backend, admin_hosts=None))
