"""What the provider process knows across the calls of one Pulumi run: one `RunState`.

The engine starts one provider process per run and calls `configure` once, then `check`,
`diff`, `create`... on several threads at once. `MetadataRecoveryProvider.configure` makes
the `RunState`; every other call reads it. It holds:

* the stack config (`ddm:*` keys), resolved into settings on demand, so that preview and
  delete work without credentials;
* one token source per settings, shared by every call (one IAM login per run);
* the **ledger** of targets: on which targets the stack state records a restore, by which
  resource and of which inputs (learned from `check`, which gets every existing resource's
  old inputs, and from `diff`, which also sees the job and `restored_to`), and which resource
  of this run claimed a target for its create, and which job each claim holds (one job, one
  resource). `decision.decide` reads it, at preview and before `create` adopts or submits
  anything. `pulumi up --replace URN` (and a tainted resource) tells neither: the engine
  calls `check` without old inputs and no `diff` for that resource;
* the inputs whose preflight passed in `check`, so that `create` does not ask the same
  read-only APIs again a moment later (one preflight per resource per run).

All methods are safe to call from any number of threads at once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .api_time import format_ms
from .auth import PasswordToken, TokenSource, ddm_endpoint, token_source
from .client import DEFAULT_TIMEOUT, DdmClient
from .fields import FORCE_NEW_INPUTS
from .inputs import canonical, contains_unknown
from .settings import ProviderSettings, resolve_settings
from .wording import shown

__all__ = ["Claim", "Recorded", "RunState"]


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


@dataclass(frozen=True)
class Recorded:
    """A restore that the stack state records on a target, as far as this run knows it.

    `restored` holds the recording resource's `FORCE_NEW_INPUTS` in `inputs.canonical` form
    (what was restored: source instance, backup or time, data nodes); `restored_to` is the
    epoch ms the restore went to when it was by time (how `"latest"` resolved). `job_id` and
    `restored_to` come from `diff` (the old outputs), `None` while unknown."""

    resource: str
    job_id: str | None = None
    restored: Mapping[str, Any] | None = None
    restored_to: int | None = None

    def changed(self, props: Mapping[str, Any]) -> list[str] | None:
        """The inputs by which `props` ask for another restore than the recorded one, e.g.
        `["source.restore_time"]`; `[]` for the same restore (a recorded `"latest"` that resolved
        to T is the same restore as T); `None` when it cannot be told (nothing recorded, or an
        unknown value in `props`, as in a preview)."""
        if self.restored is None or any(contains_unknown(props.get(key)) for key in FORCE_NEW_INPUTS):
            return None
        new = _restored(props)
        if self.restored_to is not None and self.restored.get("source") == {"restore_time": "latest"}:
            if new["source"] == {"restore_time": self.restored_to}:
                new["source"] = self.restored["source"]
        changed: list[str] = []
        for key in FORCE_NEW_INPUTS:
            old_value, new_value = self.restored.get(key), new[key]
            if old_value == new_value:
                continue
            if isinstance(old_value, dict) and isinstance(new_value, dict):
                changed += [f"{key}.{field}" for field in sorted(old_value.keys() | new_value.keys())
                            if old_value.get(field) != new_value.get(field)]
            else:
                changed.append(key)
        return changed

    def other_inputs(self, name: str, props: Mapping[str, Any]) -> str | None:
        """A sentence saying that the state records on this target the restore of resource
        `name`'s other (old) inputs, not of `props`; `None` when that is not known to be so."""
        changed = self.changed(props) if self.resource == name else None
        if not changed:
            return None
        return (f"The stack state records on this target the restore of {name}'s old inputs "
                f"({_describe(self.restored, changed, self.restored_to)}); the new ones "
                f"({_describe(_restored(props), changed)}) ask for another restore, which this target cannot take.")

    def adoption_refusal(self, name: str, props: Mapping[str, Any]) -> str | None:
        """Why resource `name` with inputs `props` may not adopt `props["adopt_job_id"]`: it is
        the job the state records for `name`'s other (old) inputs; `None` when that is not so
        (another job, another resource, the same restore, or not known)."""
        job_id = props.get("adopt_job_id")
        changed = self.changed(props) if job_id and job_id == self.job_id and self.resource == name else None
        if not changed:
            return None
        return (f"{name}: adopt_job_id {job_id} is the restore that the stack state records for {name}'s old inputs "
                f"({_describe(self.restored, changed, self.restored_to)}), not a restore of the new ones "
                f"({_describe(_restored(props), changed)}); nothing was adopted or submitted. A new restore "
                "needs a new, empty target: point target.instance_id at a new, empty DDM instance (or set "
                f"{', '.join(changed)} back to keep job {job_id}).")


def _restored(props: Mapping[str, Any]) -> dict[str, Any]:
    """What a restore with these inputs restores: `FORCE_NEW_INPUTS` in `canonical` form."""
    return {key: canonical(key, props.get(key)) for key in FORCE_NEW_INPUTS}


def _describe(restored: Mapping[str, Any] | None, changed: list[str], restored_to: int | None = None) -> str:
    """`source_instance_id ..., restore_time ...` (and the data nodes when they changed)."""
    restored = restored or {}
    source = restored.get("source")
    source = source if isinstance(source, dict) else {}
    parts = [f"source_instance_id {_text(restored.get('source_instance_id'))}"]
    if "backup_id" in source:
        parts.append(f"backup_id {_text(source['backup_id'])}")
    if "restore_time" in source:
        when = source["restore_time"]
        text = format_ms(when) if isinstance(when, int) and not isinstance(when, bool) else _text(when)
        if when == "latest" and restored_to is not None:
            text = f'"latest" (resolved to {format_ms(restored_to)})'
        parts.append(f"restore_time {text}")
    if "target.data_nodes" in changed:
        target = restored.get("target")
        nodes = target.get("data_nodes") if isinstance(target, dict) else None
        parts.append(f"data_nodes {', '.join(map(_text, nodes)) if isinstance(nodes, list) else _text(nodes)}")
    return ", ".join(parts)


