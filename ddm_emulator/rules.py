"""
Restore rules as pure functions over the state objects.

One source of truth for "can this be restored to?": the metadata-recovery
POST raises an error when a reason is non-empty, and the read-only APIs
report the same reason as `available: false` / `unavailable_reason`.
The rules follow the user guide (docs/ddm-api.md section 2.1): the target DDM
instance must be empty (no data nodes, schemas or accounts), idle, not frozen
and at least version 3.0.8; the source at least 2.3.2.11; data nodes must be
RDS for MySQL, normal, writable, unassociated, with a completed point-in-time
restore (PITR), and in the target's VPC and subnet. The restore POST also
checks the number of data nodes against the source's (`restore_jobs`).
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import FakeDataNode, FakeInstance

__all__ = [
    "MIN_SOURCE_VERSION",
    "MIN_TARGET_VERSION",
    "node_unavailable_reason",
    "parse_version",
    "restorable_window",
    "source_unsupported_reason",
    "target_unavailable_reason",
]

MIN_SOURCE_VERSION = (2, 3, 2, 11)
MIN_TARGET_VERSION = (3, 0, 8)


def parse_version(version: str) -> tuple[int, ...]:
    """Turn `"3.0.8"` into `(3, 0, 8)`; non-numeric parts count as 0."""
    parts = []
    for piece in version.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def source_unsupported_reason(source: FakeInstance) -> str:
    """Why the source instance cannot have its metadata restored, or `""`."""
    if parse_version(source.engine_version) < MIN_SOURCE_VERSION:
        return "The source DDM instance version must be 2.3.2.11 or later."
    return ""


def target_unavailable_reason(target: FakeInstance, source: FakeInstance) -> str:
    """Why `target` cannot receive the metadata of `source`, or `""` if it can."""
    if target.id == source.id:
        return "The destination DDM instance cannot be the source instance."
    if target.frozen:
        return "The instance is frozen."
    if target.busy_job_id:
        return "Another operation is being performed on the instance."
    if target.state != "RUNNING":
        return f"The instance status is {target.state}."
    if target.accounts:
        return "The instance has a common account."
    if target.data_node_ids:
        return "The instance is already associated with other data nodes."
    if target.schemas:
        return "The instance already has schemas."
    if parse_version(target.engine_version) < MIN_TARGET_VERSION:
        return "The instance version must be 3.0.8 or later."
    return ""


def node_unavailable_reason(
    node: FakeDataNode,
    target: FakeInstance,
    source_node: FakeDataNode | None = None,
) -> str:
    """Why `node` cannot become a data node of `target`, or `""` if it can."""
    if node.instance_id or node.reserved_by_job:
        return "The instance is associated with other DDM instances."
    if node.status != "Normal":
        return "The instance is abnormal."
    if node.read_only:
        return "The instance is a read-only instance."
    if node.engine_name != "MySQL":
        return "Only RDS for MySQL instances are supported."
    if source_node is not None:
        if node.engine_name != source_node.engine_name:
            return "The DB engine is different from that of the source instance."
        if parse_version(node.engine_version) < parse_version(source_node.engine_version):
            return "The instance version is earlier than that of the source instance."
    if node.vpc_id != target.vpc_id:
        return "The instance is in a different VPC from the DDM instance."
    if node.subnet_id != target.subnet_id:
        return "The instance is in a different subnet from the DDM instance."
    if not node.pitr_completed:
        return "The instance has not completed a point-in-time restoration."
    return ""


def restorable_window(
    instance: FakeInstance, nodes: Iterable[FakeDataNode], now: float
) -> tuple[float, float]:
    """The restorable range: the intersection of the instance's and its nodes' ranges."""
    start = max([instance.restorable_since, *(node.restorable_since for node in nodes)])
    return start, now
