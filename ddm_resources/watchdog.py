"""End the provider process when the Pulumi engine that started it is gone.

The engine starts `python -m pulumi.dynamic <engine address>`, and that process never looks
at the engine again: after a killed `pulumi up` it would live on. `watch_engine` (called from
`configure`, so only in a provider process) checks every `interval` seconds that the engine
still accepts TCP connections, and exits the process after two failed checks in a row.
"""

from __future__ import annotations

import os
import socket
import sys
import threading

__all__ = ["engine_address", "watch_engine"]

_started = threading.Event()


def engine_address(argv: list[str]) -> tuple[str, int] | None:
    """The engine's `(host, port)` from the provider process's arguments, if it gave one."""
    if len(argv) < 2 or ":" not in argv[1]:
        return None
    host, _, port = argv[1].rpartition(":")
    return (host, int(port)) if port.isdigit() else None


def watch_engine(interval: float = 10.0, argv: list[str] | None = None) -> bool:
    """Start the watchdog thread once per process; False when there is no engine address."""
    address = engine_address(sys.argv if argv is None else argv)
    if address is None or _started.is_set():
        return False
    _started.set()
    threading.Thread(target=_watch, args=(address, interval), name="ddm-engine-watchdog", daemon=True).start()
    return True


def _watch(address: tuple[str, int], interval: float) -> None:
    misses = 0
    while misses < 2:
        threading.Event().wait(interval)
        try:
            socket.create_connection(address, timeout=5).close()
            misses = 0
        except OSError:
            misses += 1
    os._exit(0)
