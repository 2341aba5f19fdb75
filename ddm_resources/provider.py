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

import re
import threading
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

from .errors import DdmError
from .fields import FORCE_NEW_INPUTS, OUTPUT_KEYS, UPDATABLE_INPUTS
from .provider_threads import widen_provider_pool
from .runtime_load import load_provider_runtime
from .watchdog import watch_engine
from .wording import say

if TYPE_CHECKING:  # the rest is imported where it is used: a program importing this module
    # (to pickle the provider) then loads neither httpx nor pydantic (bench/README.md)
    import httpx

    from .client import DdmClient
    from .input_model import MetadataRecoveryInputs
    from .run_state import RunState
    from .settings import ProviderSettings

__all__ = ["MetadataRecoveryProvider", "OUTPUT_KEYS"]

PROVIDER_KEY = "__provider"
SECRET_INPUTS_KEY = "__secret_inputs"
"""The property (set by `MetadataRecovery`, echoed in the outputs) listing the paths of the inputs
given as secrets, e.g. `["target.instance_id"]`: Pulumi hands a dynamic provider plain values, so
this is how it knows which values it must never print (`_hold_secret_inputs`)."""


def _say(message: str) -> None:
    """`wording.say`, every held secret (a secret input too) masked (`sanitize.mask_held`)."""
    from .sanitize import mask_held

    say(mask_held(message))


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
        `target`), the RPO guard (`rpo`, input `max_restore_age`) judges the restore point's age first, then
        `decision.decide` says at preview what `create` will do: a refusal fails the
        check at once; an adoption needs no preflight; a submission is preflighted against the
        read-only restore APIs (`ddm_resources.preflight`, docs/ddm-api.md section 2) when the
        settings resolve and `ddm:preflight` is on.

        The preflight fails closed when those APIs fail. With incomplete settings it is
        skipped, and one line per run says so (`create` reports the settings). On success the returned
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
            from .rpo import restore_age_problems

            def say(line: str) -> None:
                _say(f"{_name(checked.inputs)}: {line}")

            problems = (restore_age_problems(self.state, checked.inputs, clock=self.clock, say=say)
                        or preview_problems(self.state, checked.inputs, clock=self.clock, say=say))
        if problems:
            from .sanitize import mask_held

            return CheckResult(news, [CheckFailure(_engine_property(p.property), mask_held(p.reason))
                                      for p in problems])
        normalised = checked.inputs.to_props() if checked.inputs is not None else checked.props
        known = _known_outputs(checked.inputs) if checked.inputs is not None else {}
        return CheckResult({**normalised, **known, PROVIDER_KEY: news.get(PROVIDER_KEY), **_secret_paths(news)}, [])

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
        """Run exactly one metadata restore (`restore.Restore`, as `decision.decide` says), wait for its job,
        then check the target unless `verify` is false (`verification`: outputs `schemas`, `verification`).

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
        from .refresh import job_outputs
        from .restore import Restore
        from .waiter import PollSchedule

        # without the outputs `check` set from the inputs alone (`_known_outputs`)
        inputs = MetadataRecoveryInputs.model_validate(
            {k: v for k, v in _user_props(props).items() if k not in OUTPUT_KEYS})
        settings = self.state.settings()
        schedule = PollSchedule(max_interval=settings.poll_interval)
        name = _name(inputs)
        _note_stack_row()
        with self._client(settings, name) as client:
            restore = Restore(client, inputs, say=lambda line: _say(f"{name}: {line}"), schedule=schedule,
                              preflight=settings.preflight, ledger=self.state, adopt_window=settings.adopt_window,
                              spent_before=self.state.preflight_took(inputs.model_dump_json()))
            job = restore.run()
            checked = _verify(client, inputs, job.id, restore.restored_to)
        _say(f"{name}: verification: {checked['verification']}")
        # the inputs as given ("latest" stays "latest"), the time submitted as `restored_to`
        return CreateResult(job.id, {**inputs.to_props(), **job_outputs(job), **_restored_to(restore.restored_to),
                                     **checked, **_secret_paths(props)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """`pulumi refresh`: the job again (`_read_job`), then the target (`drift.refresh_target`).

        The target found deleted, not running, or without schemas the restore left sets output
        `target_status` (`DELETED`, its status, `SCHEMAS_MISSING`) and says a `ddm-resources:` warning
        line; the job and every other output stay. Nothing forces a new restore: the next `pulumi up`
        restores only when the inputs change (a new target: docs/safety.md, "Drift"). A target that
        cannot be read keeps the recorded `target_status`, with a line saying so.
        """
        from .drift import refresh_target

        result = self._read_job(id_, props)
        outs = dict(result.outs or {})
        name = _name(outs)
        return ReadResult(id_, refresh_target(lambda: self._client(self.state.settings(), name), id_, outs,
                                              say=lambda line: _say(f"{name}: {line}")))

    def _read_job(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Re-read the job on `pulumi refresh` (`GET /v3/{project_id}/jobs/{job_id}`, docs/ddm-api.md
        section 3.1); the recorded outputs change only for an answer about this job that still
        says `Completed`.

        A restore stays done even after DDM forgets its job, so this never drops the resource
        from state (that would start a second restore on the next `up`): a job DDM no longer
        knows, or one it now shows with another status, keeps the recorded outputs with a line
        saying so; a time the answer leaves empty keeps the recorded one (`refresh.refresh`).
        Raises `DdmError` (the resource, the job and what to do first) when the job cannot be read,
        or the answer cannot be this restore's; the state is then left as it was.
        """
        from .refresh import refresh

        outs = _user_props(props)
        name = _name(outs)
        try:
            fresh = refresh(lambda: self._client(self.state.settings(), name), id_, outs, name=name,
                            instances=_instances(outs), now=self.clock(), say=lambda line: _say(f"{name}: {line}"))
        except DdmError as exc:
            raise _at_boundary(exc) from None
        return ReadResult(id_, _with_utc({**fresh, **_secret_paths(props)}))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Record new non-forcing inputs (`timeouts`, `adopt_job_id`), keep every output; no API call."""
        old, new = _user_props(olds), _user_props(news)
        changed = {k: new[k] for k in UPDATABLE_INPUTS if k in new}
        outs = {k: v for k, v in old.items() if k not in UPDATABLE_INPUTS}
        return UpdateResult(_with_utc({**outs, **changed, **_secret_paths(news)}))

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


_STACK_ROW_NOTED = threading.Event()


def _note_stack_row() -> None:
    """Say once per provider process that progress shows on the stack's row: a dynamic provider is
    not told its resource's URN (Pulumi's servicer keeps it), and reaching the engine's log on a
    resource's row would rely on SDK internals; the provider plugin does it (docs/plugin.md)."""
    if not _STACK_ROW_NOTED.is_set():
        _STACK_ROW_NOTED.set()
        _say("progress lines show on the stack's row and are listed again at the end: a dynamic provider is not "
             "told its resource's URN; the provider plugin (type ddm:index:MetadataRecovery, docs/plugin.md) "
             "shows each restore's progress on its own row, once")


