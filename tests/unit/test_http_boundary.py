"""`http_boundary`: one request in, one answer or one of this package's errors out. Every answer,
whatever its bytes, size or pace, ends as a response or a short error (`MAX_BODY` read at most,
a total deadline per request); no secret and no raw control text of the server reaches the error;
a failed connection names the proxy variable httpx used (never its value), and says whether the
request was sent and whether it may be sent again (a certificate that does not verify: never).

Real sockets on 127.0.0.1 (`real_socket`): the hostile server of tests/hostile_server.py, a TLS
listener whose certificate no given CA signs, a port that refuses connections.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ddm_resources.client import DdmClient
from ddm_resources.errors import (
    ApiError,
    AuthenticationError,
    ServerError,
    TransportError,
    UnreadableAnswerError,
)
from ddm_resources.http_body import MAX_BODY
from ddm_resources.http_options import DEFAULT_HTTP_OPTIONS, HttpOptions
from ddm_resources.models import Job
from ddm_resources.retry import RetryPolicy
from ddm_resources.waiter import PollSchedule, wait_for_job
from tests.conftest import PROJECT_ID, SOURCE
from tests.hostile_server import JOB_ID, TOKEN, Handler, answer, client, restore
from tests.local_tls import LocalTlsServer, make_cert

pytestmark = pytest.mark.real_socket


# odd bytes, nesting and compression in an answer (issue 19 items 8 and 9) --------------------------------------


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


# no secret and no raw server text in an error; size limits (issue 8 items 1, 3) --------------------------------


def test_401_echoing_the_token_header_shows_neither_token_nor_escapes(hostile):
    echo = f"Unauthorized. Request headers: X-Auth-Token: {TOKEN}\r\n\x1b[31mred\x1b[0m\x07 Cookie: a=b"
    server = hostile(answer(401, {"error_code": "APIGW.0301", "error_msg": echo}))
    with client(server) as c, pytest.raises(AuthenticationError) as info:
        c.get_job(JOB_ID)
    text = str(info.value)
    assert TOKEN not in text and "MIIsecret" not in text and "\x1b" not in text and "\x07" not in text
    assert "X-Auth-Token: ***" in text and "red" in text and "\r" not in text and "\n" not in text


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
    tests/unit/test_waiter.py), never sent again by the client."""
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


# every request has a total deadline (issue 8 item 7) -----------------------------------------------------------


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


# a failed connection: the proxy named, certificate failures not retried ----------------------------------------


PROXY_PASSWORD = "proxy-pw-0x5eCret"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("tls")
    return {name: make_cert(folder, name) for name in ("server", "other")}


class TlsListener(LocalTlsServer):
    """Shakes hands with its certificate on every connection; counts the connections."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.accepted = 0
        super().__init__(cert, key)

    def handle(self, conn: socket.socket) -> None:
        self.accepted += 1
        conn.settimeout(2.0)
        try:
            with self.context.wrap_socket(conn, server_side=True):
                pass
        except OSError:  # the client refused the certificate
            conn.close()


@pytest.fixture
def listener(certs: dict[str, tuple[Path, Path]]) -> Iterator[TlsListener]:
    server = TlsListener(*certs["server"])
    yield server
    server.close()


def read(url: str, options: HttpOptions = DEFAULT_HTTP_OPTIONS) -> tuple[TransportError, list[float]]:
    """The error of one read (a lookup) with up to 3 attempts, and the waits between them."""
    waits: list[float] = []
    with DdmClient(url, PROJECT_ID, TOKEN, http_options=options, retry_policy=RetryPolicy(max_attempts=3),
                   sleep=waits.append) as client, pytest.raises(TransportError) as info:
        client.restorable_instances(SOURCE)
    return info.value, waits


@pytest.mark.parametrize("ca", [None, "other"])
def test_a_proxy_certificate_that_does_not_verify_names_the_variable_and_is_not_retried(
        listener, certs, clean_env, ca):
    """The trial's HTTPS_PROXY=https://127.0.0.1:18445 signed by a CA that was not given (none, or another)."""
    clean_env.setenv("HTTPS_PROXY", f"https://user:{PROXY_PASSWORD}@127.0.0.1:{listener.port}")
    options = HttpOptions(cacert=str(certs[ca][0])) if ca else DEFAULT_HTTP_OPTIONS
    error, waits = read("https://127.0.0.1:9", options)
    text = str(error)
    assert text.startswith("GET /v3/") and "through the proxy of HTTPS_PROXY" in text
    assert "CERTIFICATE_VERIFY_FAILED" in text and "ddm:cacert or OS_CACERT" in text and "NO_PROXY" in text
    assert text.endswith("; not retried") and PROXY_PASSWORD not in text and "user:" not in text
    assert (error.transient, waits, listener.accepted) == (False, [], 1)


@pytest.mark.parametrize("name, scheme", [("HTTPS_PROXY", "https"), ("https_proxy", "https"), ("Https_Proxy", "https"),
                                          ("HTTP_PROXY", "http"), ("ALL_PROXY", "https")])
def test_a_proxy_that_refuses_connections_is_named_and_retried(clean_env, name, scheme):
    clean_env.setenv(name, f"http://u:{PROXY_PASSWORD}@127.0.0.1:1")
    error, waits = read(f"{scheme}://127.0.0.1:9")
    text = str(error)
    assert f"at {scheme}://127.0.0.1:9 through the proxy of {name}: ConnectError" in text
    assert f"check the proxy named by {name}" in text and "NO_PROXY" in text and "not retried" not in text
    assert PROXY_PASSWORD not in text and "u:" not in text
    assert (error.transient, error.request_sent, len(waits)) == (True, False, 2)


def test_the_proxy_named_is_the_variable_httpx_used(clean_env):
    """Both `HTTPS_PROXY` and `https_proxy` set: httpx goes through the lower-case one (both refuse
    connections here), and the error names it; neither value is shown."""
    clean_env.setenv("HTTPS_PROXY", f"http://u:{PROXY_PASSWORD}@127.0.0.1:2")
    clean_env.setenv("https_proxy", f"http://u:{PROXY_PASSWORD}@127.0.0.1:1")
    error, _ = read("https://127.0.0.1:9")
    text = str(error)
    assert "through the proxy of https_proxy: ConnectError" in text and "HTTPS_PROXY" not in text
    assert PROXY_PASSWORD not in text and "127.0.0.1:1" not in text


def test_no_proxy_means_a_direct_connection_and_no_proxy_in_the_error(clean_env):
    clean_env.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    clean_env.setenv("NO_PROXY", "127.0.0.1")
    error, waits = read("http://127.0.0.1:1")
    assert "proxy" not in str(error).lower() and len(waits) == 2


def test_an_endpoint_certificate_that_does_not_verify_is_not_retried(listener, clean_env):
    error, waits = read(f"https://127.0.0.1:{listener.port}")
    text = str(error)
    assert "CERTIFICATE_VERIFY_FAILED" in text and "proxy" not in text.lower()
    assert "give the CA that signs it with ddm:cacert or OS_CACERT" in text and text.endswith("; not retried")
    assert (error.transient, waits, listener.accepted) == (False, [], 1)


def test_a_restore_post_is_not_resent_after_a_certificate_failure(listener, clean_env):
    from tests.hostile_server import restore

    waits: list[float] = []
    with DdmClient(f"https://127.0.0.1:{listener.port}", PROJECT_ID, TOKEN, retry_policy=RetryPolicy(max_attempts=3),
                   sleep=waits.append) as client, pytest.raises(TransportError, match="not retried"):
        restore(client)
    assert (waits, listener.accepted) == ([], 1)
