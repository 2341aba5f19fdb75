"""Fixtures for the emulator's own tests: the shared `emulator` on a manual clock with jobs of
`JOB_SECONDS`, its backend, an httpx client, and a token issued through the emulated IAM."""

from __future__ import annotations

import copy
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ddm_emulator import SEED, DdmBackend, EmulatorServer, EmulatorSettings, ManualClock
from tests.conftest import DOC_EXAMPLE_BODY

PROJECT = SEED.project_id
SOURCE_PATH = f"/v3/{PROJECT}/instances/{SEED.source_instance_id}"
RECOVERY = f"{SOURCE_PATH}/backups/metadata-recovery"
JOB_SECONDS = 3.0
JSON = {"Content-Type": "application/json"}
"""The header every request to the strict emulator needs (GETs too)."""
SSL_CONTEXT = ssl.create_default_context()
"""Built once: creating one per httpx client costs ~50 ms (the emulator is plain HTTP anyway)."""


def password_body(
    password: str = SEED.password,
    *,
    user: str = SEED.user_name,
    domain: str = SEED.domain_name,
    project: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The documented IAM password-token body."""
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "password": password, "domain": {"name": domain}}
                },
            },
            "scope": {"project": project or {"name": SEED.project_name}},
        }
    }


def doc_body(**source: Any) -> dict[str, Any]:
    """The documented restore body; `source` replaces the backup id if given."""
    return {**copy.deepcopy(DOC_EXAMPLE_BODY), **({"source": source} if source else {})}


@pytest.fixture
def clock() -> ManualClock:
    """The backend's source clock; only moves when a test advances it."""
    return ManualClock()


@pytest.fixture
def emulator_clock(clock: ManualClock) -> ManualClock:
    """The shared `emulator` runs on the manual clock."""
    return clock


@pytest.fixture
def emulator_settings() -> EmulatorSettings:
    """Jobs last `JOB_SECONDS` emulated seconds; every other setting at its default."""
    return EmulatorSettings(job_seconds=JOB_SECONDS)


@pytest.fixture
def backend(emulator: EmulatorServer) -> DdmBackend:
    """The state behind the shared `emulator`."""
    return emulator.backend


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """An httpx client for the emulator (5 s timeout) that sends `Content-Type: application/json`."""
    with httpx.Client(base_url=emulator.url, headers=JSON, timeout=5.0, verify=SSL_CONTEXT) as http:
        yield http


@pytest.fixture
def token(client: httpx.Client) -> str:
    """A token for the demo project, issued by the emulated IAM."""
    response = client.post("/v3/auth/tokens", json=password_body())
    assert response.status_code == 201
    return response.headers["X-Subject-Token"]


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    """Headers authenticating as the demo user."""
    return {"X-Auth-Token": token}
