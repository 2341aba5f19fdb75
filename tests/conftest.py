"""Fixtures shared by every test level: one DDM API emulator fixture, and the seed's ids.

`emulator` is a seeded emulator on a real socket that accepts `TOKEN` for the seed's project.
`valid_inputs()` gives the resource's inputs of the documented example (a fresh copy each call),
and `clean_env` empties the environment of what a developer's shell may set (tests/unit and
tests/grpc use it for every test).
A directory or module changes what it starts with by overriding `emulator_settings` (e.g. the
job length or a documented-open behaviour) or `emulator_clock` (a `ManualClock` moves jobs
without sleeping). The ids below are the seed's (`ddm_emulator.SEED`), never written out again.
"""

from __future__ import annotations

import copy
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ddm_emulator import SEED, DdmBackend, EmulatorServer, EmulatorSettings
from ddm_emulator.clock import Clock

REPO = Path(__file__).resolve().parent.parent
TOKEN = "static-test-token-0123456789abcdef"
"""The IAM token the tests hand to the provider; secret scans look for it."""

PROJECT_ID = SEED.project_id
SOURCE = SEED.source_instance_id
SOURCE_DATA_NODE = SEED.source_data_node_id
BACKUP = SEED.backup_id
TARGET = SEED.target_instance_id
DATA_NODE = SEED.target_data_node_id
DOC_EXAMPLE_BODY: dict[str, Any] = {
    "source": {"backup_id": BACKUP},
    "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]},
}
"""The request body of the documented example (ddm-api.md section 2.1)."""

RECOVERY_PATH = "/backups/metadata-recovery"


def valid_inputs(**changes: Any) -> dict[str, Any]:
    """The resource's inputs of the documented example: the seed's source, its backup, the empty
    target and its data node, as `check` accepts them. A fresh (deep) copy each call; `changes`
    replace top-level inputs, e.g. `valid_inputs(source={"restore_time": "latest"})`."""
    return {**copy.deepcopy({"source_instance_id": SOURCE, **DOC_EXAMPLE_BODY}), **changes}


AMBIENT_PREFIXES = ("OS_", "DDM_")
"""The provider's environment variables: OpenStack's `OS_*` (credentials, endpoints, `OS_CLOUD` and
`OS_CLIENT_CONFIG_FILE`, so no clouds.yaml is read) and our `DDM_*`."""


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """`os.environ` without what a developer's shell may hold that the provider or httpx reads:
    every `OS_*` and `DDM_*` variable, and every proxy variable urllib reads (any `*_proxy`, any
    case, and `REQUEST_METHOD`). Returns `monkeypatch`, so a test sets what it needs on top."""
    for name in list(os.environ):
        if name.startswith(AMBIENT_PREFIXES) or name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            monkeypatch.delenv(name)
    return monkeypatch


TEST_SETTINGS = EmulatorSettings(job_seconds=0.3)
"""What the `emulator` fixture starts with: jobs of 0.3 s, every other setting at its (strict) default."""


def seeded_emulator(settings: EmulatorSettings = TEST_SETTINGS, clock: Clock = time.time) -> EmulatorServer:
    """A seeded emulator accepting `TOKEN` for `PROJECT_ID`, to be started (`with ... as server:`)."""
    backend = DdmBackend(settings, clock=clock)
    backend.add_static_token(TOKEN, PROJECT_ID)
    return EmulatorServer(backend)


@pytest.fixture
def emulator_settings() -> EmulatorSettings:
    """What the `emulator` fixture starts with: `TEST_SETTINGS`."""
    return TEST_SETTINGS


@pytest.fixture
def emulator_clock() -> Clock:
    """The emulator's source clock: real time here; override with a `ManualClock`."""
    return time.time


@pytest.fixture
def emulator(emulator_settings: EmulatorSettings, emulator_clock: Clock) -> Iterator[EmulatorServer]:
    """A seeded emulator on a free port, accepting `TOKEN` for `PROJECT_ID`."""
    with seeded_emulator(emulator_settings, emulator_clock) as server:
        yield server


def recovery_posts(server: EmulatorServer) -> list:
    """The metadata-recovery POSTs the emulator received."""
    return server.backend.requests(method="POST", path_contains=RECOVERY_PATH)


_FIELD_PATH = re.compile(r"[a-z_]+(?:\.[a-z_]+)*(?:\[\d+\])?")


def failure_field(failure: Any) -> str:
    """The input a `CheckFailure` is about, as a dotted path (`target.data_nodes[0]`): its
    `property`, or, for a failure the provider reports for the whole resource (a nested field: the
    engine resolves only top-level properties, `provider._engine_property`), the path its reason
    starts with; `""` for a failure about no input."""
    if failure.property:
        return str(failure.property)
    from ddm_resources.fields import field

    found = _FIELD_PATH.match(failure.reason)
    path = found.group(0) if found else ""
    try:
        field(path.split("[")[0].split(".")[0])  # an input, or a key inside one (`target.nodes`)
    except KeyError:
        return ""
    return path

