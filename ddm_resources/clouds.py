"""Read one cloud's settings from `clouds.yaml` (and `secure.yaml`), as the OpenStack CLI does.

Files are searched in the OpenStack order: `$OS_CLIENT_CONFIG_FILE`, then `clouds.yaml` in
the current directory, `~/.config/openstack/`, `/etc/openstack/`; the first found is used.
A `secure.yaml` found the same way (`$OS_CLIENT_SECURE_FILE` first) is merged over it, so
passwords can live apart. Parsing uses PyYAML (a dependency of `pulumi`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigurationError

__all__ = ["CloudEntry", "load_cloud"]

CloudEntry = dict[str, Any]
"""A flat view of one cloud: `auth_url`, `username`, `password`, `domain_name`,
`project_name`, `project_id`, `token`, `region` (keys absent when not set)."""

_DIRS = (Path.cwd, lambda: Path.home() / ".config" / "openstack", lambda: Path("/etc/openstack"))


def load_cloud(name: str, environ: Mapping[str, str]) -> CloudEntry:
    """Return the settings of cloud `name`; raise `ConfigurationError` if it is not defined."""
    clouds_file = _find("clouds.yaml", environ.get("OS_CLIENT_CONFIG_FILE"))
    if clouds_file is None:
        raise ConfigurationError(
            f"cloud {name!r} was requested (OS_CLOUD or ddm:cloud) but no clouds.yaml was found "
            "($OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml)"
        )
    clouds = _read(clouds_file).get("clouds") or {}
    secure_file = _find("secure.yaml", environ.get("OS_CLIENT_SECURE_FILE"))
    secure = (_read(secure_file).get("clouds") or {}) if secure_file else {}
    if name not in clouds:
        known = ", ".join(sorted(clouds)) or "none"
        raise ConfigurationError(f"cloud {name!r} is not in {clouds_file} (clouds there: {known})")
    entry = _merge(clouds[name] or {}, secure.get(name) or {})
    auth = entry.get("auth") or {}
    flat = {
        "auth_url": auth.get("auth_url"),
        "username": auth.get("username") or auth.get("user_name"),
        "password": auth.get("password"),
        "domain_name": auth.get("user_domain_name") or auth.get("domain_name"),
        "project_name": auth.get("project_name") or auth.get("tenant_name"),
        "project_id": auth.get("project_id") or auth.get("tenant_id"),
        "token": auth.get("token"),
        "region": entry.get("region_name"),
        "cacert": entry.get("cacert"),
        "insecure": "true" if entry.get("verify") is False or entry.get("insecure") is True else None,
    }
    return {key: str(value) for key, value in flat.items() if value not in (None, "")}


def _find(filename: str, override: str | None) -> Path | None:
    if override:
        return Path(override)
    for directory in _DIRS:
        candidate = directory() / filename
        if candidate.is_file():
            return candidate
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"could not read {path}: {type(exc).__name__}") from None
    return data if isinstance(data, dict) else {}


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        nested = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _merge(merged[key], value) if nested else value
    return merged
