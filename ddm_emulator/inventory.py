"""
The inventory file: what the emulated cloud holds, written as data instead of Python.

`python -m ddm_emulator --inventory FILE` (YAML or JSON) and `POST
/_emulator/inventory` take the same document; `inventory_apply` adds it to a
backend. This module is the format only: pydantic models that check every
field (unknown fields are refused, so a typo is an error, not a silent
default) and `InventoryError`, whose lines name the entry and the field, e.g.
`instances[2] (dr-target).engine_version: ...`.

    documented_example: false   # also seed the documented example (SEED ids)
    projects:     [{name, id?}]                       # besides the demo project eu-de
    access_keys:  [{access_key, secret_key, project?, security_token?}]
    settings:     {job_seconds: 5, deleted_instance_answer: "200 DELETED", ...}
    faults:       [{method, path_regex, action, status, times, ...}]
    instances:    [{name, id?, project?, status, engine_version, vpc, created,
                    restorable_since, accounts, frozen, schemas: [...]}]
    data_nodes:   [{name, id?, instance?, status, engine_version, vpc, pitr_completed, ...}]
    backups:      [{instance, id?, name?, created, status, backup_type, data_nodes?, schemas?}]

A schema is a name, or `{name, shard_mode, shards_per_node, shards: [data node, ...],
status, created}`. References (`instance`, `data_nodes`, `shards`, `project`) take
a name or an id. Ids are OTC-shaped (32 hex characters and a suffix such as
`in09`); an entry without one gets one derived from its project and name, so the
same file always gives the same ids. Times are ISO 8601 (`2026-12-07T02:00:00Z`),
`now`, a time ago (`-6h`, `-1d12h`, `-90m`) or a UTC clock time (`02:00`: the
latest one at or before now); they are resolved against the emulated clock when
the inventory is applied, so a relative file stays fresh across resets. YAML
needs PyYAML; JSON works without it.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from .faults import Fault
from .settings import EmulatorSettings

__all__ = [
    "DATA_NODE_STATUSES",
    "INSTANCE_STATUSES",
    "SCHEMA_STATUSES",
    "AccessKeySpec",
    "BackupSpec",
    "DataNodeSpec",
    "InstanceSpec",
    "Inventory",
    "InventoryError",
    "ProjectSpec",
    "SchemaSpec",
    "When",
    "load_inventory",
    "parse_inventory",
]

_DAY = 86400.0
_UNITS = {"d": _DAY, "h": 3600.0, "m": 60.0, "s": 1.0}
_AGO = re.compile(r"^-(?:\d+(?:\.\d+)?[dhms])+$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
OTC_ID = re.compile(r"^[0-9a-f]{32}[a-z]{2}\d{2}$")
"""An OTC instance, data node or backup id: 32 lowercase hex characters and a suffix such as `in09`."""


class InventoryError(ValueError):
    """A bad inventory; one line per problem, each naming the entry and the field."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        super().__init__(f"inventory {source}: {count}\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class When:
    """A time of the inventory, resolved against the emulated clock by `at(now)`."""

    absolute: float | None = None
    ago: float = 0.0
    clock: tuple[int, int] | None = None

    def at(self, now: float) -> float:
        """Epoch seconds."""
        if self.absolute is not None:
            return self.absolute
        if self.clock is not None:
            hour, minute = self.clock
            today = (now // _DAY) * _DAY + hour * 3600 + minute * 60
            return today if today <= now else today - _DAY
        return now - self.ago


def _when(value: Any) -> When:
    if isinstance(value, When):
        return value
    if isinstance(value, datetime):  # YAML turns an unquoted ISO time into a datetime
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return When(absolute=moment.timestamp())
    if not isinstance(value, str):
        raise ValueError("a time is a string: ISO 8601, now, a time ago such as -6h or -1d12h, or a UTC clock time")
    text = value.strip()
    if text == "now":
        return When()
    if _AGO.match(text):
        ago = sum(float(n) * _UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)([dhms])", text))
        return When(ago=ago)
    if clock := _CLOCK.match(text):
        return When(clock=(int(clock.group(1)), int(clock.group(2))))
    try:
        moment = datetime.fromisoformat(re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text.replace("Z", "+00:00")))
    except ValueError:
        raise ValueError(
            f"{text!r} is no time: use ISO 8601 (2026-12-07T02:00:00Z), now, a time ago (-6h, -1d12h, -90m) "
            "or a UTC clock time (02:00)"
        ) from None
    return When(absolute=(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp())


def _version(value: Any) -> Any:
    """`8.0` written without quotes is a number in YAML; a version is text."""
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _otc_id(value: Any) -> Any:
    if isinstance(value, str) and not OTC_ID.match(value):
        raise ValueError(f"{value!r} is not OTC-shaped: 32 lowercase hex characters and a suffix such as in09")
    return value


def _fault(value: dict[str, Any]) -> dict[str, Any]:
    Fault.from_dict(value)  # ValueError naming the field
    return value


def _schema(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


INSTANCE_STATUSES = Literal[
    "RUNNING", "CREATING", "CREATE", "CREATEFAILED", "ERROR", "RESTARTING", "RESIZING", "GROWING", "REDUCING",
    "RESTORE", "BACKUP", "MODIFY_NAME", "RESET_PASSWORD", "MIGRATE_DATABASE", "SET_CONFIGURATION", "CREATE_GROUP",
    "DELETE_GROUP", "SWITCH_SSL",
]
"""The documented DDM instance statuses (ddm-api.md section 4); RESTORE also shows while a restore runs."""
SCHEMA_STATUSES = Literal[
    "RUNNING", "CREATING", "CREATE_FAILED", "DELETING", "EXPANDING", "EXPANDING FAILED", "ROLLING BACK"
]
DATA_NODE_STATUSES = Literal[
    "Normal", "Abnormal", "Creating", "Creation failed", "Switchover in progress",
    "Changing type to primary/standby", "Rebooting", "Changing port", "Changing instance class", "Scaling up",
    "Backing up", "Restoring", "Restore failed", "Storage full", "Deleted", "Parameter change. Pending reboot",
]
"""The data node statuses as the console shows them (only Normal is usable for a restore)."""

Time = Annotated[When, BeforeValidator(_when)]
Version = Annotated[str, BeforeValidator(_version)]
OtcId = Annotated[str, BeforeValidator(_otc_id)]
Name = Annotated[str, Field(min_length=1, max_length=64)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class SchemaSpec(_Spec):
    """A schema: `shards_per_node` shards on each data node of its instance (`cluster`), one shard
    (`single`), or shard `i` on `shards[i]` (data node names or ids)."""

    name: Name
    shard_mode: Literal["cluster", "single"] = "cluster"
    shards_per_node: int = Field(default=2, ge=1, le=64)
    shards: list[str] | None = Field(default=None, min_length=1)
    status: SCHEMA_STATUSES = "RUNNING"
    created: Time | None = None
    """Default: the instance's `created` (for a backup's schema: the backup's)."""


SchemaEntry = Annotated[SchemaSpec, BeforeValidator(_schema)]


class ProjectSpec(_Spec):
    """An IAM project besides the demo one; the demo user may use it."""

    name: Name
    id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")] | None = None


class AccessKeySpec(_Spec):
    """An AK/SK pair accepted for signed requests (SDK-HMAC-SHA256); for every project when `project` is unset.
    With `security_token` the pair is temporary: each request must carry that token, signed, in `X-Security-Token`."""

    access_key: Annotated[str, Field(min_length=1)]
    secret_key: Annotated[str, Field(min_length=1, repr=False)]
    project: str | None = None
    security_token: Annotated[str | None, Field(min_length=1, repr=False)] = None


class InstanceSpec(_Spec):
    """A DDM instance (a restore's source or target). `status` is its stored status (RESTORE shows while a
    restore runs on it); `vpc` names its network (instances and data nodes of one `vpc` share it)."""

    name: Name
    id: OtcId | None = None
    project: str | None = None
    status: INSTANCE_STATUSES = "RUNNING"
    engine_version: Version = "3.1.0"
    vpc: Name = "vpc-default"
    vpc_id: str | None = None
    subnet_id: str | None = None
    security_group_id: str | None = None
    available_zone: str = "eu-de-01"
    access_ip: str | None = None
    created: Time = When(ago=30 * _DAY)
    restorable_since: Time = When(ago=7 * _DAY)
    frozen: bool = False
    accounts: list[str] = []
    schemas: list[SchemaEntry] = []


class DataNodeSpec(_Spec):
    """An RDS for MySQL instance, associated with `instance` if given (else free: a restore target's node)."""

    name: Name
    id: OtcId | None = None
    project: str | None = None
    instance: str | None = None
    status: DATA_NODE_STATUSES = "Normal"
    engine_name: str = "MySQL"
    engine_version: Version = "8.0"
    vpc: Name | None = None
    """Default: its instance's VPC and subnet, else `vpc-default`."""
    vpc_id: str | None = None
    subnet_id: str | None = None
    private_ip: str | None = None
    data_volume_size: int = Field(default=40, ge=1)
    read_only: bool = False
    pitr_completed: bool = True
    restorable_since: Time = When(ago=7 * _DAY)


class BackupSpec(_Spec):
    """A metadata backup of `instance`: its data nodes and schemas at `created` unless given."""

    instance: str
    id: OtcId | None = None
    project: str | None = None
    name: Name | None = None
    created: Time = When(clock=(2, 0))
    status: Literal["creating", "normal", "deleted", "createfail"] = "normal"
    backup_type: Literal["auto_metadata", "metadata"] = "auto_metadata"
    description: str = ""
    file_size: int = Field(default=12, ge=0)
    data_nodes: list[str] | None = None
    schemas: list[SchemaEntry] | None = None


class Inventory(_Spec):
    """A whole inventory document; `settings` and `faults` are the emulator's behaviour, as data too."""

    documented_example: bool = False
    """Also seed the documented example (at start, and at every reset; ignored by the run-time routes)."""
    projects: list[ProjectSpec] = []
    access_keys: list[AccessKeySpec] = []
    instances: list[InstanceSpec] = []
    data_nodes: list[DataNodeSpec] = []
    backups: list[BackupSpec] = []
    settings: dict[str, Any] = {}
    """`EmulatorSettings` fields (as `POST /_emulator/config` takes them); command-line options win."""
    faults: list[Annotated[dict[str, Any], AfterValidator(_fault)]] = []
    """Fault rules (as `POST /_emulator/faults` takes them), in place from the start and after a reset."""

    @field_validator("settings")
    @classmethod
    def _known_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        EmulatorSettings().replace(**value)  # ValueError naming the setting
        return value

    def emulator_settings(self, base: EmulatorSettings | None = None) -> EmulatorSettings:
        """`base` (the defaults) with this inventory's `settings`."""
        return (base or EmulatorSettings()).replace(**self.settings)


def _label(entry: Any) -> Any:
    """How an entry is called in a message: its name, its id, or for a backup the instance it is of."""
    if not isinstance(entry, dict):
        return entry
    if entry.get("instance") and not entry.get("name") and not entry.get("id"):
        return f"of {entry['instance']}"
    return entry.get("name") or entry.get("id")


def _where(data: Any, loc: tuple[int | str, ...]) -> str:
    """`instances[2] (dr-target).engine_version` for a pydantic error location."""
    text, node = "", data
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            label = _label(node)
            if isinstance(label, str) and label:
                text += f" ({label})"
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text or "(the document)"


def _field_names() -> list[str]:
    specs = (SchemaSpec, ProjectSpec, AccessKeySpec, InstanceSpec, DataNodeSpec, BackupSpec, Inventory)
    return sorted({name for spec in specs for name in spec.model_fields})


def _problem(data: Any, error: Any) -> str:
    where = _where(data, tuple(error["loc"]))
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(error["loc"][-1]), _field_names(), n=1)
        return f"{where}: unknown field" + (f" (did you mean {close[0]}?)" if close else "")
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}"


def parse_inventory(data: Any, source: str = "document", model: type[_Spec] = Inventory) -> Any:
    """Check a parsed document (or one entry, with `model` its spec) and return the model;
    `InventoryError` listing every problem."""
    if not isinstance(data, dict):
        raise InventoryError(source, ["the document must be a mapping (YAML) or an object (JSON)"])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InventoryError(source, [_problem(data, e) for e in exc.errors()]) from None


def load_inventory(path: Path) -> Inventory:
    """Read and check an inventory file: JSON for `.json`, YAML otherwise (PyYAML needed);
    `InventoryError` for a file that cannot be read or parsed, or a bad document."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(source, [f"cannot read it: {exc}"]) from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InventoryError(source, [f"not valid JSON: {exc}"]) from None
    else:
        data = _yaml(text, source)
    result: Inventory = parse_inventory(data, source)
    return result


def _yaml(text: str, source: str) -> Any:
    try:
        import yaml  # type: ignore[import-untyped]  # PyYAML ships no type hints
    except ImportError:
        raise InventoryError(
            source, ["a YAML inventory needs PyYAML (pip install pyyaml); or write it as JSON (a .json file)"]
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InventoryError(source, [f"not valid YAML: {exc}"]) from None
