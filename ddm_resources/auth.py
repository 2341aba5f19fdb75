"""Credentials for the DDM API: the token sources `StaticToken`, `PasswordToken`; `AkSkSigner`.

`token_source(settings)` picks one. The token sources offer `get()` (a valid token) and
`renew_after_401(used)` (whether asking again can give a different token). `StaticToken` is
a ready token, used as is. `PasswordToken` obtains tokens from IAM with a password and is
shared by every resource the provider process handles: one IAM request serves them all,
the token is renewed before its `expires_at`, and once more when DDM answers 401 to a poll.
`AkSkSigner` signs each request with an access key pair instead of sending a token. Tokens and keys live in memory only.

IAM API: `POST {auth_url}/auth/tokens` with a password body scoped to a project; the answer
is 201 with the token in `X-Subject-Token` and `token.expires_at` / `token.project.id` in
the body (docs/ddm-api.md section 6).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Protocol

import httpx
import pydantic
from pydantic import SecretStr

from .errors import ApiError, ConfigurationError, DdmError, TransportError, UnknownHostError
from .http_boundary import (
    PATH_ID,
    SUBJECT_TOKEN,
    bound_client,
    request_headers,
    send,
    url_origin,
    warn_plain_http,
)
from .http_options import DEFAULT_HTTP_OPTIONS, HttpOptions, opens_tls
from .regions import region_endpoints
from .retry import DEFAULT_RETRY_POLICY, RetryPolicy, attempt, is_retryable_read
from .sanitize import hold_secret

if TYPE_CHECKING:
    from .iam_models import CatalogService
    from .service_clock import ServiceClock
    from .settings import ProviderSettings

__all__ = ["AkSkSigner", "PasswordToken", "StaticToken", "TokenSource", "ddm_endpoint", "token_source"]


class TokenSource(Protocol):
    """What the DDM client needs from a credential."""

    sources: str
    """Where the credential's parts came from (`settings.credential_origins`), for a 401/403; may be empty."""

    def get(self) -> str:
        """A token valid now."""

    def renew_after_401(self, used: str) -> bool:
        """Forget `used`; True if the next `get()` may return a different token."""


class StaticToken:
    """A token given by the user (`OS_TOKEN` or `ddm:token`): used as is, never renewed."""

    sources = ""

    def __init__(self, token: SecretStr) -> None:
        self._token = token
        hold_secret(token.get_secret_value())  # masked in every server text (sanitize)

    def __repr__(self) -> str:
        return "StaticToken(**********)"

    def get(self) -> str:
        return self._token.get_secret_value()

    def renew_after_401(self, used: str) -> bool:
        return False


