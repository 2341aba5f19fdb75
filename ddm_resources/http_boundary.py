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

import contextvars
import ipaddress
import os
import re
import socket
import ssl
import sys
import threading
import time
import zlib
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
import pydantic

from .errors import DdmError, TransportError, UnknownHostError, UnreadableAnswerError, make_api_error
from .http_options import PROXY_VARIABLES, NoProxyNetworks, environment_proxies, no_proxy_variable
from .models import ApiErrorBody
from .retry import parse_retry_after
from .sanitize import TEXT_LIMIT, clause, clean_text
from .version import __version__

__all__ = [
    "ACCEPT",
    "ACCEPT_ENCODING",
    "API_NOT_PUBLISHED",
    "AUTH_TOKEN",
    "CONTENT_TYPE",
    "DATE",
    "JSON",
    "PROJECT_ID",
    "REQUEST_ID",
    "RETRY_AFTER",
    "SUBJECT_TOKEN",
    "MAX_BODY",
    "PATH_ID",
    "REQUEST_DEADLINE",
    "USER_AGENT",
    "bound_client",
    "parse_error_body",
    "proxy_variable",
    "request_headers",
    "send",
    "url_origin",
    "warn_plain_http",
]

ACCEPT = "Accept"
ACCEPT_ENCODING = "Accept-Encoding"
CODINGS = "gzip, deflate"
"""The content codings asked for (and the only ones read, see `_read_bounded`), whatever packages
httpx finds installed (it would add `br` and `zstd`)."""
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
        ACCEPT_ENCODING: CODINGS,
        CONTENT_TYPE: JSON,
        USER_AGENT: f"ddm-resources/{__version__} httpx/{httpx.__version__}",
    }
    if project_id:
        headers[PROJECT_ID] = project_id
    return headers


API_NOT_PUBLISHED = "APIGW.0101"
"""The API gateway's answer for an API it does not publish at this host."""


