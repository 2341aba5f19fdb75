"""Throttling is status 429, and a server's `Retry-After` never makes retries faster than the
backoff (issue 19 items 10 and 15).

* The restore POST was sent again after a 5xx whose body named `APIGW.0308` (even inside an HTML
  page): such an answer leaves the outcome unknown, so the POST is sent once and its job looked up.
* A `Retry-After` date already past gave a 0 s wait, so the retries came as a burst.
"""

from __future__ import annotations

import email.utils
import time

import pytest

from ddm_emulator import DEMO_PROJECT_ID, Fault
from ddm_resources.client import DdmClient
from ddm_resources.errors import ApiError, ServerError, ThrottledError, make_api_error
from ddm_resources.models import RestoreSource, RestoreTarget
from ddm_resources.retry import RetryPolicy, is_retryable_read, retry_delay
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET, TOKEN, recovery_posts

EXAMPLE = (SOURCE, RestoreSource(backup_id=BACKUP), RestoreTarget(instance_id=TARGET, data_nodes=[DATA_NODE]))
HTML_0308 = ('<html><body><h1>502 Bad Gateway</h1><pre>{"error_code": "APIGW.0308", '
             '"error_msg": "The request is throttled."}</pre></body></html>')


@pytest.mark.parametrize("status, body", [
    (503, {"error_code": "APIGW.0308", "error_msg": "The request is throttled."}),
    (500, {"errCode": "APIGW.0308", "externalMessage": "throttled"}),
    (502, HTML_0308),
], ids=["503-json", "500-v1-shape", "502-html"])
def test_a_5xx_naming_apigw_0308_is_not_throttling_and_the_post_is_sent_once(emulator, status, body):
    emulator.backend.add_fault(Fault("POST", "metadata-recovery", "respond", status=status, body=body))
    waits: list[float] = []
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN, sleep=waits.append) as client, \
            pytest.raises(ServerError) as info:
        client.restore_metadata(*EXAMPLE)
    assert not isinstance(info.value, ThrottledError)
    assert (len(recovery_posts(emulator)), waits) == (1, [])


@pytest.mark.parametrize("status, throttled", [(429, True), (400, False), (503, False), (403, False)])
def test_the_status_alone_decides_throttling(status, throttled):
    error = make_api_error(status, error_code="APIGW.0308", message="m", request_id="", method="GET", path="/")
    assert isinstance(error, ThrottledError) is throttled


@pytest.mark.parametrize("retry_after", [0.0, None])
def test_a_retry_after_of_zero_keeps_the_backoff(retry_after):
    error = make_api_error(429, error_code="APIGW.0308", message="m", request_id="", method="GET", path="/",
                           retry_after=retry_after)
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0, jitter=0.0)
    assert [retry_delay(error, n, policy, is_retryable_read, 0.0) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]


def test_a_retry_after_date_in_the_past_gives_the_backoff_not_a_burst(emulator):
    past = email.utils.formatdate(time.time() - 3600, usegmt=True)
    emulator.backend.add_fault(Fault("GET", "/jobs/", "respond", status=429, headers={"Retry-After": past}, times=3))
    waits: list[float] = []
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0, jitter=0.0)
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN, sleep=waits.append, retry_policy=policy) as client, \
            pytest.raises(ApiError):
        client.get_job("0" * 32)
    assert waits == [0.5, 1.0, 2.0]
