"""`MetadataRecovery` served as the resource `ddm:index:MetadataRecovery` of a provider plugin.

`pulumi-resource-ddm` (a `[project.scripts]` entry: installing the package puts it on `PATH`)
runs `plugin_server.main`: the Pulumi Python SDK's experimental provider server (`grpc.aio`) around
`DdmProvider`, so programs in every Pulumi language (YAML, TypeScript, Go, C#, Python) can
restore. The plugin is a thin adapter over the same core as the dynamic resource:

* `check`, `diff`, `read` (refresh), `update` (in place) and `delete` translate the schema's
  camelCase properties (`plugin_wire`) to the fields' names and call the very methods of
  `provider.MetadataRecoveryProvider` (which call `inputs`, `decision`, `preview`, `run_state`);
* `create` runs `restore.Restore` (decision, preflight, POST, waiter) itself, because only a
  plugin can save the job before the wait ends: when a create accepted by DDM times out
  (`timeouts.create` or the engine's `customTimeouts.create`, whichever is shorter), is
  cancelled (`Cancel`: Ctrl-C) or its wait fails to read, the resource is returned with its
  `jobId` as partial state (the gRPC error detail `ErrorResourceInitFailed`). The engine records
  it with an init error, and the next `up` calls `update`, which waits on exactly that job again
  (`adopt_job_id` set to it: read, checked, waited on; never a POST, whatever the job list says);
* `read` of an empty state is `pulumi import ddm:index:MetadataRecovery NAME JOB_ID`: the job is
  read and refused unless it is a completed restore of a target instance;
* every line goes to the engine's `Log` with the request's URN: progress lines are ephemeral (the
  resource's row shows the newest, replacing the last; they are not repeated under "Diagnostics"),
  other lines are plain info on that row. `wording.say` reaches the same log through
  `wording.LINE_SINK`, which each request sets.

Every call runs in a thread of one wide pool (blocking HTTP and the waiter's sleeps stay off the
event loop), so every restore of an `up` runs at once, up to the engine's `--parallel`.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeVar

from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    InvokeRequest,
    InvokeResponse,
    PropertyDiff,
    PropertyDiffKind,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)

from .engine_log import EngineLog
from .errors import DdmError, JobFailedError, RestoreError
from .fields import FORCE_NEW_INPUTS, UPDATABLE_INPUTS
from .plugin_schema import FUNCTION_TOKEN, RESOURCE_TOKEN, camel, schema_json
from .plugin_wire import from_wire, to_wire, wire_path, wire_value
from .provider import SECRET_INPUTS_KEY, MetadataRecoveryProvider
from .refresh import job_outputs
from .wording import LINE_SINK

if TYPE_CHECKING:
    import httpx

    from .waiter import Progress

__all__ = ["PROVIDER_WORKERS", "DdmProvider", "PartialState"]

PROVIDER_WORKERS = 256
"""Threads of the pool every call runs in: restores waiting at once in one `up`."""

_T = TypeVar("_T")


class PartialState(Exception):
    """A create (or a resumed wait) that DDM accepted but that did not end with the job completed:
    `properties` (with `jobId`) are saved under `resource_id` with `reason` as the init error."""

    def __init__(self, resource_id: str, properties: dict[str, PropertyValue], inputs: dict[str, PropertyValue],
                 reason: str) -> None:
        super().__init__(reason)
        self.resource_id = resource_id
        self.properties = properties
        self.inputs = inputs
        self.reason = reason


class _Interrupted(Exception):
    """The engine asked the plugin to stop (`Cancel`) while a restore waited."""


# the provider -------------------------------------------------------------------------------

class DdmProvider(Provider):
    """The `ddm` package's provider: `ddm:index:MetadataRecovery` and `ddm:index:getRestoreWindow`."""

    def __init__(self, *, engine_address: str | None = None, transport: httpx.BaseTransport | None = None) -> None:
        self.log = EngineLog(engine_address)
        self.dynamic = MetadataRecoveryProvider()
        """The dynamic provider whose methods (and `RunState`) this plugin shares."""
        if transport is not None:
            self.dynamic.transport = transport
        self._pool = ThreadPoolExecutor(max_workers=PROVIDER_WORKERS, thread_name_prefix="ddm")
        self._cancelled = threading.Event()

    # plumbing: each call in a thread of the pool, its lines on its resource's row --------------

    async def _run(self, urn: str, fn: Callable[..., _T], *args: Any) -> _T:
        def call() -> _T:
            LINE_SINK.set(lambda message: self.log.line(urn, message))
            try:
                return fn(*args)
            finally:
                self.log.flush()

        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._pool, context.run, call)

    def _sleep(self, seconds: float) -> None:
        if self._cancelled.wait(max(seconds, 0.0)):
            raise _Interrupted("the update was cancelled")

    async def cancel(self) -> None:
        """Stop every wait of this process: each saves its job as partial state (nothing on DDM stops)."""
        self._cancelled.set()

    # schema, config -----------------------------------------------------------------------------

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(schema=schema_json())

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        """The settings from the `ddm:*` stack config (`variables` as `ddm:config:key`, `args`
        by key), then the environment and clouds.yaml, as the dynamic resource reads them."""
        values: dict[str, Any] = {}
        for key, value in request.variables.items():
            namespace, _, rest = key.partition(":")
            values[f"{namespace}:{rest.removeprefix('config:')}"] = value
        for key, prop in request.args.items():
            arg = prop.value
            if isinstance(arg, str) and not key.startswith("__"):
                values.setdefault(f"ddm:{key}", arg)
        config = SimpleNamespace(get=values.get, _props=values)
        await self._run("", self.dynamic.configure, SimpleNamespace(config=config))
        return ConfigureResponse(accept_secrets=True, supports_preview=False, accept_resources=False,
                                 accept_outputs=False)

    # check / diff -------------------------------------------------------------------------------

    async def check(self, request: CheckRequest) -> CheckResponse:
        self._token(request.type)
        olds = from_wire(request.old_inputs, request.name) if request.old_inputs else {}
        news = from_wire(request.new_inputs, request.name)
        olds = _imported_filled(olds, news) if olds else olds
        result = await self._run(request.urn, self.dynamic.check, olds, news)
        failures = [CheckFailure(wire_path(f.property), f.reason) for f in result.failures or []]
        if failures:
            return CheckResponse(inputs=request.new_inputs, failures=failures)
        return CheckResponse(inputs=to_wire(dict(result.inputs or {}), inputs_only=True), failures=[])

    async def diff(self, request: DiffRequest) -> DiffResponse:
        olds = from_wire(request.old_state, request.name)
        news = from_wire(request.new_inputs, request.name)
        olds = _imported_filled(olds, news)
        result = await self._run(request.urn, self.dynamic.diff, request.resource_id, olds, news)
        from .inputs import canonical, contains_unknown

        replaces = list(result.replaces or [])
        updates = [k for k in UPDATABLE_INPUTS
                   if contains_unknown(news.get(k)) or canonical(k, olds.get(k)) != canonical(k, news.get(k))]
        detailed = {camel(k): PropertyDiff(PropertyDiffKind.UPDATE_REPLACE, True) for k in replaces}
        detailed.update({camel(k): PropertyDiff(PropertyDiffKind.UPDATE, True) for k in updates if k not in replaces})
        return DiffResponse(changes=bool(result.changes), replaces=[camel(k) for k in replaces],
                            delete_before_replace=False, detailed_diff=detailed)

    # create / update / read / delete ----------------------------------------------------------

    async def create(self, request: CreateRequest) -> CreateResponse:
        props = from_wire(request.properties, request.name)
        outputs = await self._run(request.urn, self._restore, request.urn, props, float(request.timeout or 0), None)
        return CreateResponse(resource_id=outputs["job_id"], properties=to_wire(outputs))

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        """A create saved as partial state (its status not `Completed`): wait on its job again.
        Otherwise record the new in-place inputs (`timeouts`, `adopt_job_id`), no API call."""
        olds = from_wire(request.olds, request.name)
        news = from_wire(request.news, request.name)
        job_id = olds.get("job_id") or request.resource_id
        if olds.get("status") != "Completed" and isinstance(job_id, str) and job_id:
            outputs = await self._run(request.urn, self._restore, request.urn, news, float(request.timeout or 0),
                                      (job_id, olds))
            return UpdateResponse(properties=to_wire(outputs))
        result = await self._run(request.urn, self.dynamic.update, request.resource_id, olds, news)
        return UpdateResponse(properties=to_wire(dict(result.outs or {})))

    async def read(self, request: ReadRequest) -> ReadResponse:
        """Refresh (`provider.read`), or `pulumi import` when there is no state: the job, refused
        unless it is a completed restore of a target instance."""
        if not request.properties:
            outputs = await self._run(request.urn, self._import, request.resource_id, request.name)
            return ReadResponse(resource_id=request.resource_id, properties=to_wire(outputs),
                                inputs=to_wire(outputs, inputs_only=True))
        props = from_wire(request.properties, request.name)
        if props.get("status") != "Completed" and props.get("job_id"):  # a saved job: see `_read_saved`
            outputs = await self._run(request.urn, self._read_saved, props)
            return ReadResponse(resource_id=request.resource_id, properties=to_wire(outputs),
                                inputs=request.inputs or to_wire(outputs, inputs_only=True))
        result = await self._run(request.urn, self.dynamic.read, request.resource_id, props)
        outputs = dict(result.outs or {})
        return ReadResponse(resource_id=result.id or request.resource_id, properties=to_wire(outputs),
                            inputs=to_wire(outputs, inputs_only=True) if not request.inputs else request.inputs)

    async def delete(self, request: DeleteRequest) -> None:
        await self._run(request.urn, self.dynamic.delete, request.resource_id,
                        from_wire(request.properties, request.name))

    # getRestoreWindow ---------------------------------------------------------------------------

    async def invoke(self, request: InvokeRequest) -> InvokeResponse:
        if request.tok != FUNCTION_TOKEN:
            raise DdmError(f"the ddm provider has no function {request.tok}; it has {FUNCTION_TOKEN}")
        source = request.args.get("sourceInstanceId")
        value: Any = source.value if source is not None else None
        window = await self._run("", self._window, value)
        return InvokeResponse(return_value={k: wire_value(v) for k, v in window.items() if v is not None})

    def _window(self, source_instance_id: Any) -> dict[str, Any]:
        from .restore_window import check_source_instance_id, read_restore_window

        check_source_instance_id(source_instance_id, "getRestoreWindow")
        state = self.dynamic.state
        with state.client(state.settings()) as client:
            window = read_restore_window(client, source_instance_id)
        return {
            "sourceInstanceId": window.source_instance_id,
            "intervals": [{"startMs": i.start_ms, "endMs": i.end_ms} for i in window.intervals],
            "backups": [{"id": b.id, "name": b.name, "status": b.status, "created": b.created,
                         "backupType": b.backup_type} for b in window.backups],
            "latestMs": window.latest_ms,
        }

    # the restore, in a worker thread -------------------------------------------------------------

    def _restore(self, urn: str, props: dict[str, Any], engine_timeout: float,
                 resume: tuple[str, dict[str, Any]] | None) -> dict[str, Any]:
        """Run the restore of `props` (or, with `resume` = (job ID, old outputs), wait on that job
        again); the outputs, or `PartialState` once a job of this restore exists and the wait did
        not see it complete, or `RestoreError`."""
        from .input_model import MetadataRecoveryInputs, Timeouts
        from .outputs import restored_to_outputs
        from .provider import _user_props
        from .restore import Restore
        from .verification import verified_outputs
        from .waiter import PollSchedule

        inputs = MetadataRecoveryInputs.model_validate(_user_props(props))
        name = inputs.display_name
        run_inputs = inputs
        if resume is not None:
            run_inputs = run_inputs.model_copy(update={"adopt_job_id": resume[0]})
        if 0 < engine_timeout < run_inputs.create_timeout:
            run_inputs = run_inputs.model_copy(update={"timeouts": Timeouts(create=f"{max(int(engine_timeout), 1)}s")})
        state = self.dynamic.state
        settings = state.settings()

        def say(line: str) -> None:
            if resume is not None and line.startswith(f"adopting job {resume[0]} "):
                line = (f"continuing to wait on job {resume[0]}, saved by the create that did not see it finish; "
                        "nothing is submitted")
            self.log.line(urn, f"{name}: {line}")

        def progress(report: Progress) -> None:
            self.log.line(urn, report.describe(), ephemeral=True)

        retry = lambda exc, wait: self.log.line(urn, f"{name}: {exc}; retrying in {wait:.1f}s")  # noqa: E731
        with state.client(settings, on_retry=retry) as client:
            restore = Restore(client, run_inputs, say=say, progress=progress,
                              schedule=PollSchedule(max_interval=settings.poll_interval),
                              preflight=settings.preflight, ledger=state, adopt_window=settings.adopt_window,
                              spent_before=state.preflight_took(run_inputs.model_dump_json()), sleep=self._sleep)
            try:
                job = restore.run()
            except (RestoreError, _Interrupted) as exc:
                raise self._partial(restore, inputs, props, resume, exc) from None
            restored_to = restore.restored_to if resume is None else resume[1].get("restored_to")
            checked = verified_outputs(client, inputs, job.id, restored_to)  # as the dynamic resource checks it
        self.log.line(urn, f"{name}: verification: {checked['verification']}")
        return {**inputs.to_props(), **job_outputs(job), **restored_to_outputs(restored_to), **checked,
                **_secrets(props)}

    def _partial(self, restore: Any, inputs: Any, props: dict[str, Any], resume: tuple[str, dict[str, Any]] | None,
                 exc: Exception) -> Exception:
        """`PartialState` for a restore whose job exists and did not fail; else `exc` as it is."""
        job_id = restore.job_id
        if resume is not None and isinstance(restore.wait_error, JobFailedError):
            return RestoreError(f"{exc} The stack state still holds job {job_id}, saved when its create did not see "
                                "it finish: to start a new restore, run `pulumi state delete` on this resource's URN "
                                "(or `pulumi up --replace` it onto a new, empty target instance).",
                                target_instance_id=restore.target, job_id=job_id)
        if job_id is None or isinstance(restore.wait_error, JobFailedError):
            return exc
        why = "the update was cancelled" if isinstance(exc, _Interrupted) else str(restore.wait_error or exc)
        reason = (f"{inputs.resource_name}: the metadata recovery onto target instance {restore.target} is not "
                  f"finished: {why}. Its job {job_id} is saved in the stack state: the next `pulumi up` continues "
                  "waiting on that job (nothing is submitted again).")
        from .outputs import restored_to_outputs
        from .sanitize import mask_held

        restored_to = restore.restored_to if resume is None else resume[1].get("restored_to")
        status = getattr(restore.wait_error, "last_status", None) or ""
        outputs = {**inputs.to_props(), "job_id": job_id, "status": status, **restored_to_outputs(restored_to),
                   **_secrets(props)}
        return PartialState(job_id, to_wire(outputs), to_wire(outputs, inputs_only=True), mask_held(reason))

    def _read_saved(self, props: dict[str, Any]) -> dict[str, Any]:
        """Refresh of a resource saved as partial state (its job not seen `Completed`): the outputs of
        its job once `Completed` (the engine then clears the init error); otherwise `PartialState`
        again, so the init error stays and the next `up` still waits on that job. Nothing else is
        read or changed; an answer that cannot be this job's (`job_identity`) is an error."""
        from .job_identity import contradiction
        from .job_status import job_outcome
        from .provider import _user_props

        outs = _user_props(props)
        job_id, name = str(outs["job_id"]), outs.get("resource_name") or "metadata recovery"
        target = outs.get("target", {}).get("instance_id") if isinstance(outs.get("target"), dict) else None
        state = self.dynamic.state
        with state.client(state.settings()) as client:
            job = client.get_job(job_id)
        instances = tuple(i for i in (target, outs.get("source_instance_id")) if isinstance(i, str) and i)
        problem = contradiction(job, instances=instances, now=self.dynamic.clock())
        if problem is not None:
            raise DdmError(f"{name}: refresh got an answer about saved restore job {job_id} that cannot be this "
                           f"restore's: {problem}; the state is kept as it was")
        fresh = {**outs, **job_outputs(job), **_secrets(props)}
        fresh.pop("resource_name", None)
        if job_outcome(job.status) == "completed":
            return fresh
        reason = (f"{name}: the metadata recovery onto target instance {target} is not finished: its job {job_id} is "
                  f"{job.status or 'without a status'}. The job is saved in the stack state: the next `pulumi up` "
                  "continues waiting on it (nothing is submitted again).")
        raise PartialState(job_id, to_wire(fresh), to_wire(fresh, inputs_only=True), reason)

    def _import(self, job_id: str, name: str) -> dict[str, Any]:
        """`pulumi import`: the outputs (and the inputs the job tells: the target) of job `job_id`."""
        from .errors import NotFoundError
        from .job_identity import contradiction
        from .job_status import is_restore_job_name, job_outcome

        state = self.dynamic.state
        with state.client(state.settings()) as client:
            try:
                job = client.get_job(job_id)
            except NotFoundError:
                raise DdmError(f"{name}: cannot import job {job_id}: DDM does not know it; give the ID of a "
                               "completed metadata recovery job (DDM console, Task Center)") from None
        target = job.instance.id if job.instance is not None else ""
        if not is_restore_job_name(job.name) or not target:
            raise DdmError(f"{name}: cannot import job {job_id}: it is not a metadata recovery of a target instance "
                           f"(name {job.name or 'not given'}, instance {target or 'not given'})")
        if job_outcome(job.status) != "completed":
            raise DdmError(f"{name}: cannot import job {job_id}: it is {job.status or 'without a status'}, not "
                           "Completed; import it once it has completed, or set adoptJobId to wait on it")
        problem = contradiction(job, instances=(target,), now=self.dynamic.clock())
        if problem is not None:
            raise DdmError(f"{name}: cannot import job {job_id}: {problem}")
        return {"target": {"instance_id": target}, **job_outputs(job)}

    @staticmethod
    def _token(token: str) -> None:
        if token != RESOURCE_TOKEN:
            raise DdmError(f"the ddm provider has no resource {token}; it has {RESOURCE_TOKEN}")


def _secrets(props: Mapping[str, Any]) -> dict[str, Any]:
    paths = props.get(SECRET_INPUTS_KEY)
    return {SECRET_INPUTS_KEY: paths} if isinstance(paths, list) and paths else {}


def _imported_filled(olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
    """The old inputs or outputs of an imported resource (a target but no `source_instance_id`: the
    job does not tell the source or the data nodes) with what the job did not tell taken from the
    new inputs, so that `check` and `diff` compare only what the import knows (the target)."""
    target = olds.get("target")
    if "source_instance_id" in olds or not (isinstance(target, dict) and target.get("instance_id")):
        return olds
    filled = dict(olds)
    for key in FORCE_NEW_INPUTS:
        old, new = filled.get(key), news.get(key)
        if old is None:
            filled[key] = new
        elif isinstance(old, dict) and isinstance(new, dict):
            filled[key] = {**new, **old}
    return filled
