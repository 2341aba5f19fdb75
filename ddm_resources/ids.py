"""The shapes of OTC IDs: the **ID rule** of instances, backups and data nodes, and DDM job IDs.

An instance, backup or data node ID is 32 lowercase hexadecimal characters and a 4-character
type suffix of two lowercase letters and two digits, as in `1f5c9fd6cd984056ba89c8c87cc03278in09`
(DDM instance), `...br09` (backup) and `...in01` (RDS instance); any such suffix is accepted. A
job ID is 32 hexadecimal characters or a UUID (docs/ddm-api.md section 3.1). The input rules
(`inputs`), the HTTP client (a job ID the service answers) and the job checks all use these.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from .wording import LONGEST_QUOTED, shown

__all__ = ["EXAMPLES", "ID_PATTERN", "JOB_ID_PATTERN", "id_problem"]

ID_PATTERN = re.compile(r"[0-9a-f]{32}[a-z]{2}[0-9]{2}")
"""An OTC instance, backup or data node ID: 32 lowercase hex characters and a suffix like `in09`."""
JOB_ID_PATTERN = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                            re.IGNORECASE)
"""A DDM job ID: 32 hex characters, or a UUID (the documented examples show both, in lower case;
any case is accepted, here and in the service's answers, and kept as written)."""

EXAMPLES = {
    "DDM instance": "1f5c9fd6cd984056ba89c8c87cc03278in09",
    "backup": "defa45b24d314e878fde930a61732e9dbr09",
    "RDS instance": "f4e2949e9b9b4d60b42c89ed39bfe34cin01",
}
"""An example ID of each kind, for messages."""
_QUOTES = "\"'`\u2018\u2019\u201c\u201d"


def id_problem(value: Any, kind: str) -> str | None:
    """Why `value` is not a plausible ID of a `kind` (`"DDM instance"`, `"backup"` or
    `"RDS instance"`) by the ID rule (`ID_PATTERN`), with the fix, or `None`. The text has no
    property path: the caller puts the name of the input or argument before it. The one ID
    rule of resource inputs and of public helpers' arguments (`restore_window`)."""
    example = EXAMPLES[kind]
    if not isinstance(value, str):
        return f"must be the ID of a {kind} as a string, e.g. {example}, not a {type(value).__name__}"
    if value.strip() == "":
        return f"is empty: set it to the ID of a {kind}, e.g. {example}"
    if ID_PATTERN.fullmatch(value):
        return None
    if len(value) > LONGEST_QUOTED:
        return (f"is {len(value)} characters long, longer than any ID (36: 32 lowercase hexadecimal characters and a "
                "suffix such as in09); not quoted here, as it may be a secret pasted into the wrong input: "
                f"set it to the ID of a {kind}, e.g. {example}")
    if any(ch in _QUOTES for ch in value):
        return f"{shown(value)} contains quote characters: remove them and keep only the ID, e.g. {example}"
    if any(ch.isspace() for ch in value):
        return f"{shown(value)} contains whitespace: remove spaces, tabs and line breaks from the ID"
    odd = [(index, ch) for index, ch in enumerate(value) if not ch.isascii()]
    if odd:
        index, ch = odd[0]
        more = f" (and {len(odd) - 1} more such)" if len(odd) > 1 else ""
        return (f"{shown(value)} has the character {ch!r} at position {index + 1}, U+{ord(ch):04X} "
                f"{unicodedata.name(ch, '(unnamed)')}{more}, which is no ASCII letter or digit, though it may look "
                f"like one: an ID is ASCII only; type it again or copy it from the console, e.g. {example}")
    if ID_PATTERN.fullmatch(value.lower()):
        return f"{value!r} has upper-case letters; OTC IDs are lower case: use {value.lower()!r}"
    return (f"{shown(value)} does not look like the ID of a {kind}: an ID is 32 lowercase hexadecimal "
            "characters followed by a 4-character suffix of two letters and two digits, such as in09 "
            f"(DDM instance), br09 (backup) or in01 (RDS instance), e.g. {example}. "
            "Copy the ID (not the name) from the console or the API")
