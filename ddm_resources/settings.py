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

from .api_time import parse_duration
from .clouds import load_cloud
from .errors import ConfigurationError, NoCredentialsError
from .http_options import DEFAULT_HTTP_OPTIONS, HttpOptions, check_environment, opens_tls
from .wording import say, shown

__all__ = ["CONFIG_KEYS", "ProviderSettings", "resolve_settings"]

DEFAULT_REGION = "eu-de"

# setting -> (stack config key, environment variables, clouds.yaml key)
_SOURCES: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "endpoint": ("endpoint", ("DDM_ENDPOINT",), None),
    "region": ("region", ("OS_REGION_NAME",), "region"),
    "auth_url": ("authUrl", ("OS_AUTH_URL",), "auth_url"),
    "username": ("username", ("OS_USERNAME",), "username"),
    "password": ("password", ("OS_PASSWORD",), "password"),
    "domain_name": ("domainName", ("OS_DOMAIN_NAME", "OS_USER_DOMAIN_NAME"), "domain_name"),
    "domain_id": ("domainId", ("OS_DOMAIN_ID", "OS_USER_DOMAIN_ID"), "domain_id"),
    "project_name": ("projectName", ("OS_PROJECT_NAME", "OS_TENANT_NAME"), "project_name"),
    "project_id": ("projectId", ("OS_PROJECT_ID", "OS_TENANT_ID"), "project_id"),
    "token": ("token", ("OS_TOKEN", "OS_AUTH_TOKEN"), "token"),
    "access_key": ("accessKey", ("OS_ACCESS_KEY",), "access_key"),
    "secret_key": ("secretKey", ("OS_SECRET_KEY",), "secret_key"),
    "cacert": ("cacert", ("OS_CACERT",), "cacert"),
    "insecure": ("insecure", ("OS_INSECURE",), "insecure"),
    "system_trust_store": ("systemTrustStore", ("DDM_SYSTEM_TRUST_STORE",), None),
    "poll_interval": ("pollInterval", ("DDM_POLL_INTERVAL",), None),
    "preflight": ("preflight", ("DDM_PREFLIGHT",), None),
    "adopt_window": ("adoptWindow", ("DDM_ADOPT_WINDOW",), None),
}
CONFIG_KEYS = tuple(source[0] for source in _SOURCES.values()) + ("cloud",)
"""The `ddm:*` stack config keys the provider reads."""

