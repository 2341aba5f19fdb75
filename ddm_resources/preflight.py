"""Preflight: check a metadata recovery against the read-only restore APIs before any POST.

`preflight(client, inputs)` asks the service what only it knows and returns one
`InputProblem` per bad property, with the service's own `unavailable_reason` where it gives
one (docs/ddm-api.md section 2; every list is read to the end by the client):

1. `target.instance_id` is listed by restorable-instances of the source (2.2) with
   `available: true`. "Not found" there (HTTP 404, or `DBS.300350` under any status) means
   `source_instance_id` does not exist.
2. With `restore_time`: it lies inside a restorable-time-interval of the source (2.3; the
   service gives whole seconds, so the end second counts in full; a range with a time that
   cannot be read counts for nothing, and if no readable range holds the time preflight fails
   closed, see below), and related-dn (2.4)
   gives the source's data nodes at that time. With `backup_id`: the backup details (2.7)
   exist under the source instance, the source's backup list (`instance_id` filter) shows it
   `normal`, and the details give the data nodes recorded in it. **Assumption** (the docs do
   not say which time restorable-data-node expects for a backup restore): the backup's
   `created` time, in epoch ms, is passed as its `restore_time` in step 3.
3. Every entry of `target.data_nodes` is offered by restorable-data-node (2.5) for the
   target, for at least one source data node, with `available: true`; not one of the
   source's own nodes; and known to the service at all.

Steps that depend on an earlier failed step are skipped (an unknown source stops all; a
time outside the window skips step 3). For a backup whose `created` time the service
rejects for restorable-data-node (`DBS.300377` or `DBS.300375`, older than the window),
step 3 is skipped.

**A constant number of requests.** Each list is read to at most `LOOKUP_PAGES` pages, and the
offers of at most `SOURCE_NODES_CHECKED` source data nodes are read (fewer when every entry of
`target.data_nodes` is offered sooner): a preflight sends at most 28 requests (7 in the common case) whatever
the service's lists hold. What a cut list cannot show is not judged: a note says what was not
read, and the restore POST is judged by the service itself.

**Cannot tell.** A check that the service answers with another 4xx code (not about
credentials, not throttling) is skipped, and a note names the API and the code: the code
says nothing this preflight can read, so it never holds back a restore that may be valid;
the restore POST is judged by the service itself.

**Failing closed.** If the read-only APIs themselves fail (5xx, 429 after the retries, a
`TransportError`, an unreadable body), `preflight` returns a single problem on the whole
resource (property `""`) saying so, that nothing was restored, and how to skip the checks:
`pulumi config set ddm:preflight false` (or `DDM_PREFLIGHT=false`). Refused credentials are
named as such.

`require_preflight` raises `PreflightError` instead of returning problems, for `create`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from .api_time import format_ms, parse_api_time_ms
from .client import DdmClient
from .errors import (
    ApiError,
    AuthenticationError,
    DdmError,
    NotFoundError,
    OutOfTimeError,
    ThrottledError,
    TransportError,
)
from .http_boundary import API_NOT_PUBLISHED
from .input_model import MetadataRecoveryInputs
from .inputs import InputProblem, limit_problems
from .lookup_models import BackupInfo, RestorableInstance, TargetDataNode
from .sanitize import clause

__all__ = [
    "NOT_FOUND_CODES",
    "OLD_BACKUP_CODES",
    "SKIP_HINT",
    "PreflightError",
    "is_not_found",
    "preflight",
    "preflight_unavailable",
    "require_preflight",
]

NOT_FOUND_CODES = frozenset({"DBS.300350"})
"""DDM codes for "the instance or backup does not exist" (with HTTP 400 or 404)."""
OLD_BACKUP_CODES = frozenset({"DBS.300377", "DBS.300375"})
"""Codes restorable-data-node may give for a backup's `created` time older than the restorable
window (the docs do not say which); the data-node check is then skipped."""
_T = TypeVar("_T")
LOOKUP_PAGES = 4
"""Pages (of `client.PAGE_SIZE` items) read of each list the preflight asks; past them the list counts
as cut (`DdmClient.lists_capped`) and what it does not show is not judged, only noted."""
SOURCE_NODES_CHECKED = 4
"""At most this many source data nodes have their restorable-data-node offers read."""
SKIP_HINT = "`pulumi config set ddm:preflight false` (or the environment variable DDM_PREFLIGHT=false)"
"""How users switch the preflight off, quoted in messages."""

class PreflightError(DdmError):
    """The preflight found problems; `problems` lists them. No restore was sent."""

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems = list(problems)
        lines = "; ".join(p.reason for p in self.problems)
        super().__init__(f"preflight found {len(self.problems)} problem(s), no restore was sent: {lines}")


def preflight(
    client: DdmClient, inputs: MetadataRecoveryInputs, *, note: Callable[[str], None] | None = None
) -> list[InputProblem]:
    """Check `inputs` against the read-only restore APIs; `[]` when all is well.

    Sends only GET requests (docs/ddm-api.md section 2). Raises no `DdmError` but `OutOfTimeError`
    (the client's time limit passed): a failure of those APIs becomes one problem on property `""`
    (see `preflight_unavailable`). A check
    the service answers with a code this preflight does not know is skipped, and `note`
    receives a line naming the code ("cannot tell").
    """
    run = _Preflight(client, inputs)
    try:
        with client.lists_capped(LOOKUP_PAGES, run.cut):
            problems = run.run()
    except OutOfTimeError:
        raise  # the caller's time limit (`DdmClient.limit_time`): the caller words it
    except DdmError as exc:
        problems = [preflight_unavailable(exc)]
    for line in run.notes:
        if note is not None:
            note(line)
    return limit_problems(problems)


def is_not_found(exc: ApiError) -> bool:
    """"Not found" in every documented form: HTTP 404, or `DBS.300350` under any status (the
    docs list it under 400; the emulator answers 404 or 400 by setting)."""
    return isinstance(exc, NotFoundError) or exc.error_code in NOT_FOUND_CODES


def require_preflight(
    client: DdmClient, inputs: MetadataRecoveryInputs, *, note: Callable[[str], None] | None = None
) -> None:
    """Run `preflight`; raise `PreflightError` listing the problems if there are any."""
    problems = preflight(client, inputs, note=note)
    if problems:
        raise PreflightError(problems)


def preflight_unavailable(exc: BaseException) -> InputProblem:
    """The problem reported when the read-only restore APIs could not be asked (fail closed).

    Refused credentials are named as such (switching the preflight off would not help);
    any other failure says how to skip the checks.
    """
    if isinstance(exc, AuthenticationError) or getattr(exc, "error_code", "") == API_NOT_PUBLISHED:
        return InputProblem("", f"preflight could not ask the DDM restore APIs: {exc}. Nothing was restored.")
    if isinstance(exc, OutOfTimeError):
        return InputProblem("", f"preflight did not finish in time: {exc}. Nothing was restored.")
    if isinstance(exc, TransportError) and not exc.transient:  # e.g. a certificate: retrying cannot help
        return InputProblem("", f"preflight could not ask the DDM APIs: {exc}. Nothing was restored.")
    return InputProblem(
        "",
        f"preflight could not check the inputs with the DDM APIs (restorable-instances, "
        f"restorable-time-interval, backups, restorable-data-node, jobs): {exc}. Nothing was restored. "
        f"Retry when the API answers again, or skip these checks with {SKIP_HINT}.",
    )


class _Preflight:
    """One preflight run: the API calls in order, collecting problems."""

    def __init__(self, client: DdmClient, inputs: MetadataRecoveryInputs) -> None:
        self.client = client
        self.inputs = inputs
        self.source_id = inputs.source_instance_id
        self.target_id = inputs.target.instance_id
        self.problems: list[InputProblem] = []
        self.notes: list[str] = []
        self._backups: list[BackupInfo] | None = None
        self.partial: set[str] = set()
        """The lookups whose list was cut at `LOOKUP_PAGES` (the last segment of their path)."""

    def cut(self, path: str, read: int, total: int) -> None:
        """Note a list cut at `LOOKUP_PAGES` (`DdmClient.lists_capped`)."""
        api = path.rstrip("/").rsplit("/", 1)[-1]
        self.partial.add(api)
        self.notes.append(f"preflight read {read} of the {total} items {api} lists (at most {LOOKUP_PAGES} pages); "
                          "what lies beyond is not checked here, the restore is judged by the service")

    def report(self, path: str, reason: str) -> None:
        self.problems.append(InputProblem(path, f"{path}: {reason}"))

    def _ask(self, path: str, api: str, call: Callable[[], _T], *, not_found: bool = False) -> _T | None:
        """`call()`; `None` when the service answers with a code this preflight cannot read (noted).

        With `not_found`, a "not found" answer (`is_not_found`) is raised for the caller to
        report. Outages, throttling and refused credentials are raised (fail closed)."""
        try:
            return call()
        except ApiError as exc:
            if not_found and is_not_found(exc):
                raise
            if self._cannot_tell(path, api, exc):
                return None
            raise

    def _lookup(self, path: str, api: str, call: Callable[[], _T]) -> tuple[_T | None, ApiError | None]:
        """`_ask` for a lookup whose "not found" the caller reports: `(value, None)` (value `None` when the
        service cannot tell), or `(None, the "not found" error)`."""
        try:
            return self._ask(path, api, call, not_found=True), None
        except ApiError as exc:
            if not is_not_found(exc):
                raise
            return None, exc

    def _cannot_tell(self, path: str, api: str, exc: ApiError) -> bool:
        """True (and a note) for a 4xx answer that is not about credentials or throttling: a code
        this preflight does not know. It holds nothing back: the restore itself will be judged
        by the service."""
        if isinstance(exc, (AuthenticationError, ThrottledError)) or not 400 <= exc.status_code < 500:
            return False
        if exc.error_code == API_NOT_PUBLISHED:
            return False
        self.notes.append(f"preflight cannot tell whether {path} is right: {api} answered "
                          f"HTTP {exc.status_code} {exc.error_code or '(no code)'} ({exc.service_message}); "
                          "not checked, the restore is not held back by it")
        return True

    def run(self) -> list[InputProblem]:
        candidates, missing = self._lookup("target.instance_id", "restorable-instances",
                                           lambda: self.client.restorable_instances(self.source_id))
        if missing is not None:
            exc = missing
            self.report("source_instance_id", f"DDM instance {self.source_id} was not found "
                        f"({exc.service_message}); check the ID and that ddm:projectId and ddm:region "
                        "name the project it lives in")
            return self.problems
        target_listed = candidates is None or self._check_target(candidates)
        source = self.inputs.restore_source
        if source.restore_time is not None:
            when, source_nodes = self._check_restore_time(source.restore_time)
            from_backup = False
        else:
            when, source_nodes = self._check_backup(source.backup_id or "")
            from_backup = True
        if target_listed and when is not None and source_nodes:
            self._check_data_nodes(when, source_nodes, from_backup=from_backup)
        return self.problems

    # 1. the target ----------------------------------------------------------------------------

    def _check_target(self, candidates: list[RestorableInstance]) -> bool:
        match = next((c for c in candidates if c.instance_id == self.target_id), None)
        if match is None and "restorable-instances" in self.partial:
            self.notes.append(f"preflight cannot tell whether target.instance_id is right: {self.target_id} is not "
                              "among the restorable-instances read")
            return True
        if match is None:
            usable = [f"{c.instance_name} ({c.instance_id})" for c in candidates if c.available][:5]
            self.report("target.instance_id", f"DDM instance {self.target_id} is not among the instances that can "
                        f"receive the metadata of {self.source_id} (restorable-instances; usable now: "
                        f"{', '.join(usable) or 'none'}). Use the ID of a new, empty DDM instance in the same "
                        "project and region")
            return False
        if not match.available:
            name = f" ({match.instance_name})" if match.instance_name else ""
            reason = match.unavailable_reason or "the service gives no reason"
            self.report("target.instance_id", f"DDM instance {self.target_id}{name} cannot be the restore target: "
                        f"{clause(reason)} (restorable-instances). Restore onto a new DDM instance with no data nodes, "
                        "schemas or accounts, or resolve that first")
        return True

    # 2. the source: a point in time, or a backup -------------------------------------------

    def _check_restore_time(self, when: int) -> tuple[int | None, list[str]]:
        from .restore_window import restorable_interval, untrusted_ranges  # only here: not for a backup

        intervals = self._ask("source.restore_time", "restorable-time-interval",
                              lambda: self.client.restorable_time_intervals(self.source_id))
        if intervals is None:
            return self._source_nodes_at(when)
        windows, unreadable, now_ms = [], 0, self.client.local_now_ms()
        for interval in intervals:
            span = restorable_interval(interval, now_ms)
            if span is None:  # untrusted: it can neither admit `when` nor rule it out
                unreadable += 1
                continue
            if span.start_ms <= when < span.end_ms + 1000:
                break
            windows.append(f"{interval.start_time} to {interval.end_time}")
        else:
            if "restorable-time-interval" in self.partial:
                self.notes.append(f"preflight cannot tell whether source.restore_time is right: no range read holds "
                                  f"{when} ({format_ms(when)})")
                return self._source_nodes_at(when)
            if unreadable:
                raise DdmError(f"source.restore_time {when} ({format_ms(when)}) cannot be checked against the "
                               f"restorable time range of {self.source_id}: "
                               f"{untrusted_ranges(unreadable, len(intervals))}, and no other range holds it; "
                               "restoring from a backup_id avoids this check")
            self.report("source.restore_time", f"{when} ({format_ms(when)}) is outside the restorable time range of "
                        f"{self.source_id}: {'; '.join(windows) or 'the service lists none'} "
                        "(restorable-time-interval, UTC). Pick a time inside it: the time the data nodes were "
                        "restored (PITR) to")
            return None, []
        return self._source_nodes_at(when)

    def _source_nodes_at(self, when: int) -> tuple[int | None, list[str]]:
        related = self._ask("target.data_nodes", "related-dn", lambda: self.client.related_data_nodes(self.source_id,
                                                                                                     when))
        return when, [node.instance_id for node in related or []]

    def _check_backup(self, backup_id: str) -> tuple[int | None, list[str]]:
        detail, missing = self._lookup("source.backup_id", "backup details",
                                       lambda: self.client.get_backup(self.source_id, backup_id))
        if missing is not None:
            exc = missing
            self.report("source.backup_id", f"there is no backup {backup_id} of DDM instance {self.source_id} "
                        f"({exc.service_message}). Copy the ID of a backup of the source instance with status "
                        "normal from its backup list (GET /v3/{project_id}/backups?instance_id=<source>)")
            return None, []
        if detail is None:
            return None, []
        if detail.instance_id and detail.instance_id != self.source_id:
            self._wrong_owner(backup_id, detail.instance_id, detail.instance_name)
            return None, []
        info = self._find_backup(backup_id)
        if info is not None and info.status and info.status.lower() != "normal":
            self.report("source.backup_id", f"backup {backup_id} has status {info.status!r}; only a backup with "
                        f"status 'normal' can be restored. Pick another backup of {self.source_id}")
            return None, []
        when = parse_api_time_ms(info.created) if info is not None and info.created else None
        return when, [node.instance_id for node in detail.related_data_nodes]

    def _wrong_owner(self, backup_id: str, owner_id: str, owner_name: str) -> None:
        name = f" ({owner_name})" if owner_name else ""
        self.report("source.backup_id", f"backup {backup_id} belongs to DDM instance {owner_id}{name}, not to "
                    f"source_instance_id {self.source_id}. Use a backup of the source instance, or set "
                    f"source_instance_id to {owner_id}")

    def _find_backup(self, backup_id: str) -> BackupInfo | None:
        if self._backups is None:
            self._backups = self._ask("source.backup_id", "backup list",
                                      lambda: self.client.list_backups(self.source_id)) or []
        return next((b for b in self._backups if b.id == backup_id), None)

    # 3. the data nodes ----------------------------------------------------------------------

    def _check_data_nodes(self, when: int, source_nodes: list[str], *, from_backup: bool) -> None:
        offers: dict[str, list[TargetDataNode]] = {}
        wanted = set(self.inputs.target.data_nodes)
        checked = source_nodes[:SOURCE_NODES_CHECKED]
        for source_node in checked:
            if wanted <= {node for node, rows in offers.items() if any(row.available for row in rows)}:
                break  # every data node is offered already: no need to read more
            try:
                rows = self.client.restorable_data_nodes(
                    self.source_id, target_instance_id=self.target_id, source_dn_instance_id=source_node,
                    restore_time=when)
            except ApiError as exc:
                if from_backup and exc.error_code in OLD_BACKUP_CODES:
                    return  # the backup is older than the restorable window: nodes cannot be checked
                if self._cannot_tell("target.data_nodes", "restorable-data-node", exc):
                    return
                raise
            for row in rows:
                offers.setdefault(row.instance_id, []).append(row)
        complete = len(checked) == len(source_nodes) and not self.partial & {"related-dn", "restorable-data-node"}
        for index, node in enumerate(self.inputs.target.data_nodes):
            path = f"target.data_nodes[{index}]"
            rows = offers.get(node, [])
            if node in source_nodes:
                self.report(path, f"RDS instance {node} is a data node of the source instance {self.source_id}; "
                            "list the RDS instances restored (PITR) from the source's data nodes instead")
            elif not rows and not complete:
                self.notes.append(f"preflight cannot tell whether {path} is right: {node} is not among the offers read "
                                  f"(restorable-data-node of {len(checked)} of the source's {len(source_nodes)} data "
                                  "nodes)")
            elif not rows:
                self.report(path, f"RDS instance {node} is not offered as a data node for target {self.target_id} "
                            f"at {format_ms(when)} (restorable-data-node). Use an RDS for MySQL instance restored "
                            "(PITR) to that time, in the target's VPC and subnet")
            elif not any(row.available for row in rows):
                name = f" ({rows[0].instance_name})" if rows[0].instance_name else ""
                reason = clause(next((r.unavailable_reason for r in rows if r.unavailable_reason),
                                     "the service gives no reason"))
                self.report(path, f"RDS instance {node}{name} cannot be a data node of {self.target_id}: {reason} "
                            "(restorable-data-node). Use another RDS instance restored (PITR) to the same time, "
                            "or resolve that first")
