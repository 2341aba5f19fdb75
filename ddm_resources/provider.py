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
from typing import Any, Optional

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

from .client import DdmClient
from .errors import DdmError, JobFailedError, JobTimeoutError, NotFoundError, RecoveryError
from .inputs import FORCE_NEW_INPUTS, MetadataRecoveryInputs, canonical, contains_unknown, validate_inputs
from .settings import ProviderSettings, resolve_settings
from .waiter import PollSchedule, Progress, wait_for_job

__all__ = ["MetadataRecoveryProvider", "OUTPUT_KEYS"]

PROVIDER_KEY = "__provider"
OUTPUT_KEYS = ("job_id", "status", "created_time", "end_time")
"""Outputs set by `create` and `read`, beside the echoed inputs."""
_UPDATABLE_INPUTS = ("timeouts",)
_CONFIG_KEYS = ("endpoint", "region", "projectId", "token", "pollInterval", "preflight")


def _say(message: str) -> None:
    """One line for the `pulumi up` output (the engine shows the provider's stdout)."""
    print(f"ddm-resources: {message}", file=sys.stdout, flush=True)


class MetadataRecoveryProvider(ResourceProvider):
    """Pulumi dynamic provider for DDM metadata recovery (ddm-api.md sections 2.1 and 3.1)."""

    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        """Keep this provider's stack config (`ddm:*` keys); resolved lazily, so preview and
        delete work without credentials."""
        self._config = {key: req.config.get(f"ddm:{key}") for key in _CONFIG_KEYS}

    # check / diff: no network ---------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate the inputs; one `CheckFailure` per bad field, unknown values tolerated.

        On success the returned inputs are normalised (e.g. `restore_time` as an int).
        """
        props = {k: v for k, v in news.items() if k != PROVIDER_KEY}
        inputs, problems = validate_inputs(props)
        if problems:
            return CheckResult(news, [CheckFailure(p.property, p.reason) for p in problems])
        checked = inputs.to_props() if inputs is not None else props
        return CheckResult({**checked, PROVIDER_KEY: news.get(PROVIDER_KEY)}, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace when `source_instance_id`, `source` or `target` changed (or is unknown).

        `olds` are the old *outputs*, which echo the inputs. `__provider` is never compared,
        so a new version of this code does not re-run a restore.
        """
        replaces = [k for k in FORCE_NEW_INPUTS if _changed(k, olds.get(k), news.get(k))]
        updates = [k for k in _UPDATABLE_INPUTS if _changed(k, olds.get(k), news.get(k))]
        return DiffResult(changes=bool(replaces or updates), replaces=replaces, delete_before_replace=False)

    # create / read / update / delete ---------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Submit exactly one metadata recovery and wait for its job.

        The resource ID is the `job_id`. Raises `RecoveryError` naming the target and, once
        the service accepted the restore, the job ID and the cause.
        """
        inputs = MetadataRecoveryInputs.model_validate(
            {k: v for k, v in props.items() if k != PROVIDER_KEY}
        )
        settings = self._settings()
        target = inputs.target.instance_id
        with self._client(settings) as client:
            try:
                job_id = client.restore_metadata(inputs.source_instance_id, inputs.source, inputs.target)
            except DdmError as exc:
                raise RecoveryError(
                    f"the metadata recovery onto target instance {target} was not started: {exc}",
                    target_instance_id=target,
                ) from None
            _say(f"metadata recovery onto {target} accepted as job {job_id}; waiting up to "
                 f"{(inputs.timeouts and inputs.timeouts.create) or '60m'}")
            job = self._wait(client, settings, job_id, target, inputs.create_timeout)
        outs = {**inputs.to_props(), **_job_outputs(job)}
        return CreateResult(job_id, outs)

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

    @staticmethod
    def _client(settings: ProviderSettings) -> DdmClient:
        return DdmClient(settings.endpoint, settings.project_id, settings.token.get_secret_value())

    @staticmethod
    def _wait(client: DdmClient, settings: ProviderSettings, job_id: str, target: str, timeout: float):
        schedule = PollSchedule(first_delay=min(1.0, settings.poll_interval), max_interval=settings.poll_interval)
        try:
            return wait_for_job(
                client.get_job, job_id, timeout=timeout, schedule=schedule,
                on_progress=lambda p: _say(_progress_line(p, target)),
            )
        except JobFailedError as exc:
            message = (f"metadata recovery onto target instance {target} failed: DDM job {job_id} "
                       f"ended {exc.status}. Fix the cause, then run `pulumi up` again to start a new restore.")
        except JobTimeoutError as exc:
            message = (f"metadata recovery onto target instance {target}: job {job_id} was still "
                       f"{exc.last_status!r} at the deadline (timeouts.create); it may still be running. "
                       f"Check it with GET /v3/{settings.project_id}/jobs/{job_id}.")
        except DdmError as exc:
            message = (f"metadata recovery onto target instance {target}: job {job_id} was accepted, "
                       f"but waiting for it failed: {exc}")
        raise RecoveryError(message, target_instance_id=target, job_id=job_id)


def _changed(key: str, old: Any, new: Any) -> bool:
    if contains_unknown(new):
        return True
    return canonical(key, old) != canonical(key, new)


def _job_outputs(job: Any) -> dict[str, Optional[str]]:
    return {"job_id": job.id, "status": job.status, "created_time": job.created_time, "end_time": job.end_time}


def _progress_line(progress: Progress, target: str) -> str:
    return f"{progress.describe()} (target {target})"
