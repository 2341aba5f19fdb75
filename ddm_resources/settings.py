"""Provider settings: where the DDM API is and how to authenticate, from stack config and env.

Resolved in the provider process (never pickled into state). Each setting is taken from the
stack config (namespace `ddm`), else the config of the OTC Pulumi provider in the same stack
(namespace `opentelekomcloud`, `_OTC_KEYS`: a stack that already uses that provider needs no
second copy of its credentials), else the environment variables the OpenStack CLI and the
OTC Terraform provider read, else the `clouds.yaml` entry named by `ddm:cloud` /
`opentelekomcloud:cloud` / `OS_CLOUD`. `ProviderSettings.origins` says where each value came
from. `_SOURCES` lists the keys and variables of each setting; docs/configuration.md's
table shows the same (a test compares them). The IAM URL and the DDM endpoint default to
the region's (`regions.py`).

Authentication: a ready token (with a project ID) is used as is; an access key pair (with a
project ID, and the security token of a temporary pair) signs each request; otherwise user
name, password, domain and a project (name or ID) obtain tokens from IAM, renewed as they expire.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from .api_time import parse_duration
from .clouds import load_cloud
from .errors import ConfigurationError, NoCredentialsError
from .http_options import DEFAULT_HTTP_OPTIONS, HttpOptions, check_environment, opens_tls
from .regions import region_endpoints
from .wording import say, shown

__all__ = ["CONFIG_KEYS", "OTC_NAMESPACE", "ProviderSettings", "credential_origins", "provider_config",
           "resolve_settings"]

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
    "security_token": ("securityToken", ("OS_SECURITY_TOKEN",), "security_token"),
    "cacert": ("cacert", ("OS_CACERT",), "cacert"),
    "insecure": ("insecure", ("OS_INSECURE",), "insecure"),
    "system_trust_store": ("systemTrustStore", ("DDM_SYSTEM_TRUST_STORE",), None),
    "poll_interval": ("pollInterval", ("DDM_POLL_INTERVAL",), None),
    "preflight": ("preflight", ("DDM_PREFLIGHT",), None),
    "adopt_window": ("adoptWindow", ("DDM_ADOPT_WINDOW",), None),
}
CONFIG_KEYS = tuple(source[0] for source in _SOURCES.values()) + ("cloud",)
"""The `ddm:*` stack config keys the provider reads."""

OTC_NAMESPACE = "opentelekomcloud"
"""The config namespace of the OTC Pulumi provider (bridged from its Terraform provider)."""
# setting -> the OTC Pulumi provider's config key (its Terraform argument in camelCase), read below `ddm:*`
_OTC_KEYS: dict[str, str] = {
    "region": "region",
    "auth_url": "authUrl",
    "username": "userName",
    "password": "password",
    "domain_name": "domainName",
    "domain_id": "domainId",
    "project_name": "tenantName",
    "project_id": "tenantId",
    "token": "token",
    "access_key": "accessKey",
    "secret_key": "secretKey",
    "security_token": "securityToken",
    "cacert": "cacertFile",
    "insecure": "insecure",
    "cloud": "cloud",
}

_CONTROL = {chr(c) for c in range(32)} | {chr(127)}
_HTTP_FIELDS = ("cacert", "capath", "insecure", "system_trust_store")
_SECRETS = ("password", "token", "secret_key", "security_token")
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
    security_token: SecretStr | None = None
    """The security token of a temporary access key pair (sent as `X-Security-Token`, signed)."""
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
    """Where each setting came from, e.g. `{"password": "OS_PASSWORD"}` (names, never values).
    `endpoint` and `auth_url` are absent when they are the region's (`regions.py`)."""


def provider_config(config_get: Callable[[str], Any], all_keys: Iterable[object] = ()) -> dict[str, Any]:
    """The stack config this provider reads, through `config_get` (e.g. `pulumi.dynamic.Config.get`,
    which takes `namespace:key`): the `ddm:*` keys without their prefix (`CONFIG_KEYS`), and the
    OTC provider's keys (`opentelekomcloud:userName`, ...) with theirs; `resolve_settings` reads both.

    A `ddm:*` key among `all_keys` (every key of the stack config) that this provider does not
    read, such as `ddm:projectID`, is named once in a warning line with the nearest key it reads
    (`difflib`); its value is never shown.
    """
    wanted = {f"ddm:{key}": key for key in CONFIG_KEYS}
    wanted.update({f"{OTC_NAMESPACE}:{key}": f"{OTC_NAMESPACE}:{key}" for key in _OTC_KEYS.values()})
    for full in sorted(key for key in all_keys if isinstance(key, str)):
        if full.startswith("ddm:") and full not in wanted:
            _warn_once(_unknown_key(full.removeprefix("ddm:")))
    found = {name: config_get(full) for full, name in wanted.items()}
    return {name: value for name, value in found.items() if value is not None}


