"""A small synchronous client for the DDM V3 API, built on httpx.

One method per API call this project needs. Every request goes through `DdmClient._send`,
the one place where transport failures and non-2xx answers become `ddm_resources.errors`
exceptions. The token travels only in the `X-Auth-Token` header and is never part of an
exception, a log line or a `repr`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional, Union

import httpx
import pydantic

from . import __version__
from .errors import TransportError, make_api_error
from .models import (
    ApiErrorBody,
    Job,
    JobResponse,
    MetadataRecoveryRequest,
    MetadataRecoveryResponse,
    RestoreSource,
    RestoreTarget,
)

__all__ = ["DEFAULT_TIMEOUT", "DdmClient", "TokenSource"]

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0)
"""Per-request timeouts in seconds: a silent server cannot hang a run."""

TokenSource = Union[str, Callable[[], str]]
"""An IAM token, or a callable that returns a valid one (for cached, refreshed tokens)."""


class DdmClient:
    """Client for one DDM endpoint and one project.

    **Parameters:**

    * **endpoint** - base URL, e.g. `https://ddm.eu-de.otc.t-systems.com` (no path).
    * **project_id** - the OTC project the token is scoped to.
    * **token** - an IAM token, or a callable returning one.
    * **timeout** - an `httpx.Timeout`; defaults to `DEFAULT_TIMEOUT`.
    * **transport** - an optional `httpx.BaseTransport` (tests may plug one in).

    Raises `ddm_resources.errors.ApiError` subclasses for non-2xx answers and
    `TransportError` when no answer arrives.
    """

    def __init__(
        self,
        endpoint: str,
        project_id: str,
        token: TokenSource,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: Optional[httpx.BaseTransport] = None,
    ) -> None:
        self.project_id = project_id
        self._token = token
        self._http = httpx.Client(
            base_url=endpoint.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={
                "Accept": "application/json",
                "User-Agent": f"ddm-resources/{__version__} httpx/{httpx.__version__}",
            },
        )

    def __repr__(self) -> str:
        return f"DdmClient(endpoint={str(self._http.base_url)!r}, project_id={self.project_id!r})"

    def __enter__(self) -> DdmClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # API calls ---------------------------------------------------------------------------

    def restore_metadata(
        self, source_instance_id: str, source: RestoreSource, target: RestoreTarget
    ) -> str:
        """Start a metadata recovery and return its `job_id` (ddm-api.md section 2.1).

        `POST /v3/{project_id}/instances/{source_instance_id}/backups/metadata-recovery`
        with `{"source": {...}, "target": {...}}`; the service answers 202 `{"job_id"}`.
        """
        body = MetadataRecoveryRequest(source=source, target=target).to_body()
        path = f"/v3/{self.project_id}/instances/{source_instance_id}/backups/metadata-recovery"
        response = self._send("POST", path, json=body)
        return self._parse(MetadataRecoveryResponse, response).job_id

    def get_job(self, job_id: str) -> Job:
        """Return one job (ddm-api.md section 3.1): `GET /v3/{project_id}/jobs/{job_id}`."""
        response = self._send("GET", f"/v3/{self.project_id}/jobs/{job_id}")
        return self._parse(JobResponse, response).job

    # The one boundary ----------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Optional[dict[str, Any]] = None,
        params: Optional[dict[str, Any]] = None,
    ) -> httpx.Response:
        token = self._token() if callable(self._token) else self._token
        headers = {"X-Auth-Token": token}
        if json is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self._http.request(method, path, json=json, params=params, headers=headers)
        except httpx.TimeoutException as exc:
            raise TransportError(f"{method} {path}: timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise TransportError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        if response.is_success:
            return response
        body = _error_body(response)
        raise make_api_error(
            response.status_code,
            error_code=body.code,
            message=body.message,
            request_id=response.headers.get("X-Request-Id", ""),
            method=method,
            path=path,
        )

    @staticmethod
    def _parse(model: type[pydantic.BaseModel], response: httpx.Response) -> Any:
        try:
            return model.model_validate_json(response.content)
        except pydantic.ValidationError as exc:
            raise TransportError(
                f"{response.request.method} {response.request.url.path}: unexpected response body "
                f"({exc.error_count()} problems, first: {exc.errors()[0]['msg']})"
            ) from None


def _error_body(response: httpx.Response) -> ApiErrorBody:
    """Parse either documented error format; fall back to the start of the raw text."""
    try:
        return ApiErrorBody.model_validate_json(response.content)
    except pydantic.ValidationError:
        text = response.text.strip().replace("\n", " ")
        return ApiErrorBody(code="", message=text[:300] or response.reason_phrase)
