"""The fields of a `MetadataRecovery`, declared once, as a Terraform `Schema` block declares them.

Each `Field` names one input or output with its type, unit, whether a change replaces the
resource (a new restore), the rule `check` applies and a description. The rest is derived from
`FIELDS`: the keys `check` allows at each level and what it asks for when one is missing
(`inputs`), the inputs whose change replaces the resource and those changed in place
(`provider.diff`/`update`), the outputs `create` sets, and the reference table of
docs/reference.md (`reference_table`, which the docs check compares against that page).
`MetadataRecoveryArgs` (`resource`) and the checked model (`input_model`) type the same names;
a unit test holds them to this list. `target_instance_id` reads one field out of properties as
the engine hands them over (the target, which `provider` and `drift` look up in a state).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "FIELDS",
    "FORCE_NEW_INPUTS",
    "INPUT_KEYS",
    "OUTPUT_KEYS",
    "REQUIRED",
    "UPDATABLE_INPUTS",
    "Field",
    "allowed_keys",
    "field",
    "hint",
    "reference_table",
    "target_instance_id",
]


@dataclass(frozen=True)
class Field:
    """One input or output of the resource; `path` is dotted for a nested key (`source.backup_id`)."""

    path: str
    type: str
    """As the reference shows it: `string`, `integer`, `object`, `list of strings`..."""
    kind: Literal["input", "output", "internal"]
    """`internal`: set by `MetadataRecovery` itself (`resource_name`), never documented as an input."""
    description: str
    required: bool = False
    replaces: bool = False
    """A change replaces the resource (Terraform's ForceNew): a new restore."""
    unit: str = ""
    rule: str = ""
    """What `check` accepts, in a phrase for the reference."""
    hint: str = ""
    """What to set it to, for `check`'s "is required" and "must be" messages."""

    @property
    def parent(self) -> str:
        """The object the field lives in (`""` at the top)."""
        return self.path.rpartition(".")[0]

    @property
    def key(self) -> str:
        return self.path.rpartition(".")[2]


FIELDS: tuple[Field, ...] = (
    Field("source_instance_id", "string", "input", "ID of the source DDM instance whose metadata is restored.",
          required=True, replaces=True, rule="an instance ID (ID rule)",
          hint="the ID of the source DDM instance, e.g. 1f5c9fd6cd984056ba89c8c87cc03278in09"),
    Field("source", "object", "input", "What to restore: exactly one of `backup_id` and `restore_time`.",
          required=True, replaces=True, rule="exactly one of backup_id, restore_time",
          hint="an object with exactly one of backup_id or restore_time"),
    Field("source.backup_id", "string", "input", "A metadata backup of the source instance.",
          replaces=True, rule="a backup ID (ID rule)"),
    Field("source.restore_time", "integer or string", "input",
          "The point in time to restore to: the time the data nodes were restored (PITR) to; "
          '`"latest"` is the newest restorable time, resolved at create.',
          replaces=True, unit="epoch ms, UTC",
          rule='epoch ms, an ISO 8601 time with a UTC offset, or "latest"; not in the future'),
    Field("target", "object", "input", "Where to restore to.", required=True, replaces=True,
          rule="instance_id and data_nodes", hint="an object with instance_id and data_nodes"),
    Field("target.instance_id", "string", "input", "A new, empty DDM instance (no data nodes, schemas or accounts).",
          required=True, replaces=True, rule="an instance ID (ID rule), not the source",
          hint="the ID of the new, empty target DDM instance"),
    Field("target.data_nodes", "list of strings", "input",
          "The RDS for MySQL instances already restored (PITR) to the same point in time.",
          required=True, replaces=True, rule="a non-empty list of distinct RDS instance IDs",
          hint="a list of the IDs of the RDS instances already restored (PITR) for the target"),
    Field("timeouts", "object", "input", "Terraform-style deadlines; changed in place.",
          hint='an object such as {"create": "60m"}'),
    Field("timeouts.create", "string", "input",
          "How long `pulumi up` may take for the restore, preflight included; default `60m`.",
          unit="duration", rule="a Go duration longer than zero, at most 168h"),
    Field("adopt_job_id", "string", "input",
          "Wait on this existing restore job of the target instead of submitting one; changed in place.",
          rule="a DDM job ID (32 hex characters or a UUID)"),
    Field("verify", "boolean", "input",
          "After the job is `Completed`, check the target: it runs, its schemas run, every shard sits on "
          "`target.data_nodes`, it has the source's schemas of the restore point (docs/safety.md); default "
          "`true`; changed in place.", rule="true or false"),
    Field("max_restore_age", "string", "input",
          "Refuse at preview a restore point older than this (the backup's time, `restore_time`, or the newest "
          "restorable time for `\"latest\"`); changed in place.",
          unit="duration", rule="a Go duration longer than zero"),
    Field("resource_name", "string", "internal", "The resource's Pulumi name, for messages."),
    Field("job_id", "string", "output", "The DDM job that ran the restore; also the resource ID."),
    Field("status", "string", "output", "The job's final status: `Completed`."),
    Field("created_time", "string", "output", "When the job started.", unit="UTC, yyyy-mm-ddThh:mm:ssZ"),
    Field("end_time", "string", "output", "When the job ended.", unit="UTC, yyyy-mm-ddThh:mm:ssZ"),
    Field("restored_to", "integer", "output",
          'The point in time submitted for a restore by time (`"latest"` resolved); empty for a backup or an '
          "adopted job. Known at preview unless `restore_time` is `\"latest\"`.", unit="epoch ms, UTC"),
    Field("restored_to_utc", "string", "output", "`restored_to` as text; empty when `restored_to` is.",
          unit="RFC 3339, UTC: yyyy-mm-ddThh:mm:ssZ (.sss when not whole seconds)"),
    Field("schemas", "list of strings", "output",
          "The target's schemas after the restore, sorted by name, as verification listed them; empty when "
          "`verify` is false."),
    Field("verification", "string", "output",
          "One line: what verification checked after the restore, and what it could not."),
    Field("target_status", "string", "output",
          "The target as the last `pulumi up` or `pulumi refresh` found it: `RUNNING`, `DELETED`, another "
          "instance status, or `SCHEMAS_MISSING` (running, without schemas the restore left); empty when not "
          "checked."),
)
"""Every field, inputs first (in the order of the API), then the outputs."""

_BY_PATH = {f.path: f for f in FIELDS}
INPUT_KEYS = tuple(f.path for f in FIELDS if f.kind != "output" and not f.parent)
"""The top-level input keys `check` allows (`resource_name` included: `MetadataRecovery` sets it)."""
FORCE_NEW_INPUTS = tuple(f.path for f in FIELDS if f.kind == "input" and not f.parent and f.replaces)
"""Inputs whose change replaces the resource (a new restore): `source_instance_id`, `source`, `target`."""
UPDATABLE_INPUTS = tuple(f.path for f in FIELDS if f.kind == "input" and not f.parent and not f.replaces)
"""Inputs whose change is recorded in place (`update`), without any API call: `timeouts`, `adopt_job_id`,
`verify`, `max_restore_age`."""
OUTPUT_KEYS = tuple(f.path for f in FIELDS if f.kind == "output")
"""Outputs set by `create` and `read`, beside the echoed inputs (`job_id` first)."""
REQUIRED = {parent: tuple(f.key for f in FIELDS if f.kind == "input" and f.parent == parent and f.required)
            for parent in ("", "source", "target", "timeouts")}
"""The keys required at each level of the inputs."""


def field(path: str) -> Field:
    """The field at `path`; `KeyError` for a path that is no field."""
    return _BY_PATH[path]


def allowed_keys(parent: str) -> tuple[str, ...]:
    """The keys allowed in the input object at `parent` (`""` for the top level)."""
    if not parent:
        return INPUT_KEYS
    return tuple(f.key for f in FIELDS if f.kind == "input" and f.parent == parent)


def target_instance_id(props: Mapping[str, Any]) -> str | None:
    """`target.instance_id` when the (possibly hand-edited) properties, inputs or outputs, hold it as a string."""
    target = props.get("target")
    instance_id = target.get("instance_id") if isinstance(target, dict) else None
    return instance_id if isinstance(instance_id, str) else None


def hint(path: str) -> str:
    """What to set the input at `path` to, for a message."""
    return _BY_PATH[path].hint


def reference_table() -> str:
    """The Markdown table of every input and output, as docs/reference.md shows it."""
    rows = ["| field | kind | type | unit | replaces | rule | description |",
            "|---|---|---|---|---|---|---|"]
    for f in FIELDS:
        if f.kind == "internal":
            continue
        kind = "output" if f.kind == "output" else ("input, required" if f.required else "input")
        replaces = "yes" if f.replaces else ("no" if f.kind == "input" else "")
        rows.append(f"| `{f.path}` | {kind} | {f.type} | {f.unit} | {replaces} | {f.rule} | {f.description} |")
    return "\n".join(rows) + "\n"