def _at_boundary(exc: DdmError) -> DdmError:
    """`exc` stripped of its traceback and chain, to be raised again from the provider method.

    Pulumi's dynamic provider server sends `traceback.format_exc()` to the engine, which
    shows all of it: so what the user reads is three frames and this package's message,
    whose first line names the job, target, status, cause and next step."""
    from .sanitize import mask_held

    text = str(exc)
    masked = mask_held(text)
    if masked != text:  # it named a secret input: the same words, that value masked
        exc = DdmError(masked)
    exc.__traceback__ = None
    exc.__context__ = None
    exc.__cause__ = None
    exc.__suppress_context__ = True
    return exc


def _engine_property(path: str) -> str:
    """The `CheckFailure.property` for a problem of the input at `path` (dotted, as the reason names it).

    The engine shows a failure as "property P value V has a problem", looking P up among the
    top-level inputs only (pkg/resource/deploy/step_generator.go): a dotted path such as
    `target.instance_id` then shows `{<nil>}` although it is set, and an object its internal
    `{map[...]}` form. So only a top-level input that is no object keeps its name (an unknown
    key too: its value is shown as given); any other problem is reported for the resource (`""`),
    and its reason, which starts with the path, names the field."""
    from .fields import field

    if "." in path or "[" in path:
        return ""
    try:
        kind = field(path).type
    except KeyError:
        return path
    return "" if kind == "object" else path


