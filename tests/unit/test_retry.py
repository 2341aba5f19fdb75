"""Retry policy: the pure delay calculation, what is safe to resend, and the client's loop."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from ddm_emulator import DEMO_PROJECT_ID, Fault
from ddm_resources.client import DdmClient
from ddm_resources.errors import ApiError, ConflictError, ServerError, ThrottledError, TransportError
from ddm_resources.models import RestoreSource, RestoreTarget
from ddm_resources.retry import (
    RetryPolicy,
    backoff_delay,
    is_retryable_read,
    is_retryable_restore,
    parse_retry_after,
    retry_delay,
)
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN, recovery_posts

NOW = datetime(2026, 11, 29, 9, 0, 0, tzinfo=timezone.utc)
EXAMPLE = (SOURCE, RestoreSource(backup_id=BACKUP), RestoreTarget(instance_id=TARGET, data_nodes=[DATA_NODE]))


@pytest.mark.parametrize(
    "header, seconds",
    [
        (None, None), ("", None), ("3", 3.0), ("0.5", 0.5), ("soon", None),
        ("-2", None), ("-5", None), ("nan", None), ("inf", None),  # hostile: the own backoff applies
        ("٣", None), ("３", None), ("1_0", None), ("1e2", None), ("+3", None), (" 7 ", 7.0),  # digits 0-9 only
        ("Sun, 29 Nov 2026 09:00:10 GMT", 10.0), ("Sun, 29 Nov 2026 08:59:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


POLICY = RetryPolicy(initial_delay=0.5, max_delay=8.0, max_retry_after=60.0, jitter=0.25)


@pytest.mark.parametrize(
    "attempt, retry_after, rand, delay",
    [
        (1, None, 0.0, 0.5), (2, None, 0.0, 1.0), (3, None, 0.0, 2.0), (5, None, 0.0, 8.0), (9, None, 0.0, 8.0),
        (1, None, 0.999999, 0.375), (4, None, 0.5, 3.5),
        (1, 7.0, 0.9, 7.0), (1, 0.0, 0.9, 0.3875), (3, 600.0, 0.0, 60.0), (5, 1.0, 0.0, 8.0),  # backoff: the floor
    ],
)
def test_backoff_delay(attempt, retry_after, rand, delay):
    assert backoff_delay(attempt, POLICY, retry_after, rand) == pytest.approx(delay, abs=1e-4)


def api_error(status, code=""):
    cls = {429: ThrottledError, 409: ConflictError}.get(status, ServerError if status >= 500 else ApiError)
    return cls("m", status_code=status, error_code=code)


@pytest.mark.parametrize(
    "exc, read, restore",
    [
        (TransportError("refused", request_sent=False), True, True),
        (TransportError("read timeout", request_sent=True), True, False),
        (TransportError("certificate", request_sent=False, transient=False), False, False),
        (TransportError("answer too long", transient=False), False, False),
        (api_error(429, "APIGW.0308"), True, True),
        (api_error(500), True, False), (api_error(502), True, False), (api_error(503), True, False),
        (api_error(504), True, False), (api_error(501), False, False),
        (api_error(409, "DBS.212033"), True, False), (api_error(409, "DBS.200019"), True, False),
        (api_error(409, "DBS.999999"), False, False),
        (api_error(400, "DBS.280001"), False, False), (api_error(401, "APIGW.0301"), False, False),
    ],
)
def test_what_is_safe_to_retry(exc, read, restore):
    assert (is_retryable_read(exc), is_retryable_restore(exc)) == (read, restore)


def client_for(server, **kwargs) -> DdmClient:
    waits: list[float] = []
    client = DdmClient(server.url, DEMO_PROJECT_ID, TOKEN, sleep=waits.append, **kwargs)
    client.waits = waits
    return client


def test_post_throttled_once_is_sent_again_and_accepted_once(emulator):
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "respond", status=429,
                                     headers={"Retry-After": "2"}, times=1))
    with client_for(emulator) as client:
        job_id = client.restore_metadata(*EXAMPLE)
        assert client.waits == [2.0]
    assert [job.id for job in emulator.backend.all_jobs()] == [job_id]
    assert [post.status for post in recovery_posts(emulator)] == [429, 202]


@pytest.mark.parametrize("fault", [
    Fault("POST", "metadata-recovery", "respond", status=503),
    Fault("POST", "metadata-recovery", "lose_response"),
    pytest.param(Fault("POST", "metadata-recovery", "delay", delay=1.0), marks=pytest.mark.real_socket),
], ids=["5xx", "response-lost", "read-timeout"])
def test_post_with_unknown_outcome_is_never_resent(emulator, fault):
    emulator.backend.add_fault(fault)
    timeout = httpx.Timeout(connect=2.0, read=0.3, write=2.0, pool=2.0)
    with client_for(emulator, timeout=timeout) as client:
        with pytest.raises((ServerError, TransportError)):
            client.restore_metadata(*EXAMPLE)
        assert client.waits == []
    assert fault.matched == 1


@pytest.mark.parametrize("fault", [
    Fault("GET", "/jobs/", "respond", status=429, every=3),
    Fault("GET", "/jobs/", "respond", status=409, body={"error_code": "DBS.212033", "error_msg": "busy"}, times=2),
    Fault("GET", "/jobs/", "respond", status=502, times=2),
    Fault("GET", "/jobs/", "drop", times=2),
], ids=["429-every-third", "409-busy", "502", "dropped"])
def test_reads_ride_out_transient_failures(emulator, fault):
    emulator.backend.add_fault(fault)
    with client_for(emulator) as client:
        job_id = client.restore_metadata(*EXAMPLE)
        for _ in range(6):
            assert client.get_job(job_id).id == job_id
    assert fault.fired >= 2


def test_reads_give_up_after_max_attempts(emulator):
    emulator.backend.add_fault(Fault("GET", "/jobs/", "respond", status=503))
    with client_for(emulator, retry_policy=RetryPolicy(max_attempts=4)) as client:
        with pytest.raises(ServerError):
            client.get_job("0" * 32)
        assert len(client.waits) == 3
    assert len(emulator.backend.requests(method="GET")) == 4


def throttled(retry_after=None):
    exc = api_error(429, "APIGW.0308")
    exc.retry_after = retry_after
    return exc


@pytest.mark.parametrize(
    "exc, failures, should_retry, delay",
    [
        (api_error(503), 1, is_retryable_read, 0.5), (api_error(503), 3, is_retryable_read, 2.0),
        (api_error(503), 4, is_retryable_read, None),  # max_attempts=4 reached
        (throttled(7.0), 1, is_retryable_read, 7.0), (throttled(600.0), 2, is_retryable_restore, 60.0),
        (api_error(503), 1, is_retryable_restore, None), (api_error(400), 1, is_retryable_read, None),
    ],
)
def test_retry_delay_or_give_up(exc, failures, should_retry, delay):
    policy = RetryPolicy(max_attempts=4, initial_delay=0.5, max_delay=8.0, max_retry_after=60.0, jitter=0.25)
    assert retry_delay(exc, failures, policy, should_retry, 0.0) == delay


def test_a_poll_is_one_attempt_the_waiter_owns_the_wait(emulator):
    emulator.backend.add_fault(Fault("GET", "/jobs/", "respond", status=503, times=1))
    with client_for(emulator) as client:
        job_id = client.restore_metadata(*EXAMPLE)
        with pytest.raises(ServerError):
            client.poll_job(job_id)
        assert client.waits == []
        assert client.poll_job(job_id).id == job_id
    assert [r.status for r in emulator.backend.requests(method="GET", path_contains="/jobs/")] == [503, 200]


def test_a_poll_renews_the_token_once_on_401(emulator):
    """A 401 is one branch: the token source is asked to renew, and the poll is sent once more."""
    class Renewing:
        def __init__(self):
            self.tokens = ["expired-token-0000", TOKEN]

        def get(self):
            return self.tokens[0]

        def renew_after_401(self, used):
            self.tokens.pop(0)
            return True

    with client_for(emulator) as client:
        job_id = client.restore_metadata(*EXAMPLE)
    with DdmClient(emulator.url, DEMO_PROJECT_ID, Renewing(), sleep=lambda s: None) as client:
        assert client.poll_job(job_id).id == job_id
    assert [r.status for r in emulator.backend.requests(method="GET", path_contains="/jobs/")] == [401, 200]
