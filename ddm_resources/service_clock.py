"""The service's clock, as the `Date` header of its answers tells it, beside this machine's.

Every time the service names (a job's `created_time`, the job list's `start_time`/`end_time`,
docs/ddm-api.md section 3.2) and every time it checks (an AK/SK signature's `X-Sdk-Date`) is on the
service's clock, so that is the clock they are compared with and signed by (`now`): a laptop or a
CI runner whose clock is 20 minutes off then still signs valid requests, asks the job list for a
valid range and knows its own job. Until an answer tells it, or while its `Date` agrees with this
machine's clock, it is this machine's clock. `difference` names a difference that matters in a
message. `DdmClient` keeps one `ServiceClock` and feeds it every request and answer through httpx
event hooks.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable

import httpx

from .api_time import gap_text
from .http_boundary import DATE

__all__ = ["ServiceClock"]

_SENT_AT = "ddm_sent_at"
"""The request extension holding the local time a request was sent."""


class ServiceClock:
    """This machine's clock (`clock`, epoch seconds; tests inject an emulated one) and what the
    answers' `Date` (whole seconds) said about the service's."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._offset: float | None = None
        self._floor: float | None = None

    @property
    def heard(self) -> bool:
        """Whether an answer has told the service's clock yet."""
        return self._offset is not None

    def local_now_ms(self) -> int:
        """Now on this machine's clock, epoch ms: what "in the future" means for a time the
        service names."""
        return int(self._clock() * 1000)

    def now_ms(self) -> int:
        """Now on the service's clock, epoch ms, as far as its answers tell: the local clock when
        the latest `Date` agrees with it (or none came yet), else the local clock corrected by the
        latest `Date` (a lower bound of the service's now)."""
        return int((self._clock() + (self._offset or 0.0)) * 1000)

    def now(self) -> float:
        """`now_ms` in epoch seconds: what to compare the service's times with, and sign with."""
        return self.now_ms() / 1000

    @property
    def offset(self) -> float:
        """Seconds the service's clock is ahead of this machine's (negative: behind), as far as told."""
        return self._offset or 0.0

    def difference(self, least: float = 60.0) -> str:
        """`this machine's clock is 20 min behind the service's (by the Date of its answers)`, or `""`
        when they differ by less than `least` seconds (or no answer told it yet)."""
        if abs(self.offset) < least:
            return ""
        side = "behind" if self.offset > 0 else "ahead of"
        return f"this machine's clock is {gap_text(abs(self.offset))} {side} the service's (by the Date of its answers)"

    def floor_ms(self) -> int:
        """A lower bound of the service's now from the latest `Date` (the local clock if none)."""
        return int((self._clock() + (self._floor or 0.0)) * 1000)

    def note_sent(self, request: httpx.Request) -> None:
        """httpx request hook: remember when `request` was sent."""
        request.extensions[_SENT_AT] = self._clock()

    def note_answer(self, response: httpx.Response) -> None:
        """httpx response hook: learn the service's clock from `response`'s `Date`, if readable."""
        try:  # a hook must not raise: any `Date` a server sends is only not learned from
            date = response.headers.get(DATE)
            when = email.utils.parsedate_to_datetime(date) if date else None
        except (TypeError, ValueError, OverflowError, IndexError, UnicodeError, LookupError):
            return
        if when is None:
            return
        if when.tzinfo is None:
            return
        received = self._clock()
        sent = response.request.extensions.get(_SENT_AT, received)
        served = when.timestamp()  # the service's clock while answering, cut to the second
        self._floor = served - received
        agrees = math.floor(sent) <= served <= received
        self._offset = 0.0 if agrees else self._floor
