"""The client against a small hostile HTTP server on 127.0.0.1 (issue 8 items 1, 3, 7, 8).

Each test starts `Hostile` with a function that writes raw bytes to the connection; the server
stops when the test ends, and by itself after `LIFETIME` seconds at the latest.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from pydantic import SecretStr

from ddm_resources.auth import PasswordToken
from ddm_resources.client import DdmClient
from ddm_resources.errors import ApiError, AuthenticationError, DdmError, TransportError, UnreadableAnswerError
from ddm_resources.http_body import MAX_BODY
from ddm_resources.models import RestoreSource, RestoreTarget
from ddm_resources.paging import MAX_PAGES
from ddm_resources.retry import RetryPolicy
from ddm_resources.sanitize import MASK, clean_text, hold_secret
from tests.conftest import BACKUP, DATA_NODE, PROJECT_ID, SOURCE, TARGET

pytestmark = pytest.mark.real_socket

LIFETIME = 20.0
TOKEN = "hostile-test-token-MIIsecretTOKEN42"
PASSWORD = "hostile-test-password-9f8e7d"
JOB_ID = "0990a2ee7866649b8908ec209bfee274"
ONE_POLICY = RetryPolicy(max_attempts=1)

Handler = Callable[[socket.socket, bytes, threading.Event], None]


class Hostile:
    """A TCP server answering every request with `handler(conn, request_head, stopping)`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[bytes] = []
        self.stopping = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        ends = time.monotonic() + LIFETIME
        while not self.stopping.is_set() and time.monotonic() < ends:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()
        self.stopping.set()
        self.sock.close()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2.0)
            while not self.stopping.is_set():
                head = b""
                try:
                    while b"\r\n\r\n" not in head:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        head += chunk
                except OSError:
                    return
                self.requests.append(head)
                try:
                    self.handler(conn, head, self.stopping)
                except OSError:
                    return

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)


