"""A small synchronous client for the DDM V3 API, built on httpx.

One method per API call this project needs. Every request goes through `DdmClient._send`:
it attaches the token, retries what is safe to retry (see `ddm_resources.retry`), renews
the token once after a 401 on a read, and turns failures into `ddm_resources.errors`
exceptions (in `ddm_resources.http_boundary`). The token travels only in the `X-Auth-Token`
header and is never part of an exception, a log line or a `repr`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import httpx
import pydantic
from pydantic import SecretStr

from .api_paths import _field_path, _job_id, api_path
from .auth import AkSkSigner, StaticToken, TokenSource
from .errors import (
    ApiError,
    AuthenticationError,
    DdmError,
    OutOfTimeError,
    TransportError,
    UnknownHostError,
    UnreadableAnswerError,
)
from .http_boundary import (
    AUTH_TOKEN,
    REQUEST_DEADLINE,
    bound_client,
    request_headers,
    send,
    warn_plain_http,
)
from .http_options import DEFAULT_HTTP_OPTIONS, HttpOptions, opens_tls
from .instance_models import InstanceDetail, SchemaDetail, SchemaInfo, SchemasPage
from .lookup_models import (
    BackupDetail,
    BackupInfo,
    BackupsPage,
    RelatedDataNode,
    RelatedDataNodesPage,
    RestorableInstance,
    RestorableInstancesPage,
    TargetDataNode,
    TargetDataNodesPage,
    TimeInterval,
    TimeIntervalsPage,
)
from .models import (
    Job,
    JobItem,
    JobListResponse,
    JobResponse,
    Page,
    RestoreMetadataRequest,
    RestoreMetadataResponse,
    RestoreSource,
    RestoreTarget,
)
from .retry import DEFAULT_RETRY_POLICY, RetryPolicy, attempt, is_retryable_read, is_retryable_restore
from .service_clock import ServiceClock
from .wording import count

__all__ = ["DEFAULT_TIMEOUT", "JOB_LIST_MAX_AGE_MS", "MAX_PAGES", "PAGE_SIZE", "DdmClient", "api_path"]

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0)
"""Per-request timeouts in seconds: a silent server cannot hang a run."""

PAGE_SIZE = 128
"""`limit` of every list call: the documented maximum (docs/ddm-api.md section 1)."""
MAX_PAGES = 200
"""Longest list read (25,600 items at `PAGE_SIZE`): past it, a list call fails closed."""
JOB_LIST_MAX_AGE_MS = (30 * 24 - 1) * 3600 * 1000
"""The job list's `start_time` lies at most 30 days back (docs/ddm-api.md section 3.2), less an hour."""


_M = TypeVar("_M", bound=pydantic.BaseModel)
_P = TypeVar("_P", bound=Page)
_T = TypeVar("_T")


def _never(exc: BaseException) -> bool:
    return False




