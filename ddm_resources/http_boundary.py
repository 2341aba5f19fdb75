"""The one place where an HTTP exchange becomes a response or a `ddm_resources.errors` error.

Used by the DDM client and the IAM token source alike. Error messages carry the status,
the service's error code and message, the request id and the method and path; never a
header, so never a token.

Every header name the provider sends or reads is defined here, and `request_headers` gives
what every request carries, matched against the official SDK (`huaweicloudsdkddm`) and the
OTC "Making an API Request" page: `Content-Type: application/json` on every request (GETs
too: the page marks it mandatory, and the SDK and Terraform's DDM job waiter send it),
`Accept`, a `User-Agent` naming this product and its version, and for DDM `X-Project-Id`.
"""

from __future__ import annotations

from typing import Any

import httpx
import pydantic

from . import __version__
from .errors import TransportError, make_api_error
from .models import ApiErrorBody
from .retry import parse_retry_after

__all__ = [
    "ACCEPT",
    "API_NOT_PUBLISHED",
    "AUTH_TOKEN",
    "CONTENT_TYPE",
    "DATE",
    "JSON",
    "PROJECT_ID",
    "REQUEST_ID",
    "RETRY_AFTER",
    "SUBJECT_TOKEN",
    "USER_AGENT",
    "parse_error_body",
    "request_headers",
    "send",
    "url_origin",
]

ACCEPT = "Accept"
AUTH_TOKEN = "X-Auth-Token"
"""The IAM token on every DDM request (never logged, never in an error)."""
CONTENT_TYPE = "Content-Type"
DATE = "Date"
"""The service's clock, read from every answer (`DdmClient.server_now_ms`)."""
PROJECT_ID = "X-Project-Id"
"""Optional per the OTC docs; the official SDK sends it with the project's ID."""
REQUEST_ID = "X-Request-Id"
RETRY_AFTER = "Retry-After"
SUBJECT_TOKEN = "X-Subject-Token"
"""Where IAM returns a new token."""
USER_AGENT = "User-Agent"
JSON = "application/json"


def request_headers(*, project_id: str | None = None) -> dict[str, str]:
    """The headers every request carries (the token is added per request by the client)."""
    headers = {
        ACCEPT: JSON,
        CONTENT_TYPE: JSON,
        USER_AGENT: f"ddm-resources/{__version__} httpx/{httpx.__version__}",
    }
    if project_id:
        headers[PROJECT_ID] = project_id
    return headers


API_NOT_PUBLISHED = "APIGW.0101"
"""The API gateway's answer for an API it does not publish at this host."""


def url_origin(url: httpx.URL) -> str:
    """`scheme://host[:port]` of `url`, without any user info (it could hold a password)."""
    port = f":{url.port}" if url.port else ""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}{port}"


def send(
    http: httpx.Client,
    method: str,
    path: str,
    *,
    headers: dict[str, str],
    json: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> httpx.Response:
    """Send one request; return a 2xx response or raise `ApiError` / `TransportError`.

    A `TransportError` has `request_sent=False` only when the connection could not be
    opened (nothing reached the server).
    """
    where = f"{method} {path} at {url_origin(http.base_url)}"
    try:
        response = http.request(method, path, json=json, params=params, headers=headers)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise TransportError(f"{where}: {type(exc).__name__}: {exc}", request_sent=False) from exc
    except httpx.TimeoutException as exc:
        raise TransportError(f"{where}: timed out ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise TransportError(f"{where}: {type(exc).__name__}: {exc}") from exc
    if response.is_success:
        return response
    body = parse_error_body(response)
    message = body.message
    if body.code == API_NOT_PUBLISHED:
        message = (f"the DDM API is not available at {url_origin(http.base_url)} (the gateway does not publish it "
                   "there: wrong host, or DDM is not offered in this region); set the DDM endpoint of your region "
                   "with `pulumi config set ddm:endpoint https://ddm.<region>.otc.t-systems.com` or DDM_ENDPOINT")
    raise make_api_error(
        response.status_code,
        error_code=body.code,
        message=message,
        request_id=response.headers.get(REQUEST_ID, ""),
        method=method,
        path=path,
        retry_after=parse_retry_after(response.headers.get(RETRY_AFTER)),
    )


def parse_error_body(response: httpx.Response) -> ApiErrorBody:
    """Parse a DDM error body (either format) or an IAM one (`{"error": {...}}`).

    Falls back to the start of the raw text when the body is not one of those.
    """
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        data = data["error"]
    if isinstance(data, dict):
        try:
            body = ApiErrorBody.model_validate(data)
        except pydantic.ValidationError:
            body = ApiErrorBody()
        if body.code or body.message:
            return body
    text = response.text.strip().replace("\n", " ")
    return ApiErrorBody(code="", message=text[:300] or response.reason_phrase)
