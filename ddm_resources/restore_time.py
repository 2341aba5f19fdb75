"""`source.restore_time`: parse what users write into epoch milliseconds, and judge it.

The API takes `restore_time` as epoch **milliseconds**, UTC (docs/ddm-api.md section 2.1). Users
may write:

* an integer of epoch milliseconds, e.g. `1716180000000` (a whole float such as
  `1716180000000.0`, which is how numbers cross Pulumi's wire, and a string of digits
  from stack config count the same);
* an ISO 8601 / RFC 3339 date-time **with a UTC offset**, e.g. `"2024-05-20T04:40:00Z"` or
  `"2024-05-20T06:40:00+02:00"` (parsed by pydantic); digits below a millisecond are dropped;
* a timezone-aware `datetime` (Python programs; `MetadataRecoveryArgs` turns it into ms).

`parse_restore_time` returns a `RestoreTime`: the milliseconds and the form they were written
in (a number, or a date-time). `restore_time_problem` is the one judge of a parsed time.

A time without an offset (`"2024-05-20T04:40:00"`, a date alone, a naive `datetime`) is
rejected, not guessed: the restore must match the data nodes' PITR time exactly, and a
guessed zone would be off by hours.

It refuses a time that is negative or more than `MAX_CLOCK_SKEW_MS` in the future, and a
number too small to be milliseconds (seconds pasted) or too large (micro- or nanoseconds).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any, Literal, NamedTuple

import pydantic

from .api_time import CLOCK_SKEW_MS, DATETIME, format_ms, to_epoch_ms
from .wording import digits, shown

__all__ = [
    "EXAMPLE_MS",
    "MAX_CLOCK_SKEW_MS",
    "RestoreTime",
    "parse_restore_time",
    "restore_time_problem",
]

EXAMPLE_MS = 1716180000000
"""2024-05-20T04:40:00Z, the example used in messages."""
MAX_CLOCK_SKEW_MS = CLOCK_SKEW_MS
"""A `restore_time` this far (5 minutes) ahead of the local clock is accepted (clock skew)."""
_SECONDS_BELOW = 10**11
"""Epoch ms below this are before 1973-03-03: such a number was meant as seconds."""
_SECONDS_FROM = 10**9
"""...at least when it is this large (2001-09-09 as seconds)."""
_TOO_FINE_FROM = 10**14
"""Epoch ms from this on are after the year 5000: micro- or nanoseconds were meant."""
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?[0-9]+\.[0-9]*")
"""ASCII digits only: `\\d` (and `int`) would read Arabic-Indic `١٧١٦...` as a number."""
_LONGEST_TEXT = 64
"""Longer texts are no time any form accepts; refusing them early keeps parsing linear."""
_FORMS = (f"epoch milliseconds such as {EXAMPLE_MS}, or an ISO 8601 time with a UTC offset "
          'such as "2024-05-20T04:40:00Z"')


class RestoreTime(NamedTuple):
    """A parsed `restore_time`: epoch milliseconds, UTC, and the form it was written in."""

    ms: int
    form: Literal["number", "datetime"]
    """`"number"`: epoch ms written as a number or digits; `"datetime"`: ISO 8601 text or a `datetime`."""


def parse_restore_time(value: Any) -> RestoreTime:
    """Parse what a user wrote into a `RestoreTime`: an int, a whole float or a digit string
    (form `"number"`), an ISO 8601 / RFC 3339 string with an offset or an aware `datetime`
    (form `"datetime"`).

    Raises `ValueError` with a reason that says what to write instead. Does not judge the
    time (that is `restore_time_problem`), except that a fractional number is refused: ms
    are whole, and one below 10^11 is reported as seconds.
    """
    if isinstance(value, bool):
        raise ValueError(f"{str(value).lower()} is not a time; write {_FORMS}")
    if isinstance(value, int):
        return RestoreTime(value, "number")
    if isinstance(value, float):
        return RestoreTime(_from_float(value), "number")
    if isinstance(value, date):
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise ValueError(_no_offset(value.isoformat()))
        return RestoreTime(to_epoch_ms(value), "datetime")
    if not isinstance(value, str):
        raise ValueError(f"a {type(value).__name__} is not a time; write {_FORMS}")
    text = value.strip()
    if len(text) > _LONGEST_TEXT:
        raise ValueError(f"{shown(value)} is neither epoch milliseconds nor an ISO 8601 time; write {_FORMS}")
    if _INTEGER.fullmatch(text):
        return RestoreTime(int(text), "number")
    if _DECIMAL.fullmatch(text):
        return RestoreTime(_from_float(float(text)), "number")
    if not text.isascii() and any(c.isdigit() for c in text):
        raise ValueError(f"{shown(value)} has digits other than 0-9; write {_FORMS}")
    try:
        moment = DATETIME.validate_python(text)
    except pydantic.ValidationError:
        raise ValueError(f"{shown(value)} is neither epoch milliseconds nor an ISO 8601 time; write {_FORMS}") from None
    if moment.tzinfo is None or not re.search(r"[0-9][T t][0-9]", text):
        raise ValueError(_no_offset(value))
    return RestoreTime(to_epoch_ms(moment), "datetime")


def restore_time_problem(time: RestoreTime, now_ms: int) -> str | None:
    """Why `time` cannot be a restore time at `now_ms` (epoch ms), or `None`: the one judge.

    Negative values and times more than `MAX_CLOCK_SKEW_MS` ahead are refused in any form.
    A value written as a number is also judged by its size: one that reads as seconds, or
    as micro/nanoseconds, is reported as such.
    """
    ms, number = time.ms, time.form == "number"
    if ms < 0:
        return f"{digits(ms)} is negative; restore_time is epoch milliseconds (UTC) such as {EXAMPLE_MS}"
    if number and _SECONDS_FROM <= ms < _SECONDS_BELOW:
        return (f"{ms} looks like epoch seconds ({format_ms(ms * 1000)}); restore_time is epoch "
                f"milliseconds: use {ms * 1000}")
    if number and ms < _SECONDS_FROM:
        return (f"{ms} is {format_ms(ms)} when read as epoch milliseconds, which is far too early; "
                f"restore_time is epoch milliseconds (UTC) such as {EXAMPLE_MS}")
    if number and ms >= _TOO_FINE_FROM:
        hint = f", e.g. {ms // 1000} if it was microseconds" if ms < _TOO_FINE_FROM * 10**6 else ""
        return (f"{digits(ms)} looks like epoch microseconds or nanoseconds; restore_time is epoch "
                f"milliseconds (13 digits for current times){hint}")
    if ms > now_ms + MAX_CLOCK_SKEW_MS:
        return (f"{digits(ms)} ({format_ms(ms)}) is in the future (now is {format_ms(now_ms)}); pick a past time "
                f"inside the restorable window: the time the data nodes were restored (PITR) to")
    return None


def _from_float(value: float) -> int:
    if math.isnan(value):
        raise ValueError(f"NaN is not a number; write {_FORMS}")
    if math.isinf(value):  # e.g. 1e400: beyond a float's range, read as infinity
        sign = "minus " if value < 0 else ""
        raise ValueError(f"the number is out of range (too large to be read: it reads as {sign}"
                         f"infinity); source.restore_time is epoch milliseconds, UTC, such as {EXAMPLE_MS} "
                         f"({format_ms(EXAMPLE_MS)})")
    if value.is_integer():
        return int(value)
    if abs(value) < _SECONDS_BELOW:
        raise ValueError(f"{value} looks like epoch seconds ({format_ms(int(value * 1000))}); restore_time "
                         f"is epoch milliseconds, a whole number: use {int(value * 1000)}")
    raise ValueError(f"{value} is not a whole number of milliseconds; restore_time is epoch "
                     f"milliseconds: use {int(value)}")


def _no_offset(text: str) -> str:
    return (f"{shown(text)} has no UTC offset, so the time is ambiguous; add one, e.g. "
            f'"2024-05-20T04:40:00Z" for UTC or "2024-05-20T06:40:00+02:00", or use epoch milliseconds')
