"""The DDM client against the emulator on a real socket: requests, parsing, error mapping."""

from __future__ import annotations

import socket
from datetime import datetime, timezone

import httpx
import pytest

from ddm_emulator import DEMO_PROJECT_ID, Fault
from ddm_resources.client import DdmClient
from ddm_resources.errors import (
    ApiError,
    AuthenticationError,
    NotFoundError,
    ServerError,
    ThrottledError,
    TransportError,
)
from ddm_resources.models import RestoreSource, RestoreTarget
from ddm_resources.retry import RetryPolicy
from tests.conftest import BACKUP, DATA_NODE, DOC_EXAMPLE_BODY, SOURCE, TARGET, TOKEN, recovery_posts

EXAMPLE = (SOURCE, RestoreSource(backup_id=BACKUP), RestoreTarget(instance_id=TARGET, data_nodes=[DATA_NODE]))


def client_for(server, token=TOKEN, **kwargs) -> DdmClient:
    """A client whose retries do not really sleep (the waits are recorded in `client.waits`)."""
    waits: list[float] = []
    client = DdmClient(server.url, DEMO_PROJECT_ID, token, sleep=waits.append, **kwargs)
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
        DEMO_DOMAIN_NAME,
        DEMO_PASSWORD,
        DEMO_PROJECT_NAME,
        DEMO_USER_NAME,
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
