"""`client.DdmClient`: one method per DDM API call. Each sends exactly the documented request
(method, path, query, headers, body), fills its path from plain IDs only (an ID that is not one
sends nothing), reads lists whole (both readings of `offset`, a page cap, failing closed on a list
that never ends or stops advancing), maps both error formats and every status onto this package's
errors, retries what may be retried, and takes a job answer only when it is about the job asked for.
An answer of unexpected shape names the field, never the server's value.

Against the emulator in process (the `emulator` fixture), a recording transport in front of it,
or the hostile server of tests/hostile_server.py (`real_socket`).
A page that contradicts `total` fails closed; a DDM host that does not resolve fails once, naming
`ddm:endpoint`; a resolver that does not answer is an outage, retried.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from ddm_emulator import (
    DEMO_DOMAIN_NAME,
    DEMO_PASSWORD,
    DEMO_PROJECT_ID,
    DEMO_PROJECT_NAME,
    DEMO_USER_NAME,
    SEED,
    DdmBackend,
    EmulatorSettings,
    Fault,
    wsgi_transport,
)
from ddm_emulator.clock import ManualClock
from ddm_resources import __version__
from ddm_resources.api_paths import _field_path, api_path
from ddm_resources.auth import PasswordToken
from ddm_resources.client import JOB_LIST_MAX_AGE_MS, DdmClient
from ddm_resources.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    DdmError,
    NotFoundError,
    ServerError,
    ThrottledError,
    TransportError,
    UnknownHostError,
    UnreadableAnswerError,
)
from ddm_resources.models import RestoreSource, RestoreTarget
from ddm_resources.paging import MAX_PAGES, PAGE_SIZE
from ddm_resources.retry import RetryPolicy
from tests.conftest import (
    BACKUP,
    DATA_NODE,
    DOC_EXAMPLE_BODY,
    PROJECT_ID,
    SOURCE,
    SOURCE_DATA_NODE,
    TARGET,
    TOKEN,
    recovery_posts,
)
from tests.hostile_server import JOB_ID, Handler, answer, client, restore
from tests.unknown_hosts import refuse_invalid_names

# requests, parsing, error mapping (against the emulator) -------------------------------------------------------


EXAMPLE = (SOURCE, RestoreSource(backup_id=BACKUP), RestoreTarget(instance_id=TARGET, data_nodes=[DATA_NODE]))


def client_for(server, token=TOKEN, **kwargs) -> DdmClient:
    """A client whose retries do not really sleep (the waits are recorded in `client.waits`)."""
    waits: list[float] = []
    client = DdmClient(server.url, DEMO_PROJECT_ID, token, sleep=waits.append, **kwargs, transport=server.transport)
    client.waits = waits
    return client


def test_restore_metadata_sends_the_documented_request(emulator):
    with client_for(emulator) as client:
        job_id = client.restore_metadata(*EXAMPLE)
    [post] = recovery_posts(emulator)
    assert post.body == DOC_EXAMPLE_BODY
    assert post.path == f"/v3/{DEMO_PROJECT_ID}/instances/{SOURCE}/backups/metadata-recovery"
    assert post.has_auth_token
    assert [job.id for job in emulator.backend.all_jobs()] == [job_id]


def test_get_job_parses_the_job(emulator):
    with client_for(emulator) as client:
        job_id = client.restore_metadata(*EXAMPLE)
        job = client.get_job(job_id)
    assert job.id == job_id
    assert job.status in ("Running", "Completed")
    assert job.instance is not None and job.instance.id == TARGET
    assert job.created_time.endswith("Z")


class CountingToken:
    def __init__(self) -> None:
        self.calls = 0

    def get(self) -> str:
        self.calls += 1
        return TOKEN

    def renew_after_401(self, used: str) -> bool:
        return False


def test_token_source_is_asked_per_request(emulator):
    token = CountingToken()
    with client_for(emulator, token=token) as client:
        client.get_job(client.restore_metadata(*EXAMPLE))
    assert token.calls == 2


def test_bad_token_is_an_authentication_error_without_the_token(emulator):
    with client_for(emulator, token="not-a-valid-token-xyz") as client:
        with pytest.raises(AuthenticationError) as info:
            client.restore_metadata(*EXAMPLE)
    error = info.value
    assert error.status_code == 401
    assert error.error_code == "APIGW.0301"
    assert error.request_id
    assert "not-a-valid-token-xyz" not in str(error)
    assert emulator.backend.all_jobs() == []


@pytest.mark.parametrize("style", ["v3", "v1"])
def test_service_error_in_either_format(emulator, style):
    emulator.backend.configure(error_style=style)
    bad_target = RestoreTarget(instance_id="9" * 32 + "in09", data_nodes=[DATA_NODE])
    with client_for(emulator) as client:
        with pytest.raises(ApiError) as info:
            client.restore_metadata(SOURCE, RestoreSource(backup_id=BACKUP), bad_target)
    assert info.value.status_code == 400
    assert info.value.error_code == "DBS.300372"
    assert info.value.service_message
    assert f"HTTP 400 DBS.300372: {info.value.service_message}" in str(info.value)


def test_unknown_job_is_not_found(emulator):
    with client_for(emulator) as client:
        with pytest.raises(NotFoundError) as info:
            client.get_job("0" * 32)
    assert info.value.error_code == "DBS.300400"


@pytest.mark.parametrize("status, error", [(429, ThrottledError), (503, ServerError)])
def test_gateway_and_server_errors_map_to_their_class_after_the_retries(emulator, status, error):
    emulator.backend.add_fault(Fault("GET", r"/jobs/", "respond", status=status))
    with client_for(emulator, retry_policy=RetryPolicy(max_attempts=3)) as client:
        with pytest.raises(error) as info:
            client.get_job("0" * 32)
        assert len(client.waits) == 2
    assert info.value.status_code == status
    assert len(emulator.backend.requests(method="GET", path_contains="/jobs/")) == 3


@pytest.mark.real_socket
def test_silent_server_hits_the_read_timeout(emulator):
    emulator.backend.add_fault(Fault("GET", r"/jobs/", "delay", delay=2.0))
    timeout = httpx.Timeout(connect=1.0, read=0.2, write=1.0, pool=1.0)
    with client_for(emulator, timeout=timeout, retry_policy=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(TransportError, match="timed out"):
            client.get_job("0" * 32)


@pytest.mark.real_socket
def test_connection_refused_is_a_transport_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with DdmClient(f"http://127.0.0.1:{port}", DEMO_PROJECT_ID, TOKEN, sleep=lambda s: None) as client:
        with pytest.raises(TransportError, match="ConnectError"):
            client.get_job("0" * 32)


def test_repr_hides_the_token(emulator):
    assert TOKEN not in repr(client_for(emulator))


def test_transport_seam_runs_client_and_token_source_in_process():
    """`transport=` reaches the httpx clients of DdmClient and PasswordToken: no socket is opened."""
    from pydantic import SecretStr

    from ddm_emulator import (
        DdmBackend,
        wsgi_transport,
    )
    from ddm_resources.auth import PasswordToken

    backend = DdmBackend(job_seconds=0.3)
    wsgi = wsgi_transport(backend)
    tokens = PasswordToken(auth_url="http://emulator.invalid/v3", username=DEMO_USER_NAME,
                           password=SecretStr(DEMO_PASSWORD), domain_name=DEMO_DOMAIN_NAME,
                           project_name=DEMO_PROJECT_NAME, timeout=httpx.Timeout(2.0), transport=wsgi)
    with DdmClient("http://emulator.invalid", DEMO_PROJECT_ID, tokens, transport=wsgi) as client:
        job_id = client.restore_metadata(*EXAMPLE)
    assert len(backend.requests(method="POST", path_contains="/v3/auth/tokens")) == 1
    assert [job.id for job in backend.all_jobs()] == [job_id]


@pytest.mark.parametrize("reading, offsets", [
    ("index", ["0", "128", "256"]),
    ("page", ["0", "128", "1", "2"]),  # page numbers: offset=128 is an empty page, then pages 1, 2
    ("page-from-1", ["0", "128", "1", "2", "3"]),  # 0 and 1 are both the first page: 1 repeats, passed over
])
def test_lists_are_read_whole_under_both_readings_of_offset(emulator, reading, offsets):
    emulator.backend.configure(offset_reading=reading)
    added = {emulator.backend.add_backup(DEMO_PROJECT_ID, SOURCE).id for _ in range(299)}
    with client_for(emulator) as client:
        backups = client.list_backups(SOURCE)
    assert len(backups) == 300 and added < {b.id for b in backups} and BACKUP in {b.id for b in backups}
    listed = [r for r in emulator.backend.requests(method="GET") if r.path.endswith("/backups")]
    assert [r.query["offset"] for r in listed] == offsets


@pytest.mark.parametrize("shape", ["+0000", "+0100", "Z"])
def test_job_times_are_normalised_to_utc_whatever_shape_the_service_writes(emulator, shape):
    emulator.backend.configure(job_time_format=shape)
    with client_for(emulator) as client:
        job_id = client.restore_metadata(*EXAMPLE)
        job = client.get_job(job_id)
        [item] = client.list_jobs(int(emulator.backend.now() * 1000) - 3_600_000)
    [fake] = emulator.backend.all_jobs()
    expected = datetime.fromtimestamp(int(fake.created), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert job.created_time == item.created_time == expected


@pytest.mark.parametrize("header", ["absent", "seconds", "http-date"])
def test_a_429_is_waited_out_with_or_without_retry_after(emulator, header):
    emulator.backend.configure(retry_after_on_429=header)
    emulator.backend.add_fault(Fault("GET", r"/jobs/", "respond", status=429, times=1))
    with client_for(emulator) as client:
        job_id = client.restore_metadata(*EXAMPLE)
        assert client.get_job(job_id).id == job_id
        [wait] = client.waits
    assert 0.3 <= wait <= 0.5 if header == "absent" else 0.0 <= wait <= 2.0


@pytest.mark.parametrize("floats", ["refuse", "accept"])
def test_restore_time_is_sent_as_an_integer_whatever_the_service_does_with_floats(emulator, floats):
    emulator.backend.configure(float_restore_time=floats)
    when = int(emulator.backend.now() * 1000) - 3_600_000
    with client_for(emulator) as client:
        client.restore_metadata(SOURCE, RestoreSource(restore_time=when),
                                RestoreTarget(instance_id=TARGET, data_nodes=[DATA_NODE]))
    [post] = recovery_posts(emulator)
    assert post.status == 202 and post.body["source"] == {"restore_time": when}
    assert isinstance(post.body["source"]["restore_time"], int)


@pytest.mark.parametrize("case", ["documented", "lower", "upper"])
def test_job_status_is_read_in_any_letter_case(emulator, case):
    emulator.backend.configure(job_status_case=case, job_seconds=0.0)
    with client_for(emulator) as client:
        job_id = client.restore_metadata(*EXAMPLE)
        assert client.get_job(job_id).status == "Completed"


# what goes on the wire: every operation, one row each ----------------------------------------------------------


BASE = "http://ddm.emulator"


NOW = 1_790_000_000.0
"""The emulated (and the client's) clock: a fixed epoch second."""


NOW_MS = int(NOW * 1000)


USER_AGENT = f"ddm-resources/{__version__} httpx/{httpx.__version__}"


DDM_HEADERS = {
    "accept": "application/json",
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    "x-project-id": PROJECT_ID,
    "x-auth-token": TOKEN,
}


HTTPX_OWN = {"host", "accept-encoding", "connection", "content-length"}
"""Headers httpx adds by itself; `content-length` only with a body (not on GETs)."""


PAGE = {"offset": "0", "limit": "128"}


@dataclass
class Sent:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int


class Recording(httpx.BaseTransport):
    """Passes every request to `inner` and keeps what was sent and the status answered."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.sent: list[Sent] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        response = self.inner.handle_request(request)
        self.sent.append(Sent(
            method=request.method, path=request.url.path, query=dict(request.url.params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=json.loads(content) if content else None, status=response.status_code,
        ))
        return response


@pytest.fixture
def wire():
    clock = ManualClock(NOW)
    backend = DdmBackend(EmulatorSettings(job_seconds=30.0), clock=clock)
    backend.add_static_token(TOKEN, PROJECT_ID)
    recording = Recording(wsgi_transport(backend))
    with DdmClient(BASE, PROJECT_ID, TOKEN, transport=recording, clock=clock) as client:
        yield client, recording, backend


V3 = f"/v3/{PROJECT_ID}"


BACKUPS = f"{V3}/instances/{SOURCE}/backups"


ROWS = [
    # operation, call, method, path, query, body
    ("restore_metadata", restore, "POST", f"{BACKUPS}/metadata-recovery", {}, DOC_EXAMPLE_BODY),
    ("get_job", lambda c: c.get_job("{job}"), "GET", f"{V3}/jobs/{{job}}", {}, None),
    ("poll_job", lambda c: c.poll_job("{job}"), "GET", f"{V3}/jobs/{{job}}", {}, None),
    ("list_jobs", lambda c: c.list_jobs(NOW_MS - 3_600_000), "GET", f"{V3}/jobs",  # the clock known
     {"start_time": str(NOW_MS - 3_600_000), "end_time": str(NOW_MS), **PAGE}, None),
    ("restorable_instances", lambda c: c.restorable_instances(SOURCE), "GET",
     f"{BACKUPS}/restorable-instances", PAGE, None),
    ("restorable_time_intervals", lambda c: c.restorable_time_intervals(SOURCE), "GET",
     f"{BACKUPS}/restorable-time-interval", PAGE, None),
    ("related_data_nodes", lambda c: c.related_data_nodes(SOURCE, NOW_MS - 60_000), "GET",
     f"{BACKUPS}/related-dn", {"restore_time": str(NOW_MS - 60_000), **PAGE}, None),
    ("restorable_data_nodes", lambda c: c.restorable_data_nodes(
        SOURCE, target_instance_id=TARGET, source_dn_instance_id=SOURCE_DATA_NODE, restore_time=NOW_MS - 60_000),
     "GET", f"{BACKUPS}/restorable-data-node",
     {"target_instance_id": TARGET, "source_dn_instance_id": SOURCE_DATA_NODE,
      "restore_time": str(NOW_MS - 60_000), **PAGE}, None),
    ("list_backups", lambda c: c.list_backups(SOURCE), "GET", f"{V3}/backups", {"instance_id": SOURCE, **PAGE}, None),
    ("get_backup", lambda c: c.get_backup(SOURCE, BACKUP), "GET", f"{BACKUPS}/{BACKUP}", {}, None),
]


@pytest.mark.parametrize("name, call, method, path, query, body", ROWS, ids=[row[0] for row in ROWS])
def test_each_operation_sends_exactly_the_documented_request(wire, name, call, method, path, query, body):
    client, recording, backend = wire
    client.get_backup(SOURCE, BACKUP)  # teaches the client the service's clock (the answer's `Date`)
    job_id = restore(client) if "{job}" in path else ""
    recording.sent.clear()
    if "{job}" in path:
        client.get_job(job_id) if name == "get_job" else client.poll_job(job_id)
    else:
        call(client)
    [sent] = recording.sent
    assert (sent.method, sent.path, sent.query, sent.body) == (method, path.replace("{job}", job_id), query, body)
    ours = {k: v for k, v in sent.headers.items() if k not in HTTPX_OWN}
    assert ours == DDM_HEADERS
    assert ("content-length" in sent.headers) == (body is not None)
    assert 200 <= sent.status < 300


def test_iam_token_request_is_the_documented_password_login(wire):
    _, _, backend = wire
    recording = Recording(wsgi_transport(backend))
    tokens = PasswordToken(auth_url=f"{BASE}/v3", username=SEED.user_name, password=SecretStr(SEED.password),
                           domain_name=SEED.domain_name, project_name=SEED.project_name,
                           timeout=httpx.Timeout(2.0), transport=recording)
    tokens.get()
    [sent] = recording.sent
    assert (sent.method, sent.path, sent.query) == ("POST", "/v3/auth/tokens", {})
    assert sent.body == {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": SEED.user_name, "password": SEED.password, "domain": {"name": SEED.domain_name}}}},
        "scope": {"project": {"name": SEED.project_name}}}}
    ours = {k: v for k, v in sent.headers.items() if k not in HTTPX_OWN}
    assert ours == {"accept": "application/json", "content-type": "application/json", "user-agent": USER_AGENT}
    assert sent.status == 201


def test_job_list_window_never_reaches_past_the_services_now_nor_30_days_back(wire):
    client, recording, _ = wire
    restore(client)
    recording.sent.clear()
    client.list_jobs(NOW_MS - 40 * 24 * 3_600_000, NOW_MS + 3_600_000)
    [sent] = recording.sent
    start, end = int(sent.query["start_time"]), int(sent.query["end_time"])
    assert end == NOW_MS
    assert start == NOW_MS - JOB_LIST_MAX_AGE_MS > NOW_MS - 30 * 24 * 3_600_000


@pytest.mark.parametrize("skew", [-120.0, 0.0, 120.0], ids=["local-behind", "same", "local-ahead"])
def test_job_list_end_follows_the_services_clock_not_ours(skew):
    """The local clock is `skew` seconds off and nothing was asked yet: the first answer's `Date`
    teaches the service's clock; from then on every list ends at the service's now. Local clock
    behind: newer jobs were missed, so the list is asked again. Local clock ahead: the future
    `end_time` is asked again only if the service refuses it (a strict emulator does)."""
    clock = ManualClock(NOW)
    backend = DdmBackend(EmulatorSettings(job_seconds=30.0), clock=clock)
    backend.add_static_token(TOKEN, PROJECT_ID)
    with DdmClient(BASE, PROJECT_ID, TOKEN, transport=wsgi_transport(backend)) as other:
        job_id = restore(other)
    recording = Recording(wsgi_transport(backend))
    with DdmClient(BASE, PROJECT_ID, TOKEN, transport=recording, clock=lambda: clock() + skew) as client:
        assert [job.id for job in client.list_jobs(NOW_MS - 3_600_000)] == [job_id]
        assert [job.id for job in client.list_jobs(NOW_MS - 3_600_000)] == [job_id]
    first, *rest = recording.sent
    assert int(first.query["end_time"]) == NOW_MS + int(skew * 1000)
    asked_again = skew < 0 or first.status == 400
    assert [int(s.query["end_time"]) for s in rest] == [NOW_MS] * (2 if asked_again else 1)
    assert all(s.status == 200 for s in rest)


# no ID leaves its path segment (trial of main, 30 Nov, item 1) -------------------------------------------------


HOSTILE = [
    "../../../v3/auth/tokens?x=",
    f"{SOURCE}/../../x",
    f"{SOURCE}%2F..%2Fx",
    "..",
    f"{SOURCE}#x",
    f"{SOURCE} ",
    "",
    "a" * 100_000,
]


def requested(emulator) -> list[str]:
    return [record.path for record in emulator.backend.requests()]


SOURCE_BODY = RestoreSource(backup_id=BACKUP)


TARGET_BODY = RestoreTarget(instance_id=TARGET, data_nodes=[DATA_NODE])


CALLS: dict[str, tuple[str, Callable[[DdmClient, str], Any]]] = {
    "restore_metadata": ("source_instance_id", lambda c, bad: c.restore_metadata(bad, SOURCE_BODY, TARGET_BODY)),
    "get_job": ("job_id", lambda c, bad: c.get_job(bad)),
    "poll_job": ("job_id", lambda c, bad: c.poll_job(bad)),
    "restorable_instances": ("instance_id", lambda c, bad: c.restorable_instances(bad)),
    "restorable_time_intervals": ("instance_id", lambda c, bad: c.restorable_time_intervals(bad)),
    "related_data_nodes": ("instance_id", lambda c, bad: c.related_data_nodes(bad, 1716180000000)),
    "restorable_data_nodes": ("instance_id", lambda c, bad: c.restorable_data_nodes(
        bad, target_instance_id=TARGET, source_dn_instance_id=DATA_NODE, restore_time=1716180000000)),
    "get_backup instance": ("instance_id", lambda c, bad: c.get_backup(bad, BACKUP)),
    "get_backup backup": ("backup_id", lambda c, bad: c.get_backup(SOURCE, bad)),
}


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("bad", HOSTILE[:5] + HOSTILE[-1:], ids=range(6))
def test_no_client_call_lets_an_id_leave_its_segment(emulator, call, bad):
    name, send = CALLS[call]
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN,
                   transport=emulator.transport) as client, pytest.raises(ConfigurationError) as info:
        send(client, bad)
    assert str(info.value).startswith(f"{name} ")
    assert "is not an ID (1 to 64 letters, digits, '-' or '_'), so no request was sent" in str(info.value)
    assert requested(emulator) == []


@pytest.mark.parametrize("bad", ["../../v3/auth/tokens?x=", "p/../../x", "a" * 100_000])
def test_a_project_id_that_is_no_id_sends_nothing(emulator, bad):
    """The project ID may come from IAM's answer (a login by project name): untrusted too."""
    with DdmClient(emulator.url, bad, TOKEN, transport=emulator.transport) as client:
        for send in (lambda: client.list_jobs(0), lambda: client.list_backups(SOURCE), lambda: client.get_job(JOB_ID)):
            with pytest.raises(ConfigurationError, match=r"^project_id .*is not an ID"):
                send()
    assert requested(emulator) == []


def test_plain_ids_reach_exactly_their_paths(emulator):
    """Every call of the client with the seed's IDs: each request stays on the documented path."""
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN, transport=emulator.transport) as client:
        job_id = client.restore_metadata(SOURCE, SOURCE_BODY, TARGET_BODY)
        client.get_job(job_id)
        client.restorable_instances(SOURCE)
        ranges = client.restorable_time_intervals(SOURCE)
        client.related_data_nodes(SOURCE, ranges[0].end_ms or 0)
        client.list_backups(SOURCE)
        client.get_backup(SOURCE, BACKUP)
        client.list_jobs(0)
    base = f"/v3/{DEMO_PROJECT_ID}"
    expected = [f"{base}/instances/{SOURCE}/backups/metadata-recovery", f"{base}/jobs/{job_id}",
                f"{base}/instances/{SOURCE}/backups/restorable-instances",
                f"{base}/instances/{SOURCE}/backups/restorable-time-interval",
                f"{base}/instances/{SOURCE}/backups/related-dn", f"{base}/backups",
                f"{base}/instances/{SOURCE}/backups/{BACKUP}", f"{base}/jobs"]
    assert list(dict.fromkeys(requested(emulator))) == expected


