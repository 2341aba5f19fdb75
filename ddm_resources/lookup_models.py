"""Pydantic models of the read-only DDM V3 restore lookups (the answers preflight reads).

Response bodies only: fields the service adds are kept, never an error, and missing
optional fields take harmless defaults. Field names are the API's. Every list answer is one
page of the V3 envelope `{<items>, offset, limit, total}` (docs/ddm-api.md section 1).

API sections (see `docs/ddm-api.md`): restorable-instances 2.2,
restorable-time-interval 2.3, related-dn 2.4, restorable-data-node 2.5, backups 2.7.
Times in these bodies are UTC strings such as `2025-05-20T09:40:40+0000`
(`api_time.parse_api_time_ms` turns them into epoch milliseconds).
"""

# real annotations, no `from __future__ import annotations`; empty lists as `= []` (see `models`)
from .api_time import parse_api_time_ms
from .models import Page, ResponseBody

__all__ = [
    "BackupDetail",
    "BackupInfo",
    "BackupNode",
    "BackupsPage",
    "RelatedDataNode",
    "RelatedDataNodesPage",
    "RestorableInstance",
    "RestorableInstancesPage",
    "TargetDataNode",
    "TargetDataNodesPage",
    "TimeInterval",
    "TimeIntervalsPage",
]

class RestorableInstance(ResponseBody):
    """A candidate target DDM instance (QueryDDM4RestoreResp, section 2.2)."""

    instance_id: str
    instance_name: str = ""
    status: str = ""
    """As the restore lists show it, e.g. `normal`."""
    available: bool = False
    unavailable_reason: str = ""
    """Why it cannot be the target (common account, busy, associated with a DN, frozen)."""
    vpc_name: str = ""


class RestorableInstancesPage(Page):
    """`GET /v3/{project_id}/instances/{instance_id}/backups/restorable-instances`."""

    instances: list[RestorableInstance] = []


class TimeInterval(ResponseBody):
    """One restorable range (section 2.3): `start_time` to `end_time`, UTC strings."""

    start_time: str
    end_time: str

    @property
    def start_ms(self) -> int | None:
        """`start_time` as epoch milliseconds, `None` if unparsable."""
        return parse_api_time_ms(self.start_time)

    @property
    def end_ms(self) -> int | None:
        """`end_time` as epoch milliseconds, `None` if unparsable."""
        return parse_api_time_ms(self.end_time)


class TimeIntervalsPage(Page):
    """`GET /v3/{project_id}/instances/{instance_id}/backups/restorable-time-interval`."""

    restorable_time_intervals: list[TimeInterval] = []


class RelatedDataNode(ResponseBody):
    """A data node associated with the source instance at a point in time (RelatedDn, 2.4)."""

    instance_id: str
    instance_name: str = ""
    instance_status: str = ""
    engine_name: str = ""
    data_volume_size: str | int | float | None = None
    """Documented as a string; the example shows a number."""
    version: str = ""


class RelatedDataNodesPage(Page):
    """`GET .../backups/related-dn?restore_time=` (epoch ms)."""

    related_data_nodes: list[RelatedDataNode] = []
    latest_restorable_time: str = ""


class TargetDataNode(ResponseBody):
    """A candidate target data node for one source data node (TargetDn4Restore, 2.5)."""

    instance_id: str
    instance_name: str = ""
    engine_name: str = ""
    status: str = ""
    available: bool = False
    unavailable_reason: str = ""
    """Why it cannot be used (other VPC, associated elsewhere, abnormal, older, read-only...)."""
    vpc_name: str = ""
    private_ip: str = ""


class TargetDataNodesPage(Page):
    """`GET .../backups/restorable-data-node?target_instance_id=&source_dn_instance_id=&restore_time=`."""

    target_data_nodes: list[TargetDataNode] = []


class BackupInfo(ResponseBody):
    """One metadata backup in the backup list (BackupInfo, section 2.7)."""

    id: str
    name: str = ""
    description: str = ""
    status: str = ""
    """`creating`, `normal`, `deleted` or `createfail`; only `normal` can be restored."""
    instance_id: str = ""
    instance_name: str = ""
    instance_status: str = ""
    file_size: int | float | str | None = None
    """KB."""
    created: str = ""
    """UTC, `yyyy-MM-ddTHH:mm:ss+0000`."""
    updated: str = ""
    backup_type: str = ""
    """`auto_metadata` (daily schedule) or `metadata` (triggered otherwise)."""


class BackupsPage(Page):
    """`GET /v3/{project_id}/backups`."""

    backups: list[BackupInfo] = []


class BackupNode(ResponseBody):
    """A data node recorded in a backup."""

    instance_id: str
    instance_name: str = ""


class BackupDetail(ResponseBody):
    """`GET /v3/{project_id}/instances/{instance_id}/backups/{backup_id}` (section 2.7)."""

    id: str
    name: str = ""
    instance_id: str = ""
    instance_name: str = ""
    related_data_nodes: list[BackupNode] = []
