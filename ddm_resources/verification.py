"""Check a target after its restore job is `Completed` (input `verify`; docs/ddm-api.md section 9).

`verify_restore` reads, GET only, a small constant number of requests per page of schemas:

1. the target's details (`GET /v1/.../instances/{id}`): it must be `RUNNING`, not `RESTORE`
   (a target still shown restoring is read again a few times, `SETTLE_READS`);
2. the target's schema list (`GET /v1/.../instances/{id}/databases`, 128 a page): every schema
   `RUNNING`, and every data node its shards use (`used_rds`) one of `target.data_nodes`; the
   schema details (`GET /v3/.../databases/{name}`) are read only to name a misplaced shard, or
   for a schema listed without its data nodes;
3. where the source's schemas at the restore point can be told, the target must have each:
   today's schema list of the source, those created (`created`, epoch ms) by the restore point.
   No DDM API lists a backup's schemas (section 9.7), so for a backup the point is the backup's
   time (the backup list's `created`, section 9.4); for a restore by time it is that time, and a
   schema created after the newest backup before that time is not required (the docs do not say
   whether a restore by time brings it: section 9.7). A schema dropped from the source since
   the restore point is not known: the line says the set is today's.

Accounts have no list API on OTC (section 9.6): they are not checked, and the line says so.

A failed check raises `VerificationError` (a `RestoreError` with the job's ID) whose first line
names the schema, shard or node, the job and the target, says that nothing was recorded, what
the next `pulumi up` does (the target is no longer empty: it submits nothing) and how
to accept the restore as it is (`adopt_job_id` and `verify = false`). A read that fails does the
same, saying that the check could not be made.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .api_time import format_ms, parse_api_time_ms
from .client import DdmClient
from .errors import DdmError, NotFoundError, RestoreError
from .input_model import MetadataRecoveryInputs
from .instance_models import SchemaInfo
from .wording import count

__all__ = ["ACCOUNTS_NOTE", "SETTLE_READS", "Verified", "VerificationError", "verify_restore"]

RUNNING = "RUNNING"
SETTLE_READS = 3
"""How many more times the target's details are read, `SETTLE_SECONDS` apart, while it still shows
`RESTORE` right after its job completed."""
SETTLE_SECONDS = 2.0
ACCOUNTS_NOTE = "accounts not checked (OTC has no account list API)"
_NAMED = 5
"""At most this many names in one message; the rest are counted."""


@dataclass(frozen=True)
class Verified:
    """What a passed verification found: the target's schemas (sorted) and the one-line summary."""

    schemas: list[str]
    line: str


class VerificationError(RestoreError):
    """The restore job completed, but the target failed a check (or could not be checked)."""


