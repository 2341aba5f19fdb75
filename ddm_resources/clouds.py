"""Read one cloud's settings from `clouds.yaml` with the OpenStack SDK's own loader.

`openstack.config` (from openstacksdk, the extra `pip install 'ddm-resources[clouds]'`) reads
every file the `openstack` CLI accepts: auth keys under `auth:` or at the cloud's top level,
`user_domain_id` / `project_domain_id`, `regions:` lists, `cacert` / `verify`, vendor
profiles (`profile: otc`) and `secure.yaml` beside it. It is imported only when a cloud is
named (`OS_CLOUD` / `ddm:cloud`), so programs without clouds.yaml never load it.

Files: `$OS_CLIENT_CONFIG_FILE`, else `clouds.yaml` (or `.yml`, `.json`) in the current
directory, `~/.config/openstack/`, `/etc/openstack/`; `secure.yaml` likewise
(`$OS_CLIENT_SECURE_FILE` first). Environment variables are not read here: `settings.py`
ranks stack config over the environment over this file.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigurationError

__all__ = ["CloudEntry", "load_cloud"]

CloudEntry = dict[str, str]
"""A flat view of one cloud: `auth_url`, `username`, `password`, `domain_name`, `domain_id`,
`project_name`, `project_id`, `token`, `access_key`, `secret_key`, `security_token`, `region`, `cacert`,
`insecure`, and `insecure_as`: how the file turned verification off, `verify: false` or
`insecure: true` (keys absent when not set)."""

_SUFFIXES = ("yaml", "yml", "json")
_SEARCHED = "$OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml"


def load_cloud(name: str, environ: Mapping[str, str], region: str | None = None) -> CloudEntry:
    """Return the settings of cloud `name` (for `region`, else the cloud's first region).

    Raises `ConfigurationError` in one line when openstacksdk is missing, no file exists, the
    cloud is not defined or the loader refuses it; never with a credential in the message.
    """
    config_files = _files("clouds", environ.get("OS_CLIENT_CONFIG_FILE"))
    if not any(path.is_file() for path in config_files):
        raise ConfigurationError(
            f"cloud {name!r} was requested (OS_CLOUD or ddm:cloud) but no clouds.yaml was found ({_SEARCHED})")
    try:
        from openstack import config as openstack_config
        from openstack import exceptions as openstack_exceptions
    except ImportError:
        raise ConfigurationError(
            f"cloud {name!r} was requested (OS_CLOUD or ddm:cloud): reading clouds.yaml needs openstacksdk, "
            "pip install 'ddm-resources[clouds]' (or set the OS_* variables instead)") from None
    secure_files = _files("secure", environ.get("OS_CLIENT_SECURE_FILE"))
    try:
        loader = openstack_config.OpenStackConfig(
            config_files=[str(p) for p in config_files], secure_files=[str(p) for p in secure_files],
            load_envvars=False)
        known = loader.get_cloud_names()
        if name not in known:
            names = ", ".join(sorted(known)) or "none"
            raise ConfigurationError(f"cloud {name!r} is not in {_first_file(config_files)} (clouds there: {names})")
        # validate=False: no keystoneauth plugin check, which would refuse a file without auth_url
        # (the OTC default is derived from the region) and drop the AK/SK keys otcextensions reads
        with warnings.catch_warnings():  # openstacksdk warns about its own defaults (InfluxDB), not our use
            warnings.simplefilter("ignore")
            try:  # the cloud's values for `region` (a `regions:` entry may carry its own)
                cloud = loader.get_one(cloud=name, region_name=region or None, validate=False)
            except openstack_exceptions.ConfigException:
                if not region:
                    raise
                # a region the file does not list: ddm:region / OS_REGION_NAME still win (settings.py)
                cloud = loader.get_one(cloud=name, validate=False)
    except ConfigurationError:
        raise
    except openstack_exceptions.ConfigException as exc:
        raise ConfigurationError(f"clouds.yaml cloud {name!r} cannot be used: {_short(exc)}") from None
    except Exception as exc:  # YAML and loader errors: name the kind, not the text (it may quote values)
        raise ConfigurationError(f"clouds.yaml cloud {name!r} cannot be used: {type(exc).__name__}") from None
    return _flatten(cloud.config)


def _flatten(config: Mapping[str, Any]) -> CloudEntry:
    """Auth keys from `auth:` or, as the CLI also accepts them, from the cloud's top level."""
    auth = {**{k: v for k, v in config.items() if not isinstance(v, dict)}, **(config.get("auth") or {})}

    def first(*values: Any) -> Any:
        return next((v for v in values if v not in (None, "")), None)

    flat = {
        "auth_url": auth.get("auth_url"),
        "username": first(auth.get("username"), auth.get("user_name")),
        "password": auth.get("password"),
        "domain_name": first(auth.get("user_domain_name"), auth.get("domain_name"), auth.get("project_domain_name")),
        "domain_id": first(auth.get("user_domain_id"), auth.get("domain_id"), auth.get("project_domain_id")),
        "project_name": first(auth.get("project_name"), auth.get("tenant_name")),
        "project_id": first(auth.get("project_id"), auth.get("tenant_id")),
        "token": auth.get("token"),
        "access_key": first(auth.get("ak"), auth.get("access_key")),  # AK/SK as otcextensions names them
        "secret_key": first(auth.get("sk"), auth.get("secret_key")),
        "security_token": auth.get("security_token"),  # of a temporary key pair
        "region": config.get("region_name"),
        "cacert": config.get("cacert"),
        "insecure": "true" if config.get("verify") is False or config.get("insecure") in (True, "true") else None,
        "insecure_as": "verify: false" if config.get("verify") is False else "insecure: true",
    }
    if flat["insecure"] is None:
        del flat["insecure_as"]
    return {key: str(value) for key, value in flat.items() if value not in (None, "")}


def _files(stem: str, override: str | None) -> list[Path]:
    if override:
        return [Path(override)]
    dirs = (Path.cwd(), Path.home() / ".config" / "openstack", Path("/etc/openstack"))
    return [directory / f"{stem}.{suffix}" for directory in dirs for suffix in _SUFFIXES]


def _first_file(paths: list[Path]) -> Path:
    return next((path for path in paths if path.is_file()), paths[0])


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:200] + "…"
