"""Run one metadata recovery exactly once: adopt a job that already exists, or submit; then wait.

This is what `MetadataRecovery` create does, apart from Pulumi:

1. With `adopt_job_id`, wait on that job; nothing is submitted.
2. Otherwise look in the job list (ddm-api.md section 3.2) for a restore of the same target
   that is running or completed: an interrupted or timed-out earlier run, or one started
   from the console. If there is one, wait on it instead of submitting a second restore.
3. Otherwise submit the restore (section 2.1). When its answer is lost (timeout, dropped
   connection, 5xx) or the target is busy (409), look for the job again and adopt it; if
   none shows up, raise `OutcomeUnknownError`, which says how to check and adopt.
4. Wait for the job (section 3.1). If it fails, fetch `fail_reason` from the job list.

Every `RecoveryError` raised once a job exists carries its `job_id`. A restore job is
recognised by its `instance_id` (the target) and a name mentioning "restore" or "metadata";
the name of a real OTC metadata-recovery job is not documented, so this rule is lenient.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from .api_time import CLOCK_SKEW_MS, parse_api_time
from .client import DdmClient
from .errors import (
    ConflictError,
    DdmError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    OutcomeUnknownError,
    RecoveryError,
    ServerError,
    TransportError,
)
from .inputs import MetadataRecoveryInputs
from .models import COMPLETED, FAILED, Job, JobItem
from .preflight import PreflightError, require_preflight
from .run_state import RunState
from .waiter import PollSchedule, wait_for_job

__all__ = ["ADOPT_LOOKBACK", "Recovery", "find_adoptable_job", "find_restore_job"]

ADOPT_LOOKBACK = 29 * 24 * 3600.0
"""How far back (seconds) to look for an earlier restore of the target; the API allows 30 days."""
_SKEW = CLOCK_SKEW_MS / 1000
"""Slack (seconds) for clock differences when searching from the time of a POST."""
_SETTLE = 1.5
"""Seconds to wait before looking in the job list for a job that may have been created (or
ended) just now: after an unclear restore answer, and for a failed job's `fail_reason`. The
list ends at the service's now, which `Date` headers give in whole seconds."""


def find_restore_job(
    client: DdmClient, target: str, since: float, *, include_failed: bool = False,
    exclude: Collection[str] = (),
) -> JobItem | None:
    """The newest restore job on instance `target` created from `since` (epoch s) until now
    (on the service's clock: `DdmClient.list_jobs`).

    Running (or any unfinished status) is preferred over Completed; Failed jobs count only
    with `include_failed`; jobs in `exclude` never count. Raises `ApiError`/`TransportError`
    if the job list cannot be read.
    """
    jobs = [
        job for job in client.list_jobs(int(since * 1000))
        if job.instance_id == target and _looks_like_restore(job.name)
        and (include_failed or job.status != FAILED) and job.id not in exclude
    ]
    jobs.sort(key=lambda job: (job.status not in (COMPLETED, FAILED), job.created_time), reverse=True)
    return jobs[0] if jobs else None


def find_adoptable_job(client: DdmClient, target: str, now: float, exclude: Collection[str] = ()) -> JobItem | None:
    """A running or completed restore of `target` from the last `ADOPT_LOOKBACK` seconds, if any."""
    return find_restore_job(client, target, now - ADOPT_LOOKBACK, exclude=exclude)


def _looks_like_restore(name: str) -> bool:
    lowered = name.lower()
    return not lowered or "restore" in lowered or "metadata" in lowered


