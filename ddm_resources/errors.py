"""Exceptions raised by the DDM client, the job waiter and the provider.

No message built here ever contains a token or a password: errors carry the HTTP status,
the DDM error code, the service's message and the request id, nothing from the request
headers.

    DdmError
    ├── ConfigurationError        settings or an ID argument missing or malformed (no API call made)
    │   └── NoCredentialsError    no credential is configured at all (a credential-less preview)
    ├── ApiError                  the API answered with a non-2xx status
    │   ├── AuthenticationError   401 / 403: token missing, expired or not for this project
    │   ├── NotFoundError         404, or DBS.300400 (job not found)
    │   ├── ConflictError         409: another operation runs on the instance
    │   ├── ThrottledError        429 (its code is APIGW.0308)
    │   └── ServerError           5xx
    ├── TransportError            no answer: connection refused, dropped, or timed out
    │   └── UnknownHostError      the endpoint's host name does not exist (DNS: no such name)
    ├── OutOfTimeError            a time limit passed before a request could be sent (nothing sent)
    ├── UnreadableAnswerError     a 2xx answer this tool cannot use: not the documented shape,
    │                             about another job than the one asked for, or too long (GET)
    ├── JobError                  a job did not end `Completed` (or was unknown for too long)
    │   ├── JobFailedError        the job ended `Failed`
    │   └── JobTimeoutError       the deadline passed while the job was still running
    ├── PreflightError            (in `preflight`) the read-only restore APIs refuse the inputs
    └── RestoreError              what `MetadataRecovery` create raises: the target, the job ID
        │                         (once a job exists) and the cause, in one message
        └── OutcomeUnknownError   the restore POST got no usable answer, and no job for the
                                  target could be found: it may or may not have started
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "AuthenticationError",
    "ConfigurationError",
    "NoCredentialsError",
    "ConflictError",
    "DdmError",
    "JobError",
    "JobFailedError",
    "JobNotFoundError",
    "JobTimeoutError",
    "NotFoundError",
    "OutOfTimeError",
    "OutcomeUnknownError",
    "RecoveryError",
    "RestoreError",
    "ServerError",
    "ThrottledError",
    "TransportError",
    "UnknownHostError",
    "UnreadableAnswerError",
    "make_api_error",
]


class DdmError(Exception):
    """Base of every error this package raises."""


class ConfigurationError(DdmError):
    """Provider settings, or an ID given to a public helper or the client, are missing or
    malformed; raised before any API call."""


class NoCredentialsError(ConfigurationError):
    """No credential at all is configured: `preview` checks the inputs offline only.

    Any other `ConfigurationError` is a configuration that cannot work and fails `preview`."""


class ApiError(DdmError):
    """The DDM or IAM API answered with a non-2xx status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        error_code: str = "",
        request_id: str = "",
        method: str = "",
        path: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.retry_after = retry_after
        """Seconds the server asked us to wait (`Retry-After`), if it said."""
        self.error_code = error_code
        self.service_message = message
        self.request_id = request_id
        self.method = method
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        code = f" {self.error_code}" if self.error_code and self.error_code != str(self.status_code) else ""
        where = f" ({self.method} {self.path})" if self.method else ""
        rid = f" [request id {self.request_id}]" if self.request_id else ""
        return f"HTTP {self.status_code}{code}: {self.service_message}{where}{rid}"


class AuthenticationError(ApiError):
    """401 or 403: the token is missing, expired, or not scoped to this project."""

    HINT = ("check the credentials: the token (ddm:token or OS_TOKEN; IAM tokens last 24 hours), the access key "
            "pair (ddm:accessKey/OS_ACCESS_KEY and its secret key; a temporary pair also needs its security token, "
            "OS_SECURITY_TOKEN) or the IAM login (ddm:username/OS_USERNAME, the password, the domain and the "
            "project, or OS_CLOUD)")

    credentials = ""
    """Where the credentials in use came from, e.g. `access key from OS_ACCESS_KEY, ...` (names,
    never values; `settings.credential_origins`), when the caller knows; appended to the hint."""

    def __str__(self) -> str:
        used = f" (in use: {self.credentials})" if self.credentials else ""
        return f"{super().__str__()}; {self.HINT}{used}"


class NotFoundError(ApiError):
    """404, or `DBS.300400` (task not found)."""


class ConflictError(ApiError):
    """409: the instance is busy with another operation (for example `DBS.212033`)."""


