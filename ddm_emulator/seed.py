"""
The documented example as seed data, and its ids as constants.

`seed_documented_example(backend)` builds the restore example of docs/ddm-api.md
section 2.1: a source DDM instance with one data node, one schema (`orders`,
two shards) and a daily metadata backup, an empty target DDM instance, and an
RDS instance already restored to a point in time in the same VPC, ready to become the target's data node. The
source's restorable window is the last 7 days up to now. The IAM side is one
project `eu-de` in domain `demo-domain` with user `demo` / `demo-password`
(public demo credentials, not secrets).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backend import DdmBackend

__all__ = [
    "DEMO_DOMAIN_ID",
    "DEMO_DOMAIN_NAME",
    "DEMO_PASSWORD",
    "DEMO_PROJECT_ID",
    "DEMO_PROJECT_NAME",
    "DEMO_USER_NAME",
    "SEED",
    "SeedIds",
    "seed_demo_iam",
    "seed_documented_example",
]

DEMO_PROJECT_ID = "5e3b7c1a9d2f4e6b8a0c1d2e3f4a5b6c"
DEMO_PROJECT_NAME = "eu-de"
DEMO_DOMAIN_ID = "0a1b2c3d4e5f40718293a4b5c6d7e8f9"
DEMO_DOMAIN_NAME = "demo-domain"
DEMO_USER_NAME = "demo"
DEMO_PASSWORD = "demo-password"

_DAY = 86400.0
_VPC_ID = "3c7e5a1f-8d2b-4f6a-9e0c-1b2d3e4f5a6b"
_VPC_NAME = "vpc-demo"
_NETWORK = {
    "vpc_id": _VPC_ID,
    "vpc_name": _VPC_NAME,
    "subnet_id": "7d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6",
}


@dataclass(frozen=True)
class SeedIds:
    """Ids and names of the seeded example, for tests and the demo."""

    project_id: str = DEMO_PROJECT_ID
    project_name: str = DEMO_PROJECT_NAME
    domain_name: str = DEMO_DOMAIN_NAME
    user_name: str = DEMO_USER_NAME
    password: str = DEMO_PASSWORD
    source_instance_id: str = "1f5c9fd6cd984056ba89c8c87cc03278in09"
    source_data_node_id: str = "9a8b7c6d5e4f40312a1b0c9d8e7f6a5bin01"
    backup_id: str = "defa45b24d314e878fde930a61732e9dbr09"
    target_instance_id: str = "2f0324a93859487eb5566d75951fcd2din09"
    target_data_node_id: str = "f4e2949e9b9b4d60b42c89ed39bfe34cin01"
    restorable_days: float = 7.0

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON-ready data."""
        return asdict(self)


SEED = SeedIds()
"""The seeded example's ids (`SEED.source_instance_id`, `SEED.backup_id`, ...)."""


def _last_daily_backup_time(now: float) -> float:
    """The most recent 02:00 UTC at or before `now` (automatic backups run then)."""
    two_am = (now // _DAY) * _DAY + 2 * 3600
    return two_am if two_am <= now else two_am - _DAY


def seed_demo_iam(backend: DdmBackend) -> None:
    """Add the demo project `eu-de` and the demo user (the IAM part of every seed)."""
    backend.iam.add_project(
        DEMO_PROJECT_NAME,
        project_id=DEMO_PROJECT_ID,
        domain_name=DEMO_DOMAIN_NAME,
        domain_id=DEMO_DOMAIN_ID,
    )
    backend.iam.add_user(
        DEMO_USER_NAME,
        DEMO_PASSWORD,
        domain_name=DEMO_DOMAIN_NAME,
        project_ids=[DEMO_PROJECT_ID],
    )


def seed_documented_example(backend: DdmBackend) -> None:
    """Add the demo IAM and the documented example's instances, nodes, schema and backup."""
    now = backend.now()
    since = now - SEED.restorable_days * _DAY
    seed_demo_iam(backend)
    network = dict(_NETWORK)
    instance_network = {**network, "security_group_id": "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e"}
    backend.add_instance(
        DEMO_PROJECT_ID,
        instance_id=SEED.source_instance_id,
        name="ddm-source",
        engine_version="3.1.0",
        accounts=["app_user"],
        access_ip="192.168.0.11",
        created=now - 90 * _DAY,
        restorable_since=since,
        **instance_network,
    )
    backend.add_data_node(
        DEMO_PROJECT_ID,
        node_id=SEED.source_data_node_id,
        name="rds-source",
        instance_id=SEED.source_instance_id,
        private_ip="192.168.0.21",
        restorable_since=since,
        **network,
    )
    backend.add_schema(SEED.source_instance_id, "orders", shard_unit=2)
    backend.add_backup(
        DEMO_PROJECT_ID,
        SEED.source_instance_id,
        backup_id=SEED.backup_id,
        name="ddm-source-auto-metadata",
        created=_last_daily_backup_time(now),
        status="normal",
        backup_type="auto_metadata",
    )
    backend.add_instance(
        DEMO_PROJECT_ID,
        instance_id=SEED.target_instance_id,
        name="ddm-target",
        engine_version="3.1.0",
        access_ip="192.168.0.12",
        created=now - _DAY,
        restorable_since=now - _DAY,
        **instance_network,
    )
    backend.add_data_node(
        DEMO_PROJECT_ID,
        node_id=SEED.target_data_node_id,
        name="rds-restored",
        private_ip="192.168.0.22",
        restorable_since=now - _DAY,
        **network,
    )