class PasswordToken:
    """A token source: project-scoped tokens from IAM, obtained with a user name and password and renewed.

    **Parameters:** `auth_url` (e.g. `https://iam.eu-de.otc.t-systems.com/v3`), `username`,
    `password`, `domain_name`, and `project_id` or `project_name` (the scope). `clock`
    returns epoch seconds and `sleep` waits between attempts (both injectable for tests).
    `transport` is handed to `httpx.Client` (e.g. `httpx.WSGITransport` over the emulator
    app, so tests open no socket); `http_options` sets the CA bundle and verification
    (`ddm_resources.http_options`). `origins` says where each setting came from and
    `auth_url_origin` where a derived `auth_url` came from (the region), for error messages.

    Raises `ApiError` (e.g. `AuthenticationError` for a wrong password) or
    `TransportError` from `get()` (`UnknownHostError`, not retried, when the IAM host does not
    exist); no message contains the password or a token.
    """

    sources = ""
    REFRESH_MARGIN = 300.0
    """Renew this many seconds before the token expires (at most a tenth of its life). Its life is
    `expires_at - issued_at` as IAM gives them (both on IAM's clock), counted from when it arrived
    on this machine's clock; without `issued_at`, `expires_at` less this machine's now."""
    MIN_RENEWAL = 60.0
    """Seconds a token is used at least before it is renewed on time (a 401 still renews at once): a
    clock far ahead of IAM's, or a token IAM says is already expired, cannot turn every DDM request
    into an IAM login."""

    def __init__(
        self,
        *,
        auth_url: str,
        username: str,
        password: SecretStr,
        domain_name: str | None = None,
        domain_id: str | None = None,
        project_id: str | None = None,
        project_name: str | None = None,
        timeout: httpx.Timeout,
        retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        http_options: HttpOptions = DEFAULT_HTTP_OPTIONS,
        origins: Mapping[str, str] | None = None,
        auth_url_origin: str = "given",
    ) -> None:
        self._auth_url = auth_url.rstrip("/")
        self._auth_url_origin = auth_url_origin
        self._username = username
        self._password = password
        hold_secret(password.get_secret_value())  # masked in every server text (sanitize)
        self._domain = {"id": domain_id} if domain_id else {"name": domain_name}
        self._origins = dict(origins or {})
        self._catalog: list[CatalogService] = []
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
                            "domain": self._domain,
                        }
                    },
                },
                "scope": {"project": self._scope},
            }
        }
        headers = request_headers()
        warn_plain_http(self._auth_url, "the IAM password")
        with bound_client(httpx.Client(**self._http_options.client_kwargs(tls=opens_tls(self._auth_url)),
                                       base_url=self._auth_url,
                                       timeout=self._timeout, transport=self._transport)) as http:
            try:  # asking for a token twice is harmless: retried as a read
                response = attempt(lambda: send(http, "POST", "/auth/tokens", headers=headers, json=body),
                                   policy=self._retry_policy, should_retry=is_retryable_read, sleep=self._sleep)
            except DdmError as exc:
                raise self._explain(exc) from None
        from .iam_models import TokenResponse  # here: a ready token or an access key never builds these models

        token = response.headers.get(SUBJECT_TOKEN)
        try:
            parsed = TokenResponse.model_validate_json(response.content).token
        except pydantic.ValidationError:
            parsed = None
        if not token or parsed is None:
            raise ApiError("IAM answered without a token or expires_at", status_code=response.status_code,
                           method="POST", path=response.request.url.path)
        now = self._clock()
        if parsed.issued_at is not None:  # both on IAM's clock: right whatever this machine's clock says
            life = parsed.expires_at.timestamp() - parsed.issued_at.timestamp()
        else:
            life = parsed.expires_at.timestamp() - now
        life = max(0.0, life)
        self._renew_at = max(now + life - min(self.REFRESH_MARGIN, life / 10), now + self.MIN_RENEWAL)
        hold_secret(token)
        self._token = token
        if parsed.project is not None:
            if not PATH_ID.fullmatch(parsed.project.id):  # it becomes part of every DDM path and error
                raise ApiError("IAM answered a project ID of unexpected shape (expected up to 64 letters, digits, "
                               "'-' or '_'); it is not used", status_code=response.status_code, method="POST",
                               path=response.request.url.path)
            self._project_id = parsed.project.id
        self._catalog = parsed.catalog

    def service_url(self, service_types: tuple[str, ...], region: str) -> str | None:
        """The public URL of the first of `service_types` in the token's catalog for `region`.

        Only `http(s)://host[:port]` is kept: the catalog comes from the server, and the DDM
        client adds the `/v3/{project_id}` paths itself; a plain `http://` one only when the IAM URL
        is plain `http://` itself (else the catalog could send the token in clear to any host). None
        when the catalog has no such entry.
        """
        plain_allowed = httpx.URL(self._auth_url).scheme == "http"
        if not self._catalog:
            self.get()
        for service_type in service_types:
            for service in self._catalog:
                if service.type != service_type:
                    continue
                for endpoint in service.endpoints:
                    if endpoint.interface == "public" and region in (endpoint.region, endpoint.region_id):
                        url = _base_url(endpoint.url)
                        if url and (plain_allowed or not url.startswith("http://")):
                            return url
        return None

    def _explain(self, exc: DdmError) -> DdmError:
        """`exc` with a first line naming IAM, the auth URL, the user and where each credential came from."""
        scope = next(iter(self._scope.values()))
        domain = next(iter(self._domain.values()))
        came = ", ".join(f"{what} from {self._origins[field]}" for field, what in (
            ("username", "user"), ("password", "password"), ("domain_name", "domain"), ("domain_id", "domain"),
            ("project_name", "project"), ("project_id", "project")) if field in self._origins)
        where = f"IAM login at {self._auth_url} for user {self._username!r} (domain {domain}, project {scope}"
        where += f"; {came})" if came else ")"
        if isinstance(exc, ApiError):
            error = type(exc)(f"{where} failed: {exc.service_message}", status_code=exc.status_code,
                              error_code=exc.error_code, request_id=exc.request_id, method="POST",
                              path=httpx.URL(f"{self._auth_url}/auth/tokens").path,
                              retry_after=exc.retry_after)
            return error
        if isinstance(exc, UnknownHostError):  # the URL is wrong: no retry, no "skip the checks"
            came = self._origins.get("auth_url", self._auth_url_origin)
            return UnknownHostError(f"{where}: {exc}; set the IAM URL of your region with `pulumi config set "
                                    f"ddm:authUrl https://<host>/v3` or OS_AUTH_URL (this one: {came}); not retried",
                                    host=exc.host)
        if isinstance(exc, TransportError):
            return TransportError(f"{where}: IAM did not answer: {exc}", request_sent=exc.request_sent,
                                  transient=exc.transient)
        return exc


