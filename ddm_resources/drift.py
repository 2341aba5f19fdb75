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

from collections.abc import Sequence
from dataclasses import dataclass

from .client import DdmClient
from .errors import NotFoundError

__all__ = ["DELETED", "Drift", "SCHEMAS_MISSING", "target_drift"]

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
