"""Wait for a DDM job to finish, with a deadline and progress reports.

`wait_for_job` polls a `get_job` callable until the job ends or the deadline passes. The
clock and the sleep
function are parameters, so tests run a 30-minute wait in microseconds. When to poll is
`poll_plan.next_delay` of the polls so far (the first at once; sparse while the job's reported
progress puts its end far away, dense near it, growing intervals without usable progress),
at most `max_interval` apart, never past the deadline.

Each status has one outcome (`job_status.job_outcome`, the table there): `completed` returns the
job, `failed` raises `JobFailedError`, `running` and `unknown` poll on until the deadline,
`missing` (no status, or the job not found) polls on for `missing_grace` seconds in a row, then
raises `JobNotFoundError`.

The deadline raises `JobTimeoutError` with the last status (`None` when no poll was answered)
and the last poll error. Adoption (`restore.py`) takes
only a running job (`ddm_resources.adoption`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from .api_time import elapsed_text
from .errors import (
    DdmError,
    JobFailedError,
    JobNotFoundError,
    JobTimeoutError,
    NotFoundError,
    UnreadableAnswerError,
)
from .job_status import JobOutcome, job_outcome
from .models import Job
from .poll_plan import Observation, PollPlan, next_delay, parse_progress
from .retry import DEFAULT_RETRY_POLICY, is_retryable_read

__all__ = ["JobOutcome", "PollSchedule", "Progress", "job_outcome", "unfinished", "wait_for_job"]

@dataclass(frozen=True)
class PollSchedule:
    """When to poll, in seconds: `plan` (see `poll_plan`), no pause longer than `max_interval`."""

    max_interval: float = 300.0
    """The longest pause between polls (`ddm:pollInterval`); also bounds the plan's shorter intervals."""
    progress_every: float = 30.0
    """Report progress at least this often, even when nothing changed."""
    missing_grace: float = 60.0
    """How long a job may be unknown to DDM (or show no status) before the wait gives up."""
    plan: PollPlan = PollPlan()
    rand: Callable[[], float] = field(default=random.random, compare=False)
    """Random numbers in [0, 1) for the jitter (tests pass a fixed one)."""

    def next_delay(self, observations: Sequence[Observation], *, elapsed: float, time_left: float,
                   polls: int) -> float:
        """Seconds to sleep before the next poll (`poll_plan.next_delay`), capped at `max_interval`."""
        cap = self.max_interval
        plan = replace(self.plan, min_interval=min(self.plan.min_interval, cap),
                       fallback_interval=min(self.plan.fallback_interval, cap),
                       max_interval=min(self.plan.max_interval, cap))
        return next_delay(observations, elapsed=elapsed, time_left=time_left, plan=plan, polls=polls,
                          rand=self.rand())


@dataclass(frozen=True)
class Progress:
    """One progress report: the last job seen, the seconds since the wait began when it was
    seen, and the seconds to the next poll when that pause is longer than `progress_every`."""

    job: Job
    elapsed: float
    next_poll: float | None = None
    failure: str = ""
    """Why the last poll failed (an outage, or an answer that cannot be used), when it did."""

    def describe(self) -> str:
        """A one-line summary, e.g. `job 0990... Running 40% after 1m05s` (`; next check in 2m00s`).

        A job still running without readable progress (`process` absent, `null`, not a string or
        not 0-100 %: `Job.process` is then empty) says `(progress not reported)`; the service's
        value itself never reaches the line. A failed poll reads `job 0990... not read after 1m05s
        (the poll failed: ...; polling goes on until the deadline)`."""
        if self.failure:
            return (f"job {self.job.id} not read after {elapsed_text(self.elapsed)} (the poll failed: {self.failure}; "
                    "polling goes on until the deadline)")
        if self.job.process:
            pct = f" {self.job.process}"
        else:
            pct = " (progress not reported)" if job_outcome(self.job.status) in ("running", "unknown") else ""
        later = f"; next check in {elapsed_text(self.next_poll)}" if self.next_poll is not None else ""
        return f"job {self.job.id} {self.job.status or '(no status)'}{pct} after {elapsed_text(self.elapsed)}{later}"