PATH_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What may fill a segment of a request path (`client.api_path`) and what a project ID from IAM may
be: letters, digits, `-` and `_`, at most 64 (OTC project, DDM, RDS, backup and job IDs are 32 to
36 characters). It refuses only what could move a request to another path or change a line."""


def url_origin(url: httpx.URL) -> str:
    """`scheme://host[:port]` of `url`, without any user info (it could hold a password)."""
    port = f":{url.port}" if url.port else ""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}{port}"


_plain_http_warned: set[str] = set()
_plain_http_lock = threading.Lock()


def warn_plain_http(url: str | httpx.URL, credential: str) -> None:
    """Print one warning line (once per process and origin) when `credential` (e.g. `the IAM
    password`) is about to go to `url` over plain `http://` to a host that is not a loopback
    address: anyone on the network path can read it. Loopback (`127.0.0.0/8`, `::1`, `localhost`),
    a local emulator, is not warned about."""
    try:
        parsed = httpx.URL(str(url))
    except Exception:  # httpx raises several kinds for malformed URLs; the client refuses it itself
        return
    if parsed.scheme != "http" or _loopback(parsed.host):
        return
    origin = url_origin(parsed)
    with _plain_http_lock:
        if origin in _plain_http_warned:
            return
        _plain_http_warned.add(origin)
    print(f"ddm-resources: warning: {credential} goes to {origin} over plain http://, unencrypted: anyone on the "
          "network path can read it; use an https:// URL", file=sys.stdout, flush=True)


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


MAX_BODY = 1 << 20
"""Bytes of an answer read at most (1 MiB; a page of 128 jobs is about 60 KB). A longer 2xx
answer is an error (`UnreadableAnswerError` to a GET, `TransportError` to a POST); a longer
error answer is read only this far."""
REQUEST_DEADLINE = 60.0
"""Seconds one request may take in all (connect, send, every byte of the answer), whatever
the per-read timeouts: a server trickling a byte every few seconds cannot hold a call longer."""

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("ddm_request_deadline", default=None)


def send(
    http: httpx.Client,
    method: str,
    path: str,
    *,
    headers: dict[str, str],
    json: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    deadline: float = REQUEST_DEADLINE,
) -> httpx.Response:
    """Send one request; return a 2xx response (its body read) or raise `ApiError` / `TransportError`
    / `UnreadableAnswerError`.

    A `TransportError` has `request_sent=False` only when the connection could not be
    opened (nothing reached the server). The whole exchange ends within `deadline` seconds
    (on clients prepared by `bound_client`), and at most `MAX_BODY` bytes are read, and at most
    `MAX_BODY` decoded (`_read_bounded`). Every text taken from the answer or from the failure
    passes `sanitize.clean_text`.

    Whatever its bytes, an answer ends here as a response or one of this package's errors: a body
    that cannot be decoded (not the gzip it claims, a coding not asked for, stacked codings) is an
    answer this tool cannot use (`_unusable`), as is any other failure to read it (headers that are
    not ASCII are kept as bytes; an error body nested too deep for the JSON reader falls back to
    its text).
    """
    where = f"{method} {path} at {url_origin(http.base_url)}"
    request = http.build_request(method, path, json=json, params=params, headers=headers)
    token = _deadline.set(time.monotonic() + deadline)
    try:
        response = http.send(request, stream=True)
        try:
            content, complete = _read_bounded(response)
        finally:
            response.close()
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        if _unknown_host(exc) and proxy_variable(http, request.url) is None:
            host = request.url.host
            raise UnknownHostError(f"{where}: this host does not exist ({host} does not resolve: the resolver "
                                   "knows no such name)", host=host) from None
        raise _transport_error(http, request, where, exc, request_sent=False) from None
    except httpx.TimeoutException as exc:
        raise _transport_error(http, request, where, exc, detail=f"timed out ({type(exc).__name__}; each request "
                                                                 f"ends within {deadline:g}s)") from None
    except httpx.TransportError as exc:
        raise _transport_error(http, request, where, exc) from None
    except _Undecodable as exc:
        if 200 <= response.status_code < 300:
            raise _unusable(method, where, str(exc)) from None
        content, complete = f"(the error answer's body could not be read: {exc})".encode(), True
    except (httpx.HTTPError, UnicodeError, ValueError, LookupError, RecursionError) as exc:  # any other odd answer
        raise _unusable(method, where, f"the answer could not be read ({type(exc).__name__})") from None
    finally:
        _deadline.reset(token)
    headers_read = httpx.Headers([(k, v) for k, v in response.headers.raw  # bytes: any byte is kept as sent
                                  if k.lower() not in (b"content-encoding", b"transfer-encoding")])
    response = httpx.Response(response.status_code, headers=headers_read, content=content,
                              request=response.request, extensions=response.extensions)
    if response.is_success:
        if not complete:
            raise _oversized(method, where)
        return response
    body = parse_error_body(response)
    message = clean_text(body.message)
    if body.code == API_NOT_PUBLISHED:
        message = (f"the DDM API is not available at {url_origin(http.base_url)} (the gateway does not publish it "
                   "there: wrong host, or DDM is not offered in this region); set the DDM endpoint of your region "
                   "with `pulumi config set ddm:endpoint https://ddm.<region>.otc.t-systems.com` or DDM_ENDPOINT")
    raise make_api_error(
        response.status_code,
        error_code=clean_text(body.code, 64),
        message=message,
        request_id=clean_text(_header(response, REQUEST_ID), 64),
        method=method,
        path=path,
        retry_after=parse_retry_after(_header(response, RETRY_AFTER)),
    )


def _header(response: httpx.Response, name: str) -> str:
    """The header `name` of `response` as text ("" if absent or not readable as text)."""
    try:
        return str(response.headers.get(name, ""))
    except (UnicodeError, LookupError):
        return ""


def _oversized(method: str, where: str) -> DdmError:
    """The error for a 2xx answer longer than `MAX_BODY` (`_unusable`)."""
    return _unusable(method, where, f"the answer is longer than {MAX_BODY} bytes; not read (a larger answer than "
                                    "any DDM answer this provider expects)")


def _unusable(method: str, where: str, reason: str) -> DdmError:
    """The error for a 2xx answer this tool cannot use: too long, or not decodable. The same request
    would get the same answer, so it is never sent again at once. To a read (GET) it is an
    `UnreadableAnswerError`, like any answer this tool cannot use: not retried by the client
    (`retry.is_retryable_read`), ridden out by a job wait until its deadline (`waiter.wait_for_job`),
    as the job runs on regardless, and a preflight lookup fails closed on it. To a POST it is a
    `TransportError` (not `transient`, the request sent): whether the restore was accepted is unknown,
    and the caller looks for its job."""
    text = f"{where}: {reason}"
    if method.upper() == "GET":
        return UnreadableAnswerError(text)
    return TransportError(f"{text}; not retried", transient=False)


def _transport_error(http: httpx.Client, request: httpx.Request, where: str, exc: httpx.TransportError, *,
                     request_sent: bool = True, detail: str = "") -> TransportError:
    """The `TransportError` for `exc`: the request, the proxy variable it went through (never its
    value: it may hold a password), what failed, and what to do. A certificate that does not
    verify is not `transient` (another attempt would fail the same way)."""
    proxy = proxy_variable(http, request.url)
    detail = detail or f"{type(exc).__name__}: {clause(clean_text(_without_proxy_values(str(exc))))}"
    certificate = _certificate_failure(exc)
    if proxy:
        where = f"{where} through the proxy of {proxy}"
        hint = (f"check the proxy named by {proxy} (is it running and reachable, does it let this endpoint "
                "through?)")
        if certificate:
            hint += (", that the CA signing its certificate (or the endpoint's) is given with ddm:cacert or "
                     "OS_CACERT")
        hint += f", or connect directly by adding the endpoint's host to {no_proxy_variable(os.environ)}"
    elif certificate:
        hint = ("the server's certificate did not verify: give the CA that signs it with ddm:cacert or OS_CACERT "
                "(or use the system's store with ddm:systemTrustStore true)")
    else:
        hint = ""
    if certificate:
        hint += "; not retried"
    return TransportError(f"{where}: {detail}{'; ' + hint if hint else ''}", request_sent=request_sent,
                          transient=not certificate)


def proxy_variable(http: httpx.Client, url: httpx.URL) -> str | None:
    """The environment variable (e.g. `HTTPS_PROXY`) naming the proxy through which `http` sends
    requests for `url`, or None when it connects directly: the one httpx took from `os.environ`
    (`environment_proxies`; where `https_proxy` and `HTTPS_PROXY` are both set, the lower-case one).

    httpx keeps no public list of its mounts (the proxies read from the environment, and those
    of `HttpOptions.client_kwargs`): read with `getattr`, like `bound_client`; if a later httpx
    renames it, errors only stop naming the proxy."""
    mounts = getattr(http, "_mounts", None)
    if not isinstance(mounts, dict):
        return None
    for pattern, transport in mounts.items():  # httpx keeps them in the order it matches them
        if pattern.matches(url):
            if isinstance(transport, NoProxyNetworks) and transport.bypasses(url):
                return None
            found = environment_proxies(os.environ).get(str(getattr(pattern, "pattern", "")))
            return found.variable if found and found.url and transport is not None else None
    return None


def _without_proxy_values(text: str) -> str:
    """`text` with the value of every proxy variable (`PROXY_VARIABLES` but `NO_PROXY`, in any
    case) replaced by the variable's name."""
    names = {lower for key, (lower, _) in PROXY_VARIABLES.items() if key != "no"}
    for name, value in os.environ.items():
        if name.lower() in names and len(value.strip()) >= 4:
            text = text.replace(value.strip(), name)
    return text