@dataclass
class _Check:
    client: DdmClient
    inputs: MetadataRecoveryInputs
    job_id: str
    restored_to: int | None
    sleep: Callable[[float], None]

    @property
    def target(self) -> str:
        return self.inputs.target.instance_id

    @property
    def name(self) -> str:
        return self.inputs.resource_name or "metadata recovery"

    def fail(self, what: str) -> VerificationError:
        job = self.job_id
        return VerificationError(
            f"{self.name}: restore job {job} completed, but target instance {self.target} failed verification: "
            f"{what}. Nothing was recorded in the stack; the next `pulumi up` submits no restore (the target is "
            f"no longer empty: it stops at job {job} or at DDM's refusal). To accept the restore as it is, set "
            f"adopt_job_id = \"{job}\" and verify = false, then run `pulumi up` (it records the job without "
            "restoring); to restore again, point target.instance_id at a new, empty DDM instance.",
            target_instance_id=self.target, job_id=job)

    def unreadable(self, what: str, exc: DdmError) -> VerificationError:
        job = self.job_id
        return VerificationError(
            f"{self.name}: restore job {job} completed, but target instance {self.target} could not be verified: "
            f"{what}: {exc}. Nothing was recorded in the stack. To check it again, set adopt_job_id = \"{job}\" "
            "and run `pulumi up` (it submits no restore); to accept the restore unchecked, also set verify = false.",
            target_instance_id=self.target, job_id=job)

    # the checks ----------------------------------------------------------------------------

    def instance_status(self) -> str:
        for attempt in range(SETTLE_READS + 1):
            try:
                status = self.client.get_instance(self.target).status.strip().upper()
            except NotFoundError:
                raise self.fail("the target instance is gone (its details answer 404)") from None
            except DdmError as exc:
                raise self.unreadable("its details could not be read", exc) from None
            if status != "RESTORE" or attempt == SETTLE_READS:
                break
            self.sleep(SETTLE_SECONDS)
        if status != RUNNING:
            shown = status or "no status"
            raise self.fail(f"the target instance is {shown}, not RUNNING"
                            + (" (still restoring)" if status == "RESTORE" else ""))
        return status

    def target_schemas(self) -> tuple[list[SchemaInfo], int]:
        """The target's schemas, each checked; and how many data nodes they use in all."""
        try:
            schemas = self.client.list_schemas(self.target)
        except DdmError as exc:
            raise self.unreadable("its schema list could not be read", exc) from None
        allowed = set(self.inputs.target.data_nodes)
        used: set[str] = set()
        for schema in sorted(schemas, key=lambda s: s.name):
            status = schema.status.strip().upper()
            if status != RUNNING:
                raise self.fail(f"schema {schema.name} is {status or 'without a status'}, not RUNNING")
            nodes = {rds.id for rds in schema.used_rds if rds.id}
            if not nodes or not nodes <= allowed:
                nodes = self.shard_nodes(schema.name, allowed)
            used |= nodes
        return schemas, len(used)

    def shard_nodes(self, schema: str, allowed: set[str]) -> set[str]:
        """The data nodes of `schema`'s shards, from its details; `fail` naming a shard outside `allowed`."""
        try:
            detail = self.client.get_schema(self.target, schema)
        except DdmError as exc:
            raise self.unreadable(f"the shards of schema {schema} could not be read", exc) from None
        for shard in sorted(detail.shards, key=lambda s: (s.shard_index is None, s.shard_index or 0)):
            if shard.data_node_id not in allowed:
                label = shard.physical_db_name or f"index {shard.shard_index}"
                raise self.fail(f"shard {label} of schema {schema} sits on data node "
                                f"{shard.data_node_id or '(none given)'}, which is not one of target.data_nodes")
        if not detail.shards:
            raise self.fail(f"schema {schema} lists no shards and no data nodes")
        return {shard.data_node_id for shard in detail.shards}

    def expected(self, present: set[str]) -> str:
        """Compare the source's schemas at the restore point with `present`; the phrase for the line."""
        source = self.inputs.source_instance_id
        backup_id = None if self.inputs.latest else self.inputs.restore_source.backup_id
        point = self.restored_to
        if point is None and not self.inputs.latest and self.inputs.restore_source.restore_time is not None:
            point = self.inputs.restore_source.restore_time
        if backup_id is None and point is None:
            return "the source's schemas not compared (the restore point of the adopted job is not known)"
        try:
            backups = [b for b in self.client.list_backups(source) if b.status.strip().lower() in ("", "normal")
                       or b.id == backup_id]
        except DdmError as exc:
            raise self.unreadable(f"the backup list of source {source} could not be read", exc) from None
        times = {b.id: parse_api_time_ms(b.created) for b in backups}
        if backup_id is not None:
            backup_time = times.get(backup_id)
            if backup_time is None:
                return (f"the source's schemas not compared (the time of backup {backup_id} is not in the "
                        "backup list)")
            point = required_by = backup_time
            at = f"backup {backup_id} ({format_ms(point)})"
        else:
            assert point is not None
            before = [t for t in times.values() if t is not None and t <= point]
            required_by = max(before) if before else point
            at = f"the restore point {format_ms(point)}"
        try:
            schemas = self.client.list_schemas(source)
        except NotFoundError:
            return f"the source's schemas not compared (source {source} answers 404)"
        except DdmError as exc:
            raise self.unreadable(f"the schema list of source {source} could not be read", exc) from None
        undated = [s.name for s in schemas if s.created is None]
        required = sorted(s.name for s in schemas if s.created is not None and s.created <= required_by)
        missing = [name for name in required if name not in present]
        if missing:
            raise self.fail(f"it lacks schema {_names(missing)} of source {source} (created before {at}; "
                            "the source's schemas as listed today)")
        later = sorted(s.name for s in schemas if s.created is not None and required_by < s.created <= point
                       and s.name not in present)
        phrase = (f"has each of the {count(len(required), 'schema')} the source lists today as created by {at} "
                  "(a schema dropped since is not known)")
        if later:
            phrase += (f"; lacks {_names(later)}, created after the newest backup before that time (not "
                       "required: the docs do not say whether a restore by time brings it)")
        if undated:
            phrase += f"; {count(len(undated), 'source schema')} without a creation time not compared"
        return phrase


def verify_restore(client: DdmClient, inputs: MetadataRecoveryInputs, job_id: str, *,
                   restored_to: int | None = None,
                   sleep: Callable[[float], None] = time.sleep) -> Verified:
    """Check the target of `inputs` after restore job `job_id` completed (the module docstring).

    `restored_to` is the point in time submitted (epoch ms, `"latest"` resolved), `None` for a
    backup or an adopted job (then `inputs`' own `restore_time`, if any, is the point). Returns the
    target's schema names (sorted) and the one-line summary; raises `VerificationError` (with
    `job_id`) for a failed check or a read that failed.
    """
    check = _Check(client, inputs, job_id, restored_to, sleep)
    check.instance_status()
    schemas, nodes = check.target_schemas()
    names = sorted(s.name for s in schemas)
    compared = check.expected(set(names))
    line = (f"target {check.target} RUNNING; {count(len(names), 'schema')} RUNNING, their shards on "
            f"{count(nodes, 'data node')} of target.data_nodes; {compared}; {ACCOUNTS_NOTE}")
    return Verified(names, line)


def _names(names: list[str]) -> str:
    """`a`, `a, b` or `a, b, c, d, e and 3 more`."""
    shown = ", ".join(names[:_NAMED])
    return shown + (f" and {len(names) - _NAMED} more" if len(names) > _NAMED else "")