@dataclass
class Recovery:
    """One `create`: the client, the checked inputs, and how to report and wait.

    `say` receives progress lines; `clock` is wall time (epoch seconds, for the job list),
    `monotonic` and `sleep` drive the waiter (all injectable for tests). With `preflight`,
    the read-only restore APIs are asked before the POST (`ddm_resources.preflight`).
    `ledger` is the run's `RunState`: the create first takes the target there, and fails
    before any request when another resource of this run took it, or when the stack state
    already records a restore on it (the resource being replaced included: DDM restores only
    onto an empty instance). `name` is the resource's Pulumi name, for every line and error.
    """

    client: DdmClient
    inputs: MetadataRecoveryInputs
    say: Callable[[str], None]
    schedule: PollSchedule = PollSchedule()
    preflight: bool = True
    ledger: RunState | None = None
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    @property
    def target(self) -> str:
        return self.inputs.target.instance_id

    @property
    def name(self) -> str:
        """The resource's Pulumi name, or a generic one."""
        return self.inputs.resource_name or "metadata recovery"

    def run(self) -> Job:
        """Adopt or submit, then wait; return the `Completed` job or raise `RecoveryError`."""
        started = self.monotonic()
        self._take_target()
        job_id = self._adopt_or_submit()
        if self.ledger is not None:
            self.ledger.claimed_job(self.target, job_id)
        remaining = self.inputs.create_timeout - (self.monotonic() - started)
        return self._wait(job_id, remaining)

    # adopt or submit -------------------------------------------------------------------------

    def _take_target(self) -> None:
        """One restore per target: refuse a target another resource took in this run, or one
        the stack state records a restore on. Raises `RecoveryError`; no request is sent."""
        if self.ledger is None:
            return
        other = self.ledger.claim(self.target, self.name)
        if other is not None:
            job = f"job {other.job_id}" if other.job_id else "its job (not started yet)"
            raise RecoveryError(
                f"{self.name}: target instance {self.target} is already restored in this run by resource "
                f"{other.resource} ({job}); nothing was submitted. One restore per target: give {self.name} "
                "its own new, empty DDM instance as target.instance_id, or remove one of the two resources.",
                target_instance_id=self.target, job_id=other.job_id)
        recorded = self.ledger.recorded(self.target)
        if recorded is None:
            return
        job_id, resource = recorded
        if self.inputs.adopt_job_id and (self.inputs.adopt_job_id != job_id or resource == self.name):
            return
        raise RecoveryError(
            f"{self.name}: target instance {self.target} already holds the metadata restored by job {job_id} "
            f"(recorded in this stack by {resource}); nothing was submitted. DDM restores only onto an empty "
            "instance, so a new restore needs a new, empty target: point target.instance_id at one.",
            target_instance_id=self.target, job_id=job_id)

    def _adopt_or_submit(self) -> str:
        if self.inputs.adopt_job_id:
            return self._adopt_given(self.inputs.adopt_job_id)
        try:
            earlier = find_adoptable_job(self.client, self.target, self.clock())
        except DdmError as exc:
            raise RecoveryError(
                f"could not check whether a restore of target instance {self.target} is already running "
                f"(job list: {exc}); nothing was submitted. Run `pulumi up` again.",
                target_instance_id=self.target,
            ) from None
        if earlier is not None:
            self.say(f"found restore job {earlier.id} ({earlier.status}, created {earlier.created_time}) on "
                     f"target {self.target}; adopting it instead of submitting a second restore (the job list "
                     "does not show a job's source: it is taken to be this resource's restore)")
            return earlier.id
        if self.preflight:
            try:
                require_preflight(self.client, self.inputs, note=self.say)
            except PreflightError as exc:
                raise self._not_started(exc) from None
        return self._submit()

    def _adopt_given(self, job_id: str) -> str:
        try:
            job = self.client.get_job(job_id)
        except DdmError as exc:
            raise RecoveryError(f"adopt_job_id {job_id}: the job could not be read: {exc}",
                                target_instance_id=self.target, job_id=job_id) from None
        if job.instance is not None and job.instance.id and job.instance.id != self.target:
            raise RecoveryError(
                f"adopt_job_id {job_id} acts on instance {job.instance.id}, not on target.instance_id "
                f"{self.target}; give the job of this target's restore", target_instance_id=self.target, job_id=job_id)
        self.say(f"adopting job {job_id} ({job.status}) as asked by adopt_job_id; no restore is submitted")
        return job_id

    def _submit(self) -> str:
        submitted_at = self.clock()
        try:
            job_id = self.client.restore_metadata(
                self.inputs.source_instance_id, self.inputs.source, self.inputs.target)
        except (TransportError, ServerError, ConflictError) as exc:
            if isinstance(exc, TransportError) and not exc.request_sent:
                raise self._not_started(exc) from None
            return self._find_after_unclear_answer(exc, submitted_at)
        except DdmError as exc:
            raise self._not_started(exc) from None
        self.say(f"metadata recovery onto {self.target} accepted as job {job_id}; waiting up to "
                 f"{self.inputs.create_timeout_text}")
        return job_id

    def _not_started(self, exc: DdmError) -> RecoveryError:
        return RecoveryError(f"{self.name}: the metadata recovery onto target instance {self.target} was not "
                             f"started: {exc}.", target_instance_id=self.target)

    def _find_after_unclear_answer(self, exc: DdmError, submitted_at: float) -> str:
        self.say(f"the restore request got no clear answer ({exc}); looking for its job instead of sending it again")
        self.sleep(_SETTLE)
        try:
            job = find_restore_job(self.client, self.target, submitted_at - _SKEW, include_failed=True)
        except DdmError as lookup_error:
            job, exc = None, DdmError(f"{exc}; the job list could not be read either: {lookup_error}")
        if job is None:
            raise OutcomeUnknownError(
                f"the metadata recovery onto target instance {self.target} may or may not have started: {exc}. "
                f"Check the target's tasks in the DDM console (or GET /v3/{self.client.project_id}/jobs). "
                "If a restore job is there, set `adopt_job_id` to its ID and run `pulumi up`; "
                "if not, run `pulumi up` again (it looks for the job before submitting).",
                target_instance_id=self.target,
            )
        self.say(f"found job {job.id} ({job.status}) on target {self.target}; adopting it")
        return job.id

    # wait ----------------------------------------------------------------------------------

    def _wait(self, job_id: str, timeout: float) -> Job:
        try:
            return wait_for_job(
                self.client.poll_job, job_id, timeout=max(timeout, 0.0), schedule=self.schedule,
                on_progress=lambda p: self.say(f"{p.describe()} (target {self.target})"),
                clock=self.monotonic, sleep=self.sleep,
            )
        except JobFailedError as exc:
            message = (f"metadata recovery onto target instance {self.target} failed: DDM job {job_id} ended "
                       f"{exc.status}: {self._fail_reason(job_id, exc.created_time)}. Fix the cause, then run "
                       "`pulumi up` again to start a new restore.")
        except JobTimeoutError as exc:
            message = (f"metadata recovery onto target instance {self.target}: job {job_id} was still "
                       f"{exc.last_status!r} when timeouts.create ({self.inputs.create_timeout_text}) ran out; "
                       "it may still be running. The next `pulumi up` adopts it (it looks for a restore job "
                       f"on the target before submitting); to name it explicitly, set adopt_job_id = \"{job_id}\".")
        except (JobError, DdmError) as exc:
            message = (f"metadata recovery onto target instance {self.target}: job {job_id} was accepted, but "
                       f"waiting for it failed: {exc}. The next `pulumi up` adopts the job.")
        raise RecoveryError(message, target_instance_id=self.target, job_id=job_id)

    def _fail_reason(self, job_id: str, created_time: str) -> str:
        """The job list's `fail_reason` for `job_id`, or why it is not known."""
        self.sleep(_SETTLE)
        now = self.clock()
        created = parse_api_time(created_time)
        since = created.timestamp() - _SKEW if created is not None else now - ADOPT_LOOKBACK
        try:
            jobs = self.client.list_jobs(int(since * 1000))
            item = next((j for j in jobs if j.id == job_id), None)
        except DdmError as exc:
            return f"reason unknown (the job list could not be read: {exc})"
        if item is None or not item.fail_reason:
            return "the service gave no reason"
        return item.fail_reason
