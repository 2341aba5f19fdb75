"""Send one metadata restore exactly once, as `decision.decide` says, and wait for its job.

This is what `MetadataRecovery` create does, apart from Pulumi:

1. Ask `decision.decide` (the ledger, the stack state, `adopt_job_id`, the job list): a refusal
   raises `RestoreError` before anything is sent; an adopted job is waited on (a job named by
   `adopt_job_id` is read first and refused when it cannot be this restore, `job_identity`).
2. Otherwise resolve `"latest"`, run the preflight when decided, and send the restore
   (`DdmClient.restore_metadata`, docs/ddm-api.md section 2.1). When its answer is lost
   (timeout, dropped connection, 5xx) or the target is busy (409), look for the job again and
   take it; if none shows up, raise `OutcomeUnknownError`, which says how to check and adopt.
3. Wait for the job (section 3.1, `waiter`). An answer that cannot be this restore
   (`job_identity`) is never taken: while waiting it counts as unreadable; when the job the
   POST named is refused so at its first answer, or is never found, the answer to the POST is
   treated as lost (2). If the job fails, fetch `fail_reason` from the job list.

Every `RestoreError` raised once a job exists carries its `job_id`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .adoption import LOOKBACK, TargetJobs, fail_reason, newest_restore_job, restore_jobs, target_jobs
from .api_time import CLOCK_SKEW, epoch_seconds, format_ms, parse_api_time
from .client import DdmClient
from .decision import Adopt, Decision, Refuse, decide
from .errors import (
    ApiError,
    ConflictError,
    DdmError,
    JobError,
    JobFailedError,
    JobNotFoundError,
    JobTimeoutError,
    OutcomeUnknownError,
    OutOfTimeError,
    RestoreError,
    ServerError,
    TransportError,
    UnreadableAnswerError,
)
from .input_model import MetadataRecoveryInputs
from .job_identity import contradiction
from .job_status import job_outcome
from .models import Job, JobItem
from .preflight import PreflightError, require_preflight
from .run_state import RunState
from .sanitize import clause
from .waiter import PollSchedule, Progress, unfinished, wait_for_job

__all__ = ["KEPT_FOR_THE_JOB", "Restore", "kept_for_the_job"]

_SETTLE = 1.5
"""Seconds to wait before looking in the job list for a job that may have been created (or
ended) just now: after an unclear restore answer, and for a failed job's `fail_reason`. The
list ends at the service's now, which `Date` headers give in whole seconds."""


KEPT_FOR_THE_JOB = 60.0
"""Seconds of `timeouts.create` kept for the restore job itself: the POST is sent only while at
least this much is left (a quarter of `timeouts.create` when that is shorter than 4 minutes), and
the lookups before it (the job list, "latest", the preflight) stop when only this is left."""


def kept_for_the_job(create_timeout: float) -> float:
    """The seconds of a `timeouts.create` of `create_timeout` seconds kept for the job (`KEPT_FOR_THE_JOB`)."""
    return min(KEPT_FOR_THE_JOB, create_timeout / 4)