_NO_SUCH_NAME = frozenset(getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, name))
"""`getaddrinfo` answers meaning "no such host" (EAI_AGAIN, a resolver that did not answer, may pass)."""


def _unknown_host(exc: BaseException) -> bool:
    """Whether `exc` was caused by a host name that does not exist (`socket.gaierror` EAI_NONAME / EAI_NODATA)."""
    seen: BaseException | None = exc
    for _ in range(8):  # httpx -> httpcore -> socket; the bound guards against a cycle
        if seen is None:
            return False
        if isinstance(seen, socket.gaierror):
            return seen.errno in _NO_SUCH_NAME
        seen = seen.__cause__ or seen.__context__
    return False


def _certificate_failure(exc: BaseException) -> bool:
    """Whether `exc` was caused by a TLS certificate that did not verify (of the server or a proxy)."""
    seen: BaseException | None = exc
    for _ in range(8):  # httpx -> httpcore -> ssl; the bound guards against a cycle
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class _Undecodable(Exception):
    """An answer's body cannot be decoded; the message says why (no text of the server's)."""


_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
"""The content codings read (`CODINGS`), by the `zlib` window bits that decode them."""


def _read_bounded(response: httpx.Response) -> tuple[bytes, bool]:
    """The decoded body, at most `MAX_BODY` bytes, and whether it is complete.

    The body is read as sent (`iter_raw`) and decoded here, so that the size bound holds while
    decoding: at most `MAX_BODY` bytes are read off the wire and at most `MAX_BODY` + 1 bytes come
    out of the decoder (`zlib`'s `max_length`), whatever the ratio (a 1 KB gzip bomb of 600 MB
    costs 1 MiB). One coding of `CODINGS` is read (`identity` counts as none); stacked codings
    (`gzip, gzip`), others, and a body that is not what its coding claims raise `_Undecodable`.
    """
    codings = [coding.strip().lower() for coding in response.headers.get_list("content-encoding", split_commas=True)]
    codings = [coding for coding in codings if coding and coding != "identity"]
    if len(codings) > 1:
        raise _Undecodable(f"the body has {len(codings)} stacked content codings; only one of {CODINGS} is read")
    if codings and codings[0] not in _WBITS:
        raise _Undecodable(f"the body has the content coding {clean_text(codings[0], 32)!r}, which was not "
                           f"asked for ({CODINGS} were)")
    decoder = _Decoder(codings[0]) if codings else None
    chunks: list[bytes] = []
    size = sent = 0
    for chunk in response.iter_raw():
        sent += len(chunk)
        data = decoder.decode(chunk, MAX_BODY + 1 - size) if decoder else chunk
        chunks.append(data)
        size += len(data)
        if size > MAX_BODY or sent > MAX_BODY:
            return b"".join(chunks)[:MAX_BODY], False
    if decoder is not None:
        decoder.finish()
    return b"".join(chunks), True


