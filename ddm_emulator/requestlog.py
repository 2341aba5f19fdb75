"""
The request log: what clients sent, without secrets.

Every non-admin request is recorded exactly as it arrived: method, path, raw
query string and parsed query, every header, the body as text and as parsed
JSON, plus the response status and time, so a test can assert the whole request
(issue 12's table of expected requests). Secrets are never stored in clear: the
values of credential headers (`X-Auth-Token`, `Authorization`, `Cookie`, ...)
become `"***"` (only their presence is kept), and password-like fields in bodies
are replaced by `"***"` in both the text and the parsed body.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["REDACTED", "SECRET_HEADERS", "RequestLog", "RequestRecord", "redact", "redact_headers", "redact_text"]

REDACTED = "***"
_SECRET_KEYS = frozenset({"password", "passcode", "secret", "access_token"})
SECRET_HEADERS = frozenset({"x-auth-token", "x-subject-token", "x-security-token", "authorization", "cookie",
                            "proxy-authorization"})
_SECRET_TEXT = re.compile(r'("(?:password|passcode|secret|access_token)"\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE)
_TOKEN_ID_TEXT = re.compile(r'("token"\s*:\s*\{[^{}]*?"id"\s*:\s*)"(?:[^"\\]|\\.)*"')


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The headers as sent (name as received), credential values replaced by `***`."""
    return {name: (REDACTED if name.lower() in SECRET_HEADERS else value) for name, value in headers}


def redact_text(text: str) -> str:
    """A body's text with the values of password-like JSON fields replaced by `"***"`."""
    text = _SECRET_TEXT.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
    return _TOKEN_ID_TEXT.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)


def redact(value: Any) -> Any:
    """Return a copy of JSON data with password-like values replaced by `***`."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            secret = isinstance(key, str) and key.lower() in _SECRET_KEYS
            if secret and not isinstance(item, (dict, list)):
                out[key] = REDACTED
            elif key == "token" and isinstance(item, dict) and "id" in item:
                out[key] = {**redact(item), "id": REDACTED}
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


@dataclass
class RequestRecord:
    """One recorded request and what became of it."""

    seq: int
    """Position in the log, from 1."""
    request_id: str
    """The `X-Request-Id` of the answer."""
    time: float
    """Real wall-clock time when the request arrived."""
    emulated_time: float
    """Emulated time when the request arrived."""
    method: str
    path: str
    query: dict[str, str]
    """The query parameters (the last value of a repeated name)."""
    body: Any
    """Parsed JSON body (redacted), `None` when empty or not JSON."""
    has_auth_token: bool
    """Whether an `X-Auth-Token` header was sent (its value is never stored)."""
    query_string: str = ""
    """The raw query string, exactly as sent."""
    headers: dict[str, str] = field(default_factory=dict)
    """Every request header as sent, credential values replaced by `***`."""
    body_text: str = ""
    """The body as text (UTF-8, undecodable bytes replaced), password-like values replaced."""
    status: int | None = None
    """Status of the answer; `None` if the connection was dropped before processing."""
    response: Any = None
    """Parsed JSON body of the answer, if any."""
    fault: str | None = None
    """The fault action applied, if any (`respond`, `delay`, `drop`, `lose_response`)."""
    answered: bool = True
    """False when the client got no answer (`drop`, `lose_response`)."""

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON-ready data."""
        return asdict(self)


class RequestLog:
    """An append-only, thread-safe list of `RequestRecord`s."""

    def __init__(self) -> None:
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._seq = 0

    def add(self, record: RequestRecord) -> RequestRecord:
        """Append a record, assigning its sequence number."""
        with self._lock:
            self._seq += 1
            record.seq = self._seq
            self._records.append(record)
        return record

    def clear(self) -> None:
        """Forget all records."""
        with self._lock:
            self._records.clear()

    def find(
        self,
        method: str | None = None,
        path_contains: str | None = None,
        path_regex: str | None = None,
    ) -> list[RequestRecord]:
        """Return the records matching all the given filters, oldest first; `ValueError` for a bad regex."""
        try:
            pattern = re.compile(path_regex) if path_regex else None
        except re.error as exc:
            raise ValueError(f"invalid path_regex: {exc}") from None
        with self._lock:
            records = list(self._records)
        return [
            r
            for r in records
            if (method is None or r.method == method.upper())
            and (path_contains is None or path_contains in r.path)
            and (pattern is None or pattern.search(r.path))
        ]
