"""IAM tokens for the DDM API, from two token sources: `StaticToken` and `PasswordToken`.

Both offer `get()` (a valid token) and `renew_after_401(used)` (whether asking again can give
a different token). `StaticToken` is a ready token, used as is. `PasswordToken` obtains
tokens from IAM with a password and is shared by every resource the provider process
handles: one IAM request serves them all, the token is renewed before its `expires_at`, and
once more when DDM answers 401 to a poll. Tokens live in memory only.

IAM API: `POST {auth_url}/auth/tokens` with a password body scoped to a project; the answer
is 201 with the token in `X-Subject-Token` and `token.expires_at` / `token.project.id` in
the body (ddm-api.md section 6).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

import httpx
import pydantic
from pydantic import BaseModel, ConfigDict, SecretStr

from .errors import ApiError, DdmError
from .http_boundary import SUBJECT_TOKEN, request_headers, send
from .http_options import DEFAULT_HTTP_OPTIONS, HttpOptions
from .retry import DEFAULT_RETRY_POLICY, RetryPolicy, is_retryable_read, retry_delay

__all__ = ["PasswordToken", "StaticToken", "TokenSource"]


class TokenSource(Protocol):
    """What the DDM client needs from a credential."""

    def get(self) -> str:
        """A token valid now."""

    def renew_after_401(self, used: str) -> bool:
        """Forget `used`; True if the next `get()` may return a different token."""


class StaticToken:
    """A token given by the user (`OS_TOKEN` or `ddm:token`): used as is, never renewed."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "StaticToken(**********)"

    def get(self) -> str:
        return self._token.get_secret_value()

    def renew_after_401(self, used: str) -> bool:
        return False


class _TokenProject(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    name: str = ""


class _TokenBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    expires_at: datetime
    project: _TokenProject | None = None


class _TokenResponse(BaseModel):
    model_config = ConfigDict(extra="allow")
    token: _TokenBody


class PasswordToken:
    """A token source: project-scoped tokens from IAM, obtained with a user name and password and renewed.

    **Parameters:** `auth_url` (e.g. `https://iam.eu-de.otc.t-systems.com/v3`), `username`,
    `password`, `domain_name`, and `project_id` or `project_name` (the scope). `clock`
    returns epoch seconds and `sleep` waits between attempts (both injectable for tests).
    `transport` is handed to `httpx.Client` (e.g. `httpx.WSGITransport` over the emulator
    app, so tests open no socket); `http_options` sets the CA bundle and verification
    (`ddm_resources.http_options`).

    Raises `ApiError` (e.g. `AuthenticationError` for a wrong password) or
    `TransportError` from `get()`; neither message contains the password or a token.
    """

    REFRESH_MARGIN = 300.0
    """Renew this many seconds before `expires_at` (at most a tenth of the token's life)."""

    def __init__(
        self,
        *,
        auth_url: str,
        username: str,
        password: SecretStr,
        domain_name: str,
        project_id: str | None = None,
        project_name: str | None = None,
        timeout: httpx.Timeout,
        retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        http_options: HttpOptions = DEFAULT_HTTP_OPTIONS,
    ) -> None:
        self._auth_url = auth_url.rstrip("/")
        self._username = username
        self._password = password
        self._domain_name = domain_name
        self._scope = {"id": project_id} if project_id else {"name": project_name}
        self._timeout = timeout
        self._retry_policy = retry_policy
        self._clock = clock
        self._sleep = sleep
        self._transport = transport
        self._http_options = http_options
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        self._project_id = project_id

    def __repr__(self) -> str:
        return f"PasswordToken(auth_url={self._auth_url!r}, username={self._username!r}, password=**********)"

    @property
    def project_id(self) -> str:
        """The scoped project's ID (asks IAM for a token if it is not known yet)."""
        if self._project_id is None:
            self.get()
        assert self._project_id is not None
        return self._project_id

    def get(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._fetch()
            assert self._token is not None
            return self._token

    def renew_after_401(self, used: str) -> bool:
        with self._lock:
            if self._token == used:
                self._token = None
        return True

    def _fetch(self) -> None:
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": self._username,
                            "password": self._password.get_secret_value(),
                            "domain": {"name": self._domain_name},
                        }
                    },
                },
                "scope": {"project": self._scope},
            }
        }
        headers = request_headers()
        with httpx.Client(**self._http_options.client_kwargs(), base_url=self._auth_url, timeout=self._timeout,
                          transport=self._transport) as http:
            failures = 0
            while True:
                try:
                    response = send(http, "POST", "/auth/tokens", headers=headers, json=body)
                    break
                except DdmError as exc:  # asking for a token twice is harmless: retried as a read
                    failures += 1
                    delay = retry_delay(exc, failures, self._retry_policy, is_retryable_read, random.random())
                    if delay is None:
                        raise
                    self._sleep(delay)
        token = response.headers.get(SUBJECT_TOKEN)
        try:
            parsed = _TokenResponse.model_validate_json(response.content).token
        except pydantic.ValidationError:
            parsed = None
        if not token or parsed is None:
            raise ApiError("IAM answered without a token or expires_at", status_code=response.status_code,
                           method="POST", path="/auth/tokens")
        now = self._clock()
        life = max(0.0, parsed.expires_at.timestamp() - now)
        self._renew_at = now + life - min(self.REFRESH_MARGIN, life / 10)
        self._token = token
        if parsed.project is not None:
            self._project_id = parsed.project.id
