"""Offline rules for the fields of a `MetadataRecovery`: IDs, the source choice, data nodes.

Each rule reports problems through a callback `report(path, reason)`; the reason starts
with the property path and says how to fix it. A rule skips a value that is unknown
(`pulumi.runtime.rpc.UNKNOWN` / `pulumi.output.Unknown`, see `inputs.is_unknown`), and any
rule that needs it, but still checks the other values. No rule touches the network.

**ID rule** (`ID_PATTERN`): an instance, backup or data node ID is exactly 32 lowercase
hexadecimal characters followed by a 4-character type suffix of two lowercase letters and
two digits, e.g. `1f5c9fd6cd984056ba89c8c87cc03278in09` (DDM instance), `...br09`
(backup), `...in01` (RDS data node). Any such suffix is accepted, so IDs of other instance
types are not rejected; empty values, whitespace, quotes, upper case, names (`ddm-prod`)
and truncated IDs are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .restore_time import parse_restore_time, restore_time_problem

__all__ = [
    "ID_PATTERN",
    "ID_RULE",
    "JOB_ID_PATTERN",
    "Report",
    "check_id",
    "check_job_id",
    "check_source",
    "check_target",
    "id_problem",
]

ID_PATTERN = re.compile(r"[0-9a-f]{32}[a-z]{2}[0-9]{2}")
"""An OTC instance, backup or data node ID: 32 lowercase hex characters and a suffix like `in09`."""
ID_RULE = (
    "32 lowercase hexadecimal characters followed by a 4-character suffix of two letters and "
    "two digits, such as in09 (DDM instance), br09 (backup) or in01 (RDS instance)"
)

Report = Callable[[str, str], None]
"""`report(path, reason)`: record one problem of the property at `path`."""

_EXAMPLES = {
    "DDM instance": "1f5c9fd6cd984056ba89c8c87cc03278in09",
    "backup": "defa45b24d314e878fde930a61732e9dbr09",
    "RDS instance": "f4e2949e9b9b4d60b42c89ed39bfe34cin01",
}
_QUOTES = "\"'`\u2018\u2019\u201c\u201d"


def _unknown(value: Any) -> bool:
    from .inputs import is_unknown  # inputs imports this module

    return is_unknown(value)


def id_problem(value: Any, kind: str) -> str | None:
    """Why `value` is not a plausible ID of a `kind` (`"DDM instance"`, `"backup"` or
    `"RDS instance"`), or `None`. The text has no property path."""
    example = _EXAMPLES.get(kind, _EXAMPLES["DDM instance"])
    if not isinstance(value, str):
        return f"must be the ID of a {kind} as a string, e.g. {example}, not a {type(value).__name__}"
    if value.strip() == "":
        return f"is empty: set it to the ID of a {kind}, e.g. {example}"
    if any(ch in _QUOTES for ch in value):
        return f"{value!r} contains quote characters: remove them and keep only the ID, e.g. {example}"
    if any(ch.isspace() for ch in value):
        return f"{value!r} contains whitespace: remove spaces, tabs and line breaks from the ID"
    if ID_PATTERN.fullmatch(value):
        return None
    if ID_PATTERN.fullmatch(value.lower()):
        return f"{value!r} has upper-case letters; OTC IDs are lower case: use {value.lower()!r}"
    shown = value if len(value) <= 60 else value[:57] + "..."
    return (f"{shown!r} does not look like the ID of a {kind}: an ID is {ID_RULE}, e.g. {example}. "
            "Copy the ID (not the name) from the console or the API")


def check_id(report: Report, path: str, value: Any, kind: str) -> bool:
    """Report `value` at `path` if it is not a plausible ID; True when it is one (or unknown)."""
    if _unknown(value):
        return True
    problem = id_problem(value, kind)
    if problem is not None:
        report(path, f"{path} {problem}")
    return problem is None


JOB_ID_PATTERN = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""A DDM job ID: 32 lowercase hex characters, or a UUID (the documented examples show both)."""


def check_job_id(report: Report, path: str, value: Any) -> None:
    """Report `value` at `path` unless it is a plausible DDM job ID (or unknown)."""
    if _unknown(value):
        return
    if not isinstance(value, str) or not JOB_ID_PATTERN.fullmatch(value):
        report(path, f"{path} must be the ID of a DDM job, 32 lowercase hexadecimal characters or a UUID, "
                     f"such as 09902ee7866649b8908ec209bfee2747 (the job_id of the restore to adopt); got {value!r}")


def check_source(report: Report, source: Any, now_ms: int) -> Any:
    """Check `source` (exactly one of `backup_id` and `restore_time`); return it with
    `restore_time` as int epoch ms when that parses, else unchanged."""
    if _unknown(source) or not isinstance(source, dict):
        return source
    backup_id, restore_time = source.get("backup_id"), source.get("restore_time")
    if not (_unknown(backup_id) or _unknown(restore_time)):
        if backup_id is None and restore_time is None:
            report("source", "source: set source.backup_id or source.restore_time; neither is set")
        elif backup_id is not None and restore_time is not None:
            report("source", "source: set only one of source.backup_id and source.restore_time; both are set")
    if backup_id is not None:
        check_id(report, "source.backup_id", backup_id, "backup")
    if restore_time is None or _unknown(restore_time):
        return source
    try:
        ms = parse_restore_time(restore_time)
    except ValueError as exc:
        report("source.restore_time", f"source.restore_time: {exc}")
        return source
    number = isinstance(restore_time, (int, float)) or (
        isinstance(restore_time, str) and not re.search(r"\d[T t]\d", restore_time)
    )
    problem = restore_time_problem(ms, now_ms, number=number)
    if problem is not None:
        report("source.restore_time", f"source.restore_time: {problem}")
        return source
    return {**source, "restore_time": ms}


def check_target(report: Report, target: Any, source_instance_id: Any) -> None:
    """Check `target.instance_id` (an ID, not the source) and `target.data_nodes` (a
    non-empty list of distinct IDs, no blank entries)."""
    if _unknown(target) or not isinstance(target, dict):
        return
    instance_id = target.get("instance_id")
    if (instance_id is not None and check_id(report, "target.instance_id", instance_id, "DDM instance")
            and not _unknown(instance_id) and instance_id == source_instance_id):
        report("target.instance_id", "target.instance_id is the same as source_instance_id: restore onto a "
               "new, empty DDM instance, not onto the source")
    nodes = target.get("data_nodes")
    if nodes is None or _unknown(nodes):
        return
    if isinstance(nodes, str):
        report("target.data_nodes", f'target.data_nodes must be a list of RDS instance IDs, not a single string: '
               f'write ["{nodes}"]')
        return
    if not isinstance(nodes, (list, tuple)):
        report("target.data_nodes", "target.data_nodes must be a list of the IDs of the RDS instances already "
               f"restored (PITR) for the target, e.g. [\"{_EXAMPLES['RDS instance']}\"]")
        return
    if not nodes:
        report("target.data_nodes", "target.data_nodes is empty: list at least one data node, the IDs of the "
               "RDS instances already restored (PITR) for the target")
        return
    seen: dict[str, int] = {}
    for index, node in enumerate(nodes):
        path = f"target.data_nodes[{index}]"
        if _unknown(node):
            continue
        if isinstance(node, str) and node.strip() == "":
            report(path, f"{path} is blank: remove the empty entry from target.data_nodes")
            continue
        if not check_id(report, path, node, "RDS instance"):
            continue
        if node in seen:
            report(path, f"{path}: {node} is listed twice (also at target.data_nodes[{seen[node]}]); "
                   "list each data node once")
        else:
            seen[node] = index
