"""
A local emulator of the Open Telekom Cloud DDM API, for tests and the demo.

Like moto / LocalStack for AWS: a real HTTP server (`EmulatorServer`) over a
state-and-rules backend (`DdmBackend`) with its settings (`EmulatorSettings`),
seeded with the documented metadata restore example (`SEED`). It serves IAM
password tokens, the V3 backup/restore and job APIs, the v1 instance details and
list, the schema list and schema details that check a restore, and an admin API
under `/_emulator/`. Faults (`Fault`) inject throttling,
errors, delays and lost connections. `wsgi_transport(backend)` serves it
in-process to an httpx client, without a socket. Run it standalone with
`python -m ddm_emulator` (for local use only: the admin API has no
authentication). `load_inventory(path)` reads an inventory file (instances, data
nodes, schemas, backups, access keys as data) and `inventory_seed(inventory)`
makes it a backend's seed, as `--inventory FILE` does.

Why a package of its own, next to `ddm_resources` and not inside it: it shares
no code with the provider in either direction (it imports nothing from
`ddm_resources`, and `ddm_resources` nothing from it), it needs werkzeug, which
the provider does not, and a user's Pulumi program never imports it. It ships
in the same distribution behind the `[emulator]` extra.

Importing this package has no side effects: nothing listens until `start()`.
"""

from __future__ import annotations

from .app import EmulatorApp, wsgi_transport
from .backend import DdmBackend
from .clock import ManualClock
from .errors import ServiceError
from .faults import Fault
from .inventory import Inventory, InventoryError, load_inventory, parse_inventory
from .inventory_apply import apply_inventory, inventory_seed
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
from .settings import DEFAULT_JOB_SECONDS, EmulatorSettings

__all__ = [
    "DEFAULT_JOB_SECONDS",
    "DEMO_DOMAIN_NAME",
    "DEMO_PASSWORD",
    "DEMO_PROJECT_ID",
    "DEMO_PROJECT_NAME",
    "DEMO_USER_NAME",
    "DdmBackend",
    "EmulatorApp",
    "EmulatorServer",
    "EmulatorSettings",
    "Fault",
    "Inventory",
    "InventoryError",
    "ManualClock",
    "SEED",
    "SeedIds",
    "ServiceError",
    "apply_inventory",
    "inventory_seed",
    "load_inventory",
    "parse_inventory",
    "seed_documented_example",
    "wsgi_transport",
]
