"""Whether a `MetadataRecovery` submits a restore: adopt a job, submit one, or refuse. Decided here once.

This is the guard against a second restore. `provider.check` asks it at preview (to fail
early, and to know whether to preflight) and `restore.Restore` asks it in `create` (to act);
both get the same answer from the same facts. `decide` reads, in this order, and stops at the
first that decides:

1. **the run's ledger** (`run_state.RunState`): a target another resource of this run claimed
   is refused (one restore per target and run);
2. **the stack state**, as the ledger learned it from `check` and `diff`: a target on which
   the state records a restore is refused (DDM restores only onto an empty instance), unless
   it is this resource's own restore of these very inputs, whose job is then taken again (a
   replacement whose create failed, e.g. with `delete_before_replace`, and whose inputs were
   set back: the engine replaces it still); `adopt_job_id` naming the job the state records for
   this resource's *other* inputs is refused (it would record a lie);
3. **`adopt_job_id`**: that job is adopted (checked against the job itself by `restore`), unless
   the state records it on another target;
4. **the job list** (`adoption.target_jobs`, docs/ddm-api.md section 3.2): a running restore job
   of the target within `ddm:adoptWindow` is adopted; a completed one, one too old or dated in
   the future, or a running job that is no restore is refused, naming it (`adoption`);
5. otherwise a restore is **submitted**, after the preflight (`preflight`) unless it is off
   or already passed for these inputs in this process.

The reads are passed in (`jobs`, `newest_job`), so the rule itself is pure and tested as such;
it sends nothing. Sending is `restore.Restore` (and `client.DdmClient.restore_metadata`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .adoption import TargetJobs

if TYPE_CHECKING:
    from .input_model import MetadataRecoveryInputs
    from .run_state import RunState

__all__ = ["Adopt", "Decision", "Refuse", "Submit", "decide"]


@dataclass(frozen=True)
class Adopt:
    """Take the existing job `job_id` as this resource's restore; nothing is submitted."""

    job_id: str
    reason: str
    """Why, for the `pulumi up` output: the whole line for a job the list showed, else a phrase
    such as `as asked by adopt_job_id` (`line` puts the job and its status before it)."""
    check_job: bool
    """Read the job first and refuse it when it cannot be this restore (`job_identity`): a job named
    by `adopt_job_id` or by the state, not one the job list just showed on the target."""
    restored_to: int | None = None
    """The point in time the job restored to, epoch ms, when the state records it (`restored_to`)."""

    def line(self, status: str | None = None) -> str:
        """The line for the `pulumi up` output, with the job's `status` once read."""
        if not self.check_job:
            return self.reason
        return f"adopting job {self.job_id} ({status}) {self.reason}; no restore is submitted"


@dataclass(frozen=True)
class Submit:
    """Submit a restore. `jobs` is what the job list showed (`None`: not read, at a preview without
    credentials or with the preflight off); `preflight` whether the preflight runs first."""

    jobs: TargetJobs | None
    preflight: bool


@dataclass(frozen=True)
class Refuse:
    """Submit nothing: `message` says why (one line first: resource, target, job, next step)."""

    message: str
    job_id: str | None = None


Decision = Adopt | Submit | Refuse


def decide(inputs: MetadataRecoveryInputs, *, ledger: RunState | None,
           jobs: Callable[[], TargetJobs | None], newest_job: Callable[[], str | None],
           preflight: bool) -> Decision:
    """Adopt, submit or refuse the restore of `inputs` (the steps of the module docstring).

    `jobs()` reads the target's jobs (`adoption.target_jobs`) or returns `None` when they are not
    to be read; `newest_job()` names the newest restore job of the target (or `None`) for a
    refusal that knows no job ID. `preflight` says whether the preflight is on. Claims the target
    in `ledger` for this resource. Raises what `jobs()` raises (`DdmError` when the job list
    cannot be read): the callers word that failure each for its moment.
    """
    name = inputs.resource_name or "metadata recovery"
    target = inputs.target.instance_id
    adopt_job_id = inputs.adopt_job_id
    recorded = ledger.recorded(target) if ledger is not None else None
    if ledger is not None:
        other = ledger.claim(target, name)
        if other is not None:
            return Refuse(other.refusal(name, target), other.job_id)
    if recorded is not None:
        props = inputs.to_props()
        own = recorded.resource == name
        if adopt_job_id and (adopt_job_id != recorded.job_id or own):
            refusal = recorded.adoption_refusal(name, props)
            if refusal is not None:
                return Refuse(refusal, adopt_job_id)
        elif own and recorded.job_id and recorded.changed(props) == []:
            return Adopt(recorded.job_id, "again: the stack state records it as this resource's restore of these very "
                                          "inputs (a replacement that did not complete)", check_job=True,
                         restored_to=recorded.restored_to)
        else:
            job_id = recorded.job_id or newest_job()
            by = f"job {job_id}" if job_id else "a restore"
            other_inputs = recorded.other_inputs(name, props)
            return Refuse(
                f"{name}: target instance {target} already holds the metadata restored by {by} (recorded in this "
                "stack by " f"{recorded.resource}); nothing was submitted. DDM restores only onto an empty instance, "
                "so a new restore needs a new, empty target: point target.instance_id at a new, empty DDM instance."
                + (f" {other_inputs}" if other_inputs else ""), job_id)
    if adopt_job_id:
        elsewhere = ledger.target_of(adopt_job_id) if ledger is not None else None
        if elsewhere is not None and elsewhere[0] != target:
            return Refuse(
                f"{name}: adopt_job_id {adopt_job_id} is the restore onto target instance {elsewhere[0]} (recorded in "
                f"this stack by {elsewhere[1].resource}), not onto {target}; nothing was submitted. Unset "
                "adopt_job_id to restore onto this target, or give the job of this target's own restore.",
                adopt_job_id)
        return Adopt(adopt_job_id, "as asked by adopt_job_id", check_job=True)
    found = jobs()
    if found is not None and found.adoptable is not None:
        return Adopt(found.adoptable.id, found.adoption_line(), check_job=False)
    if found is not None:
        refusal = found.refusal(name, target)
        if refusal is not None:
            job = found.refused_by
            return Refuse(refusal, job.id if job else None)
    passed = ledger is not None and ledger.has_passed_preflight(inputs.model_dump_json())
    return Submit(found, preflight and not passed)
