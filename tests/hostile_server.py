"""A small hostile HTTP server on 127.0.0.1, for the tests of what the client does with any answer.

`Hostile` answers every request with a function that writes raw bytes to the connection; the
`hostile` fixture (tests/unit/conftest.py) starts them and stops them when the test ends, and each
stops by itself after `LIFETIME` seconds at the latest. `answer` writes a JSON answer, `client` is a
`DdmClient` of one attempt against a server, `restore` sends the documented restore with it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from ddm_resources.client import DdmClient
from ddm_resources.models import RestoreSource, RestoreTarget
from ddm_resources.retry import RetryPolicy
from tests.conftest import BACKUP, DATA_NODE, PROJECT_ID, SOURCE, TARGET

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