def _epoch_ms(value: Any) -> int | None:
    """`restored_to` as recorded (a JSON number: an int, or a whole float), else `None`."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str:
    """An ID or time from the state (which may be edited by hand) for a message."""
    if isinstance(value, str) and value == "latest":
        return '"latest"'
    return value if isinstance(value, str) and value.isprintable() and len(value) <= 64 else shown(value)


class RunState:
    """Config, tokens and the ledger of targets of one provider process (see the module docstring)."""

    def __init__(self, config: Mapping[str, object], *, transport: httpx.BaseTransport | None = None) -> None:
        self.config = dict(config)
        """This provider's stack config (`settings.provider_config`): the `ddm:*` keys without their
        prefix, the OTC provider's `opentelekomcloud:*` keys with theirs."""
        self.transport = transport
        """The `httpx` transport of every DDM and IAM client of this process; `None` is httpx's own
        (the network). Tests give one that serves the emulator in process (`ddm_emulator.wsgi_transport`)."""
        self._lock = threading.Lock()
        self._tokens: tuple[ProviderSettings, TokenSource] | None = None
        self._recorded: dict[str, Recorded] = {}
        self._claims: dict[str, Claim] = {}
        self._preflighted: dict[str, float] = {}
        self._said: set[str] = set()
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
                source = token_source(settings, timeout=DEFAULT_TIMEOUT, transport=self.transport)
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
                         on_retry=on_retry, transport=self.transport)

    # the ledger -----------------------------------------------------------------------------

    def record(self, target: str, job_id: str | None, resource: str,
               props: Mapping[str, Any] | None = None) -> None:
        """Note that the stack state records a restore on `target`: by resource `resource`, job
        `job_id` when known (`diff` sees it, `check` does not), with the recorded properties
        `props` (old inputs in `check`, old outputs with `restored_to` in `diff`). What is known
        of the restore (its job, its inputs, `restored_to`) is never forgotten."""
        restored = _restored(props) if props is not None else None
        restored_to = _epoch_ms(props.get("restored_to")) if props is not None else None
        with self._lock:
            known = self._recorded.get(target) or Recorded(resource)
            self._recorded[target] = Recorded(resource, job_id or known.job_id, restored or known.restored,
                                              restored_to if restored_to is not None else known.restored_to)

    def recorded(self, target: str) -> Recorded | None:
        """The restore the stack state records on `target`, if any (`Recorded`)."""
        with self._lock:
            return self._recorded.get(target)

    def target_of(self, job_id: str) -> tuple[str, Recorded] | None:
        """The target on which the stack state records job `job_id`, and that record, if any."""
        with self._lock:
            return next(((target, rec) for target, rec in self._recorded.items() if rec.job_id == job_id), None)

    def claim(self, target: str, resource: str) -> Claim | None:
        """Take `target` for `resource`'s create. Returns `None` when it is now this resource's,
        else the other resource's `Claim` (the target stays with it for the whole run)."""
        with self._lock:
            held = self._claims.get(target)
            if held is not None and held.resource != resource:
                return Claim(held.resource, held.job_id)
            self._claims[target] = Claim(resource, held.job_id if held else None)
            return None

    def claimed_job(self, target: str, job_id: str) -> str | None:
        """Note the job that the create holding `target` adopted or submitted, unless another
        resource of this run holds that job already (one job, one resource): then note nothing and
        return that resource's name (`job_holder`)."""
        with self._lock:
            holder = self._holder(job_id, target)
            if holder is not None:
                return holder
            claim = self._claims.get(target)
            if claim is not None:
                claim.job_id = job_id
            return None

    def job_holder(self, job_id: str, target: str) -> str | None:
        """The resource that holds job `job_id` on a target other than `target`: claimed for it in this
        run, or recorded for it by the stack state; `None` when none does."""
        with self._lock:
            return self._holder(job_id, target)

    def _holder(self, job_id: str, target: str) -> str | None:
        holders = [claim.resource for other, claim in self._claims.items()
                   if other != target and claim.job_id == job_id]
        holders += [rec.resource for other, rec in self._recorded.items() if other != target and rec.job_id == job_id]
        return holders[0] if holders else None

    # preflight ------------------------------------------------------------------------------

    def preflight_passed(self, inputs_key: str, took: float = 0.0) -> None:
        """Note that the preflight of these inputs (`MetadataRecoveryInputs.model_dump_json()`) passed,
        after `took` seconds of reads (`preflight_took`)."""
        with self._lock:
            self._preflighted[inputs_key] = took

    def has_passed_preflight(self, inputs_key: str) -> bool:
        """Whether `check` in this process already preflighted exactly these inputs, successfully."""
        with self._lock:
            return inputs_key in self._preflighted

    def first_time(self, line: str) -> bool:
        """True the first time `line` is asked about in this process (one run), False after:
        for a line said once per run, not once per resource."""
        with self._lock:
            if line in self._said:
                return False
            self._said.add(line)
            return True

    def preflight_took(self, inputs_key: str) -> float:
        """Seconds the reads of `check` took for these inputs when their preflight passed in this process
        (0 when it did not): they count against the create's `timeouts.create`."""
        with self._lock:
            return self._preflighted.get(inputs_key, 0.0)
