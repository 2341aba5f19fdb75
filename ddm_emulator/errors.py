"""
Service errors as data, and the documented error body formats.

The backend raises these; the HTTP layer renders them. Tree:

    ServiceError(status, code, message)   any DDM error, 400 unless told
    ├── BadParameter                     400 DBS.280001, a bad request field
    ├── InvalidRestoreTime               400 DBS.300377, a restore time outside the window
    ├── ResourceNotFound                 404 DBS.300350 unless told
    ├── OperationConflict                409 DBS.212033, another operation runs
    ├── UnsupportedMediaType             415 DBS.280001, POST with a non-JSON body type
    ├── GatewayError                     raised by the API gateway in front
    │   ├── GatewayBadRequest            400 APIGW.0201, e.g. no JSON Content-Type
    │   ├── GatewayUnauthorized          401 APIGW.0301, bad/missing/expired token
    │   ├── GatewayForbidden             403 APIGW.0302, token of another project
    │   ├── GatewayApiNotFound           404 APIGW.0101, no such API
    │   └── GatewayThrottled             429 APIGW.0308, request throttled
    └── IamError                         IAM (Keystone) errors, own body format

DDM bodies come in two styles (docs/ddm-api.md section 5): V3 endpoints answer
`{"error_code", "error_msg"}`, v1 endpoints `{"errCode", "externalMessage"}`.
A setting (`error_style`) can force one style for every DDM endpoint. The API
gateway's own errors are always `{"error_code", "error_msg"}`, on v1 paths too.
"""

from __future__ import annotations

from typing import Any, Literal

from .clock import to_millis

__all__ = [
    "BadParameter",
    "GatewayApiNotFound",
    "GatewayBadRequest",
    "GatewayError",
    "GatewayForbidden",
    "GatewayThrottled",
    "GatewayUnauthorized",
    "IamError",
    "InvalidRestoreTime",
    "OperationConflict",
    "ResourceNotFound",
    "ServiceError",
    "UnsupportedMediaType",
    "resolve_style",
]


def resolve_style(setting: str, path: str) -> Literal["v3", "v1"]:
    """Return the body style for a response to `path` under the `error_style` setting
    (`auto` picks v1 for `/v1/...` paths and v3 elsewhere; `v3` / `v1` force one)."""
    if setting == "v1":
        return "v1"
    if setting == "v3":
        return "v3"
    return "v1" if path.startswith("/v1/") else "v3"


class ServiceError(Exception):
    """An error answer of the emulated service: HTTP status, error code, message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})

    def body(self, style: Literal["v3", "v1"]) -> dict[str, Any]:
        """Render the JSON body in the given style."""
        if style == "v1":
            return {"errCode": self.code, "externalMessage": self.message}
        return {"error_code": self.code, "error_msg": self.message}


class BadParameter(ServiceError):
    """Raised when a request field or query parameter is missing or malformed."""

    def __init__(self, message: str = "Parameter error.") -> None:
        super().__init__(400, "DBS.280001", message)


class InvalidRestoreTime(ServiceError):
    """Raised when a restore time (epoch ms) lies outside the restorable window `start`..`end` (epoch s)."""

    def __init__(self, start: float, end: float) -> None:
        super().__init__(
            400,
            "DBS.300377",
            f"Invalid time range: restore_time must be between {to_millis(start)} and {to_millis(end)}.",
        )


class ResourceNotFound(ServiceError):
    """Raised when a resource named in the path does not exist."""

    def __init__(self, message: str, code: str = "DBS.300350") -> None:
        super().__init__(404, code, message)


class OperationConflict(ServiceError):
    """Raised when another operation is in progress on the instance."""

    def __init__(self, message: str, code: str = "DBS.212033") -> None:
        super().__init__(409, code, message)


class UnsupportedMediaType(ServiceError):
    """Raised when a POST body is not declared as `application/json`."""

    def __init__(self, content_type: str) -> None:
        shown = content_type or "(none)"
        super().__init__(
            415,
            "DBS.280001",
            f"Unsupported Content-Type {shown}; use application/json.",
        )


# API gateway errors...


class GatewayError(ServiceError):
    """An error produced by the API gateway before the DDM service sees the request."""


class GatewayBadRequest(GatewayError):
    """Raised when the gateway rejects the request itself (e.g. no JSON `Content-Type`)."""

    def __init__(self, message: str = "API request error.") -> None:
        super().__init__(400, "APIGW.0201", message)


class GatewayUnauthorized(GatewayError):
    """Raised when the `X-Auth-Token` is missing, unknown or expired."""

    def __init__(self, message: str = "Incorrect IAM authentication information.") -> None:
        super().__init__(401, "APIGW.0301", message)


class GatewayForbidden(GatewayError):
    """Raised when the token is scoped to a different project than the path."""

    def __init__(
        self, message: str = "The IAM user is not authorized to access the API."
    ) -> None:
        super().__init__(403, "APIGW.0302", message)


class GatewayApiNotFound(GatewayError):
    """Raised when no API matches the method and path."""

    def __init__(self, message: str = "The API does not exist or has not been published.") -> None:
        super().__init__(404, "APIGW.0101", message)


class GatewayThrottled(GatewayError):
    """Raised (or injected by a fault) when the request is throttled."""

    def __init__(
        self,
        message: str = "The request is throttled.",
        *,
        retry_after: str | None = None,
    ) -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else None
        super().__init__(429, "APIGW.0308", message, headers=headers)


# IAM errors...


class IamError(ServiceError):
    """An IAM (Keystone) error; its body is `{"error": {"code", "title", "message"}}`."""

    _TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, str(status), message)
        self.title = self._TITLES.get(status, "Error")

    def body(self, style: Literal["v3", "v1"]) -> dict[str, Any]:
        """Render the Keystone body; IAM has one format whatever the style."""
        return {"error": {"code": self.status, "title": self.title, "message": self.message}}