@dataclass
class Restore:
    """One `create`: the client, the checked inputs, and how to report and wait.

    `say` receives progress lines; `clock` is wall time (epoch seconds), set by the service's `Date`
    wherever the service's times are compared (`service_now`),
    `monotonic` and `sleep` drive the waiter (all injectable for tests). With `preflight`
    (`ddm:preflight`), the read-only restore APIs are asked before the POST (`ddm_resources.preflight`)
    unless `check` of this process already passed them for these inputs. `ledger` is the run's
    `RunState`, which `decide` reads and claims the target in. `name` is the resource's Pulumi
    name, for every line and error.
    """

    client: DdmClient
    inputs: MetadataRecoveryInputs
    say: Callable[[str], None]
    schedule: PollSchedule = PollSchedule()
    preflight: bool = True
    ledger: RunState | None = None
    spent_before: float = 0.0
    """Seconds already spent on this restore's reads before `run` (the preflight `check` passed in this
    process, `RunState.preflight_took`): they count against `timeouts.create`."""
    adopt_window: float = 24 * 3600.0
    """How old (seconds) a running restore of the target may be to be adopted (`ddm:adoptWindow`)."""
    restored_to: int | None = field(default=None, init=False)
    """The point in time submitted, epoch ms, when the restore is by time (`"latest"` resolved);
    `None` for a backup or an adopted job (whose time the job list does not show)."""
    progress: Callable[[Progress], None] | None = None
    """Hears each progress report of the wait; `None`: `say` gets its line (`Progress.describe`)."""
    job_id: str | None = field(default=None, init=False)
    """The job this restore waits on, from the moment it is adopted or accepted (a provider plugin saves
    it as partial state when the wait does not end with the job completed); `None` before, and again
    when the job an answer to the POST named proved not to be this restore."""
    wait_error: DdmError | None = field(default=None, init=False)
    """Why the wait on `job_id` ended without a completed job (`JobTimeoutError`, `JobFailedError`, ...)."""
    _failed_before: JobItem | None = field(default=None, init=False, repr=False)
    """The target's last failed restore, if the job list shows one: named when a restore is refused."""
    _seen_before: frozenset[str] = field(default=frozenset(), init=False, repr=False)
    """The restore jobs of the target or source listed before the POST: never found as this POST's job."""
    _ended_before: frozenset[str] = field(default=frozenset(), init=False, repr=False)
    """Those of them that had ended: never taken as this POST's job, even when its answer names one (a
    running one may be: a service may answer a POST onto a busy target with the job that runs)."""
    _source_hint: str = field(default="", init=False, repr=False)
    """Names the restore jobs bound to the source, when the service binds jobs so (`adoption`)."""
    _post_by: float = field(default=0.0, init=False, repr=False)
    """When (on `monotonic`) the POST must be sent at the latest (`kept_for_the_job`)."""
    _posted: tuple[str, float] | None = field(default=None, init=False, repr=False)
    """The job ID this run's POST answered, and when (epoch s) that POST was sent."""
    _answered: set[str] = field(default_factory=set, init=False, repr=False)
    """The jobs of which an answer was taken (found, and no `contradiction`)."""
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    @property
    def target(self) -> str:
        return self.inputs.target.instance_id

    @property
    def bound_to(self) -> tuple[str, str]:
        """The instances a job of this restore may act on: the target and the source (the docs do not
        say which one the service binds a restore job to)."""
        return self.target, self.inputs.source_instance_id

    @property
    def name(self) -> str:
        """The resource's Pulumi name, or a generic one."""
        return self.inputs.display_name

    def service_now(self) -> float:
        """Now on the service's clock (epoch s): `clock` set by the Date of the service's answers
        (`DdmClient.clock_offset`), the clock every time the service names is compared with."""
        return self.clock() + self.client.clock_offset

    def run(self) -> Job:
        """Adopt or submit (`decision.decide`), then wait; return the `Completed` job or raise `RestoreError`."""
        started = self.monotonic() - self.spent_before
        self._post_by = started + self.inputs.create_timeout - kept_for_the_job(self.inputs.create_timeout)
        self.client.limit_time(self._post_by, clock=self.monotonic, what=self._lookups)
        try:
            job_id = self._act(decide(self.inputs, ledger=self.ledger, jobs=self._target_jobs,
                                      newest_job=self._filled_by, preflight=self.preflight))
        finally:
            self.client.limit_time(None)
        try:
            return self._wait(job_id, self.inputs.create_timeout - (self.monotonic() - started))
        except _NotThisRestore as exc:
            assert self._posted is not None
            self.job_id = None
            job_id, self._posted = self._find_after_unclear_answer(exc, self._posted[1]), None
            return self._wait(job_id, self.inputs.create_timeout - (self.monotonic() - started))

    # adopt or submit, as decided -------------------------------------------------------------

    def _act(self, decision: Decision) -> str:
        """Carry out `decision`: the job ID to wait for, or `RestoreError` for a refusal."""
        if isinstance(decision, Refuse):
            raise RestoreError(decision.message, target_instance_id=self.target, job_id=decision.job_id)
        if isinstance(decision, Adopt):
            self.restored_to = decision.restored_to
            if decision.check_job:
                return self._adopt_checked(decision)
            self.say(decision.line())
            return decision.job_id
        found = decision.jobs
        if found is not None:
            self._failed_before, self._seen_before, self._source_hint = found.failed, found.seen, found.source_hint()
            self._ended_before = found.ended
        looked_up = decision.preflight or self.inputs.latest or found is None  # requests since the list was read
        if self.inputs.latest:
            self._resolve_latest()
        if decision.preflight:
            try:
                require_preflight(self.client, self.inputs, note=self.say)
            except (PreflightError, OutOfTimeError) as exc:
                raise self._not_started(exc) from None
        if looked_up:  # the jobs seen before are those listed right before the POST
            self._read_jobs_seen_before()
        left = self._post_by + kept_for_the_job(self.inputs.create_timeout) - self.monotonic()
        if self.monotonic() >= self._post_by:
            raise RestoreError(
                f"{self.name}: the metadata recovery onto target instance {self.target} was not started: only "
                f"{max(left, 0.0):.0f} s of timeouts.create ({self.inputs.create_timeout_text}) were left after the "
                f"lookups before it, less than the {kept_for_the_job(self.inputs.create_timeout):.0f} s kept for the "
                "restore job; nothing was submitted. Run `pulumi up` again, or raise timeouts.create.",
                target_instance_id=self.target)
        self.client.limit_time(None)
        return self._submit()

    @property
    def _lookups(self) -> str:
        kept = kept_for_the_job(self.inputs.create_timeout)
        return (f"the lookups before the restore (timeouts.create {self.inputs.create_timeout_text}, less "
                f"{kept:.0f} s kept for the restore job)")

    def _read_jobs_seen_before(self) -> None:
        """Read the restore jobs of the target and source right before the POST: none of them can be the
        job of this POST (an unclear answer is never resolved to one). Fails closed: nothing is sent."""
        try:
            jobs = restore_jobs(self.client, self.bound_to, self.clock() - LOOKBACK)
        except DdmError as exc:
            raise self._not_started(exc) from None
        self._seen_before = frozenset(job.id for job in jobs)
        self._ended_before = frozenset(job.id for job in jobs if job_outcome(job.status) in ("completed", "failed"))

    def _target_jobs(self) -> TargetJobs:
        """The target's jobs for `decide`; a list that cannot be read stops the create (nothing sent)."""
        try:
            return target_jobs(self.client, self.target, self.service_now(), self.adopt_window,
                               source=self.inputs.source_instance_id)
        except OutOfTimeError as exc:
            raise self._not_started(exc) from None
        except DdmError as exc:
            # an error another attempt would only repeat (a host that does not exist, a certificate) names its own fix
            again = "Fix that, then run `pulumi up` again" if _lasting(exc) else "Run `pulumi up` again"
            raise RestoreError(
                f"{self.name}: could not check whether a restore of target instance {self.target} is already "
                f"running (job list: {exc}); nothing was submitted. {again}.",
                target_instance_id=self.target,
            ) from None

    def _filled_by(self) -> str | None:
        """The newest restore job of the target, to name it; `None` if unknown."""
        return newest_restore_job(self.client, self.target, self.service_now())

    def _adopt_checked(self, decision: Adopt) -> str:
        """Read the job `decision` names and take it, unless it cannot be this restore (`job_identity`)."""
        job_id = decision.job_id
        asked = "adopt_job_id" if job_id == self.inputs.adopt_job_id else "the job the stack state records"
        try:
            job = self.client.get_job(job_id)
        except DdmError as exc:
            raise RestoreError(f"{asked} {job_id}: the job could not be read: {exc}",
                               target_instance_id=self.target, job_id=job_id) from None
        problem = contradiction(job, instances=self.bound_to, now=self.service_now())
        if problem is not None:
            raise RestoreError(
                f"{self.name}: {asked} {job_id} cannot be the restore onto target {self.target}: {problem}; "
                "give the job of this target's restore",
                target_instance_id=self.target, job_id=job_id)
        self.say(decision.line(job.status))
        return job_id

    def _submit(self) -> str:
        self.restored_to = self.inputs.restore_source.restore_time
        submitted_at = self.service_now()
        try:
            job_id = self.client.restore_metadata(
                self.inputs.source_instance_id, self.inputs.restore_source, self.inputs.target)
        except (TransportError, ServerError, ConflictError) as exc:
            if isinstance(exc, TransportError) and not exc.request_sent:
                raise self._not_started(exc) from None
            return self._find_after_unclear_answer(exc, submitted_at)
        except DdmError as exc:
            raise self._not_started(exc) from None
        self._posted = (job_id, submitted_at)
        self._hold(job_id)
        self.say(f"metadata recovery onto {self.target} accepted as job {job_id}; waiting up to "
                 f"{self.inputs.create_timeout_text}")
        return job_id

    def _resolve_latest(self) -> None:
        """Replace `restore_time = "latest"` by the source's newest restorable time (section 2.3)."""
        from .restore_window import latest_restorable_ms  # only for "latest": a backup or a time needs it not

        try:
            when = latest_restorable_ms(self.client, self.inputs.source_instance_id)
        except DdmError as exc:
            raise self._not_started(exc) from None
        self.inputs = self.inputs.resolved(when)
        self.restored_to = when
        self.say(f'restore_time "latest" is {when} ({format_ms(when)}), the newest restorable time of source '
                 f"{self.inputs.source_instance_id}")

    def _not_started(self, exc: DdmError) -> RestoreError:
        hint = ""
        if self._failed_before is not None:
            job = self._failed_before
            reason = job.fail_reason or "no reason given"
            hint = (f" The target's last restore, job {job.id}, ended {job.status} ({reason}) and may have left "
                    "the target non-empty; DDM restores only onto an empty instance: empty the target (or create "
                    "a new DDM instance) and point target.instance_id at it.")
        elif isinstance(exc, OutOfTimeError):
            hint = (" Nothing was submitted: the lookups before the restore count against timeouts.create; raise "
                    "it, or run `pulumi up` again.")
        elif isinstance(exc, ApiError) and exc.error_code == "DBS.300372":
            hint = (" DDM refused the target as not empty: a metadata restore needs a new, empty DDM instance; "
                    "point target.instance_id at one and run `pulumi up` again.")
        elif isinstance(exc, ApiError):
            hint = " Nothing was submitted: fix what DDM named, then run `pulumi up` again."
        elif _lasting(exc):
            hint = " Nothing was submitted: fix that, then run `pulumi up` again."
        return RestoreError(f"{self.name}: the metadata recovery onto target instance {self.target} was not "
                             f"started: {exc}.{hint}{self._source_hint}", target_instance_id=self.target)

    def _find_after_unclear_answer(self, exc: DdmError, submitted_at: float) -> str:
        self.say(f"the restore request got no clear answer ({exc}); looking for its job instead of sending it again")
        self.sleep(_SETTLE)
        job: JobItem | None = None
        try:
            candidates = [job for job in restore_jobs(self.client, self.bound_to, submitted_at - CLOCK_SKEW)
                          if job.id not in self._seen_before and epoch_seconds(job.created_time) >= submitted_at
                          - CLOCK_SKEW and (self.ledger is None or self.ledger.job_holder(job.id, self.target) is None)]
        except DdmError as lookup_error:
            exc = DdmError(f"{exc}; the job list could not be read either: {lookup_error}")
        else:
            if len(candidates) == 1:
                job = candidates[0]
            elif candidates:
                exc = DdmError(f"{exc}; {len(candidates)} restore jobs of the target or source appeared since "
                               "the request "
                               f"({', '.join(j.id for j in candidates[:5])}), so none can be told to be this one")
        if job is None:
            raise OutcomeUnknownError(
                f"{self.name}: the metadata recovery onto target instance {self.target} may or may not have "
                f"started: {exc}. "
                f"Check the target's tasks in the DDM console (or GET /v3/{self.client.project_id}/jobs). "
                "If a restore job is there, set `adopt_job_id` to its ID and run `pulumi up`; "
                f"if not, run `pulumi up` again (it looks for the job before submitting).{self._source_hint}",
                target_instance_id=self.target,
            )
        self.say(f"found job {job.id} ({job.status}, created {job.created_time}) on instance {job.instance_id}, "
                 "the only restore job of the target or source created since the request was sent; adopting it "
                 "as this restore")
        return job.id

    # wait ----------------------------------------------------------------------------------

    def _poll(self, job_id: str) -> Job:
        """`DdmClient.poll_job`, refusing an answer that cannot be this restore (`job_identity`):
        `_NotThisRestore` at the first answer about the job this run's POST named, else
        `UnreadableAnswerError` (ridden out by the waiter, like an outage)."""
        job = self.client.poll_job(job_id)
        posted_at = self._posted[1] if self._posted is not None and self._posted[0] == job_id else None
        problem = contradiction(job, instances=self.bound_to, now=self.service_now(),
                                requested_at=posted_at)
        if problem is None and posted_at is not None and job_id in self._ended_before:
            problem = "the job list showed it ended before this restore was requested"
        if problem is None:
            self._answered.add(job_id)
            return job
        if self._unanswered_post(job_id):
            raise _NotThisRestore(f"the restore request was answered with job {job_id}, but {problem}")
        raise UnreadableAnswerError(f"the answer about job {job_id} cannot be this restore's: {problem}; "
                                    "it is not used")

    def _unanswered_post(self, job_id: str) -> bool:
        """Whether `job_id` is the job this run's POST named and no answer about it was taken yet."""
        return self._posted is not None and self._posted[0] == job_id and job_id not in self._answered

    def _since_start(self, progress: Progress) -> Progress:
        """`progress` with `elapsed` counted from the job's start, its `created_time`, on the
        service's clock (`DdmClient.server_now_ms`), not from this wait's: an adopted job may have
        run for minutes already. As is when the job names no readable start, or a start the
        service's clock puts in the future."""
        started = parse_api_time(progress.job.created_time) if progress.job.created_time else None
        if started is None:
            return progress
        age = self.client.server_now_ms() / 1000 - started.timestamp()
        return replace(progress, elapsed=age) if age >= 0 else progress

    def _report(self, progress: Progress) -> None:
        """One progress report of the wait: to `progress`, else its line to `say`."""
        if self.progress is not None:
            self.progress(progress)
        else:
            self.say(f"{progress.describe()} (target {self.target})")

    def _wait(self, job_id: str, timeout: float) -> Job:
        """Wait for `job_id` (`wait_for_job` over `_poll`); raise `RestoreError`, or
        `_NotThisRestore` when the job this run's POST named is not this restore."""
        self._hold(job_id)
        self.job_id = job_id
        what = f"{self.name}: metadata recovery onto target instance {self.target}"
        try:
            return wait_for_job(
                self._poll, job_id, timeout=max(timeout, 0.0), schedule=self.schedule,
                on_progress=lambda p: self._report(self._since_start(p)),
                clock=self.monotonic, sleep=self.sleep,
            )
        except _NotThisRestore:
            raise
        except JobFailedError as exc:
            self.wait_error = exc
            earlier = self._failed_before
            again = f" The target's previous restore, job {earlier.id}, failed too." if earlier else ""
            reason = clause(self._fail_reason(job_id, exc.created_time))
            message = (f"{what} failed: DDM job {job_id} ended {exc.status}: {reason}.{again} Fix the cause, then "
                       "run `pulumi up` "
                       "again to start a new restore. A failed restore may leave the target non-empty (DDM then "
                       "refuses it, DBS.300372): if so, point target.instance_id at a new, empty DDM instance."
                       f"{self._source_hint}")
        except JobTimeoutError as exc:
            self.wait_error = exc
            # no answered poll: the job was just accepted, so it most likely runs (and adoption sees it so)
            if exc.last_status is None or job_outcome(exc.last_status) == "running":
                step = (f"The next `pulumi up` adopts it while it runs; once it has completed, "
                        f"set adopt_job_id = \"{job_id}\" to adopt it.")
            else:  # adoption takes only a running job (adoption.py): say what to do instead
                step = (f"The next `pulumi up` adopts only a running restore, not one in this status: check job "
                        f"{job_id} in the DDM console, and once it has completed set adopt_job_id = \"{job_id}\" "
                        "to record it.")
            ran_out = f"timeouts.create ({self.inputs.create_timeout_text}) ran out"
            message = (f"{what}: job {job_id} {unfinished(exc.last_status, exc.last_error, ran_out)}; "
                       f"it may still be running. {step}")
        except (JobError, DdmError) as exc:
            self.wait_error = exc
            if isinstance(exc, JobNotFoundError) and self._unanswered_post(job_id):
                raise _NotThisRestore(f"the restore request was answered with job {job_id}, which DDM did not "
                                      f"know for {self.schedule.missing_grace:g} s") from None
            message = (f"{what}: waiting for job {job_id} failed: {exc}. The job may still be running: the next "
                       f"`pulumi up` adopts it while it runs; once it has ended, set adopt_job_id = \"{job_id}\".")
        raise RestoreError(message, target_instance_id=self.target, job_id=job_id)

    def _hold(self, job_id: str) -> None:
        """Claim `job_id` for this resource in the run's ledger; `RestoreError` when another resource of the
        run holds it (one job, one resource: it is that resource's restore, never this one's too)."""
        holder = self.ledger.claimed_job(self.target, job_id) if self.ledger is not None else None
        if holder is not None:
            raise RestoreError(
                f"{self.name}: job {job_id} is the restore of resource {holder} in this stack, not of this resource "
                f"(target {self.target}); it is not taken. Check the target's tasks in the DDM console; if a job "
                "there is this resource's restore, set adopt_job_id to its ID and run `pulumi up`.",
                target_instance_id=self.target, job_id=job_id)

    def _fail_reason(self, job_id: str, created_time: str) -> str:
        """The job list's `fail_reason` for `job_id` (`adoption.fail_reason`), once the list can show it."""
        self.sleep(_SETTLE)
        return fail_reason(self.client, job_id, created_time, self.service_now())


class _NotThisRestore(DdmError):
    """The job the answer to this run's POST named is not this restore (another instance's, older
    than the POST, or unknown to DDM): the answer is treated as lost, and the job list searched."""


def _lasting(exc: DdmError) -> bool:
    """Whether `exc` is a failure that running again would only repeat: no answer for a reason of this
    machine's settings (`TransportError` not `transient`: a host that does not exist, a certificate
    that does not verify), whose message says what to set."""
    return isinstance(exc, TransportError) and not exc.transient

