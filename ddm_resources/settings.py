"""Provider settings: where the DDM API is and how to authenticate, from stack config and env.

Resolved in the provider process (never pickled into state). Stack config wins over the
environment, as in a Terraform provider block versus `OS_*` variables:

| setting        | stack config (namespace `ddm`) | environment                    | default                                   |
|----------------|--------------------------------|--------------------------------|-------------------------------------------|
| DDM endpoint   | `ddm:endpoint`                 | `DDM_ENDPOINT`                 | `https://ddm.{region}.otc.t-systems.com`  |
| region         | `ddm:region`                   | `OS_REGION_NAME`               | `eu-de`                                   |
| project ID     | `ddm:projectId`                | `OS_PROJECT_ID`                | (required)                                |
| IAM token      | `ddm:token` (a secret)         | `OS_TOKEN`, `OS_AUTH_TOKEN`    | (required)                                |
| poll interval  | `ddm:pollInterval` (seconds)   | `DDM_POLL_INTERVAL`            | `10`: the longest pause between job polls |
| preflight      | `ddm:preflight` (true/false)   | `DDM_PREFLIGHT`                | `true`: check inputs with the read-only restore APIs before a restore |
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Optional

import pydantic
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from .errors import ConfigurationError

__all__ = ["ProviderSettings", "resolve_settings"]

DEFAULT_REGION = "eu-de"


class ProviderSettings(BaseModel):
    """Everything the provider needs to call DDM. The token never shows in `repr` or errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    endpoint: str
    """Base URL of the DDM API, without a path."""
    region: str
    project_id: str = Field(min_length=1)
    token: SecretStr
    poll_interval: float = Field(default=10.0, gt=0, le=300)
    """Longest pause between two polls of a job, in seconds."""
    preflight: bool = True
    """Check inputs against the read-only restore APIs (ddm-api.md section 2) before restoring."""


def resolve_settings(
    config_get: Callable[[str], Any], environ: Mapping[str, str]
) -> ProviderSettings:
    """Build `ProviderSettings` from a stack-config getter (e.g. `pulumi.dynamic.Config.get`) and env.

    Raises `ConfigurationError` naming the config key and the environment variable to set.
    """

    def pick(key: str, *env_names: str) -> Optional[str]:
        value = config_get(f"ddm:{key}")
        if value not in (None, ""):
            return str(value)
        for name in env_names:
            if environ.get(name):
                return environ[name]
        return None

    region = pick("region", "OS_REGION_NAME") or DEFAULT_REGION
    endpoint = pick("endpoint", "DDM_ENDPOINT") or f"https://ddm.{region}.otc.t-systems.com"
    project_id = pick("projectId", "OS_PROJECT_ID")
    token = pick("token", "OS_TOKEN", "OS_AUTH_TOKEN")
    missing = []
    if not project_id:
        missing.append("the project ID: `pulumi config set ddm:projectId <id>` or OS_PROJECT_ID")
    if not token:
        missing.append("an IAM token: `pulumi config set --secret ddm:token <token>` or OS_TOKEN")
    if missing:
        raise ConfigurationError("DDM provider settings are incomplete; set " + "; and ".join(missing))
    values: dict[str, Any] = {
        "endpoint": endpoint.rstrip("/"),
        "region": region,
        "project_id": project_id,
        "token": token,
    }
    for key, env_name, field in (("pollInterval", "DDM_POLL_INTERVAL", "poll_interval"),
                                 ("preflight", "DDM_PREFLIGHT", "preflight")):
        value = pick(key, env_name)
        if value is not None:
            values[field] = value
    try:
        return ProviderSettings(**values)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False)
        )
        raise ConfigurationError(f"DDM provider settings are invalid: {problems}") from None