_CONTROL = {chr(c) for c in range(32)} | {chr(127)}
_HTTP_FIELDS = ("cacert", "capath", "insecure", "system_trust_store")
_SECRETS = ("password", "token", "secret_key")
_warned: set[str] = set()


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
    domain_id: str | None = None
    """The user's domain by ID (`user_domain_id`), instead of `domain_name`."""
    access_key: str | None = None
    """AK/SK authentication: the access key ID; requests are signed with `secret_key`."""
    secret_key: SecretStr | None = None
    project_name: str | None = None
    poll_interval: float = Field(default=300.0, gt=0, le=300)
    """Longest pause between two polls of a job, in seconds (poll_plan polls densely near the end)."""
    preflight: bool = True
    """Check inputs against the read-only restore APIs (docs/ddm-api.md section 2) before restoring."""
    adopt_window: float = Field(default=24 * 3600.0, gt=0, le=29 * 24 * 3600.0)
    """How old (seconds) a running restore of the target may be to be adopted;
    written as a duration (`"24h"`, `"90m"`) or seconds; at most 29 days (`"696h"`)."""

    @pydantic.field_validator("adopt_window", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip() and not value.strip().replace(".", "", 1).isdigit():
            return parse_duration(value)
        return value
    http: HttpOptions = DEFAULT_HTTP_OPTIONS
    """TLS options for every HTTP client (DDM and IAM)."""
    origins: dict[str, str] = {}
    """Where each setting came from, e.g. `{"password": "OS_PASSWORD"}` (names, never values)."""


def resolve_settings(config_get: Callable[[str], Any], environ: Mapping[str, str]) -> ProviderSettings:
    """Build `ProviderSettings` from a stack-config getter (`pulumi.dynamic.Config.get`) and env.

    Values lose surrounding whitespace and line breaks (a password keeps its spaces, only
    line breaks are cut); a line break or control character inside a value is refused.
    Raises `ConfigurationError` naming what to set, or which variable is wrong, with no
    secret in the message.
    """

    def from_config(key: str) -> str | None:
        value = config_get(f"ddm:{key}")
        return None if value in (None, "") else str(value)

    def first(key: str, env_name: str) -> str | None:
        return _clean(key, f"ddm:{key}", from_config(key)) or _clean(key, env_name, environ.get(env_name))

    cloud_name = first("cloud", "OS_CLOUD")
    region = first("region", "OS_REGION_NAME")
    cloud = load_cloud(cloud_name, environ, region) if cloud_name else {}
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for field, (key, env_names, cloud_key) in _SOURCES.items():
        candidates = [(f"ddm:{key}", from_config(key))]
        candidates += [(name, environ.get(name)) for name in env_names]
        if cloud_key is not None:
            written = cloud.get("insecure_as", cloud_key) if cloud_key == "insecure" else cloud_key
            candidates.append((f"`{written}` in clouds.yaml cloud {cloud_name!r}", cloud.get(cloud_key)))
        for origin, raw in candidates:
            value = _clean(field, origin, raw)
            if value:
                values[field], origins[field] = value, origin
                break
    for field, name in (("cacert", "SSL_CERT_FILE"), ("capath", "SSL_CERT_DIR")):
        value = _clean(field, name, environ.get(name))
        if value and field not in values:
            values[field], origins[field] = value, name

    project_name = values.get("project_name")
    values.setdefault("region", project_name.split("_")[0] if project_name else DEFAULT_REGION)
    values.setdefault("endpoint", f"https://ddm.{values['region']}.otc.t-systems.com")
    values.setdefault("auth_url", f"https://iam.{values['region']}.otc.t-systems.com/v3")
    values["endpoint"] = values["endpoint"].rstrip("/")
    _require_credentials(values)
    http = {field: values.pop(field) for field in _HTTP_FIELDS if field in values}
    switches = {field: _switch(field, origins, http.get(field)) for field in ("insecure", "system_trust_store")}
    options = HttpOptions(cacert=http.get("cacert"), capath=http.get("capath"),
                          verify=not switches["insecure"], system_trust_store=switches["system_trust_store"])
    # TLS is opened by the DDM client (unless its endpoint is plain http://) and by the IAM login
    iam_login = not (values.get("token") or values.get("access_key"))
    tls = opens_tls(values["endpoint"]) or (iam_login and opens_tls(values["auth_url"]))
    check_environment(environ, options, origins, tls=tls)
    if not options.verify:
        _warn_once(f"warning: TLS certificate verification is off ({origins['insecure']}); "
                   "anyone on the network path can read the credentials. Set a CA bundle instead (OS_CACERT).")
    try:
        return ProviderSettings(**values, http=options, origins=origins)
    except pydantic.ValidationError as exc:
        fields = dict.fromkeys(str(error["loc"][0]) for error in exc.errors(include_input=False))
        raise ConfigurationError("; ".join(_refusal(f, origins, values.get(f)) for f in fields)) from None


# setting -> (what it accepts, in the units the user writes; an example value)
_ACCEPTED: dict[str, tuple[str, str]] = {
    "poll_interval": ("a number of seconds above 0 and at most 300", "30"),
    "adopt_window": ("a duration (such as 36h or 90m) or a number of seconds, above zero and at most 696h "
                     "(29 days)", "24h"),
    "preflight": ("true or false", "false"),
    "insecure": ("true or false", "false"),
    "system_trust_store": ("true or false", "true"),
}


def _refusal(field: str, origins: Mapping[str, str], value: Any) -> str:
    """`field`'s value refused, in one sentence: where it was set as the user wrote it (the
    `ddm:*` key or the environment variable), what it accepts, and an example."""
    key, env_names, _ = _SOURCES[field]
    origin = origins.get(field, f"ddm:{key}")
    accepted, example = _ACCEPTED.get(field, ("a valid value", ""))
    if origin.startswith("ddm:"):
        how = f"`pulumi config set {origin} {example}`"
    elif origin in env_names:
        how = f"{origin}={example}"
    else:  # clouds.yaml
        how = example
    got = f", not {shown(value)}" if value is not None and field not in _SECRETS else ""
    return f"{origin} must be {accepted}{got}; for example {how}"


def _switch(field: str, origins: Mapping[str, str], value: str | None) -> bool:
    """A true/false setting (`true`, `false`, `1`, `0`, `yes`, `no`, `on`, `off`; unset: false)."""
    try:
        return bool(pydantic.TypeAdapter(bool).validate_python(value or False))
    except pydantic.ValidationError:
        raise ConfigurationError(_refusal(field, origins, value)) from None


def _clean(field: str, origin: str, value: Any) -> str | None:
    """`value` without surrounding whitespace (a password: without surrounding line breaks).

    Raises `ConfigurationError` naming `origin` (never the value) if a control character
    remains inside, e.g. a line break pasted into a token.
    """
    if value is None:
        return None
    text = str(value)
    text = text.strip("\r\n") if field == "password" else text.strip()
    if _CONTROL & set(text):
        raise ConfigurationError(
            f"{origin} contains a line break or control character inside the value; "
            "set it again without one (the value is not shown)")
    return text or None


def _warn_once(line: str) -> None:
    if line not in _warned:
        _warned.add(line)
        say(line)


def _require_credentials(values: dict[str, Any]) -> None:
    if values.get("token") or values.get("access_key") or values.get("secret_key"):
        if values.get("access_key") and not values.get("secret_key"):
            raise ConfigurationError("an access key needs its secret key: OS_SECRET_KEY or "
                                     "`pulumi config set --secret ddm:secretKey <sk>`")
        if values.get("secret_key") and not values.get("access_key"):
            raise ConfigurationError("a secret key needs its access key: OS_ACCESS_KEY or ddm:accessKey")
        if not values.get("project_id"):
            what = "a ready IAM token" if values.get("token") else "AK/SK authentication"
            raise ConfigurationError(
                f"{what} needs the project ID it is scoped to: `pulumi config set ddm:projectId <id>` or OS_PROJECT_ID"
            )
        return
    missing = [
        label for field, label in (
            ("username", "user name (ddm:username or OS_USERNAME)"),
            ("password", "password (`pulumi config set --secret ddm:password` or OS_PASSWORD)"),
        ) if not values.get(field)
    ]
    if not (values.get("domain_name") or values.get("domain_id")):
        missing.append("domain (ddm:domainName / OS_DOMAIN_NAME, or ddm:domainId / OS_USER_DOMAIN_ID)")
    if not (values.get("project_name") or values.get("project_id")):
        missing.append("project (ddm:projectName / OS_PROJECT_NAME, or ddm:projectId / OS_PROJECT_ID)")
    if missing:
        given = ("username", "password", "domain_name", "domain_id", "project_name", "project_id")
        kind = ConfigurationError if any(values.get(field) for field in given) else NoCredentialsError
        raise kind(
            "DDM credentials are incomplete. Give a ready token (`pulumi config set --secret "
            "ddm:token <token>` or OS_TOKEN, plus the project ID), an access key pair (OS_ACCESS_KEY, "
            "OS_SECRET_KEY, plus the project ID), or the IAM login; missing: "
            + "; ".join(missing) + ". OS_CLOUD with clouds.yaml works too."
        )