def test_api_path_fills_only_plain_ids():
    assert api_path("/v3/{project_id}/jobs/{job_id}", project_id="p_1", job_id="A-b") == "/v3/p_1/jobs/A-b"
    with pytest.raises(ConfigurationError, match=r"^job_id a text of 100000 characters \(not quoted: .*\) is not an"):
        api_path("/v3/{job_id}", job_id="a" * 100_000)
    assert re.fullmatch(r"[0-9a-f]{32}", JOB_ID)


# an answer of unexpected shape names the field, never the server value -----------------------------------------


@pytest.mark.parametrize("body, field", [
    ({"job": {"status": "Running", "note": "SERVER-TEXT-42"}}, "job.id: Field required"),
    ({"job": {"id": ["SERVER-TEXT-42"], "status": "Running"}}, "job.id: Input should be a valid string"),
    ({"jobs": "SERVER-TEXT-42"}, "job: Field required"),
])
def test_an_unreadable_job_answer_names_the_field(emulator, body, field):
    emulator.backend.add_fault(Fault("GET", f"/jobs/{JOB_ID}$", "respond", status=200, body=body))
    with DdmClient(emulator.url, PROJECT_ID, TOKEN,
                   transport=emulator.transport) as client, pytest.raises(UnreadableAnswerError) as info:
        client.get_job(JOB_ID)
    assert str(info.value) == (f"GET /v3/{PROJECT_ID}/jobs/{JOB_ID}: unexpected response body "
                               f"(1 problem, first: {field})")