class _Decoder:
    """One `gzip` or `deflate` stream, decoded piece by piece with a bound on each piece's output.
    `deflate` is read as zlib data, else (as httpx and browsers do) as raw deflate."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._zlib = zlib.decompressobj(_WBITS[coding])
        self._started = False

    def decode(self, data: bytes, room: int) -> bytes:
        """At most `room` bytes decoded from `data` (more would be over the limit anyway)."""
        try:
            out = self._zlib.decompress(data, room)
        except zlib.error:
            if self._coding != "deflate" or self._started:
                raise _Undecodable(f"the body is not valid {self._coding} data") from None
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            self._coding = "raw deflate"
            return self.decode(data, room)
        self._started = True
        return out

    def finish(self) -> None:
        """Raise `_Undecodable` if the stream ended before its end (a cut or a corrupt body)."""
        if not self._zlib.eof:
            raise _Undecodable(f"the body ends before the end of its {self._coding} data")


def parse_error_body(response: httpx.Response) -> ApiErrorBody:
    """Parse a DDM error body (either format) or an IAM one (`{"error": {...}}`).

    Falls back to the start of the raw text when the body is not one of those (or was cut at
    `MAX_BODY`), with the `error_code` / `errCode` found in it, if any.
    """
    try:
        data = response.json()
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the JSON reader goes
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        data = data["error"]
    if isinstance(data, dict):
        try:
            body = ApiErrorBody.model_validate(data)
        except (pydantic.ValidationError, RecursionError):
            body = ApiErrorBody()
        if body.code or body.message:
            return body
    head = response.text[:65536]  # e.g. a JSON body cut at MAX_BODY: keep its code for the retry rules
    found = _ERROR_CODE.search(head)
    return ApiErrorBody(code=found.group(1) if found else "",
                        message=clean_text(head[: 4 * TEXT_LIMIT]) or response.reason_phrase)


_ERROR_CODE = re.compile(r'"(?:error_code|errCode)"\s*:\s*"([A-Za-z0-9._-]{1,64})"')


def bound_client(http: httpx.Client) -> httpx.Client:
    """Make every connection of `http` (direct or through a proxy) honour `send`'s deadline:
    each socket operation waits at most until the deadline. Transports other than httpx's own
    (e.g. `httpx.WSGITransport` in tests) are left as they are. Returns `http`.

    httpx and httpcore offer no public hook for this, so it reads their private attributes with
    `getattr`: if a later version renames them, requests keep their per-operation timeouts and
    only lose the total deadline (tests/unit/test_hostile_server.py notices that)."""
    mounts = getattr(http, "_mounts", None)  # httpx keeps no public list of its transports
    transports = [getattr(http, "_transport", None), *(mounts.values() if isinstance(mounts, dict) else ())]
    transports += [inner for t in transports if isinstance(t, NoProxyNetworks) for inner in t.transports]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None and not isinstance(backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    return http


def _remaining(timeout: float | None) -> float | None:
    """`timeout`, shortened to what is left until the current request's deadline."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _remaining(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _remaining(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_tcp(host, port, _remaining(timeout), local_address,
                                                       socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_unix_socket(path, _remaining(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
