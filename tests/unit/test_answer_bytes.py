"""Every answer, whatever its bytes, ends as a response or one of this package's errors (issue 19
items 8 and 9), against a small hostile server on 127.0.0.1 (`test_hostile_server.Hostile`).

Before: a body declared `Content-Encoding: gzip` that is not gzip escaped as `httpx.DecodingError`, an
error body nested about 1,000 deep as `RecursionError`, a non-ASCII byte in any response header as
`UnicodeEncodeError` (while the headers were rebuilt), and a 1 KB `gzip, gzip` answer decoded to
hundreds of MiB (`MemoryError` at 600 MiB). Now a poll rides such an answer out, the restore POST's
answer counts as unclear (the job is looked up, the POST never resent), and a preflight lookup fails
closed in one line; decoding stops at the 1 MiB limit.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import tracemalloc
import zlib

import pytest

from ddm_resources.errors import ServerError, TransportError, UnreadableAnswerError
from ddm_resources.http_boundary import MAX_BODY
from ddm_resources.models import Job
from ddm_resources.retry import RetryPolicy
from ddm_resources.waiter import PollSchedule, wait_for_job
from tests.conftest import SOURCE
from tests.unit import test_hostile_server
from tests.unit.test_hostile_server import JOB_ID, Handler, answer, client, restore

hostile = test_hostile_server.hostile

pytestmark = pytest.mark.real_socket

JOB = {"job": {"id": JOB_ID, "name": "RestoreMetadata", "status": "Completed",
               "created_time": "2026-11-29T10:00:00+0000", "end_time": "2026-11-29T10:05:00+0000"}}


def raw(status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> Handler:
    """An answer written byte for byte (headers too: any byte may be in them)."""
    def handler(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        lines = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        conn.sendall(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n" % (status, len(body)) + lines + b"\r\n" + body)
    return handler


def gzip_bomb(size: int, wbits: int = 16 + zlib.MAX_WBITS) -> bytes:
    """A gzip (or with `wbits`, another zlib) stream of `size` zero bytes, made without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1 << 20)
    return b"".join(packer.compress(block) for _ in range(size >> 20)) + packer.flush()


NOT_GZIP = raw(200, json.dumps(JOB).encode(), [(b"Content-Type", b"application/json"),
                                                (b"Content-Encoding", b"gzip")])


# item 8: odd bytes ---------------------------------------------------------------------------------------

def test_a_read_of_a_body_that_is_not_the_gzip_it_claims_is_an_unreadable_answer_in_one_line(hostile):
    server = hostile(NOT_GZIP)
    with client(server, retry_policy=RetryPolicy(max_attempts=6)) as c, \
            pytest.raises(UnreadableAnswerError, match="the body is not valid gzip data$") as info:
        c.restorable_instances(SOURCE)
    assert "\n" not in str(info.value) and len(server.requests) == 1


def test_a_restore_post_answered_with_bad_gzip_counts_as_unclear_and_is_not_resent(hostile):
    server = hostile(raw(202, b'{"job_id": "x"}', [(b"Content-Encoding", b"gzip")]))
    with client(server, retry_policy=RetryPolicy(max_attempts=6)) as c, pytest.raises(TransportError) as info:
        restore(c)
    assert (info.value.request_sent, info.value.transient, len(server.requests)) == (True, False, 1)


@pytest.mark.parametrize("value", [b"Gr\xc3\xbc\xc3\x9fe-Gateway", b"Gr\xfc\xdfe-Gateway", b"\xff\xfe\x80"])
def test_non_ascii_bytes_in_a_header_change_nothing(hostile, value):
    """The trial's accepted POST whose 202 carried `Server: Grüße-Gateway` ended in a traceback."""
    body = json.dumps({"job_id": JOB_ID}).encode()
    server = hostile(raw(202, body, [(b"Content-Type", b"application/json"), (b"Server", value),
                                     (b"X-Request-Id", value), (b"Date", value)]))
    with client(server) as c:
        assert restore(c) == JOB_ID


def test_non_ascii_bytes_in_the_headers_of_an_error_answer_give_the_error(hostile):
    server = hostile(raw(503, b'{"error_code": "DBS.200412", "error_msg": "down"}',
                         [(b"Retry-After", b"\xff1"), (b"X-Request-Id", b"r\xe9q")]))
    with client(server) as c, pytest.raises(ServerError, match="HTTP 503 DBS.200412: down"):
        c.get_job(JOB_ID)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_an_error_body_nested_too_deep_gives_the_status(hostile, depth):
    server = hostile(raw(500, b'{"error": ' * depth + b"1" + b"}" * depth, [(b"Content-Type", b"application/json")]))
    with client(server) as c, pytest.raises(ServerError) as info:
        c.get_job(JOB_ID)
    assert str(info.value).startswith("HTTP 500: ") and len(str(info.value)) < 600


def test_a_2xx_body_nested_too_deep_is_an_unreadable_answer(hostile):
    server = hostile(raw(200, b"[" * 100_000 + b"]" * 100_000, [(b"Content-Type", b"application/json")]))
    with client(server) as c, pytest.raises(UnreadableAnswerError):
        c.get_job(JOB_ID)


def test_a_poll_rides_out_an_undecodable_answer(hostile):
    answers = [NOT_GZIP, answer(200, JOB)]

    def handler(conn: socket.socket, head: bytes, stopping: threading.Event) -> None:
        (answers.pop(0) if len(answers) > 1 else answers[0])(conn, head, stopping)

    server = hostile(handler)
    with client(server) as c:
        job: Job = wait_for_job(c.poll_job, JOB_ID, timeout=30, schedule=PollSchedule(max_interval=0.01),
                                sleep=lambda s: None)
    assert job.status == "Completed" and len(server.requests) == 2


# item 9: decompression bombs ---------------------------------------------------------------------------

def test_stacked_codings_are_refused_unread(hostile):
    bomb = gzip.compress(gzip_bomb(64 << 20))  # the trial's `gzip, gzip`: about 65 KB for 64 MiB here
    server = hostile(raw(200, bomb, [(b"Content-Encoding", b"gzip, gzip")]))
    with client(server) as c, pytest.raises(UnreadableAnswerError, match="2 stacked content codings"):
        c.get_job(JOB_ID)


@pytest.mark.parametrize("coding", [b"gzip", b"deflate"])
def test_a_bomb_is_decoded_only_to_the_limit(hostile, coding):
    data = gzip_bomb(128 << 20, 16 + zlib.MAX_WBITS if coding == b"gzip" else zlib.MAX_WBITS)
    server = hostile(raw(200, data, [(b"Content-Encoding", coding)]))
    with client(server) as c:
        tracemalloc.start()
        try:
            with pytest.raises(UnreadableAnswerError, match="longer than 1048576 bytes"):
                c.get_job(JOB_ID)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < MAX_BODY + (4 << 20), f"{peak / 2**20:.1f} MiB at the peak"


def test_a_gzip_answer_within_the_limit_is_read(hostile):
    server = hostile(raw(200, gzip.compress(json.dumps(JOB).encode()), [(b"Content-Encoding", b"gzip")]))
    with client(server) as c:
        assert c.get_job(JOB_ID).status == "Completed"
    assert b"accept-encoding: gzip, deflate\r\n" in server.requests[0].lower()