def test_a_list_item_is_named_by_its_index(emulator):
    emulator.backend.add_fault(Fault("GET", "/jobs$", "respond", status=200, body={
        "jobs": [{"id": JOB_ID, "status": "Running"}, {"status": "SERVER-TEXT-42"}], "total": 2}))
    with DdmClient(emulator.url, PROJECT_ID, TOKEN,
                   transport=emulator.transport) as client, pytest.raises(UnreadableAnswerError) as info:
        client.list_jobs(0)
    assert "(1 problem, first: jobs[1].id: Field required)" in str(info.value)
    assert "SERVER-TEXT-42" not in str(info.value)


def test_a_part_of_the_field_path_that_is_no_plain_name_is_not_quoted():
    assert _field_path(("jobs", 3, "id")) == "jobs[3].id"
    assert _field_path(("data", "\x1b[2J../x y", 0)) == "data.?[0]"
    assert _field_path(()) == ""


# an answer about another job, a job ID of odd shape (issue 8 item 3) -------------------------------------------


def job_answer(**fields) -> Handler:
    return answer(200, {"job": {"id": JOB_ID, "name": "RestoreMetadata", "status": "Completed",
                                "created_time": "2026-11-29T10:00:00+0100", "end_time": "2026-11-29T10:05:00+0000",
                                "process": "", **fields}})