class ThrottledError(ApiError):
    """429: too many requests (the gateway's code for it is `APIGW.0308`). The status decides: another
    status whose body names `APIGW.0308` (a 5xx, an HTML page quoting it) is not throttling, and a
    restore POST answered so is never sent again (its outcome is unknown)."""


class ServerError(ApiError):
    """A 5xx answer."""


class TransportError(DdmError):
    """No HTTP answer: the connection failed, was dropped, or a timeout passed.

    `request_sent` is False only when the request provably never reached the server
    (the connection could not be opened), so even a POST may be sent again. `transient` is
    False for a failure that another attempt would only repeat (a certificate that does not
    verify, an answer to a POST longer than the provider reads): such an error is never retried.
    """

    def __init__(self, message: str, *, request_sent: bool = True, transient: bool = True) -> None:
        self.request_sent = request_sent
        self.transient = transient
        super().__init__(message)


class OutOfTimeError(DdmError):
    """A time limit set on a client (`DdmClient.limit_time`: the lookups before a restore, a preview)
    passed: no further request was sent."""
class UnknownHostError(TransportError):
    """The endpoint's host name does not exist: the resolver answered that no such name is known
    (not a temporary failure to resolve). Another attempt would fail the same way, so it is never
    retried (`transient` is False; nothing was sent). `host` is the name; the message says which
    setting gives the endpoint."""

    def __init__(self, message: str, *, host: str) -> None:
        self.host = host
        super().__init__(message, request_sent=False, transient=False)


class UnreadableAnswerError(DdmError):
    """The service answered 2xx, but with a body this tool cannot use: not the documented shape
    (docs/ddm-api.md), about another job than the one asked for, or (to a GET) longer than
    `http_boundary.MAX_BODY`. Nothing in it is used or recorded; the message names the request and
    the kind of problem, never the body's text. Never retried by the client; a job wait rides it
    out until its deadline."""


class JobError(DdmError):
    """A DDM job did not end `Completed`. `job_id` names it."""

    def __init__(self, message: str, *, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(message)


class JobNotFoundError(JobError):
    """DDM did not know the job (or showed it without a status) for longer than the wait allows."""


class JobFailedError(JobError):
    """The job ended with status `Failed`."""

    def __init__(self, message: str, *, job_id: str, status: str, created_time: str = "") -> None:
        self.status = status
        self.created_time = created_time
        """When the job started, as DDM gives it (UTC, `yyyy-mm-ddThh:mm:ssZ`)."""
        super().__init__(message, job_id=job_id)


class JobTimeoutError(JobError):
    """The deadline passed while the job was still running; the job may still finish.

    `last_status` is the status the last answered poll showed (`None` when no poll was
    answered); `last_error` why the polls after it failed (`""` if they did not)."""

    def __init__(self, message: str, *, job_id: str, last_status: str | None, last_error: str = "") -> None:
        self.last_status = last_status
        self.last_error = last_error
        super().__init__(message, job_id=job_id)


class RestoreError(DdmError):
    """A metadata restore did not complete. `job_id` is set once the service accepted the restore."""

    def __init__(self, message: str, *, target_instance_id: str, job_id: str | None = None) -> None:
        self.target_instance_id = target_instance_id
        self.job_id = job_id
        super().__init__(message)


RecoveryError = RestoreError
"""The name `RestoreError` had before 0.2: kept importable (`from ddm_resources import RecoveryError`)."""


class OutcomeUnknownError(RestoreError):
    """The restore POST may have been accepted, but no answer and no job proves it either way."""


def make_api_error(
    status_code: int,
    *,
    error_code: str,
    message: str,
    request_id: str,
    method: str,
    path: str,
    retry_after: float | None = None,
) -> ApiError:
    """Pick the `ApiError` subclass for an HTTP status and DDM error code."""
    cls: type[ApiError]
    if status_code in (401, 403):
        cls = AuthenticationError
    elif status_code == 429:
        cls = ThrottledError
    elif status_code == 404 or error_code == "DBS.300400":
        cls = NotFoundError
    elif status_code == 409:
        cls = ConflictError
    elif status_code >= 500:
        cls = ServerError
    else:
        cls = ApiError
    return cls(
        message or "no message in the response body",
        status_code=status_code,
        error_code=error_code,
        request_id=request_id,
        method=method,
        path=path,
        retry_after=retry_after,
    )
