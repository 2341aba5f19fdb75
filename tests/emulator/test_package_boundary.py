"""The emulator and the provider are separate packages: neither imports the other."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest

from ddm_emulator import SEED, DdmBackend, Fault, wsgi_transport

REPO = Path(__file__).resolve().parents[2]


def _imported_modules(package: str) -> set[str]:
    found: set[str] = set()
    for path in (REPO / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module)
    return found


def test_emulator_imports_nothing_from_the_provider():
    assert not {m for m in _imported_modules("ddm_emulator") if m.split(".")[0] == "ddm_resources"}


def test_provider_imports_nothing_from_the_emulator():
    assert not {m for m in _imported_modules("ddm_resources") if m.split(".")[0] == "ddm_emulator"}


def test_wsgi_transport_serves_the_emulator_in_process():
    backend = DdmBackend()
    backend.add_static_token("in-process-token", SEED.project_id)
    with httpx.Client(transport=wsgi_transport(backend), base_url="http://ddm.emulator") as http:
        answer = http.get(
            f"/v3/{SEED.project_id}/backups",
            headers={"X-Auth-Token": "in-process-token", "Content-Type": "application/json"},
        )
    assert answer.status_code == 200
    assert [b["id"] for b in answer.json()["backups"]] == [SEED.backup_id]
    (record,) = backend.requests()
    assert (record.method, record.path, record.status) == ("GET", f"/v3/{SEED.project_id}/backups", 200)


def test_wsgi_transport_turns_a_dropped_connection_into_httpx_error():
    backend = DdmBackend()
    backend.add_fault(Fault(method="GET", path_regex="/backups$", action="drop"))
    with httpx.Client(transport=wsgi_transport(backend), base_url="http://ddm.emulator") as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(f"/v3/{SEED.project_id}/backups")
    assert [r.answered for r in backend.requests()] == [False]