def _user_props(props: dict[str, Any] | None) -> dict[str, Any]:
    """The properties without the pickled provider (`__provider`) and the list of secret inputs
    (`__secret_inputs`): what the user and we wrote. The values of the secret inputs are held
    (`_hold_secret_inputs`) first: every method reads its properties through here."""
    _hold_secret_inputs(props or {})
    return {k: v for k, v in (props or {}).items() if k not in (PROVIDER_KEY, SECRET_INPUTS_KEY)}


def _secret_paths(props: dict[str, Any] | None) -> dict[str, Any]:
    """`{SECRET_INPUTS_KEY: [...]}` as `props` hold it (to carry into the outputs), or `{}`."""
    paths = (props or {}).get(SECRET_INPUTS_KEY)
    return {SECRET_INPUTS_KEY: paths} if isinstance(paths, list) and paths else {}


_PATH_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[([0-9]+)\]")


def _hold_secret_inputs(props: dict[str, Any]) -> None:
    """Hold (`sanitize.hold_secret_input`) every string at or under each path of `props[SECRET_INPUTS_KEY]`
    (`target.instance_id`, `target.data_nodes[0]`, `target`), so that no line, check failure or
    error of this provider shows it."""
    from .sanitize import hold_secret_input

    paths = props.get(SECRET_INPUTS_KEY)
    for path in paths if isinstance(paths, list) else ():
        value: Any = props
        for name, index in _PATH_PART.findall(path if isinstance(path, str) else ""):
            if name and isinstance(value, dict):
                value = value.get(name)
            elif index and isinstance(value, list) and int(index) < len(value):
                value = value[int(index)]
            else:
                value = None
        for text in _strings(value):
            hold_secret_input(text)


def _strings(value: Any) -> list[str]:
    """Every string in `value` (a string, or nested in lists and dicts)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


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


def _restored_to(ms: int | None) -> dict[str, int | str | None]:
    """`restored_to` (epoch ms) and `restored_to_utc` (RFC 3339, UTC, e.g. `2024-05-20T04:40:00Z`),
    both `None` when the restore was not by time."""
    from .api_time import format_ms

    return {"restored_to": ms, "restored_to_utc": format_ms(ms) if ms is not None else None}


def _with_utc(outs: dict[str, Any]) -> dict[str, Any]:
    """`outs` with `restored_to_utc`, derived from the recorded `restored_to` by `refresh` and
    `update` for a resource created before that output existed (nothing else is changed)."""
    if "restored_to_utc" in outs:
        return outs
    ms = outs.get("restored_to")
    ms = int(ms) if isinstance(ms, (int, float)) and not isinstance(ms, bool) and ms == int(ms) else None
    return {**outs, "restored_to_utc": _restored_to(ms)["restored_to_utc"]}


def _known_outputs(inputs: MetadataRecoveryInputs) -> dict[str, int | str | None]:
    """The outputs the checked inputs alone tell, returned by `check` so that a preview shows them
    instead of `[unknown]` (the engine calls no `create` at preview and takes `check`'s answer as
    the new state): a restore from a backup, or of the job named by `adopt_job_id`, has no point in
    time (`restored_to` and `restored_to_utc` empty); a restore by a fixed time has that time.
    `"latest"` is resolved at create: unknown until then. `create` sets them again from what it
    did: when it adopts a running restore of the target instead of submitting, they are empty."""
    if inputs.latest:
        return {}
    if inputs.adopt_job_id or inputs.restore_source.backup_id is not None:
        return _restored_to(None)
    return _restored_to(inputs.restore_source.restore_time)


def _verify(client: DdmClient, inputs: Any, job_id: str, restored_to: int | None) -> dict[str, Any]:
    """The outputs of the check after a completed restore (`verification.verify_restore`, input `verify`);
    raises its `VerificationError` (a `RestoreError` naming the job) when the target fails it."""
    if not inputs.verifies:
        return {"schemas": None, "verification": "not checked: verify is false", "target_status": None}
    from .sanitize import mask_held
    from .verification import verify_restore

    verified = verify_restore(client, inputs, job_id, restored_to=restored_to)
    # the line names the target and the source: a secret input's value is masked, as in every line
    return {"schemas": verified.schemas, "verification": mask_held(verified.line), "target_status": "RUNNING"}

