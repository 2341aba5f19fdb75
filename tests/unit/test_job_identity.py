"""`job_identity.contradiction`: an answer about the right job ID that still cannot be this restore."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ddm_resources.job_identity import contradiction
from ddm_resources.models import Job

TARGET, SOURCE, OTHER = "2" * 32 + "in09", "1" * 32 + "in09", "3" * 32 + "in09"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc).timestamp()


def job(created: str = "2026-11-30T11:59:00+0000", ended: str = "", instance: str | None = TARGET) -> Job:
    body = {"id": "a" * 32, "status": "Completed", "created_time": created, "end_time": ended}
    if instance is not None:
        body["instance"] = {"id": instance, "name": "ddm"}
    return Job.model_validate(body)


@pytest.mark.parametrize("answer, requested_at, problem", [
    (job(), None, None),
    (job(instance=SOURCE), None, None),  # the service may bind the job to the source
    (job(instance=None), None, None),  # no instance in the answer: nothing to compare
    (job(instance=""), None, None),
    (job(instance=OTHER), None, f"it acts on instance {OTHER}, neither the target nor the source"),
    (job(instance="../../x"), None, "it acts on instance of another shape, neither the target nor the source"),
    (job(created="2026-11-30T12:04:00+0000"), None, None),  # 4 minutes ahead: clock skew
    (job(created="2099-01-01T00:00:00+0000"), None, "it was created at 2099-01-01T00:00:00Z, "),
    (job(ended="2026-11-30T11:58:59+0000"), None,
     "it ended at 2026-11-30T11:58:59Z, before it was created (2026-11-30T11:59:00Z)"),
    (job(ended="1970-01-01T00:00:00+0000"), None, "it ended at 1970-01-01T00:00:00Z, before it was created"),
    (job(ended="2026-11-30T11:59:00+0000"), None, None),  # an instant job
    (job(created="2026-11-30T11:44:00+0000"), NOW, "it was created at 2026-11-30T11:44:00Z, 16 min before this "
                                                    "restore was requested"),
    (job(created="2026-11-30T11:56:00+0000"), NOW, None),  # 4 minutes before the POST: clock skew
    (job(created="2026-11-30T11:44:00+0000"), None, None),  # an adopted job may be older than now
    (job(created="", ended="garbage"), NOW, None),  # unreadable times say nothing
])
def test_contradiction(answer, requested_at, problem):
    found = contradiction(answer, instances=(TARGET, SOURCE), now=NOW, requested_at=requested_at)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)


def test_any_instance_fits_when_none_is_known():
    assert contradiction(job(instance=OTHER), instances=(), now=NOW) is None
