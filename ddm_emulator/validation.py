"""
Request validation as the service does it: 400 `DBS.280001` naming the field.

`parse_restore_metadata` checks the metadata-recovery body (docs/ddm-api.md
section 2.1): a JSON object; `source` with exactly one of `backup_id` (string)
and `restore_time` (integer epoch ms); `target.instance_id` (string);
`target.data_nodes` (non-empty array of distinct strings). The query helpers
check pagination (`offset` >= 0, default 0; `limit` 1-128, default 10) and
mandatory parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import BadParameter, ServiceError

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "RestoreMetadataRequest",
    "optional_str_arg",
    "parse_paging",
    "parse_restore_metadata",
    "required_int_arg",
    "required_str_arg",
]

DEFAULT_LIMIT = 10
MAX_LIMIT = 128


@dataclass(frozen=True)
class RestoreMetadataRequest:
    """A validated metadata-recovery body."""

    target_instance_id: str
    data_nodes: list[str]
    backup_id: str | None = None
    restore_time_ms: int | None = None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _non_empty_str(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def parse_restore_metadata(body: Any, *, accept_float_time: bool = False) -> RestoreMetadataRequest:
    """Validate a metadata-recovery body; raise `BadParameter` naming the field.

    `accept_float_time` lets a whole-number JSON float stand for `restore_time` (as the
    official SDK, which types it float, may send it). Repeated data nodes answer
    400 `DBS.300108` as documented."""
    if not isinstance(body, dict):
        raise BadParameter("Parameter error: the request body must be a JSON object.")
    source = body.get("source")
    if not isinstance(source, dict):
        raise BadParameter("Parameter error: source is mandatory and must be an object.")
    backup_id = source.get("backup_id")
    restore_time = source.get("restore_time")
    if backup_id is not None and not _non_empty_str(backup_id):
        raise BadParameter("Parameter error: source.backup_id must be a non-empty string.")
    if accept_float_time and isinstance(restore_time, float) and restore_time.is_integer():
        restore_time = int(restore_time)
    if restore_time is not None and (not _is_int(restore_time) or restore_time < 0):
        raise BadParameter(
            "Parameter error: source.restore_time must be an integer (epoch milliseconds)."
        )
    if (backup_id is None) == (restore_time is None):
        raise BadParameter(
            "Parameter error: exactly one of source.backup_id and source.restore_time "
            "must be given."
        )
    target = body.get("target")
    if not isinstance(target, dict):
        raise BadParameter("Parameter error: target is mandatory and must be an object.")
    instance_id = target.get("instance_id")
    if not _non_empty_str(instance_id):
        raise BadParameter("Parameter error: target.instance_id must be a non-empty string.")
    data_nodes = target.get("data_nodes")
    if (
        not isinstance(data_nodes, list)
        or not data_nodes
        or not all(_non_empty_str(node) for node in data_nodes)
    ):
        raise BadParameter(
            "Parameter error: target.data_nodes must be a non-empty array of strings."
        )
    if len(set(data_nodes)) != len(data_nodes):
        raise ServiceError(400, "DBS.300108", "Duplicate data nodes: target.data_nodes must not repeat an id.")
    return RestoreMetadataRequest(
        target_instance_id=str(instance_id),
        data_nodes=list(data_nodes),
        backup_id=backup_id,
        restore_time_ms=restore_time,
    )


def _int_arg(args: Mapping[str, str], name: str, *, minimum: int, maximum: int | None) -> int:
    raw = args.get(name, "")
    try:
        value = int(raw.strip())
    except ValueError:
        value = None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise BadParameter(f"Parameter error: {name} must be an integer {bound}.")
    return value


def parse_paging(
    args: Mapping[str, str], *, default_limit: int = DEFAULT_LIMIT
) -> tuple[int, int]:
    """Return `(offset, limit)` from the query; 400 on bad values."""
    offset = _int_arg(args, "offset", minimum=0, maximum=None) if "offset" in args else 0
    limit = (
        _int_arg(args, "limit", minimum=1, maximum=MAX_LIMIT) if "limit" in args else default_limit
    )
    return offset, limit


def required_int_arg(args: Mapping[str, str], name: str) -> int:
    """A mandatory non-negative integer query parameter (e.g. epoch ms)."""
    if name not in args:
        raise BadParameter(f"Parameter error: {name} is mandatory.")
    return _int_arg(args, name, minimum=0, maximum=None)


def required_str_arg(args: Mapping[str, str], name: str) -> str:
    """A mandatory non-empty string query parameter."""
    value = args.get(name, "").strip()
    if not value:
        raise BadParameter(f"Parameter error: {name} is mandatory.")
    return value


def optional_str_arg(args: Mapping[str, str], name: str) -> str | None:
    """An optional string query parameter; empty counts as absent."""
    value = args.get(name, "").strip()
    return value or None
