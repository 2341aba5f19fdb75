"""Provider settings: where the DDM API is and how to authenticate, from stack config and env.

Resolved in the provider process (never pickled into state). Each setting is taken from the
stack config (namespace `ddm`), else the environment variables the OpenStack CLI and the
OTC Terraform provider read, else the `clouds.yaml` entry named by `ddm:cloud` / `OS_CLOUD`.
`_SOURCES` lists the keys and variables of each setting; the README's configuration table
shows the same (a test compares them).

Authentication: a ready token (with a project ID) is used as is; otherwise user name,
password, domain and a project (name or ID) obtain tokens from IAM, renewed as they expire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from .clouds import load_cloud
from .errors import ConfigurationError

__all__ = ["ProviderSettings", "resolve_settings"]

DEFAULT_REGION = "eu-de"

# setting -> (stack config key, environment variables, clouds.yaml key)
_SOURCES: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "endpoint": ("endpoint", ("DDM_ENDPOINT",), None),
    "region": ("region", ("OS_REGION_NAME",), "region"),
    "auth_url": ("authUrl", ("OS_AUTH_URL",), "auth_url"),
    "username": ("username", ("OS_USERNAME",), "username"),
    "password": ("password", ("OS_PASSWORD",), "password"),
    "domain_name": ("domainName", ("OS_DOMAIN_NAME", "OS_USER_DOMAIN_NAME"), "domain_name"),
    "project_name": ("projectName", ("OS_PROJECT_NAME", "OS_TENANT_NAME"), "project_name"),
    "project_id": ("projectId", ("OS_PROJECT_ID", "OS_TENANT_ID"), "project_id"),
    "token": ("token", ("OS_TOKEN", "OS_AUTH_TOKEN"), "token"),
    "poll_interval": ("pollInterval", ("DDM_POLL_INTERVAL",), None),
    "preflight": ("preflight", ("DDM_PREFLIGHT",), None),
}
CONFIG_KEYS = tuple(source[0] for source in _SOURCES.values()) + ("cloud",)
"""The `ddm:*` stack config keys the provider reads."""


class ProviderSettings(BaseModel):
    """Everything the provider needs to call DDM. Secrets never show in `repr` or errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    endpoint: str
    """Base URL of the DDM API, without a path."""
    region: str
    project_id: str | None = None
    """Known up front, or learnt from the IAM token (password authentication)."""
    token: SecretStr | None = None
    auth_url: str
    username: str | None = None
    password: SecretStr | None = None
    domain_name: str | None = None
    project_name: str | None = None
    poll_interval: float = Field(default=10.0, gt=0, le=300)
    """Longest pause between two polls of a job, in seconds."""
    preflight: bool = True
    """Check inputs against the read-only restore APIs (ddm-api.md section 2) before restoring."""


def resolve_settings(config_get: Callable[[str], Any], environ: Mapping[str, str]) -> ProviderSettings:
    """Build `ProviderSettings` from a stack-config getter (`pulumi.dynamic.Config.get`) and env.

    Raises `ConfigurationError` naming what to set, with no secret in the message.
    """

    def from_config(key: str) -> str | None:
        value = config_get(f"ddm:{key}")
        return None if value in (None, "") else str(value)

    cloud_name = from_config("cloud") or environ.get("OS_CLOUD") or None
    cloud = load_cloud(cloud_name, environ) if cloud_name else {}
    values: dict[str, Any] = {}
    for field, (key, env_names, cloud_key) in _SOURCES.items():
        value = from_config(key) or next((environ[n] for n in env_names if environ.get(n)), None)
        if value is None and cloud_key is not None:
            value = cloud.get(cloud_key)
        if value is not None:
            values[field] = value

    project_name = values.get("project_name")
    values.setdefault("region", project_name.split("_")[0] if project_name else DEFAULT_REGION)
    values.setdefault("endpoint", f"https://ddm.{values['region']}.otc.t-systems.com")
    values.setdefault("auth_url", f"https://iam.{values['region']}.otc.t-systems.com/v3")
    values["endpoint"] = values["endpoint"].rstrip("/")
    _require_credentials(values)
    try:
        return ProviderSettings(**values)
    except pydantic.ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False))
        raise ConfigurationError(f"DDM provider settings are invalid: {problems}") from None


def _require_credentials(values: dict[str, Any]) -> None:
    if values.get("token"):
        if not values.get("project_id"):
            raise ConfigurationError(
                "a ready IAM token needs the project ID it is scoped to: "
                "`pulumi config set ddm:projectId <id>` or OS_PROJECT_ID"
            )
        return
    missing = [
        label for field, label in (
            ("username", "user name (ddm:username or OS_USERNAME)"),
            ("password", "password (`pulumi config set --secret ddm:password` or OS_PASSWORD)"),
            ("domain_name", "domain (ddm:domainName or OS_DOMAIN_NAME)"),
        ) if not values.get(field)
    ]
    if not (values.get("project_name") or values.get("project_id")):
        missing.append("project (ddm:projectName / OS_PROJECT_NAME, or ddm:projectId / OS_PROJECT_ID)")
    if missing:
        raise ConfigurationError(
            "DDM credentials are incomplete. Either give a ready token (`pulumi config set --secret "
            "ddm:token <token>` or OS_TOKEN, plus the project ID), or the IAM login; missing: "
            + "; ".join(missing) + ". OS_CLOUD with clouds.yaml works too."
        )
