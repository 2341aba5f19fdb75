"""Real TLS on 127.0.0.1 for tests: throwaway certificates and a server base class.

`make_cert` makes a self-signed certificate (its own CA) for 127.0.0.1 with openssl;
`LocalTlsServer` listens on a free port with one, and hands every accepted connection to
`handle` until `close`.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from pathlib import Path


def make_cert(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 named `CN=<name>` (its own CA), and its key."""
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "1", "-subj", f"/CN={name}", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class LocalTlsServer:
    """Accepts connections on 127.0.0.1 (`port`, `url`) with `cert` / `key` until `close`.

    Subclasses set their own attributes before calling `__init__` (the accepting thread starts
    in it) and implement `handle(conn)`, which gets each raw connection (the TLS handshake is
    theirs to make, with `context`)."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(cert), str(key))
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.handle(conn)
        self.sock.close()
