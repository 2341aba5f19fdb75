"""
Fault injection as data.

A `Fault` rule matches requests by method and path regex and says what to do
instead of (or around) normal processing:

* `respond`: answer with `status`/`body`/`headers` without processing. With no
  body, 429 gets an `APIGW.0308` body and 5xx a `DBS.200412` server failure.
* `delay`: wait `delay` real seconds, then process normally.
* `drop`: close the TCP connection before processing; nothing happens.
* `lose_response`: process the request fully (a job IS created), then close
  the connection without answering.
* `replace_response`: process the request fully (a job IS created), then answer
  with `status`/`body`/`headers` as `respond` does (e.g. a 202 without `job_id`).
* `add_headers`: process the request fully and answer as usual, with `headers`
  added or replaced (e.g. `Server: Grüße-Gateway`, sent as latin-1 bytes, or a
  `Content-Encoding: gzip` that the body does not have).

`every=k` fires on every k-th matching request (the k-th, 2k-th, ...);
`times=N` stops the rule after it fired N times. A `FaultRegistry` holds the
rules of one backend; rules are checked in the order they were added and the
first that fires wins.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FAULT_ACTIONS", "MAX_DELAY", "Fault", "FaultRegistry"]

FAULT_ACTIONS: tuple[str, ...] = ("respond", "delay", "drop", "lose_response", "replace_response", "add_headers")
MAX_DELAY = 3600.0
"""The longest `delay` a rule may ask for, in seconds."""
_MAX_EVERY = 1_000_000


@dataclass
class Fault:
    """One fault rule. `method` may be `*` (or `None`) to match any method."""

    method: str | None
    path_regex: str
    action: str
    status: int | None = None
    body: Any = None
    headers: dict[str, str] | None = None
    delay: float = 0.0
    times: int | None = None
    every: int = 1
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    matched: int = 0
    """How many requests matched the method and path so far."""
    fired: int = 0
    """How many times the rule applied."""

    def __post_init__(self) -> None:
        if self.action not in FAULT_ACTIONS:
            raise ValueError(f"action must be one of {', '.join(FAULT_ACTIONS)}")
        if self.action in ("respond", "replace_response") and not isinstance(self.status, int):
            raise ValueError(f"a {self.action} fault needs an integer status")
        if self.action == "add_headers" and not self.headers:
            raise ValueError("an add_headers fault needs headers")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status code")
        if self.every < 1:
            raise ValueError("every must be >= 1")
        if self.times is not None and self.times < 0:
            raise ValueError("times must be >= 0")
        if self.delay < 0:
            raise ValueError("delay must be >= 0")
        if self.action == "delay" and self.delay <= 0:
            raise ValueError("a delay fault needs delay > 0")
        self._pattern = re.compile(self.path_regex)
        self.method = None if self.method in (None, "*") else self.method.upper()

    @property
    def exhausted(self) -> bool:
        """True once the rule fired `times` times."""
        return self.times is not None and self.fired >= self.times

    def matches(self, method: str, path: str) -> bool:
        """Return whether the request's method and path select this rule."""
        if self.method is not None and self.method != method.upper():
            return False
        return self._pattern.search(path) is not None

    def to_dict(self) -> dict[str, Any]:
        """Render the rule and its counters as JSON-ready data."""
        return {
            "id": self.id,
            "method": self.method or "*",
            "path_regex": self.path_regex,
            "action": self.action,
            "status": self.status,
            "body": self.body,
            "headers": self.headers,
            "delay": self.delay,
            "times": self.times,
            "every": self.every,
            "matched": self.matched,
            "fired": self.fired,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Fault:
        """Build a rule from JSON data (the admin API); raise `ValueError` if invalid."""
        if not isinstance(data, dict):
            raise ValueError("a fault must be a JSON object")
        allowed = {"method", "path_regex", "action", "status", "body", "headers"}
        allowed |= {"delay", "times", "every"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(unknown)}")
        if not isinstance(data.get("path_regex"), str) or not isinstance(data.get("action"), str):
            raise ValueError("path_regex and action are required strings")
        headers = data.get("headers")
        if headers is not None and not (
            isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())
        ):
            raise ValueError("headers must be an object of strings")
        status = data.get("status")
        if status is not None and not _is_int(status):
            raise ValueError("status must be an integer HTTP status code")
        times = data.get("times")
        if times is not None and not _is_int(times):
            raise ValueError("times must be an integer or null")
        every = data.get("every", 1)
        if not _is_int(every) or not 1 <= every <= _MAX_EVERY:
            raise ValueError(f"every must be an integer from 1 to {_MAX_EVERY}")
        delay = data.get("delay", 0.0)
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= MAX_DELAY:
            raise ValueError(f"delay must be a number of seconds from 0 to {MAX_DELAY:g}")
        try:
            return cls(
                method=data.get("method", "*"),
                path_regex=data["path_regex"],
                action=data["action"],
                status=status,
                body=data.get("body"),
                headers=headers,
                delay=float(delay),
                times=times,
                every=every,
            )
        except re.error as exc:
            raise ValueError(f"invalid path_regex: {exc}") from exc
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"invalid fault: {exc}") from exc


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class FaultRegistry:
    """The fault rules of one backend; thread-safe."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        """Add a rule (checked after the ones already present) and return it."""
        with self._lock:
            self._rules.append(fault)
        return fault

    def clear(self) -> int:
        """Remove all rules; return how many there were."""
        with self._lock:
            count = len(self._rules)
            self._rules.clear()
        return count

    def list(self) -> list[Fault]:
        """Return the rules in order."""
        with self._lock:
            return list(self._rules)

    def pick(self, method: str, path: str) -> Fault | None:
        """Count the request against matching rules and return the one that fires."""
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, path):
                    continue
                rule.matched += 1
                if rule.matched % rule.every == 0:
                    rule.fired += 1
                    return rule
        return None