@pytest.mark.real_socket
@pytest.mark.parametrize("other", ["f" * 32, "0990A2EE7866649B8908EC209BFEE275"])
def test_an_answer_about_another_job_is_refused_not_taken_as_this_jobs(hostile, other):
    """A poll or refresh answer naming another job (e.g. one that says `Completed`) never
    becomes this job's status or outputs; the error names neither the other ID nor the body."""
    server = hostile(job_answer(id=other))
    with client(server) as c:
        for read in (c.get_job, c.poll_job):
            with pytest.raises(UnreadableAnswerError) as info:
                read(JOB_ID)
            assert f"about another job than {JOB_ID}" in str(info.value) and other not in str(info.value)


@pytest.mark.real_socket
def test_an_answer_about_this_job_in_another_letter_case_is_this_jobs(hostile):
    server = hostile(job_answer(id=JOB_ID.upper()))
    with client(server) as c:
        assert c.get_job(JOB_ID).status == "Completed"


@pytest.mark.real_socket
def test_a_restore_answer_without_a_usable_job_id_is_an_unknown_outcome(hostile):
    server = hostile(answer(202, {"job_id": "<script>"}))
    with client(server) as c, pytest.raises(TransportError) as info:
        restore(c)
    assert info.value.request_sent and "<script>" not in str(info.value)


