"""Which existing DDM job a `MetadataRecovery` may take as its own: the adoption rule.

DDM's job list (docs/ddm-api.md section 3.2) shows a job's instance, name, status and times,
not its source or backup. So a job is taken only when nothing else can explain it:

* **target**: the job acts on `target.instance_id` (its `instance_id`). Where the service
  binds a restore job to the source instead (the docs do not say; the POST path carries the
  source), such a job cannot be told from a restore of the same source onto another target:
  it is taken only right after this resource's own POST, as the single restore job of the
  source or target created since, not listed right before it and held by no other resource
  of the run (`restore.py`), else named, never adopted;
* **name**: its name is a known restore-job name (`job_status.RESTORE_JOB_NAMES`, compared
  exactly in any letter case). Any other running job of the target (`BackupMetadata`, a job
  without a name...) is no restore to adopt: the create is refused naming the job, its name and
  `adopt_job_id` as the way to take it;
* **status**: it is still running (`job_status.job_outcome` is `running`: `Running` in any
  case, or a job-list in-progress state). A completed restore is never adopted on its own:
  it may be this resource's interrupted run, but also the restore of a resource being
  replaced (`pulumi up --replace` tells the provider nothing), of another stack, or a
  console restore. The error names it and says to set `adopt_job_id` if it is this
  resource's. Failed, rolled back, cancelled and unknown states are never adopted;
* **age**: it was created within the adoption window (`ddm:adoptWindow`, default 24 h).
  An older running restore is named, not adopted; so is one created more than 5 minutes after
  now on the service's clock (this machine's, set by the Date of its answers; a time that has not
  come cannot date this resource's run).

A running restore of the target within the window is most likely an interrupted or
timed-out `pulumi up` of this resource. A second POST could not succeed anyway: DDM
refuses a target that is busy or not empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from .api_time import CLOCK_SKEW, age_text, epoch_seconds, format_utc, parse_api_time
from .client import DdmClient
from .errors import DdmError
from .job_status import RESTORE_JOB_NAMES, is_restore_job_name, job_outcome
from .models import JobItem

__all__ = ["LOOKBACK", "TargetJobs", "fail_reason", "newest_restore_job", "restore_jobs", "target_jobs"]

LOOKBACK = 29 * 24 * 3600.0
"""How far back (seconds) the job list is read; the API allows 30 days."""


def restore_jobs(client: DdmClient, instances: str | tuple[str, ...], since: float) -> list[JobItem]:
    """The restore jobs acting on one of `instances` created from `since` (epoch s) until now
    (the service's clock: `DdmClient.list_jobs`), newest first by parsed `created_time`.
    Raises `ApiError`/`TransportError` if the list cannot be read."""
    wanted = (instances,) if isinstance(instances, str) else instances
    jobs = [job for job in client.list_jobs(int(since * 1000))
            if job.instance_id in wanted and is_restore_job_name(job.name)]
    return sorted(jobs, key=_created, reverse=True)


def newest_restore_job(client: DdmClient, target: str, now: float) -> str | None:
    """The newest running or completed restore job of `target` (to name it in a refusal); `None`
    when there is none or the list cannot be read."""
    try:
        jobs = restore_jobs(client, target, now - LOOKBACK)
    except DdmError:
        return None
    return next((job.id for job in jobs if job_outcome(job.status) in ("running", "completed")), None)


@dataclass(frozen=True)
class TargetJobs:
    """What the job list says about a target at `now` (epoch s), with the adoption window."""

    now: float
    window: float
    adoptable: JobItem | None = None
    """The newest running restore created within the window: the one to adopt."""
    too_old: JobItem | None = None
    """A running restore created before the window (named, not adopted)."""
    future: JobItem | None = None
    """A running restore whose `created_time` is more than `CLOCK_SKEW_MS` after `now` (named,
    not adopted)."""
    completed: JobItem | None = None
    """The newest completed restore: the target is filled (never adopted on its own)."""
    failed: JobItem | None = None
    """The newest failed restore of the target: it may have left the target non-empty."""
    seen: frozenset[str] = frozenset()
    """Every restore job of the target or the source in the list: jobs older than a POST."""
    of_source: tuple[JobItem, ...] = ()
    """Running or completed restore jobs bound to the source (their target cannot be told)."""
    ended: frozenset[str] = frozenset()
    """The jobs of `seen` that had already ended (completed, failed): never the job of a later POST."""
    foreign: JobItem | None = None
    """A running job of the target whose name is no restore-job name (named, never adopted)."""

    def source_hint(self) -> str:
        """A sentence naming the restore jobs bound to the source, for a refused or unclear POST."""
        if not self.of_source:
            return ""
        jobs = ", ".join(f"{job.id} ({job.status}, created {job.created_time})" for job in self.of_source[:3])
        return (f" The job list shows restore jobs bound to the source instance: {jobs}; their target cannot "
                "be told. If one is this resource's restore, set adopt_job_id to its ID.")

    def adoption_line(self) -> str:
        """Why `adoptable` is taken, for the `pulumi up` output."""
        job = self.adoptable
        assert job is not None
        progress = f" {job.process}" if job.process else ""
        return (f"found restore job {job.id} on target {job.instance_id}: {job.status}{progress}, created "
                f"{job.created_time} ({age_text(self.now - _created(job))} ago), named {job.name!r}; adopting it "
                f"instead of submitting a second restore: a running restore of the target created within "
                f"ddm:adoptWindow ({age_text(self.window)}) is taken to be this resource's interrupted or timed-out "
                "run (the job list does not show a job's source)")

    @property
    def refused_by(self) -> JobItem | None:
        """The job that keeps a restore from starting on the target (a running one dated in the
        future or too old, a running job that is no restore, or a completed restore; in that order),
        or `None`: what `refusal` names."""
        return self.future or self.too_old or self.foreign or self.completed

    def refusal(self, name: str, target: str, other_inputs: str | None = None) -> str | None:
        """Why no restore may start on the target (`refused_by`), or `None`. `other_inputs` says
        that the stack state records on the target the restore of this resource's old inputs
        (`run_state.Recorded.other_inputs`): a completed job is then not offered for adoption."""
        if self.future is not None:
            job, now = self.future, format_utc(datetime.fromtimestamp(self.now, timezone.utc))
            return (f"{name}: target instance {target} has a running restore job {job.id} whose created_time "
                    f"({job.created_time}) is later than now ({now}: this machine's clock, set by the Date of the "
                    "service's answers); it is not adopted and nothing was submitted. Check the job in the DDM "
                    f"console; if it is this resource's restore, set adopt_job_id = \"{job.id}\", else wait for "
                    "it to end and use a new, empty target.")
        if self.too_old is not None:
            job = self.too_old
            return (f"{name}: target instance {target} has a running restore job {job.id} created {job.created_time}, "
                    f"before ddm:adoptWindow ({age_text(self.window)}); it is not adopted and nothing was submitted. "
                    f"If it is this resource's restore, set adopt_job_id = \"{job.id}\"; else wait for it to end "
                    "and use a new, empty target.")
        if self.foreign is not None:
            job = self.foreign
            named = f"named {job.name!r}" if job.name else "without a name"
            return (f"{name}: target instance {target} has a running job {job.id} {named} ({job.status}, created "
                    f"{job.created_time}); by its name it is no metadata restore (those are named "
                    f"{', '.join(RESTORE_JOB_NAMES)}), so it is not adopted and nothing was submitted. If job {job.id} "
                    f"is this resource's restore, set adopt_job_id = \"{job.id}\"; else wait for it to end.")
        if self.completed is not None:
            job = self.completed
            # adopting it for other inputs than it restored would record a lie: no hint then
            hint = other_inputs or (f"If job {job.id} is this resource's own restore of these very inputs (an "
                                    f"interrupted or timed-out `pulumi up`), set adopt_job_id = \"{job.id}\" instead.")
            return (f"{name}: target instance {target} already holds the metadata restored by job {job.id} "
                    f"(Completed, created {job.created_time}); nothing was submitted. DDM restores only onto an "
                    "empty instance, so a new restore needs a new, empty target: point target.instance_id at a "
                    f"new, empty DDM instance. {hint}")
        return None


def fail_reason(client: DdmClient, job_id: str, created_time: str, now: float) -> str:
    """The job list's `fail_reason` for the failed job `job_id` created at `created_time` (the job's
    text; `now` on the service's clock, epoch s, when that cannot be read), or why it is not known.
    The job itself has no reason (docs/ddm-api.md section 3.1); the list has (section 3.2)."""
    created = parse_api_time(created_time)
    since = created.timestamp() - CLOCK_SKEW if created is not None else now - LOOKBACK
    try:
        item = next((j for j in client.list_jobs(int(since * 1000)) if j.id == job_id), None)
    except DdmError as exc:
        return f"reason unknown (the job list could not be read: {exc})"
    if item is None or not item.fail_reason:
        return "the service gave no reason"
    return item.fail_reason


def target_jobs(client: DdmClient, target: str, now: float, window: float, source: str = "") -> TargetJobs:
    """Read the job list once and sort the target's restore jobs by the adoption rule (jobs of
    `source` are only noted in `seen`)."""
    adoptable = too_old = future = completed = failed = foreign = None
    listed = client.list_jobs(int((now - LOOKBACK) * 1000))
    foreign = next((job for job in sorted(listed, key=_created, reverse=True) if job.instance_id == target
                    and not is_restore_job_name(job.name) and job_outcome(job.status) == "running"), None)
    wanted = (target, source) if source else (target,)
    jobs = sorted((job for job in listed if job.instance_id in wanted and is_restore_job_name(job.name)),
                  key=_created, reverse=True)
    of_source = tuple(job for job in jobs if job.instance_id != target
                      and job_outcome(job.status) in ("running", "completed"))
    for job in jobs:
        if job.instance_id != target:
            continue
        outcome = job_outcome(job.status)
        if outcome == "running":
            if _created(job) > now + CLOCK_SKEW:
                future = future or job
            elif now - _created(job) <= window + CLOCK_SKEW:
                adoptable = adoptable or job
            else:
                too_old = too_old or job
        elif outcome == "completed":
            completed = completed or job
        elif outcome == "failed":
            failed = failed or job
    return TargetJobs(now, window, adoptable, None if adoptable else too_old, None if adoptable else future,
                      None if adoptable else completed, failed, frozenset(job.id for job in jobs), of_source,
                      frozenset(job.id for job in jobs if job_outcome(job.status) in ("completed", "failed")),
                      None if adoptable else foreign)


def _created(job: JobItem) -> float:
    return epoch_seconds(job.created_time)