@pytest.fixture
def hostile() -> Iterator[Callable[[Handler], Hostile]]:
    servers: list[Hostile] = []

    def start(handler: Handler) -> Hostile:
        servers.append(Hostile(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def answer(status: int, body: bytes | str | dict, headers: dict[str, str] | None = None) -> Handler:
    data = json.dumps(body).encode() if isinstance(body, dict) else body.encode() if isinstance(body, str) else body

    def handler(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        conn.sendall(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                     f"{extra}\r\n".encode() + data)

    return handler


def client(server: Hostile, **kwargs) -> DdmClient:
    kwargs.setdefault("retry_policy", ONE_POLICY)
    kwargs.setdefault("sleep", lambda s: None)
    return DdmClient(server.url, PROJECT_ID, kwargs.pop("token", TOKEN), **kwargs)


def restore(c: DdmClient) -> str:
    return c.restore_metadata(SOURCE, RestoreSource(backup_id=BACKUP),
                              RestoreTarget(instance_id=TARGET, data_nodes=[DATA_NODE]))


# 1. no secret and no raw server text in what the user sees -----------------------------------------

def test_401_echoing_the_token_header_shows_neither_token_nor_escapes(hostile):
    echo = f"Unauthorized. Request headers: X-Auth-Token: {TOKEN}\r\n\x1b[31mred\x1b[0m\x07 Cookie: a=b"
    server = hostile(answer(401, {"error_code": "APIGW.0301", "error_msg": echo}))
    with client(server) as c, pytest.raises(AuthenticationError) as info:
        c.get_job(JOB_ID)
    text = str(info.value)
    assert TOKEN not in text and "MIIsecret" not in text and "\x1b" not in text and "\x07" not in text
    assert "X-Auth-Token: ***" in text and "red" in text and "\r" not in text and "\n" not in text


def test_iam_answer_with_the_password_shows_no_password(hostile):
    body = {"error": {"code": 401, "message": f"wrong password {PASSWORD!r} for user demo", "title": "x"}}
    server = hostile(answer(401, body))
    tokens = PasswordToken(auth_url=f"{server.url}/v3", username="demo", password=SecretStr(PASSWORD),
                           domain_name="d", project_name="eu-de", timeout=httpx.Timeout(2.0),
                           retry_policy=ONE_POLICY)
    with pytest.raises(ApiError) as info:
        tokens.get()
    assert PASSWORD not in str(info.value) and MASK in str(info.value)


@pytest.mark.parametrize("project_id", ["../../other/\u202eevil", "p\u200bq", "a b", "x" * 65])
def test_an_iam_project_id_of_odd_shape_is_refused_not_put_in_paths(hostile, project_id):
    body = {"token": {"expires_at": "2999-01-01T00:00:00Z", "project": {"id": project_id}}}
    server = hostile(answer(201, body, {"X-Subject-Token": "MIIiamissued0123456789abcdef"}))
    tokens = PasswordToken(auth_url=f"{server.url}/v3", username="demo", password=SecretStr(PASSWORD),
                           domain_name="d", project_name="eu-de", timeout=httpx.Timeout(2.0),
                           retry_policy=ONE_POLICY)
    with pytest.raises(ApiError, match="IAM answered a project ID of unexpected shape") as info:
        tokens.get()
    assert project_id not in str(info.value)


def test_a_10_mb_error_message_becomes_a_short_error_and_is_read_only_1_mib(hostile):
    server = hostile(answer(400, {"error_code": "DBS.280001", "error_msg": "x" * 10_000_000}))
    with client(server) as c, pytest.raises(ApiError) as info:
        c.get_job(JOB_ID)
    assert len(str(info.value)) < 1000
    assert info.value.error_code == "DBS.280001"


def test_a_busy_409_with_a_huge_message_keeps_its_code_and_is_retried(hostile):
    server = hostile(answer(409, {"error_code": "DBS.212033", "error_msg": "busy " * 400_000}))
    with client(server, retry_policy=RetryPolicy(max_attempts=3)) as c, pytest.raises(ApiError) as info:
        c.get_job(JOB_ID)
    assert info.value.error_code == "DBS.212033" and len(server.requests) == 3


def test_a_2xx_answer_longer_than_the_limit_is_not_read_nor_retried(hostile):
    """The trial's 2 MiB restorable-instances answer was read 6 times (~14 s): the same request
    gets the same answer. To a GET it is an answer this tool cannot use (a job wait rides it out:
    tests/unit/test_oversized_answers.py), never sent again by the client."""
    server = hostile(answer(200, {"instances": [{"id": SOURCE, "name": "n" * (2 * MAX_BODY)}]}))
    waits: list[float] = []
    with client(server, retry_policy=RetryPolicy(max_attempts=6), sleep=waits.append) as c, \
            pytest.raises(UnreadableAnswerError, match="longer than 1048576 bytes; not read"):
        c.restorable_instances(SOURCE)
    assert (waits, len(server.requests)) == ([], 1)


def test_a_2xx_answer_to_the_restore_post_longer_than_the_limit_leaves_the_outcome_unknown(hostile):
    """The restore may have been accepted: a `TransportError` with the request sent (the caller looks for
    its job), not transient, so the POST is never sent again."""
    server = hostile(answer(202, {"job_id": JOB_ID, "pad": "n" * (2 * MAX_BODY)}))
    waits: list[float] = []
    with client(server, retry_policy=RetryPolicy(max_attempts=6), sleep=waits.append) as c, \
            pytest.raises(TransportError, match="longer than 1048576 bytes; not read .*; not retried$") as info:
        restore(c)
    assert (info.value.transient, info.value.request_sent, waits, len(server.requests)) == (False, True, [], 1)


@pytest.mark.parametrize("text, shown", [
    ("plain", "plain"),
    ("a\r\nb\tc\x00d", "a b c d"),
    ("\x1b[2J\x1b]0;title\x07cleared", "cleared"),
    # (a key "passwd": "password" itself is masked too wherever a held password contains it, see below)
    ('{"passwd": "hunter2xyz"}', '{"passwd": "***"}'),
    ("Authorization: Bearer abc.def", "Authorization: Bearer ***"),
    ("token=MIIabcdefghijklmnopqrstuvwxyz0123", "token=***"),
    ("x" * 400, "x" * 297 + "..."),
])
def test_clean_text(text, shown):
    assert clean_text(text) == shown


def test_clean_text_masks_held_secrets_even_where_the_text_is_cut():
    hold_secret("held-secret-value-123")  # held for the rest of the process: it only masks more
    assert clean_text("\x00" * 1000 + "held-secret-value-123" + "y" * 100) == "***" + "y" * 100
    assert "held" not in clean_text(" " * 1190 + "held-secret-value-123")


def test_clean_text_masks_a_held_secret_echoed_in_part():
    key = "Qx7-secret-access-key-0123456789abcdef"
    hold_secret(key)
    assert clean_text(f"signature for {key[:20]} does not match") == "signature for *** does not match"
    assert clean_text(f"key ...{key[10:30]}... rejected") == "key ...***... rejected"
    assert clean_text(f"KEY {key[:12].upper()} and {key[-8:]}") == "KEY *** and ***"  # any case, 8 characters
    assert clean_text(f"{key[:7]} and {key[-7:]}") == f"{key[:7]} and {key[-7:]}"  # 7 characters say little
    hold_secret("demo-password")
    assert clean_text("IAM: user demo (demo-pass) refused") == "IAM: user demo (***) refused"
    assert clean_text("the password is wrong") == "the *** is wrong"  # the safe side of a weak password
    hold_secret("k3y-abc")  # under 8 characters: masked whole only, its pieces are ordinary words
    assert clean_text("k3y-ab and k3y-abc") == "k3y-ab and ***"


# 3. server values that become outputs are checked -----------------------------------------------

def job_answer(**fields) -> Handler:
    return answer(200, {"job": {"id": JOB_ID, "name": "RestoreMetadata", "status": "Completed",
                                "created_time": "2026-11-29T10:00:00+0100", "end_time": "2026-11-29T10:05:00+0000",
                                "process": "", **fields}})


@pytest.mark.parametrize("fields, status, created, end, process", [
    ({}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", ""),
    ({"status": "COMPLETED", "created_time": "2026-11-29T09:00:00Z"}, "Completed", "2026-11-29T09:00:00Z",
     "2026-11-29T10:05:00Z", ""),
    ({"status": "running", "process": "40%", "end_time": ""}, "Running", "2026-11-29T09:00:00Z", "", "40%"),
    ({"created_time": "yesterday", "process": "\x1b[2J99%"}, "Completed", "", "2026-11-29T10:05:00Z", "99%"),
    ({"process": "lots"}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", ""),
    # progress that is not a string, out of 0-100 %, or not in ASCII digits reads as none: never a failed poll
    ({"process": 50}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", ""),
    ({"process": None}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", ""),
    ({"process": ["50%"]}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", ""),
    ({"process": "999%"}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", ""),
    ({"process": "\u0663\u0663%"}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", ""),
    ({"process": "100%"}, "Completed", "2026-11-29T09:00:00Z", "2026-11-29T10:05:00Z", "100%"),
])
def test_job_values_are_normalised_or_emptied(hostile, fields, status, created, end, process):
    server = hostile(job_answer(**fields))
    with client(server) as c:
        job = c.get_job(JOB_ID)
    assert (job.status, job.created_time, job.end_time, job.process) == (status, created, end, process)


@pytest.mark.parametrize("fields", [{"status": "Compl<eted>; rm -rf"}, {"status": "x" * 80}, {"id": "../../etc"}])
def test_odd_job_values_are_refused_not_recorded(hostile, fields):
    server = hostile(job_answer(**fields))
    with client(server) as c, pytest.raises(DdmError) as info:
        c.get_job(JOB_ID)
    assert "rm -rf" not in str(info.value) and "etc" not in str(info.value)


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


def test_an_answer_about_this_job_in_another_letter_case_is_this_jobs(hostile):
    server = hostile(job_answer(id=JOB_ID.upper()))
    with client(server) as c:
        assert c.get_job(JOB_ID).status == "Completed"


def test_a_restore_answer_without_a_usable_job_id_is_an_unknown_outcome(hostile):
    server = hostile(answer(202, {"job_id": "<script>"}))
    with client(server) as c, pytest.raises(TransportError) as info:
        restore(c)
    assert info.value.request_sent and "<script>" not in str(info.value)


@pytest.mark.parametrize("length, said", [(3000, "300 characters or more"), (301, "300 characters or more"),
                                          (300, "300 characters"), (40, "40 characters")])
def test_a_job_id_of_odd_length_is_reported_truly(hostile, length, said):
    """The trial's 3,000-character job ID was reported as 300 characters: the length after the cut."""
    server = hostile(answer(202, {"job_id": "a" * length}))
    with client(server) as c, pytest.raises(TransportError) as info:
        restore(c)
    assert f"job ID of unexpected shape ({said}; expected 32 hexadecimal characters or a UUID)" in str(info.value)


# 7. every request has a total deadline ----------------------------------------------------------

def trickle(head_first: bool) -> Handler:
    def handler(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        body = json.dumps({"job": {"id": JOB_ID, "status": "Running"}}).encode()
        start = b"HTTP/1.1 200 OK\r\n"
        rest = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
        if not head_first:
            start, rest = start + rest[:-len(body)], body
        conn.sendall(start)
        for byte in rest:
            if stopping.wait(0.3):
                return
            conn.sendall(bytes([byte]))

    return handler


@pytest.mark.parametrize("head_first", [True, False], ids=["headers-trickle", "body-trickles"])
def test_a_trickling_server_cannot_hold_a_request_past_its_deadline(hostile, head_first):
    server = hostile(trickle(head_first))
    timeout = httpx.Timeout(connect=2.0, read=1.0, write=2.0, pool=2.0)
    started = time.monotonic()
    with client(server, timeout=timeout, deadline=2.0) as c, pytest.raises(TransportError, match="timed out"):
        c.get_job(JOB_ID)
    assert 1.5 <= time.monotonic() - started < 4.0


# 8. job-list paging is capped and fails closed --------------------------------------------------

def endless_jobs() -> Handler:
    served = iter(range(10**9))

    def handler(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        jobs = [{"id": f"{next(served):032x}", "status": "Completed", "instance_id": TARGET} for _ in range(128)]
        answer(200, {"jobs": jobs, "total": 10**9, "offset": 0, "limit": 128})(conn, head, stopping)

    return handler


def test_a_job_list_that_never_ends_fails_closed_after_max_pages(hostile):
    server = hostile(endless_jobs())
    with client(server) as c, pytest.raises(DdmError, match=f"did not end within {MAX_PAGES} pages"):
        c.list_jobs(0, 10**13)
    assert len(server.requests) == MAX_PAGES


def test_a_job_list_repeating_one_page_fails_closed(hostile):
    jobs = [{"id": f"{n:032x}", "status": "Completed"} for n in range(128)]
    server = hostile(answer(200, {"jobs": jobs, "total": 1000, "offset": 0, "limit": 128}))
    with client(server) as c, pytest.raises(DdmError, match="stopped advancing"):
        c.list_jobs(0, 10**13)
    assert len(server.requests) <= 4
