"""Words every module uses in messages: a user's value quoted safely, counts, the progress line.

The bottom of the package (nothing here imports another module of it): the HTTP client, the
input rules and the provider all quote values and count things the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

__all__ = ["LINE_SINK", "LONGEST_QUOTED", "count", "digits", "say", "shown"]

LONGEST_QUOTED = 40
"""Characters of the longest string `shown` quotes: longer than any ID (36) or time written as text.
A longer value is no mistyped ID or time, and may be a secret pasted into the wrong input (a
stack config value set with `--secret` arrives in `check` as plain text beside Pulumi's `[secret]`)."""


def shown(value: Any, limit: int = 60) -> str:
    """`repr(value)` cut to about `limit` characters, for quoting a user's value in a message; a
    string longer than `LONGEST_QUOTED` is never quoted, only its length given."""
    if isinstance(value, str) and len(value) > LONGEST_QUOTED:
        return f"a text of {len(value)} characters (not quoted: longer than any ID or time)"
    if isinstance(value, int) and not isinstance(value, bool):
        return digits(value)
    text = repr(value) if isinstance(value, (str, float, bool)) or value is None else f"a {type(value).__name__}"
    return text if len(text) <= limit + 3 else text[:limit] + "..."


def digits(number: int) -> str:
    """An int as digits, the middle cut out when it has more than 20."""
    if abs(number) < 10**20:
        return str(number)
    text = f"{number:.3e}" if abs(number) < 10**300 else "a number"
    return f"{text} (too many digits)"


def count(n: int, noun: str) -> str:
    """`1 problem`, `2 problems`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


LINE_SINK: ContextVar[Callable[[str], None] | None] = ContextVar("ddm_resources_line_sink", default=None)
"""Where `say` sends its lines in the current context instead of stdout: the provider plugin
(`plugin.py`) sets it per request, to the engine's log on the resource's own row."""


def say(message: str) -> None:
    """One line for the `pulumi up` output, `ddm-resources: <message>` (the engine shows the
    provider process's stdout); to `LINE_SINK`, without the prefix, when one is set."""
    sink = LINE_SINK.get()
    if sink is not None:
        sink(message)
        return
    print(f"ddm-resources: {message}", file=sys.stdout, flush=True)
