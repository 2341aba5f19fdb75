"""What a source instance can be restored to: its restorable time ranges and metadata backups.

`read_restore_window(client, source_instance_id)` asks DDM (ddm-api.md sections 2.3 and
2.7); `get_restore_window(source_instance_id)` does the same from a Pulumi program, with the
provider's settings (stack config `ddm:*`, then the environment, then clouds.yaml), so that a
stack can pick a time or a backup at preview. `latest_restorable_ms` is what
`source.restore_time = "latest"` resolves to at create.
"""

from __future__ import annotations

from dataclasses import dataclass

from .client import DdmClient
from .errors import DdmError
from .lookup_models import BackupInfo

__all__ = ["RestorableInterval", "RestoreWindow", "get_restore_window", "latest_restorable_ms",
           "read_restore_window"]


@dataclass(frozen=True)
class RestorableInterval:
    """One restorable range of the source, epoch milliseconds (UTC), both ends included."""

    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class RestoreWindow:
    """The restorable ranges (oldest first) and the metadata backups of one source instance."""

    source_instance_id: str
    intervals: tuple[RestorableInterval, ...]
    backups: tuple[BackupInfo, ...]
    """Every backup as listed (`status` `normal` ones can be restored), newest first."""

    @property
    def latest_ms(self) -> int | None:
        """The newest restorable time, epoch ms, or `None` when there is no range."""
        return max((interval.end_ms for interval in self.intervals), default=None)


def read_restore_window(client: DdmClient, source_instance_id: str) -> RestoreWindow:
    """The source's restorable ranges and backups (two read-only calls, sections 2.3 and 2.7).

    Ranges whose times cannot be read are left out. Raises `ApiError`/`TransportError`.
    """
    intervals = []
    for interval in client.restorable_time_intervals(source_instance_id):
        start, end = interval.start_ms, interval.end_ms
        if start is not None and end is not None and start <= end:
            intervals.append(RestorableInterval(start, end))
    backups = sorted(client.list_backups(source_instance_id), key=lambda b: b.created, reverse=True)
    return RestoreWindow(source_instance_id, tuple(sorted(intervals, key=lambda i: i.start_ms)), tuple(backups))


def latest_restorable_ms(client: DdmClient, source_instance_id: str) -> int:
    """The newest restorable time of the source (epoch ms, section 2.3); `DdmError` if none."""
    intervals = client.restorable_time_intervals(source_instance_id)
    ends = [end for end in (interval.end_ms for interval in intervals) if end is not None]
    if not ends:
        raise DdmError(f'source instance {source_instance_id} has no restorable time range, so restore_time '
                       '"latest" cannot be resolved; use a backup_id or check the source\'s backups')
    return max(ends)


def get_restore_window(source_instance_id: str) -> RestoreWindow:
    """`read_restore_window` from a Pulumi program, with the provider's settings (`ddm:*` stack
    config of the current project, the environment, clouds.yaml). Raises `ConfigurationError`
    when no credentials are configured, `ApiError`/`TransportError` when DDM cannot be asked.
    Runs at preview too (it only reads)."""
    import pulumi

    from .run_state import RunState
    from .settings import CONFIG_KEYS

    config = pulumi.Config("ddm")
    state = RunState({key: config.get(key) for key in CONFIG_KEYS})
    with state.client(state.settings()) as client:
        return read_restore_window(client, source_instance_id)
