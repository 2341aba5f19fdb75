"""Fixtures shared by every test level: a fresh DDM API emulator on a real socket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ddm_emulator import DEMO_PROJECT_ID, DdmBackend, EmulatorServer

REPO = Path(__file__).resolve().parent.parent
TOKEN = "static-test-token-0123456789abcdef"
"""The IAM token the tests hand to the provider; secret scans look for it."""

SOURCE = "1f5c9fd6cd984056ba89c8c87cc03278in09"
BACKUP = "defa45b24d314e878fde930a61732e9dbr09"
TARGET = "2f0324a93859487eb5566d75951fcd2din09"
DATA_NODE = "f4e2949e9b9b4d60b42c89ed39bfe34cin01"
DOC_EXAMPLE_BODY = {
    "source": {"backup_id": BACKUP},
    "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]},
}
"""The request body of the documented example (ddm-api.md section 2.1)."""

RECOVERY_PATH = "/backups/metadata-recovery"


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    """A seeded emulator whose jobs take 0.3 s, accepting `TOKEN` for `DEMO_PROJECT_ID`."""
    server = EmulatorServer(DdmBackend(job_seconds=0.3))
    server.start()
    server.backend.add_static_token(TOKEN, DEMO_PROJECT_ID)
    try:
        yield server
    finally:
        server.stop()


def recovery_posts(server: EmulatorServer) -> list:
    """The metadata-recovery POSTs the emulator received."""
    return server.backend.requests(method="POST", path_contains=RECOVERY_PATH)
