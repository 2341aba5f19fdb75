"""The RPO guard: input `max_restore_age` refuses at `pulumi preview` a restore point older than that.

The restore point is `source.restore_time` (no request), the backup's time (the backup list's
`created`, docs/ddm-api.md section 9.4: the backup details have no time), or for `"latest"` the
newest restorable time (section 2.3). Its age is taken against this machine's clock (the same
clock that judges `restore_time` "in the future"). A point whose time cannot be read fails
closed: the guard is a promise, so it is never skipped silently. `check` asks it before the
decision and the preflight; it sends GET requests only, and nothing at all for a time.
"""

from __future__ import annotations

from collections.abc import Callable

from .api_time import age_text, format_ms, parse_api_time_ms
from .client import DdmClient
from .errors import ConfigurationError, DdmError, NoCredentialsError
from .input_model import MetadataRecoveryInputs
from .inputs import InputProblem
from .run_state import RunState

__all__ = ["restore_age_problems", "restore_point"]

FIELD = "max_restore_age"


def restore_point(client: DdmClient | None, inputs: MetadataRecoveryInputs) -> tuple[int, str]:
    """The restore point of `inputs`, epoch ms, and how to name it (`backup X of <time>`).

    `client` may be `None` for a restore by time. Raises `DdmError` when the time cannot be read
    (no client, the backup not in the source's backup list, or no restorable time)."""
    source = inputs.source_instance_id
    if not inputs.latest and inputs.restore_source.restore_time is not None:
        ms = inputs.restore_source.restore_time
        return ms, f"restore_time {format_ms(ms)}"
    if client is None:
        raise DdmError("the restore point's time needs the DDM API, and the provider settings do not resolve")
    if inputs.latest:
        from .restore_window import latest_restorable_ms

        ms = latest_restorable_ms(client, source)
        return ms, f'restore_time "latest" ({format_ms(ms)}, the newest restorable time)'
    backup_id = inputs.restore_source.backup_id
    found = [b for b in client.list_backups(source) if b.id == backup_id]
    ms_or_none = parse_api_time_ms(found[0].created) if found else None
    if ms_or_none is None:
        raise DdmError(f"backup {backup_id} is not in the backup list of source {source}"
                       if not found else f"backup {backup_id} has no readable time (created) in the backup list")
    return ms_or_none, f"backup {backup_id} of {format_ms(ms_or_none)}"


def restore_age_problems(state: RunState, inputs: MetadataRecoveryInputs, *, clock: Callable[[], float],
                         say: Callable[[str], None]) -> list[InputProblem]:
    """`[]` when `max_restore_age` is unset or the restore point is young enough; else the one problem.

    A preview without credentials cannot read a backup's or the newest time: it says so in a line
    and returns `[]` (`pulumi up` checks it, since `check` runs again there with the settings).
    """
    limit = inputs.max_restore_age_seconds
    if limit is None:
        return []
    client_needed = inputs.latest or inputs.restore_source.backup_id is not None
    try:
        if not client_needed:
            point, named = restore_point(None, inputs)
        else:
            try:
                settings = state.settings()
            except NoCredentialsError as exc:
                say(f"max_restore_age not checked at this preview: {exc}")
                return []
            except ConfigurationError as exc:
                return [InputProblem("", f"DDM provider settings: {exc}")]
            with state.client(settings, on_retry=lambda exc, wait: say(f"{exc}; retrying in {wait:.1f}s")) as client:
                point, named = restore_point(client, inputs)
    except DdmError as exc:
        return [InputProblem(FIELD, f"max_restore_age: the age of the restore point cannot be told ({exc}); "
                                    "nothing was submitted. Check the source in the DDM console, or unset "
                                    "max_restore_age")]
    age = clock() - point / 1000
    if age <= limit:
        return []
    return [InputProblem(FIELD, f"max_restore_age: the restore point, {named}, is {age_text(age)} old, older than "
                                f"max_restore_age {inputs.max_restore_age} ({age_text(limit)}); nothing was "
                                "submitted. Restore from a newer backup or time, or raise max_restore_age")]
