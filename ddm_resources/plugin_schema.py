"""The Pulumi package schema of the provider plugin `pulumi-resource-ddm`, derived from `fields.py`.

The package is `ddm`; its one resource is `ddm:index:MetadataRecovery`, its one function
`ddm:index:getRestoreWindow` (`restore_window.py`). Every input and output of the resource comes
from `fields.FIELDS`: its name in camelCase as Pulumi schemas spell it (`source_instance_id` is
`sourceInstanceId`, `target.data_nodes` is `target.dataNodes`), its type, and a description with
its unit, rule and whether a change replaces the resource. A field added to `fields.py` appears
here (and in every SDK generated from it) without an edit. The `ddm:*` stack config keys the
plugin reads are the schema's `config` (`settings.CONFIG_KEYS`).

`wire_name`/`field_path` translate between the schema's names and `fields.py`'s paths;
`semver` turns the package's PEP 440 version into the semantic version Pulumi requires.
Nothing here imports `pulumi`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .fields import FIELDS, Field
from .version import __version__

__all__ = ["FUNCTION_TOKEN", "PACKAGE", "RESOURCE_TOKEN", "camel", "field_path", "schema", "schema_json",
           "semver", "snake", "wire_name"]

PACKAGE = "ddm"
RESOURCE_TOKEN = "ddm:index:MetadataRecovery"
FUNCTION_TOKEN = "ddm:index:getRestoreWindow"

_SCALARS = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}


def camel(key: str) -> str:
    """`source_instance_id` -> `sourceInstanceId` (one key, no dots)."""
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake(name: str) -> str:
    """`sourceInstanceId` -> `source_instance_id`: the inverse of `camel` for the fields' keys."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def wire_name(path: str) -> str:
    """A field's dotted path in the schema's names: `target.data_nodes` -> `target.dataNodes`."""
    return ".".join(camel(part) for part in path.split("."))


def field_path(name: str) -> str:
    """A schema name back to the field's path: `target.dataNodes` -> `target.data_nodes`."""
    return ".".join(snake(part) for part in name.split("."))


def _type_token(path: str) -> str:
    return "ddm:index:MetadataRecovery" + "".join(camel(part)[:1].upper() + camel(part)[1:] for part in path.split("."))


def _description(f: Field) -> str:
    parts = [f.description]
    if f.unit:
        parts.append(f"Unit: {f.unit}.")
    if f.rule:
        parts.append(f"Accepted: {f.rule}.")
    if f.kind == "input":
        parts.append("A change replaces the resource (a new restore)." if f.replaces
                     else "A change is recorded in place, without any API call.")
    return " ".join(parts)


def _type_spec(f: Field) -> dict[str, Any]:
    if f.type == "object":
        return {"$ref": f"#/types/{_type_token(f.path)}"}
    if f.type in _SCALARS:
        return {"type": _SCALARS[f.type]}
    if f.type.startswith("list of "):
        item = f.type.removeprefix("list of ").rstrip("s")
        return {"type": "array", "items": {"type": _SCALARS.get(item, "string")}}
    if " or " in f.type:
        kinds = [_SCALARS.get(kind.strip()) for kind in f.type.split(" or ")]
        if all(kinds):
            return {"oneOf": [{"type": kind} for kind in kinds]}
    return {"$ref": "pulumi.json#/Any"}


def _property(f: Field) -> dict[str, Any]:
    return {**_type_spec(f), "description": _description(f)}


def _children(parent: str, kinds: tuple[str, ...]) -> list[Field]:
    return [f for f in FIELDS if f.parent == parent and f.kind in kinds]


def semver(version: str = __version__) -> str:
    """The package's PEP 440 version as a semantic version: `0.1.dev304+g7f33cc0b9` ->
    `0.1.0-dev.304+g7f33cc0b9`, `1.2.3` -> `1.2.3`, `1.2rc1` -> `1.2.0-rc.1`; `0.0.0` for one it
    cannot read (a checkout never installed says `0+unknown`: `0.0.0+unknown`)."""
    match = re.fullmatch(r"(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?(?:\.post(\d+))?(?:\.dev(\d+))?(?:\+([0-9A-Za-z.]+))?",
                         version)
    if match is None:
        return "0.0.0"
    release, pre, pre_n, post, dev, local = match.groups()
    numbers = (release.split(".") + ["0", "0"])[:3]
    tags = [f"{pre}.{pre_n}"] if pre else []
    tags += [f"post.{post}"] if post else []
    tags += [f"dev.{dev}"] if dev else []
    text = ".".join(str(int(n)) for n in numbers) + ("-" + ".".join(tags) if tags else "")
    return text + (f"+{local}" if local else "")


