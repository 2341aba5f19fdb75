"""What a DDM job's status and name mean: the one table of job statuses, and the restore-job names.

**Statuses** (docs/ddm-api.md section 3.1 documents `Running`, `Completed`, `Failed`; the job
list, 3.2, adds shard-configuration states). `job_outcome` reads a status in any letter case,
with surrounding blanks ignored, and gives it exactly one outcome:

| status (any case)                                  | outcome   | the wait (`waiter`) ...          |
|----------------------------------------------------|-----------|----------------------------------|
| `Completed`                                        | completed | returns the job                  |
| `Failed`                                           | failed    | raises `JobFailedError`          |
| `Rollbacking`, `RollbackSuccess`, `Canceling`,     | failed    | raises `JobFailedError`: such a  |
| `CancelSuccess` (job list only)                    |           | job cannot end `Completed`       |
| `Running`; `Expanding`, `ToBeSwitched`,            | running   | polls on until the deadline      |
| `Switching` (job list only)                        |           |                                  |
| any other non-empty value                          | unknown   | polls on until the deadline,     |
|                                                    |           | naming the status                |
| missing, `null` or `""`; job not found (404 or     | missing   | polls on for `missing_grace` s   |
| `DBS.300400`)                                      |           | in a row, then raises            |
|                                                    |           | `JobNotFoundError`               |

**Names.** The docs do not say which name a metadata-restore job carries (section 3.3 lists
the task names `RestoreInstance`, "restoring DB instance data", and `loadMetadata`, "importing
schema information"; the API operation is `RestoreMetadata` in the official SDK). A job counts
as a restore job only when its name is one of `RESTORE_JOB_NAMES`, compared exactly in any
letter case: a running `BackupMetadata` or a job without a name is no restore to adopt.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["JobOutcome", "RESTORE_JOB_NAMES", "is_restore_job_name", "job_outcome"]

JobOutcome = Literal["completed", "failed", "running", "unknown", "missing"]
_OUTCOMES: dict[str, JobOutcome] = {
    "completed": "completed",
    "failed": "failed",
    "rollbacking": "failed",
    "rollbacksuccess": "failed",
    "canceling": "failed",
    "cancelsuccess": "failed",
    "running": "running",
    "expanding": "running",
    "tobeswitched": "running",
    "switching": "running",
}

RESTORE_JOB_NAMES = ("RestoreMetadata", "RestoreInstance", "loadMetadata")
"""The names a metadata-restore job may carry (see the module docstring), any letter case."""
_RESTORE_NAMES = frozenset(name.lower() for name in RESTORE_JOB_NAMES)


def job_outcome(status: str | None) -> JobOutcome:
    """What a job status means (the table in the module docstring); any letter case."""
    key = (status or "").strip().lower()
    if not key:
        return "missing"
    return _OUTCOMES.get(key, "unknown")


def is_restore_job_name(name: str | None) -> bool:
    """Whether a job named `name` can be a metadata restore: one of `RESTORE_JOB_NAMES`, any case."""
    return (name or "").lower() in _RESTORE_NAMES