class DdmClient:
    """Client for one DDM endpoint and one project.

    **Parameters:**

    * **endpoint** - base URL, e.g. `https://ddm.eu-de.otc.t-systems.com` (no path).
    * **project_id** - the OTC project the token is scoped to.
    * **token** - an IAM token, or a `TokenSource` (e.g. `PasswordToken`).
    * **timeout** - an `httpx.Timeout`; defaults to `DEFAULT_TIMEOUT`.
    * **retry_policy** - attempts and backoff; `sleep` waits between attempts (tests inject it).
    * **on_retry** - called with the error and the wait before each retry (progress lines).
    * **transport** - an `httpx.BaseTransport` for the `httpx.Client` (e.g. `httpx.WSGITransport`
      over the emulator app, so tests open no socket); default: httpx's own.
    * **http_options** - CA bundle and verification (`ddm_resources.http_options`).
    * **deadline** - seconds one request may take in all (`http_boundary.REQUEST_DEADLINE`).
    * **clock** - the local wall clock, epoch seconds (tests inject an emulated one); the
      service's clock is learned from the `Date` of its answers (`server_now_ms`, `service_clock.ServiceClock`).

    Every request carries `http_boundary.request_headers` (`Content-Type: application/json`
    on GETs too, `X-Project-Id`, a `User-Agent` naming this product and version) and the token.

    Raises `ddm_resources.errors.ApiError` subclasses for non-2xx answers and
    `TransportError` when no answer arrives, once the retries allowed are spent.
    """

    def __init__(
        self,
        endpoint: str,
        project_id: str,
        token: str | TokenSource,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[BaseException, float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        http_options: HttpOptions = DEFAULT_HTTP_OPTIONS,
        clock: Callable[[], float] = time.time,
        deadline: float = REQUEST_DEADLINE,
    ) -> None:
        self.project_id = project_id
        self._token: TokenSource = StaticToken(SecretStr(token)) if isinstance(token, str) else token
        self._retry_policy = retry_policy
        self._sleep = sleep
        self._on_retry = on_retry
        self._deadline = deadline
        service_clock = ServiceClock(clock)
        if isinstance(self._token, AkSkSigner):
            self._token.follow(service_clock)  # signatures dated by the service's clock
        warn_plain_http(endpoint, "the AK/SK signature" if isinstance(self._token, httpx.Auth) else "the IAM token")
        self._http = bound_client(httpx.Client(
            **http_options.client_kwargs(tls=opens_tls(endpoint)),
            base_url=endpoint.rstrip("/"),
            timeout=timeout,
            transport=transport,
            auth=self._token if isinstance(self._token, httpx.Auth) else None,  # AK/SK signing
            headers=request_headers(project_id=project_id),
            event_hooks={"request": [service_clock.note_sent], "response": [service_clock.note_answer]},
        ))
        self._service_clock = service_clock
        self._until: float | None = None
        self._until_clock: Callable[[], float] = time.monotonic
        self._until_what = ""
        self._list_pages: int | None = None
        self._on_cut: Callable[[str, int, int], None] | None = None

    def __repr__(self) -> str:
        return f"DdmClient(endpoint={str(self._http.base_url)!r}, project_id={self.project_id!r})"

    def __enter__(self) -> DdmClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def limit_time(self, until: float | None, *, clock: Callable[[], float] = time.monotonic,
                   what: str = "") -> None:
        """From now on send no request once `clock()` reaches `until` (and wait for no retry past it):
        raise `OutOfTimeError` naming `what` (e.g. `the lookups before the restore`) instead.
        `None` lifts the limit. A request already sent still runs to its own `deadline`."""
        self._until, self._until_clock, self._until_what = until, clock, what

    @contextlib.contextmanager
    def lists_capped(self, pages: int, on_cut: Callable[[str, int, int], None]) -> Iterator[None]:
        """Within the block, read at most `pages` pages of any list: past them the items read so far
        are returned and `on_cut(path, items_read, total_claimed)` says the list was cut (instead of
        reading on to `MAX_PAGES`). For lookups whose caller can tell what a cut list cannot show
        (the preflight: a constant number of requests whatever the service's lists hold)."""
        self._list_pages, self._on_cut = pages, on_cut
        try:
            yield
        finally:
            self._list_pages, self._on_cut = None, None

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # API calls ---------------------------------------------------------------------------

    def restore_metadata(
        self, source_instance_id: str, source: RestoreSource, target: RestoreTarget
    ) -> str:
        """Start a metadata recovery and return its `job_id` (docs/ddm-api.md section 2.1).

        `POST /v3/{project_id}/instances/{source_instance_id}/backups/metadata-recovery`
        with `{"source": {...}, "target": {...}}`; the service answers 202 `{"job_id"}`.

        Sent again only when it provably was not accepted (connection refused, 429). Any
        other failure is raised as is: after a timeout, a dropped connection or a 5xx the
        restore may have started, and the caller must look for its job. A 401 is never
        answered by sending the POST again.
        """
        body = RestoreMetadataRequest(source=source, target=target).to_body()
        path = self._path("/v3/{project_id}/instances/{source_instance_id}/backups/metadata-recovery",
                          source_instance_id=source_instance_id)
        response = self._send("POST", path, json=body, should_retry=is_retryable_restore, renew_on_401=False)
        try:
            return _job_id(self._parse(RestoreMetadataResponse, response).job_id, path)
        except DdmError as exc:  # accepted, but no usable job ID: the outcome is unknown
            raise TransportError(f"{exc}; the restore may have been accepted", request_sent=True) from None

    def get_job(self, job_id: str) -> Job:
        """Return one job (docs/ddm-api.md section 3.1): `GET /v3/{project_id}/jobs/{job_id}`."""
        return self._read_job(job_id, is_retryable_read)

    def poll_job(self, job_id: str) -> Job:
        """`get_job` sent once (a 401 still renews the token once): for `waiter.wait_for_job`,
        which owns the wait, so an outage is ridden out by its schedule and deadline."""
        return self._read_job(job_id, _never)

    def _read_job(self, job_id: str, should_retry: Callable[[BaseException], bool]) -> Job:
        """The job `job_id`; `UnreadableAnswerError` when the answer is about another job (a
        hostile or confused service must not make another job's status this job's)."""
        path = self._path("/v3/{project_id}/jobs/{job_id}", job_id=job_id)
        job = self._parse(JobResponse, self._send("GET", path, should_retry=should_retry)).job
        if job.id.strip().lower() != job_id.strip().lower():
            raise UnreadableAnswerError(f"GET {path}: the answer is about another job than {job_id}; it is not used")
        _job_id(job.id, path)
        return job

    def _path(self, template: str, **ids: str) -> str:
        """`api_path` with this client's `project_id`."""
        return api_path(template, project_id=self.project_id, **ids)

    # Read-only restore lookups (docs/ddm-api.md section 2), used by `ddm_resources.preflight` -------
    # Each returns every item of the list (see `_all_items` for paging).

    def restorable_instances(self, instance_id: str) -> list[RestorableInstance]:
        """The instances that can receive `instance_id`'s metadata (section 2.2).

        `GET /v3/{project_id}/instances/{instance_id}/backups/restorable-instances`.
        """
        path = self._path("/v3/{project_id}/instances/{instance_id}/backups/restorable-instances",
                          instance_id=instance_id)
        return self._all_items(path, {}, RestorableInstancesPage, lambda page: page.instances)

    def restorable_time_intervals(self, instance_id: str) -> list[TimeInterval]:
        """`instance_id`'s restorable time ranges, UTC (section 2.3).

        `GET /v3/{project_id}/instances/{instance_id}/backups/restorable-time-interval`.
        """
        path = self._path("/v3/{project_id}/instances/{instance_id}/backups/restorable-time-interval",
                          instance_id=instance_id)
        return self._all_items(path, {}, TimeIntervalsPage, lambda page: page.restorable_time_intervals)

    def related_data_nodes(self, instance_id: str, restore_time: int) -> list[RelatedDataNode]:
        """The data nodes of `instance_id` at `restore_time` (epoch ms; section 2.4).

        `GET /v3/{project_id}/instances/{instance_id}/backups/related-dn?restore_time=`.
        """
        path = self._path("/v3/{project_id}/instances/{instance_id}/backups/related-dn", instance_id=instance_id)
        return self._all_items(path, {"restore_time": restore_time}, RelatedDataNodesPage,
                               lambda page: page.related_data_nodes)

    def restorable_data_nodes(
        self, instance_id: str, *, target_instance_id: str, source_dn_instance_id: str, restore_time: int
    ) -> list[TargetDataNode]:
        """The nodes that could replace `source_dn_instance_id` under the target at `restore_time`
        (epoch ms), each with `available` / `unavailable_reason` (section 2.5).

        `GET /v3/{project_id}/instances/{instance_id}/backups/restorable-data-node`.
        """
        path = self._path("/v3/{project_id}/instances/{instance_id}/backups/restorable-data-node",
                          instance_id=instance_id)
        params = {"target_instance_id": target_instance_id, "source_dn_instance_id": source_dn_instance_id,
                  "restore_time": restore_time}
        return self._all_items(path, params, TargetDataNodesPage, lambda page: page.target_data_nodes)

    def list_backups(self, instance_id: str) -> list[BackupInfo]:
        """The metadata backups of DDM instance `instance_id` (section 2.7).

        `GET /v3/{project_id}/backups?instance_id=` (the filter the official SDK sends; the
        result is also filtered here, in case a service ignores it).
        """
        backups = self._all_items(self._path("/v3/{project_id}/backups"), {"instance_id": instance_id}, BackupsPage,
                                  lambda page: page.backups)
        return [b for b in backups if not b.instance_id or b.instance_id == instance_id]

    def get_backup(self, instance_id: str, backup_id: str) -> BackupDetail:
        """One backup of `instance_id` with its data nodes (section 2.7); `NotFoundError` if none.

        `GET /v3/{project_id}/instances/{instance_id}/backups/{backup_id}`.
        """
        path = self._path("/v3/{project_id}/instances/{instance_id}/backups/{backup_id}", instance_id=instance_id,
                          backup_id=backup_id)
        return self._parse(BackupDetail, self._send("GET", path))

    # Reads that check a target after its restore (docs/ddm-api.md section 9), used by `verification`

    def get_instance(self, instance_id: str) -> InstanceDetail:
        """A DDM instance's details, with its `status` (section 9.3); `NotFoundError` on a 404.

        `GET /v1/{project_id}/instances/{instance_id}`.
        """
        path = self._path("/v1/{project_id}/instances/{instance_id}", instance_id=instance_id)
        return self._parse(InstanceDetail, self._send("GET", path))

    def list_schemas(self, instance_id: str) -> list[SchemaInfo]:
        """Every schema of DDM instance `instance_id` (section 9.1), with the data nodes its shards use.

        `GET /v1/{project_id}/instances/{instance_id}/databases?offset=&limit=`. The answer does not
        echo `offset`/`limit`; it is paged as every other list (`_all_items`: by item index, 128 a
        page, ending at `total`, on an empty or a short page) and fails closed past `MAX_PAGES` pages.
        """
        path = self._path("/v1/{project_id}/instances/{instance_id}/databases", instance_id=instance_id)
        return self._all_items(path, {}, SchemasPage, lambda page: page.databases)

    def get_schema(self, instance_id: str, name: str) -> SchemaDetail:
        """One schema of `instance_id` with its `shards[]` and their data nodes (section 9.2).

        `GET /v3/{project_id}/instances/{instance_id}/databases/{database_name}`; a schema the
        instance lacks answers an `ApiError` (the code is not documented: section 9.2).
        """
        path = self._path("/v3/{project_id}/instances/{instance_id}/databases/{database_name}",
                          instance_id=instance_id, database_name=name)
        return self._parse(SchemaDetail, self._send("GET", path))

    def list_jobs(self, start_ms: int, end_ms: int | None = None) -> list[JobItem]:
        """All jobs created from `start_ms` to `end_ms` (epoch ms, UTC; default: now).

        `GET /v3/{project_id}/jobs?start_time=&end_time=&offset=&limit=` (docs/ddm-api.md
        section 3.2). The docs do not say that a future `end_time` is allowed, nor a
        `start_time` older than 30 days: `end_time` is clamped to now on the service's clock
        (`server_now_ms`) and `start_time` to `JOB_LIST_MAX_AGE_MS` before it. A client that
        has not heard the service's clock yet asks with its own; the answer's `Date` teaches
        the service's, and the list is asked once more when the service is more than a second
        ahead (newer jobs may be missing). A 400 to an `end_time` later than the service's
        clock can be (`Date` has whole seconds, so an agreeing clock may be up to a second
        ahead) is asked once more with that lower bound. Synchronised clocks cost no extra request.
        """
        knew_clock = self._service_clock.heard
        asked_at = self.server_now_ms()
        try:
            jobs = self._jobs_until(start_ms, end_ms, asked_at)
        except ApiError as exc:
            floor = self._service_clock.floor_ms()
            if exc.status_code != 400 or floor >= asked_at:
                raise
            return self._jobs_until(start_ms, end_ms, floor)  # the service is behind us
        if knew_clock or self.server_now_ms() - asked_at <= 1000 or (end_ms is not None and end_ms <= asked_at):
            return jobs
        return self._jobs_until(start_ms, end_ms, self.server_now_ms())  # the service is ahead of us

    def _jobs_until(self, start_ms: int, end_ms: int | None, now_ms: int) -> list[JobItem]:
        end = now_ms if end_ms is None else min(end_ms, now_ms)
        start = min(max(start_ms, end - JOB_LIST_MAX_AGE_MS), end)  # never a start after the end
        params = {"start_time": start, "end_time": end}
        path = self._path("/v3/{project_id}/jobs")
        jobs = self._all_items(path, params, JobListResponse, lambda page: page.jobs)
        for job in jobs:
            _job_id(job.id, path)
        return jobs

    def local_now_ms(self) -> int:
        """Now on this machine's clock (the `clock` given), epoch ms (`ServiceClock.local_now_ms`)."""
        return self._service_clock.local_now_ms()

    @property
    def clock_offset(self) -> float:
        """Seconds the service's clock is ahead of the `clock` given (negative: behind), as the Date
        of its answers told (`ServiceClock.offset`; 0 while they agree): add it to a time of that
        clock to compare it with a time the service names (a job's `created_time`)."""
        return self._service_clock.offset

    def clock_difference(self) -> str:
        """`ServiceClock.difference`: a phrase naming a difference of a minute or more, else `""`."""
        return self._service_clock.difference()

    def server_now_ms(self) -> int:
        """Now on the service's clock, epoch ms, as its answers' `Date` tell (`ServiceClock.now_ms`)."""
        return self._service_clock.now_ms()

    def _all_items(
        self, path: str, params: dict[str, Any], model: type[_P], items: Callable[[_P], Sequence[_T]]
    ) -> list[_T]:
        """Every item of a V3 list (docs/ddm-api.md section 1), read page by page; at most `MAX_PAGES`.

        `offset` is documented as an item index in the query but echoed as a page number in
        the answer, so both readings are handled: pages are asked by item index
        (`offset` = items seen) until a page comes back empty while `total` says more exist;
        then by page number (`offset` = 1, 2, ...; a page that repeats items already seen is
        passed over once, for numbering from 1). It ends when `total` items are seen. Raises
        `DdmError` (fail closed, as for an unreadable list) when `MAX_PAGES` pages do not reach the
        end, when pages stop bringing new items, or when a page shorter than the `limit` asked (or
        echoed) comes while `total` says more items exist: the answers contradict each other.
        """
        seen: dict[str, _T] = {}
        by_page, offset, stalled = False, 0, 0
        cap, on_cut = self._list_pages, self._on_cut
        for _ in range(min(cap, MAX_PAGES) if cap is not None else MAX_PAGES):
            page = self._parse(model, self._send("GET", path, params={**params, "offset": offset, "limit": PAGE_SIZE}))
            batch = items(page)
            fresh = 0
            for item in batch:
                key = item.model_dump_json() if isinstance(item, pydantic.BaseModel) else repr(item)
                if key not in seen:
                    seen[key] = item
                    fresh += 1
            if len(seen) >= page.total:
                return list(seen.values())
            if batch and len(batch) < min(PAGE_SIZE, page.limit or PAGE_SIZE):
                raise DdmError(f"GET {path}: a page of {len(batch)} items, shorter than the limit asked, ends the "
                               f"list at {len(seen)} items, but the service claims {page.total}; the answers "
                               "contradict each other, so the list is not used (refusing to guess the rest)")
            if not batch and not by_page and offset > 0:
                by_page, offset = True, 1
                continue
            if not batch:
                return list(seen.values())
            stalled = 0 if fresh else stalled + 1
            if stalled > 1:
                raise DdmError(f"GET {path}: the list stopped advancing at {len(seen)} of {page.total} items "
                               "(the service repeats pages); refusing to guess the rest")
            offset = offset + 1 if by_page else len(seen)
        if cap is not None and on_cut is not None and cap < MAX_PAGES:
            on_cut(path, len(seen), page.total)
            return list(seen.values())
        raise DdmError(f"GET {path}: the list did not end within {MAX_PAGES} pages of {PAGE_SIZE} "
                       f"({len(seen)} items read, the service claims {page.total}); refusing to guess the rest")

    # The one boundary ----------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        should_retry: Callable[[BaseException], bool] = is_retryable_read,
        renew_on_401: bool = True,
    ) -> httpx.Response:
        """Send `method path` until it succeeds, `should_retry` says no or the attempts run out.

        By default as a read (safe to repeat). A 401 renews the token once and sends again
        (when `renew_on_401` and the token source can renew); that is not counted as a failure.
        """
        renewed = False

        def once() -> httpx.Response:
            nonlocal renewed
            if self._until is not None and self._until_clock() >= self._until:
                raise OutOfTimeError(f"{method} {path} was not sent: the time for {self._until_what or 'the requests'} "
                                     "ran out")
            token = self._token.get()
            try:
                return send(self._http, method, path, headers={AUTH_TOKEN: token} if token else {},
                            json=json, params=params, deadline=self._deadline)
            except AuthenticationError as exc:
                if exc.status_code != 401 or not renew_on_401 or renewed or not self._token.renew_after_401(token):
                    exc.credentials = exc.credentials or getattr(self._token, "sources", "")  # where they came from
                    raise self._with_clock_difference(exc) from None
                renewed = True  # the token renewed: sent again at once, not counted as a failure
            except UnknownHostError as exc:  # another attempt cannot help: say which setting names the host
                raise UnknownHostError(f"{exc}; set the DDM endpoint of your region with `pulumi config set "
                                       "ddm:endpoint https://<host>` or DDM_ENDPOINT; not retried",
                                       host=exc.host) from None
            return once()

        return attempt(once, policy=self._retry_policy, should_retry=should_retry, sleep=self._sleep,
                       on_retry=self._on_retry, until=self._until, clock=self._until_clock)

    def _with_clock_difference(self, exc: AuthenticationError) -> AuthenticationError:
        """`exc`, naming this machine's clock difference with the service's when there is one (a
        refused signature or token may be due to it: a signature is dated, a token expires)."""
        difference = self.clock_difference()
        if difference and "clock is" not in exc.service_message:
            exc.service_message = (f"{exc.service_message} ({difference}: requests are signed and jobs read by the "
                                   "service's clock, but set this machine's clock right, e.g. with NTP)")
            exc.args = (str(exc),)
        return exc

    @staticmethod
    def _parse(model: type[_M], response: httpx.Response) -> _M:
        try:
            return model.model_validate_json(response.content)
        except pydantic.ValidationError as exc:
            first = exc.errors(include_url=False, include_context=False, include_input=False)[0]
            where = _field_path(first["loc"])
            raise UnreadableAnswerError(
                f"{response.request.method} {response.request.url.path}: unexpected response body "
                f"({count(exc.error_count(), 'problem')}, first: {where + ': ' if where else ''}{first['msg']})"
            ) from None
