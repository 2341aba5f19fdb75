"""
`EmulatorServer`: the emulator on a real socket, served from a daemon thread.

Like moto's `ThreadedMotoServer`: werkzeug's threaded server runs
`EmulatorApp` in the background so tests, the demo and the Pulumi engine in
another process can talk HTTP to it. It is for local use: bind it to a loopback
address (the default); `local_only` tells whether it is. Port 0 picks a free port; `url` tells
which. `stop()` returns promptly (pending `delay` faults are cut short) and
releases the port.

Usage:

    with EmulatorServer() as server:
        httpx.post(f"{server.url}/v3/auth/tokens", json=...)
"""

from __future__ import annotations

import logging
import re
import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .admin_api import is_loopback_host
from .app import EmulatorApp
from .backend import DdmBackend

__all__ = ["EmulatorServer"]

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.01
"""How often the serving loop checks for `stop()`; bounds how long stopping takes."""


_ANSI_STYLE = re.compile(r"\x1b\[[0-9;]*m")
"""The colour codes werkzeug puts around an access line's request (by status)."""


class _RequestHandler(WSGIRequestHandler):
    """werkzeug's handler, logging access lines to our logger at DEBUG, not stderr.

    The message is plain text; werkzeug's coloured form is on the record as `styled`, for a
    handler that writes to a terminal (`python -m ddm_emulator --verbose`)."""

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 - werkzeug's name
        styled = f"{self.address_string()} - {message % args}"
        log.debug("%s", _ANSI_STYLE.sub("", styled), extra={"styled": styled})

    def send_response(self, code: int, message: str | None = None) -> None:
        """As http.server's, without its `Date` of the real clock: the app sends the emulated one."""
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())


class EmulatorServer:
    """
    Serve a `DdmBackend` over HTTP on a background thread.

    **Parameters:**

    * **backend** - the state to serve; a fresh seeded `DdmBackend` when `None`.
    * **host** - interface to bind, `127.0.0.1` by default.
    * **port** - TCP port; 0 picks a free one.
    """

    def __init__(
        self, backend: DdmBackend | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.backend = backend if backend is not None else DdmBackend()
        self.host = host
        self._requested_port = port
        self._stopping = threading.Event()
        self.app = EmulatorApp(self.backend, stopping=self._stopping)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (after `start()`)."""
        if self._server is None:
            raise RuntimeError("the emulator server is not running")
        return self._server.port

    @property
    def bound_host(self) -> str:
        """The address the socket is bound to (after `start()`), e.g. `127.0.0.1` or `0.0.0.0`."""
        if self._server is None:
            raise RuntimeError("the emulator server is not running")
        return str(self._server.socket.getsockname()[0])

    @property
    def url(self) -> str:
        """The base URL of the bound socket, e.g. `http://127.0.0.1:43123` (`http://0.0.0.0:...` when so bound)."""
        host = self.bound_host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def local_only(self) -> bool:
        """Whether only this machine can reach the server (it is bound to a loopback address)."""
        return is_loopback_host(self.bound_host)

    def start(self) -> EmulatorServer:
        """Bind and start serving; return `self`."""
        if self._server is not None:
            raise RuntimeError("the emulator server is already running")
        self._stopping.clear()
        try:
            server = make_server(
                self.host,
                self._requested_port,
                self.app,
                threaded=True,
                request_handler=_RequestHandler,
            )
        except SystemExit as exc:  # werkzeug exits when it cannot bind
            raise OSError(f"cannot listen on {self.host}:{self._requested_port}") from exc
        self._server = server
        self.app.admin_hosts = {self.bound_host}
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name=f"ddm-emulator-{server.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        if thread is not None:
            thread.join(timeout=5)
        server.server_close()
        self._server = None
        self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
