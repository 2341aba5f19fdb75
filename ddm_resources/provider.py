"""The dynamic provider behind `MetadataRecovery`: check, diff, create, read, update, delete.

Pulumi pickles an instance of `MetadataRecoveryProvider` *by reference* (module and class
name) into the `__provider` input, and the provider process imports this module to run it.
So this module has no import-time side effects, the instance holds no client and no
credential, and `serialize_as_secret_always` is off: the pickle is a few dozen bytes with
nothing secret in it. Settings and credentials are read in `configure`, which runs in the
provider process only.

A metadata recovery cannot be undone or changed, so the resource is create-only: a change
to `source_instance_id`, `source` or `target` replaces it (a new restore); a change to
`timeouts` is recorded without any API call; `delete` only forgets it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from .auth import PasswordToken, StaticToken, TokenSource
from .client import DEFAULT_TIMEOUT, DdmClient
from .errors import ConfigurationError, DdmError, NotFoundError
from .inputs import FORCE_NEW_INPUTS, InputProblem, MetadataRecoveryInputs, canonical, check_inputs, contains_unknown
from .preflight import preflight, preflight_unavailable
from .recovery import Recovery, find_adoptable_job
from .settings import CONFIG_KEYS, ProviderSettings, resolve_settings
from .waiter import PollSchedule
from .watchdog import watch_engine

__all__ = ["MetadataRecoveryProvider", "OUTPUT_KEYS"]

PROVIDER_KEY = "__provider"
OUTPUT_KEYS = ("job_id", "status", "created_time", "end_time")
"""Outputs set by `create` and `read`, beside the echoed inputs."""
_UPDATABLE_INPUTS = ("timeouts", "adopt_job_id")


def _say(message: str) -> None:
    """One line for the `pulumi up` output (the engine shows the provider's stdout)."""
    print(f"ddm-resources: {message}", file=sys.stdout, flush=True)


class MetadataRecoveryProvider(ResourceProvider):
    """Pulumi dynamic provider for DDM metadata recovery (ddm-api.md sections 2.1 and 3.1)."""

    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        """Keep this provider's stack config (`ddm:*` keys); resolved lazily, so preview and
        delete work without credentials. Runs in the provider process only."""
        self._config = {key: req.config.get(f"ddm:{key}") for key in CONFIG_KEYS}
        self._lock = threading.Lock()
        self._tokens: tuple[ProviderSettings, TokenSource] | None = None
        self._replaced: dict[str, str] = {}
        """target instance ID -> job ID of a resource `diff` planned to replace on that target."""
        watch_engine()

    # check / diff ------------------------------------------------------------------------------

    clock: Callable[[], float] = staticmethod(time.time)
    """Current time, epoch seconds: what "in the future" means for `restore_time` (tests replace it)."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate the inputs; one `CheckFailure` per bad property, all at once.

        First the offline rules (`inputs.check_inputs`, no network; rules that depend on an
        unknown value are skipped). Then, only when every input is known, the offline rules
        passed, a restore would be submitted (a new resource, or a change to
        `source_instance_id`, `source` or `target`; not with `adopt_job_id`, nor when the job
        list shows a running or completed restore of the target, which `create` adopts), the
        settings resolve and `ddm:preflight` is on: the preflight against the read-only restore APIs
        (`ddm_resources.preflight`, ddm-api.md section 2), which fails closed when those
        APIs fail. Incomplete settings skip the preflight silently (`create` reports them).
        On success the returned inputs are normalised (`restore_time` as int epoch ms).
        """
        props = {k: v for k, v in news.items() if k != PROVIDER_KEY}
        checked = check_inputs(props, clock=self.clock)
        problems = checked.problems
        if not problems and checked.inputs is not None and _restores(olds, checked.props):
            problems = self._preflight(checked.inputs)
        if problems:
            return CheckResult(news, [CheckFailure(p.property, p.reason) for p in problems])
        normalised = checked.inputs.to_props() if checked.inputs is not None else checked.props
        return CheckResult({**normalised, PROVIDER_KEY: news.get(PROVIDER_KEY)}, [])

    def _preflight(self, inputs: MetadataRecoveryInputs) -> list[InputProblem]:
        """Preflight problems of `inputs`; none when preflight is off or settings are incomplete."""
        if inputs.adopt_job_id:
            return []
        try:
            settings = self._settings()
        except ConfigurationError as exc:
            _say(f"preflight skipped: {exc}")
            return []
        if not settings.preflight:
            return []
        try:
            client = self._client(settings)
        except DdmError as exc:
            return [preflight_unavailable(exc)]
        with client:
            try:  # create adopts such a job instead of submitting (recovery.py): nothing to preflight
                if find_adoptable_job(client, inputs.target.instance_id, self.clock()) is not None:
                    return []
            except DdmError as exc:
                return [preflight_unavailable(exc)]
            return preflight(client, inputs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace when `source_instance_id`, `source` or `target` changed (or is unknown).

        `olds` are the old *outputs*, which echo the inputs. `__provider` is never compared,
        so a new version of this code does not re-run a restore. A replacement onto the same
        target is remembered, so that `create` does not adopt the old resource's own job.
        """
        replaces = [k for k in FORCE_NEW_INPUTS if _changed(k, olds.get(k), news.get(k))]
        updates = [k for k in _UPDATABLE_INPUTS if _changed(k, olds.get(k), news.get(k))]
        old_target = (olds.get("target") or {}).get("instance_id")
        if replaces and _id and old_target and old_target == (news.get("target") or {}).get("instance_id"):
            with self._lock_or_new():
                self._replaced = {**getattr(self, "_replaced", {}), old_target: _id}
        return DiffResult(changes=bool(replaces or updates), replaces=replaces, delete_before_replace=False)

    # create / read / update / delete ---------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Run exactly one metadata recovery (see `ddm_resources.recovery`) and wait for its job.

        The resource ID is the `job_id`. Raises `RecoveryError` naming the target and, once
        a job exists, its ID and the cause; nothing is recorded in the state then.
        """
        inputs = MetadataRecoveryInputs.model_validate(
            {k: v for k, v in props.items() if k != PROVIDER_KEY}
        )
        settings = self._settings()
        schedule = PollSchedule(first_delay=min(1.0, settings.poll_interval), max_interval=settings.poll_interval)
        replaced = getattr(self, "_replaced", {}).get(inputs.target.instance_id)
        with self._client(settings) as client:
            job = Recovery(client, inputs, say=_say, schedule=schedule, preflight=settings.preflight,
                           replaced_jobs=frozenset({replaced} if replaced else ())).run()
        return CreateResult(job.id, {**inputs.to_props(), **_job_outputs(job)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Re-read the job on `pulumi refresh`; keep the resource if the job record is gone.

        A restore stays done even after DDM forgets its job, so this never drops the
        resource from state (that would start a second restore on the next `up`).
        """
        outs = {k: v for k, v in props.items() if k != PROVIDER_KEY}
        with self._client(self._settings()) as client:
            try:
                job = client.get_job(id_)
            except NotFoundError:
                _say(f"job {id_} is no longer known to DDM; keeping the recorded outputs")
                return ReadResult(id_, outs)
        return ReadResult(id_, {**outs, **_job_outputs(job)})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Record new non-forcing inputs (`timeouts`) and keep every output; no API call."""
        changed = {k: news[k] for k in _UPDATABLE_INPUTS if k in news}
        outs = {k: v for k, v in olds.items() if k != PROVIDER_KEY and k not in _UPDATABLE_INPUTS}
        return UpdateResult({**outs, **changed})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Forget the resource. No API call: a metadata recovery cannot be undone."""
        target = (props.get("target") or {}).get("instance_id", "?")
        _say(f"forgetting metadata recovery job {id_} (target {target}); "
             "nothing is undone on DDM, the restored metadata stays in place")

    # helpers --------------------------------------------------------------------------------

    def _settings(self) -> ProviderSettings:
        config: dict[str, Any] = getattr(self, "_config", {})
        return resolve_settings(lambda key: config.get(key.removeprefix("ddm:")), os.environ)

    def _lock_or_new(self) -> threading.Lock:
        """The instance lock made by `configure` (a fresh one when called without it, in tests)."""
        return getattr(self, "_lock", None) or threading.Lock()

    def _token_source(self, settings: ProviderSettings) -> TokenSource:
        """One token source per settings, shared by every operation of this process."""
        with self._lock_or_new():
            cached = getattr(self, "_tokens", None)
            if cached is None or cached[0] != settings:
                source: TokenSource
                if settings.token is not None:
                    source = StaticToken(settings.token)
                else:
                    assert settings.username and settings.password and settings.domain_name
                    source = PasswordToken(
                        auth_url=settings.auth_url, username=settings.username, password=settings.password,
                        domain_name=settings.domain_name, project_id=settings.project_id,
                        project_name=settings.project_name, timeout=DEFAULT_TIMEOUT, http_options=settings.http)
                cached = self._tokens = (settings, source)
            return cached[1]

    def _client(self, settings: ProviderSettings) -> DdmClient:
        """A DDM client for `settings`; with password login this may call IAM for the project ID."""
        tokens = self._token_source(settings)
        project_id = settings.project_id or tokens.project_id
        return DdmClient(settings.endpoint, project_id, tokens, http_options=settings.http,
                         on_retry=lambda exc, wait: _say(f"{exc}; retrying in {wait:.1f}s"))


def _restores(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    """True when these inputs lead to a restore: a new resource (no old inputs), or a change
    that replaces it. An unchanged existing resource is never preflighted: its target is
    rightly no longer empty."""
    old_inputs = {k: v for k, v in (olds or {}).items() if k != PROVIDER_KEY}
    if not old_inputs:
        return True
    return any(_changed(k, old_inputs.get(k), news.get(k)) for k in FORCE_NEW_INPUTS)


def _changed(key: str, old: Any, new: Any) -> bool:
    if contains_unknown(new):
        return True
    return canonical(key, old) != canonical(key, new)


def _job_outputs(job: Any) -> dict[str, str | None]:
    return {"job_id": job.id, "status": job.status, "created_time": job.created_time, "end_time": job.end_time}
