"""What the provider process knows across the calls of one Pulumi run: one `RunState`.

The engine starts one provider process per run and calls `configure` once, then `check`,
`diff`, `create`... on several threads at once. `MetadataRecoveryProvider.configure` makes
the `RunState`; every other call reads it. It holds:

* the stack config (`ddm:*` keys), resolved into settings on demand, so that preview and
  delete work without credentials;
* one token source per settings, shared by every call (one IAM login per run);
* the **ledger** of targets: on which targets the stack state records a restore (learned
  from `check`, which gets every existing resource's old inputs, also on `up --replace`,
  and from `diff`, which also sees the job), and which resource of this run claimed a
  target for its create. `create` asks it before it adopts or submits anything;
* the inputs whose preflight passed in `check`, so that `create` does not ask the same
  read-only APIs again a moment later (one preflight per resource per run).

All methods are safe to call from any number of threads at once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .auth import PasswordToken, TokenSource, ddm_endpoint, token_source
from .client import DEFAULT_TIMEOUT, DdmClient
from .settings import ProviderSettings, resolve_settings

__all__ = ["Claim", "RunState"]


@dataclass
class Claim:
    """A target taken by one resource's create in this run; `job_id` once its job is known."""

    resource: str
    job_id: str | None = None

    def refusal(self, name: str, target: str) -> str:
        """Why resource `name` may not restore onto `target`, which this claim holds."""
        job = f"job {self.job_id}" if self.job_id else "its job is not started yet"
        return (f"{name}: target instance {target} is already restored in this run by resource {self.resource} "
                f"({job}); nothing was submitted. One restore per target: give {name} its own new, empty DDM "
                "instance as target.instance_id, or remove one of the two resources.")


class RunState:
    """Config, tokens and the ledger of targets of one provider process (see the module docstring)."""

    def __init__(self, config: Mapping[str, object]) -> None:
        self.config = dict(config)
        """This provider's stack config (`CONFIG_KEYS`), keys without the `ddm:` prefix."""
        self._lock = threading.Lock()
        self._tokens: tuple[ProviderSettings, TokenSource] | None = None
        self._recorded: dict[str, tuple[str | None, str]] = {}
        self._claims: dict[str, Claim] = {}
        self._preflighted: set[str] = set()
        self._settings: ProviderSettings | None = None

    def settings(self) -> ProviderSettings:
        """The settings from the stack config and the environment; raises `ConfigurationError`.

        Resolved once per process (neither changes during a run; resolving checks the TLS and
        proxy settings, which costs tens of milliseconds); a failure is resolved again next time."""
        if self._settings is None:
            settings = resolve_settings(lambda key: self.config.get(key.removeprefix("ddm:")), os.environ)
            with self._lock:
                self._settings = self._settings or settings
        return self._settings

    def token_source(self, settings: ProviderSettings) -> TokenSource:
        """One token source per settings, shared by every call of this process."""
        with self._lock:
            if self._tokens is None or self._tokens[0] != settings:
                source = token_source(settings, timeout=DEFAULT_TIMEOUT)
                self._tokens = (settings, source)
            return self._tokens[1]

    def client(self, settings: ProviderSettings,
               on_retry: Callable[[BaseException, float], None] | None = None) -> DdmClient:
        """A DDM client for `settings` with this process's token source; `on_retry(error, wait)`
        hears each retry. With password login this may call IAM for the project ID."""
        tokens = self.token_source(settings)
        project_id = settings.project_id
        if project_id is None:
            assert isinstance(tokens, PasswordToken), "settings require ddm:projectId with a ready token"
            project_id = tokens.project_id
        return DdmClient(ddm_endpoint(settings, tokens), project_id, tokens, http_options=settings.http,
                         on_retry=on_retry)

    # the ledger -----------------------------------------------------------------------------

    def record(self, target: str, job_id: str | None, resource: str) -> None:
        """Note that the stack state records a restore on `target` (resource `resource`, job
        `job_id` when known: `diff` sees it, `check` does not). A known job is never forgotten."""
        with self._lock:
            known = self._recorded.get(target)
            self._recorded[target] = (job_id or (known[0] if known else None), resource)

    def recorded(self, target: str) -> tuple[str | None, str] | None:
        """`(job_id or None, resource)` of the restore the stack state records on `target`, if any."""
        with self._lock:
            return self._recorded.get(target)

    def claim(self, target: str, resource: str) -> Claim | None:
        """Take `target` for `resource`'s create. Returns `None` when it is now this resource's,
        else the other resource's `Claim` (the target stays with it for the whole run)."""
        with self._lock:
            held = self._claims.get(target)
            if held is not None and held.resource != resource:
                return Claim(held.resource, held.job_id)
            self._claims[target] = Claim(resource, held.job_id if held else None)
            return None

    def claimed_job(self, target: str, job_id: str) -> None:
        """Note the job that the create holding `target` adopted or submitted."""
        with self._lock:
            claim = self._claims.get(target)
            if claim is not None:
                claim.job_id = job_id

    # preflight ------------------------------------------------------------------------------

    def preflight_passed(self, inputs_key: str) -> None:
        """Note that the preflight of these inputs (`MetadataRecoveryInputs.model_dump_json()`) passed."""
        with self._lock:
            self._preflighted.add(inputs_key)

    def has_passed_preflight(self, inputs_key: str) -> bool:
        """Whether `check` in this process already preflighted exactly these inputs, successfully."""
        with self._lock:
            return inputs_key in self._preflighted
