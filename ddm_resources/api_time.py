"""Times as the DDM API writes them, and how far our clock may be from the service's.

The service writes UTC times as `2025-05-20T09:40:40+0000` (restore windows, backups, and
per the docs jobs: `+0000`, `+0100`) or `2025-05-20T09:40:40Z` (jobs as emulated); the API
takes epoch milliseconds (ddm-api.md sections 2 and 3). One pydantic `TypeAdapter(datetime)`
parses them all, here.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pydantic

__all__ = ["CLOCK_SKEW_MS", "DATETIME", "format_utc", "parse_api_time", "parse_api_time_ms"]

CLOCK_SKEW_MS = 5 * 60 * 1000
"""How far apart (milliseconds) the local clock and the service's may be: a `restore_time`
this far ahead is accepted, and job searches reach this far before a submission."""
DATETIME: pydantic.TypeAdapter[datetime] = pydantic.TypeAdapter(datetime)
"""The one parser of date-times (ISO 8601 / RFC 3339, with `Z`, `+0000` or `+00:00`)."""


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


def format_utc(value: datetime) -> str:
    """`yyyy-mm-ddThh:mm:ssZ` in UTC (the form of the `created_time` / `end_time` outputs)."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