def _base_url(url: str) -> str | None:
    """`scheme://host[:port]` of a catalog URL, or None when it is not an http(s) URL."""
    try:
        parsed = httpx.URL(url)
    except Exception:  # httpx raises several kinds for malformed URLs
        return None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return None
    return url_origin(parsed)


class AkSkSigner(httpx.Auth):
    """Signs every request with an access key pair: OTC's "SDK-HMAC-SHA256" (API Gateway signing).

    The signature comes from `huaweicloudsdkcore`'s `Signer` (the maintained implementation of
    this scheme; extra `pip install 'ddm-resources[aksk]'`, imported when AK/SK is used). Signed:
    `Host`, `Content-Type`, `X-Project-Id`, `X-Sdk-Date`, the path, the query and the body.
    A temporary key pair comes with a `security_token` (`OS_SECURITY_TOKEN`): it is sent as
    `X-Security-Token` and signed with the rest, as the SDK's `Credentials.sign_request` does.
    Also a `TokenSource` with no token (`get()` is empty, nothing to renew), so `DdmClient`
    takes it in place of a token and hands it to httpx as `auth=`.

    Raises `ConfigurationError` from the constructor when the signer package is missing.
    """

    sources = ""
    SIGNED_HEADERS = ("Host", "Content-Type", "X-Project-Id")
    SECURITY_TOKEN = "X-Security-Token"

    def __init__(self, access_key: str, secret_key: SecretStr, *, security_token: SecretStr | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        try:
            from huaweicloudsdkcore.auth.credentials import BasicCredentials
            from huaweicloudsdkcore.sdk_request import SdkRequest
            from huaweicloudsdkcore.signer.signer import Signer
        except ImportError:
            raise ConfigurationError(
                "AK/SK authentication (OS_ACCESS_KEY / ddm:accessKey) signs requests with huaweicloudsdkcore: "
                "pip install 'ddm-resources[aksk]'") from None
        self._access_key = access_key
        self._signer = Signer(BasicCredentials(ak=access_key, sk=secret_key.get_secret_value()))
        hold_secret(secret_key.get_secret_value())  # masked in every server text (sanitize)
        self._security_token = security_token
        if security_token is not None:
            hold_secret(security_token.get_secret_value())
        self._request_class = SdkRequest
        self._clock = clock
        self._service_clock: ServiceClock | None = None
        self._signed_offset = 0.0

    def __repr__(self) -> str:
        temporary = ", security_token=**********" if self._security_token is not None else ""
        return f"AkSkSigner(access_key={self._access_key!r}, secret_key=**********{temporary})"

    def get(self) -> str:
        return ""

    def follow(self, service_clock: ServiceClock) -> None:
        """Date signatures by `service_clock` (the clock the gateway checks `X-Sdk-Date` against)."""
        self._service_clock = service_clock

    def renew_after_401(self, used: str) -> bool:
        """True when the service's clock, as learned since the refused request was signed, differs
        from this machine's by more than before: a new signature, dated by it, may pass."""
        if self._service_clock is None:
            return False
        return abs(self._service_clock.offset - self._signed_offset) > 60.0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._service_clock is not None:
            self._signed_offset = self._service_clock.offset
            now = self._service_clock.now()
        else:
            now = self._clock()
        date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        headers = {name: request.headers[name] for name in self.SIGNED_HEADERS if name in request.headers}
        headers["X-Sdk-Date"] = date  # given, so the signer does not read the clock itself
        if self._security_token is not None:  # signed like the other headers
            headers[self.SECURITY_TOKEN] = self._security_token.get_secret_value()
        signed = self._signer.sign(self._request_class(
            method=request.method, schema=request.url.scheme, host=request.url.netloc.decode("ascii"),
            resource_path=request.url.path, query_params=list(request.url.params.multi_items()),
            header_params=headers, body=request.content))
        request.headers["X-Sdk-Date"] = date
        if self._security_token is not None:
            request.headers[self.SECURITY_TOKEN] = headers[self.SECURITY_TOKEN]
        request.headers["Authorization"] = signed.header_params["Authorization"]
        yield request


def token_source(settings: ProviderSettings, *, timeout: httpx.Timeout,
                 transport: httpx.BaseTransport | None = None) -> TokenSource:
    """The credential for `settings`: `StaticToken` (ready token), `AkSkSigner` (access key
    pair, temporary with its security token) or `PasswordToken` (IAM login, over `transport` when
    one is given: see `DdmClient`). Raises `ConfigurationError` if the signer is missing."""
    from .settings import credential_origins

    source: StaticToken | AkSkSigner | PasswordToken
    if settings.token is not None:
        source = StaticToken(settings.token)
    elif settings.access_key is not None and settings.secret_key is not None:
        source = AkSkSigner(settings.access_key, settings.secret_key, security_token=settings.security_token)
    else:
        source = _password_token(settings, timeout, transport)
    source.sources = credential_origins(settings)
    return source


def _password_token(settings: ProviderSettings, timeout: httpx.Timeout,
                    transport: httpx.BaseTransport | None) -> PasswordToken:
    assert settings.username and settings.password, "resolve_settings requires a complete IAM login"
    return PasswordToken(
        auth_url=settings.auth_url, username=settings.username, password=settings.password,
        domain_name=settings.domain_name, domain_id=settings.domain_id, project_id=settings.project_id,
        project_name=settings.project_name, timeout=timeout, http_options=settings.http, origins=settings.origins,
        auth_url_origin=region_endpoints(settings.region).origin("auth_url"), transport=transport)


def ddm_endpoint(settings: ProviderSettings, tokens: TokenSource) -> str:
    """Where the DDM API is: `ddm:endpoint` / `DDM_ENDPOINT` if set, else the `ddmv3` entry of the
    IAM token's service catalog for the region (password login), else
    `https://ddm.{region}.otc.t-systems.com`."""
    if "endpoint" not in settings.origins and isinstance(tokens, PasswordToken):
        return tokens.service_url(("ddmv3", "ddm"), settings.region) or settings.endpoint
    return settings.endpoint
