"""What `check` asks of the service at `pulumi preview`: the decision, then the preflight.

`preview_problems` runs `decision.decide` with the same facts `create` will have, reading the
job list only when the settings resolve and `ddm:preflight` is on, and turns its answer into
input problems: a refusal names the target; an adoption needs no preflight; a submission is
preflighted (`preflight.preflight`, with `"latest"` resolved only to check it). A preview
without credentials skips these reads with a line saying so, once per run (not once per
resource); a configuration that cannot work fails in one line. Nothing here sends anything but
GET requests, and no request is started `PREVIEW_SECONDS` after the first (the check then fails
closed, saying so).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack

from .adoption import TargetJobs, newest_restore_job, target_jobs
from .client import DdmClient
from .decision import Adopt, Refuse, decide
from .errors import ConfigurationError, DdmError, NoCredentialsError
from .input_model import MetadataRecoveryInputs
from .inputs import InputProblem
from .preflight import preflight, preflight_unavailable
from .run_state import RunState
from .settings import ProviderSettings
from .wording import say

__all__ = ["PREVIEW_SECONDS", "preview_problems"]

PREVIEW_SECONDS = 120.0
"""How long the reads of one resource's `check` may take in all (a request under way runs to its own
deadline): `pulumi preview` never hangs on a slow service."""


class _NoSettings(Exception):
    """The settings do not resolve: `problem` to report (or `None`: skipped, a line was said)."""

    def __init__(self, problem: InputProblem | None) -> None:
        self.problem = problem


def preview_problems(state: RunState, inputs: MetadataRecoveryInputs, *, clock: Callable[[], float],
                     say: Callable[[str], None]) -> list[InputProblem]:
    """The problems `check` reports for `inputs`, which lead to a restore; `[]` when it may go ahead."""
    with ExitStack() as stack:
        reads = _Reads(state, inputs, clock, say, stack)
        try:
            decision = decide(inputs, ledger=state, jobs=reads.jobs, newest_job=reads.newest_job, preflight=True)
        except _NoSettings as exc:
            return [exc.problem] if exc.problem is not None else []
        except DdmError as exc:
            return [preflight_unavailable(exc)]
        if isinstance(decision, Refuse):
            return [InputProblem("target.instance_id", f"target.instance_id: {decision.message}")]
        if isinstance(decision, Adopt) or decision.jobs is None or not decision.preflight:
            return []
        client = reads.client()
        if inputs.latest:  # resolved here only to preflight it; the input stays "latest"
            from .restore_window import latest_restorable_ms  # only here: a backup or a time needs it not

            try:
                inputs = inputs.resolved(latest_restorable_ms(client, inputs.source_instance_id))
            except DdmError as exc:
                return [InputProblem("source.restore_time", f"source.restore_time: {exc}")]
        try:
            problems = preflight(client, inputs, note=say)
        except DdmError as exc:  # the preview's time ran out (`PREVIEW_SECONDS`)
            return [preflight_unavailable(exc)]
    if not problems:
        state.preflight_passed(inputs.model_dump_json(), took=time.monotonic() - reads.started)
    return problems


class _Reads:
    """The reads `decide` may need at preview, each made on first use: settings, client, job list."""

    def __init__(self, state: RunState, inputs: MetadataRecoveryInputs, clock: Callable[[], float],
                 say: Callable[[str], None], stack: ExitStack) -> None:
        self._state, self._inputs, self._clock, self._say, self._stack = state, inputs, clock, say, stack
        self._settings: ProviderSettings | None = None
        self.started = time.monotonic()
        self._client: DdmClient | None = None

    def settings(self) -> ProviderSettings:
        if self._settings is None:
            try:
                self._settings = self._state.settings()
            except NoCredentialsError as exc:  # a credential-less preview (e.g. of a pull request)
                line = f"preflight skipped: the inputs were checked offline only. {exc}"
                if self._state.first_time(line):  # once per run, not once per resource
                    say(line)
                raise _NoSettings(None) from None
            except ConfigurationError as exc:  # configured, but it cannot work: fail now, in one line
                raise _NoSettings(InputProblem("", f"DDM provider settings: {exc}")) from None
        return self._settings

    def client(self) -> DdmClient:
        if self._client is None:
            self._client = self._stack.enter_context(self._state.client(
                self.settings(), on_retry=lambda exc, wait: self._say(f"{exc}; retrying in {wait:.1f}s")))
            self._client.limit_time(self.started + PREVIEW_SECONDS,
                                    what=f"the preview's lookups ({PREVIEW_SECONDS:.0f} s)")
        return self._client

    def jobs(self) -> TargetJobs | None:
        """The target's jobs, or `None` when the preflight is off (no read at preview then)."""
        if not self.settings().preflight:
            return None
        client = self.client()
        return target_jobs(client, self._inputs.target.instance_id, self._clock() + client.clock_offset,
                           self.settings().adopt_window, source=self._inputs.source_instance_id)

    def newest_job(self) -> str | None:
        """The newest restore job of the target, to name it; `None` when it cannot be read."""
        try:
            if not self.settings().preflight:
                return None
            client = self.client()
        except (_NoSettings, DdmError):
            return None
        return newest_restore_job(client, self._inputs.target.instance_id, self._clock() + client.clock_offset)
