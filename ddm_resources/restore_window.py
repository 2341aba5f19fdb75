"""What a source instance can be restored to: its restorable time ranges and metadata backups.

`read_restore_window(client, source_instance_id)` asks DDM (docs/ddm-api.md sections 2.3 and
2.7); `get_restore_window(source_instance_id)` does the same from a Pulumi program, with the
provider's settings (stack config `ddm:*`, then the environment, then clouds.yaml), so that a
stack can pick a time or a backup at preview. `latest_restorable_ms` is what
`source.restore_time = "latest"` resolves to at create.
"""

from __future__ import annotations

from dataclasses import dataclass

from .api_time import CLOCK_SKEW_MS
from .client import DdmClient
from .errors import ConfigurationError, DdmError
from .ids import id_problem
from .lookup_models import BackupInfo, TimeInterval

__all__ = ["RestorableInterval", "RestoreWindow", "check_source_instance_id", "get_restore_window",
           "latest_restorable_ms", "read_restore_window", "restorable_interval", "untrusted_ranges"]


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
    """The ranges read whole, oldest first."""
    backups: tuple[BackupInfo, ...]
    """Every backup as listed (`status` `normal` ones can be restored), newest first."""
    unreadable_ends: tuple[int | None, ...] = ()
    """The ranges the service listed that cannot be read whole or trusted (`restorable_interval`),
    left out of `intervals`: their ends in epoch ms, `None` where the end itself cannot be read."""

    @property
    def latest_ms(self) -> int | None:
        """The newest restorable time, epoch ms: the latest end of a range read whole.

        `None` when there is no range, or when a range that cannot be read whole ends later or at
        an unreadable time: the newest time is then not known, and the end of a range whose start
        is garbage is no time to restore to (`latest_restorable_ms` says so in its error).
        """
        return _newest(self.intervals, self.unreadable_ends)


def _newest(intervals: tuple[RestorableInterval, ...], unreadable_ends: tuple[int | None, ...]) -> int | None:
    """The one reader of the newest restorable time (see `RestoreWindow.latest_ms`)."""
    newest = max((interval.end_ms for interval in intervals), default=None)
    if newest is None or any(end is None or end > newest for end in unreadable_ends):
        return None
    return newest


def _read_intervals(
    client: DdmClient, source_instance_id: str
) -> tuple[tuple[RestorableInterval, ...], tuple[int | None, ...]]:
    """The ranges read whole (oldest first) and the ends of those that cannot be (section 2.3)."""
    readable, unreadable = [], []
    intervals = client.restorable_time_intervals(source_instance_id)
    now_ms = client.local_now_ms()
    for interval in intervals:
        span = restorable_interval(interval, now_ms)
        if span is not None:
            readable.append(span)
        else:
            unreadable.append(interval.end_ms)
    return tuple(sorted(readable, key=lambda i: i.start_ms)), tuple(unreadable)


def restorable_interval(interval: TimeInterval, now_ms: int) -> RestorableInterval | None:
    """One range of restorable-time-interval (section 2.3) read whole, or `None` when it cannot be
    trusted: a time in it cannot be read, it starts after it ends, or it ends more than
    `CLOCK_SKEW_MS` (5 minutes) after `now_ms` (epoch ms, this machine's clock; no restore can go
    to a time that has not come). No end of such a range is a time to restore to."""
    start, end = interval.start_ms, interval.end_ms
    if start is None or end is None or start > end or end > now_ms + CLOCK_SKEW_MS:
        return None
    return RestorableInterval(start, end)


def untrusted_ranges(untrusted: int, total: int) -> str:
    """`"1 of its 2 restorable time ranges (restorable-time-interval) has"` ... `have`: the
    subject of the sentences that report ranges `restorable_interval` refused."""
    return (f"{untrusted} of its {total} restorable time ranges (restorable-time-interval) "
            f"{'has' if untrusted == 1 else 'have'} a time this tool cannot read or trust (unreadable, a start "
            "after the end, or an end more than 5 minutes ahead of this machine's clock)")


def read_restore_window(client: DdmClient, source_instance_id: str) -> RestoreWindow:
    """The source's restorable ranges and backups (two read-only calls, sections 2.3 and 2.7).

    Ranges that cannot be read whole are left out of `intervals` (see `unreadable_ends`).
    Raises `ConfigurationError` for a `source_instance_id` that is not a DDM instance ID (the ID
    rule of the resource's inputs, `ids.id_problem`; nothing is sent), `ApiError`/`TransportError`.
    """
    check_source_instance_id(source_instance_id, "read_restore_window")
    intervals, unreadable = _read_intervals(client, source_instance_id)
    backups = sorted(client.list_backups(source_instance_id), key=lambda b: b.created, reverse=True)
    return RestoreWindow(source_instance_id, intervals, tuple(backups), unreadable)


def check_source_instance_id(value: object, helper: str) -> None:
    """`ConfigurationError` unless `value` follows the ID rule of a DDM instance (`ids.id_problem`),
    e.g. `get_restore_window: source_instance_id '../x' does not look like the ID of a DDM instance: ...`."""
    problem = id_problem(value, "DDM instance")
    if problem is not None:
        raise ConfigurationError(f"{helper}: source_instance_id {problem}")


def latest_restorable_ms(client: DdmClient, source_instance_id: str) -> int:
    """The newest restorable time of the source (epoch ms, section 2.3): `RestoreWindow.latest_ms`
    without the backup list. Raises `DdmError` when it is not known (no range, or a range that
    cannot be read whole could hold a newer time), `ConfigurationError` for a `source_instance_id`
    that is not a DDM instance ID (nothing is sent), `ApiError`/`TransportError` when DDM cannot be
    asked."""
    check_source_instance_id(source_instance_id, "latest_restorable_ms")
    intervals, unreadable = _read_intervals(client, source_instance_id)
    latest = _newest(intervals, unreadable)
    if latest is not None:
        return latest
    if not unreadable:
        raise DdmError(f'source instance {source_instance_id} has no restorable time range, so restore_time '
                       '"latest" cannot be resolved; use a backup_id or check the source\'s backups')
    raise DdmError(f'restore_time "latest" cannot be resolved for source instance {source_instance_id}: '
                   f"{untrusted_ranges(len(unreadable), len(unreadable) + len(intervals))}, and such a range may "
                   "hold the newest time; set source.restore_time to the time the data nodes were restored to "
                   "(epoch ms, UTC), or use a backup_id")


def get_restore_window(source_instance_id: str) -> RestoreWindow:
    """`read_restore_window` from a Pulumi program, with the provider's settings (`ddm:*` stack
    config of the current project, the OTC provider's `opentelekomcloud:*` keys, the environment,
    clouds.yaml). Raises `ConfigurationError`
    for a `source_instance_id` that is not a DDM instance ID (before reading any setting) or when
    no credentials are configured, `ApiError`/`TransportError` when DDM cannot be asked.
    Runs at preview too (it only reads)."""
    check_source_instance_id(source_instance_id, "get_restore_window")
    import pulumi

    from .run_state import RunState
    from .settings import provider_config

    def config_get(full_key: str) -> object:  # `ddm:projectId` -> pulumi.Config("ddm").get("projectId")
        namespace, key = full_key.split(":", 1)
        return pulumi.Config(namespace).get(key)

    state = RunState(provider_config(config_get))
    with state.client(state.settings()) as client:
        return read_restore_window(client, source_instance_id)
