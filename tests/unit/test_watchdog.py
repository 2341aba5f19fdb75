"""`watchdog`: the provider process's engine watchdog: it exits once the engine stops listening."""

from __future__ import annotations

import socket
import subprocess
import sys

from ddm_resources.watchdog import engine_address
from tests.conftest import REPO


def test_engine_address_from_argv():
    assert engine_address(["x", "127.0.0.1:4567"]) == ("127.0.0.1", 4567)
    assert engine_address(["x"]) is None
    assert engine_address(["x", "not-an-address"]) is None


def test_process_exits_when_the_engine_is_gone():
    engine = socket.socket()
    engine.bind(("127.0.0.1", 0))
    engine.listen()
    port = engine.getsockname()[1]
    code = ("import sys, threading; from ddm_resources.watchdog import watch_engine; "
            f"assert watch_engine(interval=0.05, argv=['x', '127.0.0.1:{port}']); "
            "print('watching', flush=True); threading.Event().wait(30); sys.exit(3)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "watching"
        engine.close()
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
