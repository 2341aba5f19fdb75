"""Pydantic models of the reads that check a target after its restore (docs/ddm-api.md section 9).

Response bodies only, on the bases of `models` (fields the service adds are kept, every string
is cleaned, missing optional fields take harmless defaults). Field names are the API's:

- instance details, `GET /v1/{project_id}/instances/{instance_id}` (section 9.3): `InstanceDetail`;
- the schema list, `GET /v1/{project_id}/instances/{instance_id}/databases` (section 9.1):
  `SchemasPage` of `SchemaInfo`, which does *not* echo `offset`/`limit` (the `Page` defaults, 0,
  stand in; `DdmClient` pages it by item index, as every other list, and caps the pages);
- schema details, `GET /v3/{project_id}/instances/{instance_id}/databases/{database_name}`
  (section 9.2): `SchemaDetail` with `shards[]` and `data_nodes[]`.

Statuses are kept as the service writes them; `verification` compares them case-insensitively.
"""

# real annotations, no `from __future__ import annotations`; empty lists as `= []` (see `models`)
from typing import Any

from pydantic import field_validator

from .models import Page, ResponseBody

__all__ = [
    "InstanceDetail",
    "SchemaDetail",
    "SchemaInfo",
    "SchemaNode",
    "SchemaUsedRds",
    "SchemasPage",
    "Shard",
]


class InstanceDetail(ResponseBody):
    """A DDM instance as `GET /v1/{project_id}/instances/{instance_id}` shows it (section 9.3).

    `status`: `RUNNING` (running and available), `RESTORE` (being restored), another status of
    the table in section 4, or `DELETED` (a service that answers a deleted instance with 200)."""

    id: str = ""
    name: str = ""
    status: str = ""


class SchemaUsedRds(ResponseBody):
    """A data node (RDS instance) a schema's shards use, in the schema list (GetDatabaseUsedRds)."""

    id: str = ""
    name: str = ""
    status: str = ""


class SchemaInfo(ResponseBody):
    """One schema of the schema list (GetDatabaseInfo, section 9.1); `created` is epoch ms."""

    name: str
    shard_mode: str = ""
    shard_number: int | None = None
    shard_unit: int | None = None
    status: str = ""
    """A schema status (section 9.5): `RUNNING` is running and available."""
    created: int | None = None
    """Epoch milliseconds, UTC (the schema details write it as a string instead)."""
    used_rds: list[SchemaUsedRds] = []

    @field_validator("shard_number", "shard_unit", "created", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        """A number written as digits is read as the number; anything else unreadable is `None`."""
        if isinstance(value, str) and value.strip().isdigit() and value.isascii():
            return int(value)
        return value if isinstance(value, int) and not isinstance(value, bool) else None


class SchemasPage(Page):
    """`GET /v1/{project_id}/instances/{instance_id}/databases?offset=&limit=`: `databases[]`, `total`."""

    databases: list[SchemaInfo] = []


class Shard(ResponseBody):
    """One shard of a schema (section 9.2): the data node it sits on."""

    data_node_id: str = ""
    physical_db_name: str = ""
    status: str = ""
    shard_index: int | None = None


class SchemaNode(ResponseBody):
    """A data node of a schema's details (section 9.2)."""

    id: str = ""
    name: str = ""
    status: str = ""


class SchemaDetail(ResponseBody):
    """`GET /v3/{project_id}/instances/{instance_id}/databases/{database_name}` (section 9.2).

    `shard_number` is documented as a string and shown as a number: both are read."""

    name: str = ""
    status: str = ""
    shard_mode: str = ""
    shard_number: int | None = None
    shards: list[Shard] = []
    data_nodes: list[SchemaNode] = []

    @field_validator("shard_number", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().isdigit() and value.isascii():
            return int(value)
        return value if isinstance(value, int) and not isinstance(value, bool) else None
