"""The service's clock, as the `Date` header of its answers tells it, beside this machine's.

The job list (docs/ddm-api.md section 3.2) takes times on the service's clock, and a strict service
refuses an `end_time` after its now; whether a time the service names lies in the future is
judged on this machine's clock instead (a server's `Date` is not trusted for that). `DdmClient`
keeps one `ServiceClock` and feeds it every request and answer through httpx event hooks.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable

import httpx

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
