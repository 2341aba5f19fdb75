"""Item 19 of issue 19: `timeouts.create` below a second (`"0.0000001ms"`) was accepted; and a clock two
days ahead of IAM caused one IAM login per DDM request (the token's life was counted from this
machine's clock to `expires_at`, so it looked expired on arrival). The life is now
`expires_at - issued_at` (both IAM's), and renewals on time are at least a minute apart."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest
from pydantic import SecretStr

from ddm_resources.auth import PasswordToken
from ddm_resources.inputs import check_inputs
from ddm_resources.retry import RetryPolicy
from tests.conftest import BACKUP, DATA_NODE, PROJECT_ID, SOURCE, TARGET
from tests.unit import test_hostile_server

hostile = test_hostile_server.hostile
GOOD = {"source_instance_id": SOURCE, "source": {"backup_id": BACKUP},
        "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}}
TWO_DAYS = 2 * 24 * 3600.0


@pytest.mark.parametrize("create, refused", [("0.0000001ms", True), ("999ms", True), ("0.5s", True),
                                             ("1s", False), ("1000ms", False), ("60m", False)])
def test_a_create_deadline_below_a_second_is_refused(create, refused):
    problems = check_inputs({**GOOD, "timeouts": {"create": create}}).problems
    assert [p.property for p in problems] == (["timeouts.create"] if refused else [])
    if refused:
        assert "shorter than a second" in problems[0].reason


def iam_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(epoch))


def iam(issued: bool):
    """An IAM answering every login with a 24-hour token issued now (on the real clock)."""
    def handler(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        now = time.time()
        token = {"expires_at": iam_time(now + 86400), "project": {"id": PROJECT_ID}}
        if issued:
            token["issued_at"] = iam_time(now)
        body = json.dumps({"token": token}).encode()
        conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Subject-Token: MIIlifetime"
                     + str(len(head)).encode() + b"0123456789abcdef\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    return handler


@pytest.mark.real_socket
@pytest.mark.parametrize("issued", [True, False], ids=["with-issued_at", "without-issued_at"])
def test_a_clock_two_days_ahead_of_iam_logs_in_once(hostile, issued):
    server = hostile(iam(issued))
    now = [time.time() + TWO_DAYS]
    tokens = PasswordToken(auth_url=f"{server.url}/v3", username="demo", password=SecretStr("lifetime-test-pw"),
                           domain_name="d", project_name="eu-de", timeout=httpx.Timeout(2.0),
                           retry_policy=RetryPolicy(max_attempts=1), clock=lambda: now[0])
    for _ in range(20):  # twenty DDM requests in a row
        tokens.get()
        now[0] += 1.0
    assert len(server.requests) == 1
    now[0] += 12 * 3600 if issued else 60  # half the token's life later / after the minimum interval
    tokens.get()
    assert len(server.requests) == (1 if issued else 2)
