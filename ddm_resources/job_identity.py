"""Whether an answer about a job can be this resource's restore (docs/ddm-api.md section 3.1).

`GET /v3/{project_id}/jobs/{job_id}` is untrusted input. `DdmClient.poll_job` already refuses an
answer about another job ID; an answer about the right ID can still describe something that
cannot be this restore:

* it acts on an instance (`job.instance.id`) that is neither the target nor the source (the
  service may bind a restore job to either; the docs do not say which);
* it was created more than `CLOCK_SKEW_MS` after now (a time that has not come cannot date this
  run); `now` is on the service's clock (this machine's, set by the Date of its answers);
* it ended before it was created;
* it is the job a POST of this run named, but was created before that POST was sent.

`contradiction` says which, so that such an answer is never recorded: `restore` refuses it
while it waits (and looks for the restore's real job when its own POST named such a job), and
a refresh leaves the state as it was. Times are read as the models normalised them (UTC).
"""

from __future__ import annotations

from .api_time import CLOCK_SKEW, gap_text, parse_api_time
from .ids import ID_PATTERN
from .models import Job

__all__ = ["contradiction"]

def contradiction(job: Job, *, instances: tuple[str, ...], now: float,
                  requested_at: float | None = None) -> str | None:
    """Why `job` cannot be the restore acting on one of `instances` (target, source; none known:
    any instance), or None.

    `now` is the service's time (epoch seconds: this machine's clock set by the Date of the service's
    answers, `DdmClient.clock_offset`); `requested_at` the time (epoch seconds, the same clock) the POST
    that named this job was sent, when it was. The reason is a phrase naming the job's field and
    its (normalised) value, e.g. `it acts on instance 1f03...in09, neither the target nor the
    source`; it holds no other server text (an instance ID of another shape is not shown).
    """
    acts_on = job.instance.id if job.instance is not None else ""
    if acts_on and instances and acts_on not in instances:
        named = acts_on if ID_PATTERN.fullmatch(acts_on) else "of another shape"
        return f"it acts on instance {named}, neither the target nor the source"
    created = parse_api_time(job.created_time)
    ended = parse_api_time(job.end_time)
    if created is not None and created.timestamp() > now + CLOCK_SKEW:
        ahead = gap_text(created.timestamp() - now)
        return (f"it was created at {job.created_time}, {ahead} after now (this machine's clock, set by the Date "
                "of the service's answers)")
    if created is not None and ended is not None and ended < created:
        return f"it ended at {job.end_time}, before it was created ({job.created_time})"
    if created is not None and requested_at is not None and created.timestamp() < requested_at - CLOCK_SKEW:
        return (f"it was created at {job.created_time}, {gap_text(requested_at - created.timestamp())} before "
                "this restore was requested")
    return None
