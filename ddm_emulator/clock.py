"""
Emulated time for the DDM emulator, and the API's time formats.

The backend never reads the wall clock directly. It reads a `ScaledClock`, which
turns a source clock (by default `time.time`) into emulated time: emulated
seconds pass `scale` times faster than source seconds, and `advance()` jumps
ahead. Tests inject a `ManualClock` as the source to move jobs forward without
sleeping; scripts in other processes raise the scale instead.

The DDM API uses these string formats for instants: job times as the docs show
them (`2025-05-20T09:40:40+0000`, also seen with `+0100`; `...Z` as a setting),
backup and restore-window times (`2025-05-20T09:40:40+0000`) and IAM token
times (`2025-05-20T09:40:40.123000Z`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

__all__ = [
    "Clock",
    "ManualClock",
    "ScaledClock",
    "format_iam_time",
    "format_job_time",
    "format_offset_time",
    "to_millis",
]

Clock = Callable[[], float]
"""A source of time: returns seconds since the epoch as a float."""


class ManualClock:
    """
    A clock for tests that only moves when told to.

    Usage: `clock = ManualClock(); backend = DdmBackend(clock=clock); clock.advance(5)`.
    """

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward by `seconds` and return the new time."""
        if seconds < 0:
            raise ValueError("a ManualClock cannot go backwards")
        with self._lock:
            self._now += seconds
            return self._now


class ScaledClock:
    """
    Emulated time derived from a source clock.

    Emulated time starts equal to the source time. From then on it moves `scale`
    emulated seconds per source second. Changing the scale never makes emulated
    time jump; `advance()` does, forwards only.
    """

    def __init__(self, source: Clock = time.time, scale: float = 1.0) -> None:
        self._validate_scale(scale)
        self._source = source
        self._scale = float(scale)
        self._lock = threading.Lock()
        self._source_anchor = source()
        self._emulated_anchor = self._source_anchor

    @staticmethod
    def _validate_scale(scale: float) -> None:
        if not scale > 0:
            raise ValueError("clock_scale must be a positive number")

    @property
    def scale(self) -> float:
        """Emulated seconds per source second."""
        return self._scale

    def now(self) -> float:
        """Return the current emulated time in epoch seconds."""
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> float:
        elapsed = self._source() - self._source_anchor
        return self._emulated_anchor + elapsed * self._scale

    def set_scale(self, scale: float) -> None:
        """Change the speed from now on, keeping the current emulated time."""
        self._validate_scale(scale)
        with self._lock:
            current = self._now_locked()
            self._source_anchor = self._source()
            self._emulated_anchor = current
            self._scale = float(scale)

    def advance(self, seconds: float) -> float:
        """Jump emulated time forward by `seconds` and return the new time."""
        if seconds < 0:
            raise ValueError("emulated time cannot go backwards")
        with self._lock:
            self._emulated_anchor += seconds
            return self._now_locked()


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def format_job_time(ts: float, style: str = "+0000") -> str:
    """Format like the jobs API: `yyyy-mm-ddThh:mm:ss+0000` (documented), `...+0100` (CET) or `...Z`."""
    if style == "Z":
        return _utc(ts).strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "+0100":
        return datetime.fromtimestamp(ts, tz=timezone(timedelta(hours=1))).strftime("%Y-%m-%dT%H:%M:%S+0100")
    return format_offset_time(ts)


def format_offset_time(ts: float) -> str:
    """Format like the backup and restore-window APIs: `yyyy-mm-ddThh:mm:ss+0000`."""
    return _utc(ts).strftime("%Y-%m-%dT%H:%M:%S+0000")


def format_iam_time(ts: float) -> str:
    """Format like IAM token times: `yyyy-mm-ddThh:mm:ss.ffffffZ`."""
    return _utc(ts).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_millis(ts: float) -> int:
    """Convert epoch seconds to integer epoch milliseconds (truncated, like `int(t * 1000)`)."""
    return int(ts * 1000)
