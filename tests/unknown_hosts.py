"""A resolver that knows no `.invalid` host (RFC 6761), without asking any DNS server.

`refuse_invalid_names(monkeypatch)` makes `socket.getaddrinfo` answer `EAI_NONAME` ("no such
name") for every name ending in `.invalid`, in this process; other names go to the real
resolver. `SITECUSTOMIZE` does the same in every Python process that has `sitecustomize_dir()`
on its `PYTHONPATH`: the engine tests put it there, so the provider process that `pulumi`
starts resolves no `.invalid` name either, and no DNS query leaves the machine; with
`TEST_RESOLVER_LOG` set, each refused name is appended to that file.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

__all__ = ["SITECUSTOMIZE", "refuse_invalid_names", "sitecustomize_dir"]

SITECUSTOMIZE = '''
import os
import socket

_real_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else str(host or "")
    if name.rstrip(".").endswith(".invalid"):
        if os.environ.get("TEST_RESOLVER_LOG"):  # one line per refused lookup, for a test to count
            with open(os.environ["TEST_RESOLVER_LOG"], "a") as log:
                log.write(name + "\\n")
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _getaddrinfo
'''


def refuse_invalid_names(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make `socket.getaddrinfo` refuse `.invalid` names in this process; returns the list of
    names it was asked for (so a test can count the lookups)."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        asked.append(name)
        if name.rstrip(".").endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def sitecustomize_dir(parent: Path) -> Path:
    """A directory under `parent` holding `sitecustomize.py` = `SITECUSTOMIZE`; put it on `PYTHONPATH`."""
    directory = parent / "resolver"
    directory.mkdir(exist_ok=True)
    (directory / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return directory