@pytest.mark.real_socket
@pytest.mark.parametrize("length, said", [(3000, "300 characters or more"), (301, "300 characters or more"),
                                          (300, "300 characters"), (40, "40 characters")])
def test_a_job_id_of_odd_length_is_reported_truly(hostile, length, said):
    """The trial's 3,000-character job ID was reported as 300 characters: the length after the cut."""
    server = hostile(answer(202, {"job_id": "a" * length}))
    with client(server) as c, pytest.raises(TransportError) as info:
        restore(c)
    assert f"job ID of unexpected shape ({said}; expected 32 hexadecimal characters or a UUID)" in str(info.value)


# job-list paging is capped and fails closed (issue 8 item 8) ---------------------------------------------------


def endless_jobs() -> Handler:
    served = iter(range(10**9))

    def handler(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        jobs = [{"id": f"{next(served):032x}", "status": "Completed", "instance_id": TARGET} for _ in range(128)]
        answer(200, {"jobs": jobs, "total": 10**9, "offset": 0, "limit": 128})(conn, head, stopping)

    return handler


@pytest.mark.real_socket
def test_a_job_list_that_never_ends_fails_closed_after_max_pages(hostile):
    server = hostile(endless_jobs())
    with client(server) as c, pytest.raises(DdmError, match=f"did not end within {MAX_PAGES} pages"):
        c.list_jobs(0, 10**13)
    assert len(server.requests) == MAX_PAGES


@pytest.mark.real_socket
def test_a_job_list_repeating_one_page_fails_closed(hostile):
    jobs = [{"id": f"{n:032x}", "status": "Completed"} for n in range(128)]
    server = hostile(answer(200, {"jobs": jobs, "total": 1000, "offset": 0, "limit": 128}))
    with client(server) as c, pytest.raises(DdmError, match="stopped advancing"):
        c.list_jobs(0, 10**13)
    assert len(server.requests) <= 4


# a page that contradicts total fails closed (issue 19 item 16) -------------------------------------------------


def one_item_page(total: int, limit: int = PAGE_SIZE) -> dict:
    return {"instances": [{"instance_id": TARGET, "instance_name": "t", "available": True}],
            "offset": 0, "limit": limit, "total": total}


def test_a_short_page_while_total_says_more_exist_fails_closed(emulator):
    emulator.backend.add_fault(Fault("GET", r"/restorable-instances$", "respond", status=200,
                                     body=one_item_page(1_000_001)))
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN, transport=emulator.transport) as client, \
            pytest.raises(DdmError) as info:
        client.restorable_instances(SOURCE)
    assert "a page of 1 items, shorter than the limit asked, ends the list at 1 items, but the service claims " \
           "1000001" in str(info.value)
    assert len(emulator.backend.requests(path_contains="restorable-instances")) == 1


