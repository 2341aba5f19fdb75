"""The provider plugin's properties: the engine's (`PropertyValue`, the schema's camelCase names) to
the dynamic provider's (plain values, the names of `fields.py`) and back. Secret values become the
paths of `__secret_inputs` (so no line shows them) and come back as secret outputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi.provider.experimental.property_value import Computed, PropertyValue

from .fields import FIELDS
from .plugin_schema import camel
from .provider import SECRET_INPUTS_KEY

__all__ = ["from_wire", "to_wire", "wire_path", "wire_value"]


def _names(parent: str) -> dict[str, str]:
    return {camel(f.key): f.key for f in FIELDS if f.parent == parent}


def from_wire(props: Mapping[str, PropertyValue], name: str) -> dict[str, Any]:
    """The engine's properties as the dynamic provider's: the fields' names, whole floats as
    ints, unknowns as the SDK's unknown string, `resource_name` from the URN, and the paths of the
    secret values under `__secret_inputs` (so no line or error shows them)."""
    secrets: list[str] = []

    def plain(value: PropertyValue, path: str, parent: str | None) -> Any:
        if value.is_secret:
            secrets.append(path)
        inner = value.value
        if isinstance(inner, Computed):
            from pulumi.runtime.rpc import UNKNOWN

            return UNKNOWN
        if isinstance(inner, Mapping):
            names = _names(parent) if parent is not None else {}
            out = {}
            for key, item in inner.items():
                field = names.get(key, key)
                child = f"{path}.{field}" if path else field
                out[field] = plain(item, child, child if field in names.values() else None)
            return out
        if isinstance(inner, Sequence) and not isinstance(inner, str):
            return [plain(item, f"{path}[{i}]", None) for i, item in enumerate(inner)]
        if isinstance(inner, float) and inner.is_integer() and abs(inner) < 2**63:
            return int(inner)
        return inner

    out = plain(PropertyValue(dict(props)), "", "")
    out.pop(SECRET_INPUTS_KEY, None)
    out["resource_name"] = name
    if secrets:
        out[SECRET_INPUTS_KEY] = secrets
    return dict(out)


def to_wire(props: Mapping[str, Any], *, inputs_only: bool = False) -> dict[str, PropertyValue]:
    """The dynamic provider's properties as the engine's: camelCase, numbers as floats, `None`s and
    the internal keys left out, each top-level value holding a secret input marked secret."""
    paths = props.get(SECRET_INPUTS_KEY)
    secret_roots = {p.split(".")[0].split("[")[0] for p in paths if isinstance(p, str)} if isinstance(paths, list) \
        else set()
    keep = {f.path for f in FIELDS if not f.parent and f.kind == "input"} if inputs_only else \
        {f.path for f in FIELDS if not f.parent and f.kind != "internal"}

    def camelized(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {camel(k): camelized(v) for k, v in value.items()}
        return value

    out: dict[str, PropertyValue] = {}
    for key, value in props.items():
        if key not in keep or value is None:
            continue
        out[camel(key)] = wire_value(camelized(value)).with_secret(key in secret_roots)
    return out


def wire_value(value: Any) -> PropertyValue:
    """A plain JSON-able value as a `PropertyValue` (ints as floats, nested)."""
    if isinstance(value, Mapping):
        return PropertyValue({str(k): wire_value(v) for k, v in value.items() if v is not None})
    if isinstance(value, (list, tuple)):
        return PropertyValue([wire_value(v) for v in value])
    if isinstance(value, int) and not isinstance(value, bool):
        return PropertyValue(float(value))
    return PropertyValue(value)


def wire_path(path: str) -> str:
    """A field path in a check failure, in the schema's names: `target.data_nodes[1]` -> `target.dataNodes[1]`."""
    return ".".join(camel(part) for part in path.split("."))
