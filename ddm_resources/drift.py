"""What `pulumi refresh` finds of a restore's target (docs/ddm-api.md section 9.3): output `target_status`.

`target_drift` reads, GET only, the target's details and (when it runs and the state records the
schemas the restore left) its schema list, and says what changed since the restore:

- `DELETED`: the details answer 404 (any code: DBS.300350 and DBS.200002 are both seen) or 200
  with status `DELETED` (both are plausible, section 9.3);
- the instance status, when it is not `RUNNING` (e.g. `ERROR`, `FROZEN`);
- `SCHEMAS_MISSING`: running, but without some of the schemas the restore left (output `schemas`);
- `RUNNING`: running, with every schema the restore left.

The restore itself is never undone by this: the resource keeps its job and outputs, and the next
`pulumi up` restores nothing for it unless its inputs change (docs/safety.md, "Drift").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .client import DdmClient
from .errors import DdmError, NotFoundError

__all__ = ["DELETED", "Drift", "SCHEMAS_MISSING", "refresh_target", "target_drift"]

DELETED = "DELETED"
SCHEMAS_MISSING = "SCHEMAS_MISSING"
_NAMED = 5


@dataclass(frozen=True)
class Drift:
    """`target_status` and, when the target is not as the restore left it, the warning line."""

    target_status: str
    warning: str | None = None


def target_drift(client: DdmClient, target: str, recorded_schemas: Sequence[str] | None) -> Drift:
    """How target instance `target` is now, against the schemas the restore left (`None`: not recorded).

    Raises `DdmError` when the target cannot be read (a refresh then keeps what it recorded)."""
    try:
        status = client.get_instance(target).status.strip().upper()
    except NotFoundError:
        status = DELETED
    if status == DELETED:
        return Drift(DELETED, f"target instance {target} is deleted (its details answer 404 or DELETED)")
    if status != "RUNNING":
        return Drift(status or "UNKNOWN", f"target instance {target} is {status or 'without a status'}, not RUNNING")
    if not recorded_schemas:
        return Drift("RUNNING")
    present = {schema.name for schema in client.list_schemas(target)}
    missing = sorted(name for name in recorded_schemas if name not in present)
    if not missing:
        return Drift("RUNNING")
    named = ", ".join(missing[:_NAMED]) + (f" and {len(missing) - _NAMED} more" if len(missing) > _NAMED else "")
    return Drift(SCHEMAS_MISSING, f"target instance {target} no longer has schema {named}, which the restore left")


def refresh_target(connect: Callable[[], DdmClient], job_id: str, outs: dict[str, Any], *,
                   say: Callable[[str], None]) -> dict[str, Any]:
    """`outs` (a restore's recorded outputs, after `refresh.refresh`) with `target_status` as the target is
    now (`target_drift`, with a client from `connect()`), and a warning line through `say` when it is
    not as the restore left it. Unchanged, with a line, when the target cannot be read; unchanged and
    silent when `outs` name no target."""
    target_props = outs.get("target")
    target = target_props.get("instance_id") if isinstance(target_props, dict) else None
    if not isinstance(target, str) or not target:
        return outs
    recorded = outs.get("schemas")
    schemas = [s for s in recorded if isinstance(s, str)] if isinstance(recorded, list) else None
    try:
        with connect() as client:
            drift = target_drift(client, target, schemas)
    except DdmError as exc:
        say(f"refresh could not check target instance {target}: {exc}; target_status stays "
            f"{outs.get('target_status') or 'unset'}")
        return outs
    if drift.warning:
        say(f"warning: {drift.warning} (restore job {job_id}). The restore stays recorded; the next `pulumi up` "
            "restores nothing for this resource unless its inputs change: to restore again, point "
            "target.instance_id at a new, empty DDM instance")
    return {**outs, "target_status": drift.target_status}
