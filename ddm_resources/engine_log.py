"""Lines to the Pulumi engine's log, each on its resource's row: the provider plugin's progress.

The engine passes its address to a plugin as the last argument; its `Log` RPC with a resource's
URN puts a line on that resource's row, and `ephemeral` makes it a status that replaces the last
one (docs/plugin.md). A dynamic provider gets no URN, so only the plugin uses this.
"""

from __future__ import annotations

import queue
import sys
import threading

import grpc

__all__ = ["EngineLog"]


class EngineLog:
    """Lines to the engine's `Log` RPC, attached to a resource's row by its URN (`ephemeral`: a
    status that replaces the last one and is not listed again at the end). One sender thread sends
    them in order, so a restore never waits on the engine's display; `flush` waits until the lines
    given so far are sent (each call's lines before its answer). Without an engine address (a
    test), lines go to stderr. Never raises: a line that cannot be sent is dropped."""

    def __init__(self, address: str | None) -> None:
        self.address = address
        self._queue: queue.SimpleQueue[tuple[str, str, bool] | threading.Event] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None
        self._lock = threading.Lock()

    def line(self, urn: str, message: str, *, ephemeral: bool = False) -> None:
        from .sanitize import mask_held

        message = mask_held(message)
        if self.address is None:
            print(f"ddm-resources: {message}", file=sys.stderr, flush=True)
            return
        self._start()
        self._queue.put((urn, message, ephemeral))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait (at most `timeout` seconds) until every line given before this call was sent."""
        if self._sender is None:
            return
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)

    def _start(self) -> None:
        with self._lock:
            if self._sender is None:
                self._sender = threading.Thread(target=self._send, name="ddm-engine-log", daemon=True)
                self._sender.start()

    def _send(self) -> None:
        from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

        stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(self.address))
        while True:
            item = self._queue.get()
            if isinstance(item, threading.Event):
                item.set()
                continue
            urn, message, ephemeral = item
            try:
                stub.Log(engine_pb2.LogRequest(severity=engine_pb2.INFO, message=message, urn=urn,
                                               ephemeral=ephemeral), timeout=10)
            except grpc.RpcError:
                pass