def schema(version: str | None = None) -> dict[str, Any]:
    """The package schema as a dict (see the module docstring); `version` defaults to `semver()`."""
    from .settings import CONFIG_KEYS

    inputs = _children("", ("input",))
    outputs = _children("", ("input", "output"))
    types: dict[str, Any] = {}
    for f in FIELDS:
        if f.type == "object" and f.kind != "internal":
            members = _children(f.path, ("input", "output"))
            types[_type_token(f.path)] = {
                "type": "object",
                "description": _description(f),
                "properties": {camel(m.key): _property(m) for m in members},
                "required": [camel(m.key) for m in members if m.required],
            }
    resource = {
        "description": ("A DDM metadata recovery (docs/ddm-api.md section 2.1): restores the metadata of a "
                        "source DDM instance, from a backup or a point in time, onto a new, empty target DDM "
                        "instance whose data nodes were restored (PITR) first. Create-only: the resource ID is "
                        "the DDM job ID; deleting it forgets the resource and undoes nothing on DDM."),
        "inputProperties": {camel(f.key): _property(f) for f in inputs},
        "requiredInputs": [camel(f.key) for f in inputs if f.required],
        "properties": {camel(f.key): _property(f) for f in outputs},
        "required": [camel(f.key) for f in outputs if f.required] + ["jobId", "status"],
    }
    window = {
        "description": ("The restorable time ranges and the metadata backups of a source DDM instance "
                        "(docs/ddm-api.md sections 2.3 and 2.7), to pick `source.restoreTime` or "
                        "`source.backupId` at preview. Only reads."),
        "inputs": {"properties": {"sourceInstanceId": {"type": "string", "description":
                                                       "ID of the source DDM instance."}},
                   "required": ["sourceInstanceId"]},
        "outputs": {
            "properties": {
                "sourceInstanceId": {"type": "string", "description": "ID of the source DDM instance."},
                "intervals": {"type": "array", "items": {"$ref": "#/types/ddm:index:RestorableInterval"},
                              "description": "The restorable ranges read whole, oldest first."},
                "backups": {"type": "array", "items": {"$ref": "#/types/ddm:index:MetadataBackup"},
                            "description": "Every metadata backup as listed, newest first."},
                "latestMs": {"type": "integer", "description": "The newest restorable time (what "
                             '`restoreTime: "latest"` resolves to), when known. Unit: epoch ms, UTC.'},
            },
            "required": ["sourceInstanceId", "intervals", "backups"],
        },
    }
    types["ddm:index:RestorableInterval"] = {
        "type": "object", "description": "One restorable range, both ends included.",
        "properties": {"startMs": {"type": "integer", "description": "Start. Unit: epoch ms, UTC."},
                       "endMs": {"type": "integer", "description": "End. Unit: epoch ms, UTC."}},
        "required": ["startMs", "endMs"]}
    types["ddm:index:MetadataBackup"] = {
        "type": "object", "description": "One metadata backup of the source instance.",
        "properties": {"id": {"type": "string", "description": "The backup ID (`source.backupId`)."},
                       "name": {"type": "string", "description": "The backup's name."},
                       "status": {"type": "string", "description": "`normal` backups can be restored."},
                       "created": {"type": "string", "description": "When it was taken. Unit: UTC."},
                       "backupType": {"type": "string", "description": "`auto_metadata` or `metadata`."}},
        "required": ["id", "status"]}
    return {
        "name": PACKAGE,
        "displayName": "DDM metadata recovery",
        "version": version or semver(),
        "description": "Open Telekom Cloud DDM metadata recovery as a create-only Pulumi resource.",
        "keywords": ["pulumi", "open telekom cloud", "otc", "ddm", "disaster recovery"],
        "license": "Apache-2.0",
        "config": {"variables": {key: {"type": "string", "description": f"ddm:{key} (README, configuration)."}
                                 for key in CONFIG_KEYS}},
        "provider": {"description": "The ddm provider: settings from the `ddm:*` stack config, `OS_*` variables "
                                    "and clouds.yaml."},
        "resources": {RESOURCE_TOKEN: resource},
        "functions": {FUNCTION_TOKEN: window},
        "types": types,
        "language": {"python": {"packageName": "pulumi_ddm"},
                     "nodejs": {"packageName": "@ddm-resources/ddm"},
                     "csharp": {"rootNamespace": "DdmResources"},
                     "go": {"importBasePath": "example.com/ddm-resources/sdk/go/ddm"}},
    }


def schema_json(version: str | None = None) -> str:
    """`schema(version)` as the JSON text GetSchema answers."""
    return json.dumps(schema(version), indent=2)
