"""
Shared HTTP plumbing for the handler modules: `Route`, `Call`, JSON answers.

A handler module (`ddm_api`, `iam_api`, `admin_api`) lists its endpoints as `Route`s; the
WSGI app (`app.py`) builds one werkzeug `Map` from them, authenticates as the
route says, parses the JSON body, and calls the handler with a `Call` plus the
path arguments. Handlers return a werkzeug `Response` from `json_response`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from .backend import DdmBackend
    from .models import FakeToken

__all__ = ["Auth", "Call", "Route", "json_response", "parse_json"]

Auth = Literal["project", "token", "none"]
"""`project`: token scoped to the path's `project_id`; `token`: any valid token."""


@dataclass(frozen=True)
class Call:
    """What a handler gets: the request, the backend, the parsed body, the token."""

    request: Request
    backend: DdmBackend
    body: Any
    token: FakeToken | None

    @property
    def args(self) -> MultiDict[str, str]:
        """The query parameters."""
        return self.request.args

    @property
    def base_url(self) -> str:
        """This server's base URL as the client reached it, without a trailing slash."""
        return self.request.host_url.rstrip("/")


@dataclass(frozen=True)
class Route:
    """One endpoint: path pattern (werkzeug syntax), method, handler and its rules."""

    path: str
    method: str
    handler: Callable[..., Response]
    auth: Auth = "project"
    api: Literal["v3", "v1", "iam", "admin"] = "v3"
    """Which family the endpoint belongs to; IAM errors use the Keystone body, admin `{"error"}`."""

    @property
    def endpoint(self) -> str:
        """A unique endpoint name for the routing map."""
        return f"{self.method} {self.path}"


def json_response(
    status: int, payload: Any, headers: dict[str, str] | None = None
) -> Response:
    """A JSON answer with the given status and extra headers."""
    return Response(
        json.dumps(payload, separators=(",", ":")),
        status=status,
        headers=headers,
        mimetype="application/json",
    )


def parse_json(raw: bytes) -> Any:
    """Parse a JSON body; `None` when empty; raise `ValueError` when malformed."""
    if not raw.strip():
        return None
    return json.loads(raw)
