"""The dynamic provider behind `MetadataRecovery`: check, diff, create, read, update, delete.

Pulumi pickles an instance of `MetadataRecoveryProvider` *by reference* (module and class
name) into the `__provider` input. The provider process imports this module to run it. So
this module has no import-time side effects, and the pickled instance holds no client and no
credential; `serialize_as_secret_always` is off, since the pickle has nothing secret in it.
In the provider process, `configure` makes the one `RunState` of the run (settings, tokens,
the ledger of targets); every entry point strips `__provider` once and reads that state.

A metadata recovery cannot be undone or changed, so the resource is create-only. A change
to `source_instance_id`, `source` or `target` replaces it (a new restore). A change to
`timeouts` or `adopt_job_id` is recorded in place, without any API call. `delete` only
forgets the resource.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from .errors import DdmError, NotFoundError
from .fields import FORCE_NEW_INPUTS, OUTPUT_KEYS, UPDATABLE_INPUTS
from .provider_threads import widen_provider_pool
from .runtime_load import load_provider_runtime
from .watchdog import watch_engine
from .wording import say as _say

if TYPE_CHECKING:  # the rest is imported where it is used: a program importing this module
    # (to pickle the provider) then loads neither httpx nor pydantic (README, "Benchmarks")
    import httpx

    from .client import DdmClient
    from .run_state import RunState
    from .settings import ProviderSettings

__all__ = ["MetadataRecoveryProvider", "OUTPUT_KEYS"]

PROVIDER_KEY = "__provider"


class MetadataRecoveryProvider(ResourceProvider):
    """Pulumi dynamic provider for DDM metadata recovery (docs/ddm-api.md sections 2.1 and 3.1)."""

    serialize_as_secret_always = False

    clock: Callable[[], float] = staticmethod(time.time)
    """Current time, epoch seconds: what "in the future" means for `restore_time` (tests replace it)."""
    transport: httpx.BaseTransport | None = None
    """The transport of every DDM and IAM request (`RunState.transport`); `None`, the network. Tests set
    it on an instance before `configure` (never pickled: a program's instance does not set it)."""

    def configure(self, req: ConfigureRequest) -> None:
        """Make this process's `RunState` from the stack config (`ddm:*` keys, and the OTC provider's
        `opentelekomcloud:*` credentials below them; `settings.provider_config`). Settings are
        resolved lazily, so preview and delete work without credentials. Runs in the provider
        process only, once, before any other call."""
        load_provider_runtime()  # httpx, pydantic, the models: at a fraction of the CPU (runtime_load.py)
        from .run_state import RunState
        from .settings import provider_config

        # every key, to warn about a mistyped ddm:* key (Config offers no public list of them)
        every_key = getattr(req.config, "_props", None)
        self._state = RunState(provider_config(req.config.get, every_key if isinstance(every_key, dict) else ()),
                               transport=self.transport)
        watch_engine()
        widen_provider_pool()  # every restore of the run at once, not 4 (provider_threads.py)

    @property
    def state(self) -> RunState:
        """The `RunState` made by `configure`; raises `RuntimeError` before `configure` (a bug)."""
        try:
            return self._state
        except AttributeError:
            raise RuntimeError("MetadataRecoveryProvider was used before Pulumi called configure()") from None

    # check / diff ------------------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate the inputs; one `CheckFailure` per bad property, all at once.

        First the offline rules (`inputs.check_inputs`, no network). A rule that depends on an
        unknown value is skipped. When every input is known, the rules passed and these inputs
        lead to a restore (a new resource, or a change to `source_instance_id`, `source` or
        `target`), `decision.decide` says at preview what `create` will do: a refusal fails the
        check at once; an adoption needs no preflight; a submission is preflighted against the
        read-only restore APIs (`ddm_resources.preflight`, docs/ddm-api.md section 2) when the
        settings resolve and `ddm:preflight` is on.

        The preflight fails closed when those APIs fail. With incomplete settings it is
        skipped, and a line says so (`create` reports the settings). On success the returned
        inputs are normalised (`restore_time` as int epoch ms).
        """
        from .inputs import check_inputs

        props, old_props = _user_props(news), _user_props(olds)
        old_target = _target_id(old_props)
        if old_target is not None:  # an existing resource: its target is filled (also on `up --replace`)
            self.state.record(old_target, None, _name(old_props), old_props)
        checked = check_inputs(props, clock=self.clock)
        problems = checked.problems
        if not problems and checked.inputs is not None and _restores(old_props, checked.props):
            from .preview import preview_problems

            problems = preview_problems(self.state, checked.inputs, clock=self.clock,
                                        say=lambda line: _say(f"{_name(checked.inputs)}: {line}"))
        if problems:
            return CheckResult(news, [CheckFailure(p.property, p.reason) for p in problems])
        normalised = checked.inputs.to_props() if checked.inputs is not None else checked.props
        return CheckResult({**normalised, PROVIDER_KEY: news.get(PROVIDER_KEY)}, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace when `source_instance_id`, `source` or `target` changed (or is unknown).

        `olds` are the old *outputs*, which echo the inputs. `__provider` is never compared,
        so a new version of this code does not re-run a restore. The job that the state
        records on the old target goes into the run's ledger (`RunState.record`, as in
        `check`): a create onto that target in this run then fails before any POST.

        Raises `RestoreError` when a replacement on the same target sets `adopt_job_id` to the
        job the state records for other inputs of this resource (`Recorded.adoption_refusal`):
        it restored the old source, so recording it with the new one would be a lie.
        """
        old, new = _user_props(olds), _user_props(news)
        replaces = [k for k in FORCE_NEW_INPUTS if _changed(k, old.get(k), new.get(k))]
        updates = [k for k in UPDATABLE_INPUTS if _changed(k, old.get(k), new.get(k))]
        old_target = _target_id(old)
        if _id and old_target is not None:
            job_id = old.get("job_id")
            self.state.record(old_target, job_id if isinstance(job_id, str) and job_id else _id, _name(old), old)
            recorded = self.state.recorded(old_target)
            refusal = recorded.adoption_refusal(_name(new), new) if recorded and replaces else None
            if refusal is not None and _target_id(new) == old_target:  # refused at preview already, as in create
                from .errors import RestoreError

                raise _at_boundary(RestoreError(refusal, target_instance_id=old_target, job_id=new["adopt_job_id"]))
        return DiffResult(changes=bool(replaces or updates), replaces=replaces, delete_before_replace=False)

    # create / read / update / delete ---------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Run exactly one metadata restore (`restore.Restore`, as `decision.decide` says) and wait for its job.

        The resource ID is the `job_id`. Raises `RestoreError` naming the resource, the target
        and, once a job exists, its ID, status and cause; nothing is recorded in the state then.
        Errors of this package leave here without their chain (see `_at_boundary`).
        """
        try:
            return self._create(props)
        except DdmError as exc:
            raise _at_boundary(exc) from None

    def _create(self, props: dict[str, Any]) -> CreateResult:
        from .input_model import MetadataRecoveryInputs
        from .restore import Restore
        from .waiter import PollSchedule

        inputs = MetadataRecoveryInputs.model_validate(_user_props(props))
        settings = self.state.settings()
        schedule = PollSchedule(max_interval=settings.poll_interval)
        name = _name(inputs)
        with self._client(settings, name) as client:
            restore = Restore(client, inputs, say=lambda line: _say(f"{name}: {line}"), schedule=schedule,
                              preflight=settings.preflight, ledger=self.state, adopt_window=settings.adopt_window)
            job = restore.run()
        # the inputs as given ("latest" stays "latest"), the time submitted as `restored_to`
        return CreateResult(job.id, {**inputs.to_props(), **_job_outputs(job), "restored_to": restore.restored_to})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Re-read the job on `pulumi refresh` (`GET /v3/{project_id}/jobs/{job_id}`, docs/ddm-api.md
        section 3.1); the recorded outputs change only for an answer about this job that still
        says `Completed`.

        A restore stays done even after DDM forgets its job, so this never drops the resource
        from state (that would start a second restore on the next `up`): a job DDM no longer
        knows, or one it now shows with another status, keeps the recorded outputs with a line
        saying so; a time the answer leaves empty keeps the recorded one. Raises `DdmError`
        (the resource, the job and what to do first) when the job cannot be read, including an
        answer about another job, or one that cannot be this restore's (`job_identity`: another
        instance, created in the future, ended before it began); the state is then left as it was.
        """
        from .job_identity import contradiction
        from .job_status import job_outcome

        outs = _user_props(props)
        name = _name(outs)
        try:
            with self._client(self.state.settings(), name) as client:
                try:
                    job = client.get_job(id_)
                except NotFoundError:
                    _say(f"{name}: job {id_} is no longer known to DDM; keeping the recorded outputs")
                    return ReadResult(id_, outs)
        except DdmError as exc:
            raise _at_boundary(DdmError(f"{name}: refresh could not read restore job {id_} (target "
                                        f"{_target_id(outs) or '?'}); the recorded outputs are kept, run "
                                        f"`pulumi refresh` again later. Cause: {exc}")) from None
        problem = contradiction(job, instances=_instances(outs), now=self.clock())
        if problem is not None:
            raise _at_boundary(DdmError(f"{name}: refresh got an answer about restore job {id_} (target "
                                        f"{_target_id(outs) or '?'}) that cannot be this restore's: {problem}; the "
                                        "recorded outputs are kept: check the job in the DDM console, then run "
                                        "`pulumi refresh` again"))
        outcome = job_outcome(job.status)
        if outcome != "completed":
            shown = job.status if outcome != "unknown" else "a status this tool does not know"
            _say(f"{name}: DDM now shows job {id_} as {shown or 'without a status'}; it completed when this "
                 "resource was created, so the recorded outputs are kept")
            return ReadResult(id_, outs)
        fresh = {key: value for key, value in _job_outputs(job).items() if value}
        return ReadResult(id_, {**outs, **fresh})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Record new non-forcing inputs (`timeouts`, `adopt_job_id`), keep every output; no API call."""
        old, new = _user_props(olds), _user_props(news)
        changed = {k: new[k] for k in UPDATABLE_INPUTS if k in new}
        outs = {k: v for k, v in old.items() if k not in UPDATABLE_INPUTS}
        return UpdateResult({**outs, **changed})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Forget the resource. No API call: a metadata recovery cannot be undone."""
        old = _user_props(props)
        _say(f"{_name(old)}: forgetting metadata recovery job {id_} (target {_target_id(old) or '?'}); "
             "nothing is undone on DDM, the restored metadata stays in place")

    # helpers --------------------------------------------------------------------------------

    def _client(self, settings: ProviderSettings, name: str) -> DdmClient:
        """A DDM client for `settings`, whose retry lines name the resource `name`; with password
        login this may call IAM for the project ID."""
        return self.state.client(settings, on_retry=lambda exc, wait: _say(f"{name}: {exc}; retrying in {wait:.1f}s"))


def _at_boundary(exc: DdmError) -> DdmError:
    """`exc` stripped of its traceback and chain, to be raised again from the provider method.

    Pulumi's dynamic provider server sends `traceback.format_exc()` to the engine, which
    shows all of it: so what the user reads is three frames and this package's message,
    whose first line names the job, target, status, cause and next step."""
    exc.__traceback__ = None
    exc.__context__ = None
    exc.__cause__ = None
    exc.__suppress_context__ = True
    return exc


def _user_props(props: dict[str, Any] | None) -> dict[str, Any]:
    """The properties without the pickled provider (`__provider`): what the user and we wrote."""
    return {k: v for k, v in (props or {}).items() if k != PROVIDER_KEY}


def _instances(props: dict[str, Any]) -> tuple[str, ...]:
    """The recorded target and source instance IDs (those the properties hold as strings)."""
    source = props.get("source_instance_id")
    return tuple(i for i in (_target_id(props), source) if isinstance(i, str) and i)


def _target_id(props: dict[str, Any]) -> str | None:
    """`target.instance_id` when the (possibly hand-edited) properties hold it as a string."""
    target = props.get("target")
    instance_id = target.get("instance_id") if isinstance(target, dict) else None
    return instance_id if isinstance(instance_id, str) else None


def _name(props: Any) -> str:
    """The resource's Pulumi name, for messages (`resource_name`, set by `MetadataRecovery`)."""
    from .input_model import MetadataRecoveryInputs

    name = props.resource_name if isinstance(props, MetadataRecoveryInputs) else props.get("resource_name")
    return name if isinstance(name, str) and name else "metadata recovery"


def _restores(olds: dict[str, Any], news: dict[str, Any]) -> bool:
    """True when these inputs lead to a restore: a new resource (no old inputs), or a change
    that replaces it. An unchanged existing resource is never preflighted: its target is
    rightly no longer empty."""
    if not olds:
        return True
    return any(_changed(k, olds.get(k), news.get(k)) for k in FORCE_NEW_INPUTS)


def _changed(key: str, old: Any, new: Any) -> bool:
    from .inputs import canonical, contains_unknown

    if contains_unknown(new):
        return True
    return bool(canonical(key, old) != canonical(key, new))


def _job_outputs(job: Any) -> dict[str, str | None]:
    return {"job_id": job.id, "status": job.status, "created_time": job.created_time, "end_time": job.end_time}