@pytest.mark.parametrize("total", [0, 1])
def test_a_short_last_page_that_agrees_with_total_ends_the_list(emulator, total):
    emulator.backend.add_fault(Fault("GET", r"/restorable-instances$", "respond", status=200,
                                     body=one_item_page(total)))
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN, transport=emulator.transport) as client:
        assert [i.instance_id for i in client.restorable_instances(SOURCE)] == [TARGET]


# a DDM host that does not exist (issue 23 item 12) -------------------------------------------------------------


def test_a_ddm_host_that_does_not_exist_fails_once_naming_ddm_endpoint(monkeypatch):
    from ddm_resources.client import DdmClient
    from ddm_resources.preflight import preflight_unavailable

    asked = refuse_invalid_names(monkeypatch)
    sleeps: list[float] = []
    with DdmClient("https://ddm.eu-zz.invalid", DEMO_PROJECT_ID, TOKEN, sleep=sleeps.append) as client:
        with pytest.raises(UnknownHostError) as info:
            client.restorable_instances(SOURCE)
    text = str(info.value)
    assert asked == ["ddm.eu-zz.invalid"] and sleeps == []
    assert text.startswith("GET /v3/") and "this host does not exist" in text
    assert "ddm:endpoint" in text and "DDM_ENDPOINT" in text and text.endswith("not retried")
    assert not info.value.request_sent  # a restore POST may be sent elsewhere safely
    reason = preflight_unavailable(info.value).reason
    assert "ddm:endpoint" in reason and "ddm:preflight false" not in reason


def test_a_resolver_that_does_not_answer_is_still_retried(monkeypatch):
    """EAI_AGAIN ("temporary failure in name resolution") is an outage, not a missing host."""
    import socket

    from ddm_resources.client import DdmClient
    from ddm_resources.retry import RetryPolicy

    def getaddrinfo(*args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    sleeps: list[float] = []
    with DdmClient("https://ddm.eu-zz.invalid", DEMO_PROJECT_ID, TOKEN, sleep=sleeps.append,
                   retry_policy=RetryPolicy(max_attempts=3)) as client:
        with pytest.raises(TransportError) as info:
            client.restorable_instances(SOURCE)
    assert not isinstance(info.value, UnknownHostError) and len(sleeps) == 2