def _unknown_key(key: str) -> str:
    """The warning for stack config key `ddm:{key}`, which this provider does not read."""
    folded = {known.lower(): known for known in CONFIG_KEYS}
    nearest = folded.get(key.lower()) or next(iter(difflib.get_close_matches(key, CONFIG_KEYS, n=1, cutoff=0.6)), None)
    shown_key = shown(key) if not key.isprintable() or len(key) > 64 else key
    hint = (f"did you mean ddm:{nearest}? (set that key, then `pulumi config rm ddm:{shown_key}`)" if nearest
            else "the keys it reads are listed in the configuration table of docs/configuration.md")
    return f"warning: stack config key ddm:{shown_key} is not a setting of ddm-resources and is ignored; {hint}"


def resolve_settings(config_get: Callable[[str], Any], environ: Mapping[str, str]) -> ProviderSettings:
    """Build `ProviderSettings` from a stack-config getter (`pulumi.dynamic.Config.get`) and env.

    Values lose surrounding whitespace and line breaks (a password keeps its spaces, only
    line breaks are cut); a line break or control character inside a value is refused.
    Raises `ConfigurationError` naming what to set, or which variable is wrong, with no
    secret in the message.
    """

    def from_config(key: str) -> str | None:
        value = config_get(key)
        return None if value in (None, "") else str(value)

    def in_config(field: str, key: str) -> list[tuple[str, str | None]]:
        """`(origin, value)` of `field` in the stack config: `ddm:*`, then the OTC provider's key."""
        keys = [f"ddm:{key}"] + ([f"{OTC_NAMESPACE}:{_OTC_KEYS[field]}"] if field in _OTC_KEYS else [])
        return [(name, from_config(name)) for name in keys]

    def first(field: str, env_name: str) -> str | None:
        for origin, raw in [*in_config(field, field), (env_name, environ.get(env_name))]:
            value = _clean(field, origin, raw)
            if value:
                return value
        return None

    cloud_name = first("cloud", "OS_CLOUD")
    region = first("region", "OS_REGION_NAME")
    cloud = load_cloud(cloud_name, environ, region) if cloud_name else {}
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for field, (key, env_names, cloud_key) in _SOURCES.items():
        candidates = in_config(field, key)
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
    region_hosts = region_endpoints(values["region"])
    values.setdefault("endpoint", region_hosts.ddm)
    values.setdefault("auth_url", region_hosts.auth_url)
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


def credential_origins(settings: ProviderSettings) -> str:
    """Where the credentials `settings` authenticate with came from, e.g. `access key from
    opentelekomcloud:accessKey, secret key from opentelekomcloud:secretKey, project ID from
    OS_PROJECT_ID` (setting names, never values)."""
    fields: tuple[tuple[str, str], ...]
    if settings.token is not None:
        fields = (("token", "token"), ("project_id", "project ID"))
    elif settings.access_key is not None:
        fields = (("access_key", "access key"), ("secret_key", "secret key"), ("security_token", "security token"),
                  ("project_id", "project ID"))
    else:
        fields = (("username", "user"), ("password", "password"), ("domain_name", "domain"),
                  ("domain_id", "domain ID"), ("project_name", "project"), ("project_id", "project ID"))
    return ", ".join(f"{label} from {settings.origins[field]}" for field, label in fields if field in settings.origins)


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
    if origin.startswith(("ddm:", f"{OTC_NAMESPACE}:")):
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
    if values.get("security_token") and not values.get("access_key"):
        raise ConfigurationError(
            "a security token (OS_SECURITY_TOKEN / ddm:securityToken) belongs to a temporary access key pair: "
            "set that pair too (OS_ACCESS_KEY and OS_SECRET_KEY, or ddm:accessKey and ddm:secretKey)")
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
