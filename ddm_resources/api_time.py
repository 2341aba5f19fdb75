"""Time words: the service's times, epoch milliseconds, durations, and how far clocks may differ.

The service writes UTC times as `2025-05-20T09:40:40+0000` (restore windows, backups, and
per the docs jobs: `+0000`, `+0100`) or `2025-05-20T09:40:40Z` (jobs as emulated); the API
takes epoch milliseconds (docs/ddm-api.md sections 2 and 3). One pydantic `TypeAdapter(datetime)`
parses them all, here. Users write durations the Go/Terraform way (`timeouts.create = "90m"`,
`ddm:pollInterval`): `parse_duration`. Messages say how long something took or how old it is
with `elapsed_text`, `age_text` and `gap_text`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pydantic

from .wording import digits, shown

__all__ = [
    "CLOCK_SKEW",
    "CLOCK_SKEW_MS",
    "DATETIME",
    "EPOCH",
    "age_text",
    "elapsed_text",
    "epoch_seconds",
    "format_ms",
    "format_utc",
    "gap_text",
    "parse_api_time",
    "parse_api_time_ms",
    "parse_duration",
    "to_epoch_ms",
]

CLOCK_SKEW_MS = 5 * 60 * 1000
"""How far apart (milliseconds) the local clock and the service's may be: a `restore_time`
this far ahead is accepted, and job searches reach this far before a submission."""
CLOCK_SKEW = CLOCK_SKEW_MS / 1000
"""`CLOCK_SKEW_MS` in seconds."""
DATETIME: pydantic.TypeAdapter[datetime] = pydantic.TypeAdapter(datetime)
"""The one parser of date-times (ISO 8601 / RFC 3339, with `Z`, `+0000` or `+00:00`)."""
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_api_time(text: str) -> datetime | None:
    """The aware UTC `datetime` of a service time; `None` if empty, unparsable, a date alone,
    or without a UTC offset."""
    text = text.strip()
    if not text or not any(ch in text for ch in "Tt "):
        return None
    try:
        value = DATETIME.validate_python(text)
    except pydantic.ValidationError:
        return None
    if value.tzinfo is None:
        return None
    return value.astimezone(timezone.utc)


def parse_api_time_ms(text: str) -> int | None:
    """Epoch milliseconds of a service time, or `None` as in `parse_api_time`."""
    value = parse_api_time(text)
    return None if value is None else int(value.timestamp() * 1000)


def epoch_seconds(text: str) -> float:
    """Epoch seconds of a service time; 0 (1970) when it cannot be read (`parse_api_time`), so that
    an unreadable time sorts oldest and never counts as recent."""
    moment = parse_api_time(text)
    return moment.timestamp() if moment is not None else 0.0


def format_utc(value: datetime) -> str:
    """`yyyy-mm-ddThh:mm:ssZ` in UTC (the form of the `created_time` / `end_time` outputs)."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_epoch_ms(value: datetime) -> int:
    """Epoch milliseconds (UTC) of an aware `datetime`; sub-millisecond digits are dropped.

    Raises `ValueError` for a naive `datetime` (no `tzinfo`).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value.isoformat()} has no UTC offset")
    return (value - EPOCH) // timedelta(milliseconds=1)


def format_ms(ms: int) -> str:
    """`2024-05-20T04:40:00Z` (or with `.123` milliseconds) for epoch milliseconds; the
    number itself when it is out of `datetime`'s range."""
    try:
        moment = EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        return digits(ms)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{ms % 1000:03d}Z" if ms % 1000 else "Z")


_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(h|ms|m|s)")
"""ASCII digits only: `\\d` (and `float`) would read `١h` as an hour."""
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_LONGEST_DURATION = 32
"""Longer texts are no duration anyone means; refusing them early keeps the parse linear."""


def parse_duration(text: str) -> float:
    """Parse a Go/Terraform duration (`"90s"`, `"60m"`, `"1h30m"`) into seconds.

    Raises `ValueError` for anything else, including zero and negative durations.
    """
    text = text.strip()
    parts = _DURATION_PART.findall(text) if len(text) <= _LONGEST_DURATION else []
    if not parts or "".join(n + u for n, u in parts) != text:
        digits_hint = " with the digits 0-9" if not text.isascii() and any(c.isdigit() for c in text) else ""
        raise ValueError(f'{shown(text)} is not a duration; write it{digits_hint} like "60m", "1h30m" or "90s"')
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"{shown(text)} must be longer than zero")
    return seconds


def elapsed_text(seconds: float) -> str:
    """How long something took, to the second: `7s`, `1m05s`, `2h03m07s`."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def age_text(seconds: float) -> str:
    """How old something is, coarser as it grows: `7s`, `5m03s`, `1h02m`, and `24h` for whole hours
    from a day on (the form `ddm:adoptWindow` is written in)."""
    seconds = max(0, int(seconds))
    if seconds >= 86400 and seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else (f"{minutes}m{secs:02d}s" if minutes else f"{secs}s")


def gap_text(seconds: float) -> str:
    """A difference between two clocks or times: in whole minutes up to two days (`16 min`), else
    in whole days (`26321 days`)."""
    return f"{round(seconds / 60)} min" if seconds < 2 * 86400 else f"{round(seconds / 86400)} days"
