"""What `pulumi refresh` makes of a recorded restore: the job read again, the outputs kept honest.

A restore stays done even after DDM forgets its job, so a refresh never drops the resource from
the state (that would start a second restore on the next `up`). The recorded outputs change only
for an answer about this very job that still says `Completed` (docs/ddm-api.md section 3.1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .client import DdmClient
from .errors import DdmError, NotFoundError
from .job_identity import contradiction
from .job_status import job_outcome
from .models import Job

__all__ = ["job_outputs", "refresh"]


def job_outputs(job: Job) -> dict[str, str | None]:
    """The outputs a job gives: `job_id`, `status`, `created_time`, `end_time`."""
    return {"job_id": job.id, "status": job.status, "created_time": job.created_time, "end_time": job.end_time}


def refresh(connect: Callable[[], DdmClient], job_id: str, outs: dict[str, Any], *, name: str,
            instances: tuple[str, ...], now: float, say: Callable[[str], None]) -> dict[str, Any]:
    """The outputs after reading job `job_id` again (with a client from `connect()`): `outs` with the
    job's fresh non-empty values, or `outs` unchanged (with a line through `say`) when DDM no longer
    knows the job or shows it with another status than `Completed`. Raises `DdmError` naming the
    resource `name`, the job and what to do when the job cannot be read or the answer cannot be this
    restore's (`job_identity`, given the restore's `instances`: target, source; `now` in epoch seconds on
    this machine's clock, compared on the service's: `DdmClient.clock_offset`)."""
    target = outs.get("target", {}).get("instance_id") if isinstance(outs.get("target"), dict) else None
    try:
        with connect() as client:
            job = client.get_job(job_id)
            service_now = now + client.clock_offset
    except NotFoundError:
        say(f"job {job_id} is no longer known to DDM; keeping the recorded outputs")
        return outs
    except DdmError as exc:
        raise DdmError(f"{name}: refresh could not read restore job {job_id} (target {target or '?'}); the recorded "
                       f"outputs are kept, run `pulumi refresh` again later. Cause: {exc}") from None
    problem = contradiction(job, instances=instances, now=service_now)
    if problem is not None:
        raise DdmError(f"{name}: refresh got an answer about restore job {job_id} (target {target or '?'}) that "
                       f"cannot be this restore's: {problem}; the recorded outputs are kept: check the job in the "
                       "DDM console, then run `pulumi refresh` again")
    outcome = job_outcome(job.status)
    if outcome != "completed":
        shown = job.status if outcome != "unknown" else "a status this tool does not know"
        say(f"DDM now shows job {job_id} as {shown or 'without a status'}; it completed when this resource was "
            "created, so the recorded outputs are kept")
        return outs
    fresh = {key: value for key, value in job_outputs(job).items() if value}
    return {**outs, **fresh}
