"""What goes on the wire: every operation of the client and the IAM token source, one row each.

The requests run in process against the emulator (`ddm_emulator.wsgi_transport`); a recording
transport in front of it keeps exactly what httpx sent: method, path, query, headers and body.
Each row states the expected request in full, matched against the official SDK
(`huaweicloudsdkddm`) and the OTC docs (ddm-api.md sections 1-3, 6): `Content-Type:
application/json` on GETs too, `X-Project-Id`, a `User-Agent` naming the product and version.
The emulator must accept every one (2xx).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from ddm_emulator import SEED, DdmBackend, EmulatorSettings, wsgi_transport
from ddm_emulator.clock import ManualClock
from ddm_resources import __version__
from ddm_resources.auth import PasswordToken
from ddm_resources.client import JOB_LIST_MAX_AGE_MS, DdmClient
from ddm_resources.models import RestoreSource, RestoreTarget
from tests.conftest import BACKUP, DATA_NODE, DOC_EXAMPLE_BODY, PROJECT_ID, SOURCE, SOURCE_DATA_NODE, TARGET, TOKEN

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


def restore(client: DdmClient) -> str:
    return client.restore_metadata(SOURCE, RestoreSource(backup_id=BACKUP),
                                   RestoreTarget(instance_id=TARGET, data_nodes=[DATA_NODE]))


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


def test_iam_token_request(wire):
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
