"""When a failed request may be sent again, and how long to wait first.

Two policies, split by what is safe:

* **reads** (GET: job polls, job list, lookups) are retried on connection errors, timeouts,
  429 (throttled; its code is `APIGW.0308`), 500/502/503/504 and the DDM "operation in progress" 409 codes
  `DBS.200019` and `DBS.212033`; never on a `TransportError` that is not `transient` (a
  certificate that does not verify), nor on an `UnreadableAnswerError` (a 2xx answer this tool
  cannot use, e.g. longer than `http_boundary.MAX_BODY`: the same request gets the same answer);
* **the restore POST** is retried only when the service provably did not accept it: the
  connection could not be opened (for a transient reason), or the answer was 429 (throttled:
  the status decides, not the code `APIGW.0308`, which a 5xx or an HTML page may name too). After a read
  timeout, a dropped connection or a 5xx the outcome is unknown, and the caller must look
  for the job instead of sending the POST again.

Waits grow exponentially with jitter up to a cap; a longer `Retry-After` header (seconds or an
HTTP date) is obeyed up to `max_retry_after`. `retry_delay` and `backoff_delay` are pure functions
(tested as tables); `attempt` is the one loop over them, for every request sent with retries
(`DdmClient._send`, the IAM token request in `auth`). Job polls are sent as single attempts:
the waiter owns that wait.
"""

from __future__ import annotations

import email.utils
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TypeVar

from .errors import ApiError, DdmError, ThrottledError, TransportError

_T = TypeVar("_T")

__all__ = [
    "BUSY_CODES",
    "DEFAULT_RETRY_POLICY",
    "RetryPolicy",
    "attempt",
    "backoff_delay",
    "is_retryable_read",
    "is_retryable_restore",
    "parse_retry_after",
    "retry_delay",
]

BUSY_CODES = frozenset({"DBS.200019", "DBS.212033"})
"""DDM codes (on 409) for "another operation is in progress"; worth waiting out on reads."""
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. Times in seconds."""

    max_attempts: int = 6
    """Attempts in all, the first included."""
    initial_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0
    """A longer `Retry-After` is capped to this."""
    jitter: float = 0.25
    """Each computed delay is reduced by up to this fraction, at random."""


DEFAULT_RETRY_POLICY = RetryPolicy()

_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
"""delta-seconds (RFC 9110: `1*DIGIT`; a fraction is tolerated), ASCII digits only."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date; else `None`.

    A negative, infinite or NaN delta is not a delay the server can mean: `None`, so the
    caller's own backoff applies (a hostile `-5` must not turn retries into a burst). So is
    anything but the digits 0-9 with an optional fraction (`1e9`, `1_0`, `٣`).
    """
    if not value:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, OverflowError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return max(0.0, seconds)


def backoff_delay(attempt: int, policy: RetryPolicy, retry_after: float | None, rand: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based).

    The backoff: `initial_delay * 2**(attempt-1)`, capped at `max_delay`, minus up to `jitter`
    of it (`rand` in [0, 1) picks how much). A server's `retry_after`, capped at
    `policy.max_retry_after`, is waited instead when it is longer; the backoff stays the floor,
    so a `Retry-After` of 0 or a date already past never turns retries into a burst.
    """
    base: float = min(policy.initial_delay * 2.0 ** (attempt - 1), policy.max_delay)
    backoff = base * (1 - policy.jitter * rand)
    if retry_after is not None:
        return max(min(retry_after, policy.max_retry_after), backoff)
    return backoff


def is_retryable_read(exc: BaseException) -> bool:
    """True for failures of an idempotent request that are worth another try."""
    if isinstance(exc, TransportError):
        return exc.transient
    if isinstance(exc, ThrottledError):
        return True
    if isinstance(exc, ApiError):
        return exc.status_code in RETRYABLE_STATUS or (exc.status_code == 409 and exc.error_code in BUSY_CODES)
    return False


def is_retryable_restore(exc: BaseException) -> bool:
    """True only when the restore POST was provably not accepted, so sending it again is safe."""
    if isinstance(exc, TransportError):
        return not exc.request_sent and exc.transient
    return isinstance(exc, ThrottledError)


def retry_delay(
    exc: BaseException,
    failures: int,
    policy: RetryPolicy,
    should_retry: Callable[[BaseException], bool],
    rand: float,
) -> float | None:
    """Seconds to wait before sending again after the `failures`-th failure `exc`, or `None` to give up.

    `None` when `should_retry(exc)` is false or `policy.max_attempts` attempts were made;
    else `backoff_delay` with the error's `retry_after` (set from a `Retry-After` header).
    """
    if failures >= policy.max_attempts or not should_retry(exc):
        return None
    return backoff_delay(failures, policy, getattr(exc, "retry_after", None), rand)


def attempt(
    send: Callable[[], _T],
    *,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    should_retry: Callable[[BaseException], bool] = is_retryable_read,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[BaseException, float], None] | None = None,
    rand: Callable[[], float] = random.random,
    until: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> _T:
    """`send()` until it returns, or until `retry_delay` gives up on a `DdmError` (raised as is).

    Before each new attempt `on_retry(error, wait)` hears why and for how long, then `sleep(wait)`.
    With `until` (a time on `clock`), no wait reaches past it: the error is raised instead.
    Errors that are not `DdmError` propagate at once."""
    failures = 0
    while True:
        try:
            return send()
        except DdmError as exc:
            failures += 1
            delay = retry_delay(exc, failures, policy, should_retry, rand())
            if delay is None or (until is not None and clock() + delay >= until):
                raise
            if on_retry is not None:
                on_retry(exc, delay)
            sleep(delay)