def wait_for_job(
    get_job: Callable[[str], Job],
    job_id: str,
    *,
    timeout: float,
    schedule: PollSchedule = PollSchedule(),
    on_progress: Callable[[Progress], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Job:
    """Poll `get_job(job_id)` until the job ends; return the `Completed` job.

    `timeout` is the overall deadline in seconds from the call. An error of `get_job` that
    is worth retrying (`retry.is_retryable_read`: an outage, throttling, a 5xx) or an answer
    that cannot be used (`UnreadableAnswerError`: an odd body, one over the size limit, one about
    another job, or one the caller refuses as not this job's; it says nothing about this job)
    does not end the wait, since the job runs on regardless:
    polling goes on until the deadline (the next poll waits at least the error's `Retry-After`,
    capped as in `RetryPolicy`), and the last such error is named if the deadline passes.
    `get_job` should send a single attempt (`DdmClient.poll_job`): this loop is the retry layer
    for polls. Other errors propagate.

    Each status has the outcome of `job_status.job_outcome`. A running job
    is reported through `on_progress` when its status or progress changed, when
    `progress_every` passed since the last report, and before every pause longer than that
    (the report then says when the next poll comes); the end is reported at once. Raises `JobFailedError`,
    `JobNotFoundError` (missing too long) or `JobTimeoutError` (with the last status) when the deadline passes.
    """
    start = clock()
    deadline = start + timeout
    last_report_at = -float("inf")
    last_seen: tuple[str, str] | None = None
    missing_since: float | None = None
    last_error: DdmError | None = None
    job: Job | None = None
    seen_progress: list[Observation] = []
    unreported: tuple[Job, float] | None = None  # the running job seen last, and when
    polls = 0
    while True:
        now = clock()
        if now >= deadline:
            break
        interval = schedule.next_delay(seen_progress, elapsed=now - start, time_left=deadline - now, polls=polls)
        if unreported is not None:
            seen_job, seen_at = unreported
            long_pause = interval > schedule.progress_every
            if ((seen_job.status, seen_job.process) != last_seen or long_pause
                    or now - last_report_at >= schedule.progress_every):
                _report(on_progress, seen_job, seen_at, next_poll=interval if long_pause else None)
                last_seen, last_report_at = (seen_job.status, seen_job.process), now
            unreported = None
        polls += 1
        retry_after = getattr(last_error, "retry_after", None) or 0.0
        sleep(min(max(interval, min(retry_after, DEFAULT_RETRY_POLICY.max_retry_after)), deadline - now))
        try:
            job = get_job(job_id)
            last_error = None
        except NotFoundError:
            job = Job(id=job_id, status="")
        except DdmError as exc:
            if not (is_retryable_read(exc) or isinstance(exc, UnreadableAnswerError)):
                raise
            last_error = exc
            now = clock()
            if on_progress is not None and now - last_report_at >= schedule.progress_every:
                on_progress(Progress(job=Job(id=job_id), elapsed=now - start, failure=str(exc)))
                last_report_at = now
            continue
        now = clock()
        _remember(seen_progress, Observation(now - start, parse_progress(job.process)))
        outcome = job_outcome(job.status)
        if outcome == "missing":
            missing_since = now if missing_since is None else missing_since
            if now - missing_since >= schedule.missing_grace:
                raise JobNotFoundError(
                    f"DDM job {job_id} was not found (or showed no status) for {elapsed_text(now - missing_since)}",
                    job_id=job_id,
                )
        else:
            missing_since = None
        if outcome == "completed":
            _report(on_progress, job, now - start)
            return job
        if outcome == "failed":
            _report(on_progress, job, now - start)
            raise JobFailedError(
                f"DDM job {job_id} ended with status {job.status}",
                job_id=job_id,
                status=job.status,
                created_time=job.created_time,
            )
        unreported = (job, now - start)  # reported once the next pause is known
    last_status = job.status if job is not None else None
    cause = str(last_error) if last_error is not None else ""
    raise JobTimeoutError(
        f"DDM job {job_id} {unfinished(last_status, cause, f'the deadline of {elapsed_text(timeout)} passed')}; "
        "it may still be running",
        job_id=job_id,
        last_status=last_status,
        last_error=cause,
    )


def unfinished(last_status: str | None, last_error: str, deadline: str) -> str:
    """How a wait ended at its deadline, e.g. `was still 'Running' when <deadline>` or `could not
    be read (no poll was answered) when <deadline> (the last polls failed: ...)`: the words of
    `JobTimeoutError` (`last_status`, `last_error`) for its message and for `restore`'s."""
    state = f"was still {last_status!r}" if last_status is not None else "could not be read (no poll was answered)"
    failed = f" (the last polls failed: {last_error})" if last_error else ""
    return f"{state} when {deadline}{failed}"


def _remember(seen: list[Observation], new: Observation) -> None:
    """Append `new`, keeping only the first and the last of a run of equal progress: the plan's
    bounds come from those two alone, so a long wait keeps a short list (and `next_delay` stays
    cheap) whatever the number of polls."""
    if len(seen) >= 2 and seen[-1].progress == seen[-2].progress == new.progress:
        seen[-1] = new
    else:
        seen.append(new)


def _report(on_progress: Callable[[Progress], None] | None, job: Job, elapsed: float,
            next_poll: float | None = None) -> None:
    if on_progress is not None:
        on_progress(Progress(job=job, elapsed=elapsed, next_poll=next_poll))

