"""
A local emulator of the Open Telekom Cloud DDM API, for tests and the demo.

Like moto / LocalStack for AWS: a real HTTP server (`EmulatorServer`) over a
state-and-rules backend (`DdmBackend`), seeded with the documented metadata
restore example (`SEED`, `DEMO_PROJECT_ID`). It serves IAM password tokens, the
V3 backup/restore and job APIs, the v1 instance details, and an admin API
under `/_emulator/`. Faults (`Fault`) inject throttling, errors, delays and
lost connections. Run it standalone with `python -m ddm_resources.emulator`.

Importing this package has no side effects: nothing listens until `start()`.
"""

from __future__ import annotations

from .backend import DEFAULT_JOB_SECONDS, DdmBackend
from .clock import ManualClock
from .errors import ServiceError
from .faults import Fault
from .restore import RESTORE_JOB_NAME
from .seed import (
    DEMO_DOMAIN_NAME,
    DEMO_PASSWORD,
    DEMO_PROJECT_ID,
    DEMO_PROJECT_NAME,
    DEMO_USER_NAME,
    SEED,
    SeedIds,
    seed_documented_example,
)
from .server import EmulatorServer

__all__ = [
    "DEFAULT_JOB_SECONDS",
    "DEMO_DOMAIN_NAME",
    "DEMO_PASSWORD",
    "DEMO_PROJECT_ID",
    "DEMO_PROJECT_NAME",
    "DEMO_USER_NAME",
    "DdmBackend",
    "EmulatorServer",
    "Fault",
    "ManualClock",
    "RESTORE_JOB_NAME",
    "SEED",
    "SeedIds",
    "ServiceError",
    "seed_documented_example",
]
