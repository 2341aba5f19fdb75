"""The one sanitising step for text that came from a server (or from an exception about a request).

Every such text passes `clean_text` before it reaches an error, a log line or an output:

* each credential the provider process holds is masked: the configured token and password
  and every token IAM issued (the token sources call `hold_secret`), whatever the text
  around it; so is any run of 8 or more characters copied out of one, in any letter case
  (a server that echoes a token cut short or upper-cased leaks none of it; a credential
  shorter than 8 characters is masked whole only);
* anything shaped like a credential is masked too: `X-Auth-Token: ...`, `X-Subject-Token`,
  `Authorization`, `"password": "..."`, `token=...`, and IAM's `MII...` tokens;
* ANSI escape sequences and control characters are removed (line breaks become spaces), so a
  server cannot rewrite the terminal or forge a log line; so are Unicode format characters
  (category Cf: bidi overrides and isolates such as U+202E, zero-width spaces and joiners, the
  BOM, tag characters) and lone surrogates, so a server cannot reverse or hide part of a line;
* the text is cut to `limit` characters (with `...`); apart from masking the held secrets
  (a plain search), the work done is bounded by that limit.

`clause` drops the final period of such a text where it ends a clause of a message of ours.

`ResponseBody` (in `models`) applies it to every string of every DDM answer as it is parsed;
`http_boundary` applies it to error texts. The rules are a safety net: messages are written
to never quote a header or a request body in the first place.
"""

from __future__ import annotations

import re
import threading
import unicodedata

__all__ = ["MASK", "TEXT_LIMIT", "clause", "clean_text", "hold_secret"]

MASK = "***"
TEXT_LIMIT = 300
"""Characters of server text kept in an error message."""
_MIN_SECRET = 4
"""Shorter values are not masked on their own (they would mask ordinary words)."""
_PIECE = 8
"""A run of this many characters copied out of a held credential (any case) is masked as part of it."""

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_INVISIBLE = frozenset({"Cf", "Cs"})
"""Unicode categories removed: format characters (bidi controls, zero-width characters) and surrogates."""
_NAMED = re.compile(
    r"(?i)(x-auth-token|x-subject-token|authorization|proxy-authorization|password|passwd|secret|token)"
    r"(\\?[\"']?\s*[:=]\s*\\?[\"']?\s*(?:bearer\s+|basic\s+)?)([^\s\"'\\,;}&]+)"
)
_IAM_TOKEN = re.compile(r"MII[A-Za-z0-9+/=_-]{16,}")

_lock = threading.Lock()
_secrets: set[str] = set()
_pieces: set[str] = set()
"""Every `_PIECE`-character substring of the held credentials, in lower case."""


def hold_secret(value: str | None) -> None:
    """Mask `value` in every text cleaned from now on in this process (a token, a password)."""
    if value and len(value.strip()) >= _MIN_SECRET:
        stripped = value.strip()
        lowered = stripped.lower()
        pieces = {lowered[i:i + _PIECE] for i in range(len(lowered) - _PIECE + 1)}
        with _lock:
            _secrets.add(value)
            _secrets.add(stripped)
            _pieces.update(pieces)


def clean_text(text: object, limit: int = TEXT_LIMIT) -> str:
    """`text` as it may be shown: credentials masked, escapes, control and format characters
    removed, whitespace collapsed, at most `limit` characters."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    value = str(text)
    for secret in secrets:  # on the whole text: a cut must not leave part of a secret behind
        value = value.replace(secret, MASK)
    value = value[: 4 * limit + 64]  # bounds the work below
    value = _ANSI.sub("", value)
    value = _CONTROL.sub(" ", value)
    if not value.isascii():
        value = "".join(char for char in value if unicodedata.category(char) not in _INVISIBLE)
    value = _NAMED.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", value)
    value = _IAM_TOKEN.sub(MASK, value)
    value = _mask_pieces(value)
    value = " ".join(value.split())
    if len(value) > limit:
        value = value[: max(limit - 3, 0)].rstrip() + "..."
    return value


def clause(text: str) -> str:
    """`text` without a final period, so that a message may go on after it with its own
    punctuation: a join such as `f"{exc}. Check ..."` must not give `..`. Foreign text that ends a
    clause of ours passes here, e.g. httpx's `Server disconnected without sending a response.` in
    a `TransportError` (`http_boundary`). An ellipsis (`...`, a cut text) is kept."""
    text = text.rstrip()
    if text.endswith(".") and not text.endswith(".."):
        return text[:-1].rstrip()
    return text


def _mask_pieces(value: str) -> str:
    """`value` with every run that overlaps a `_PIECE`-character piece of a held credential masked."""
    with _lock:
        pieces = _pieces
        if not pieces:
            return value
        starts = [i for i in range(len(value) - _PIECE + 1) if value[i:i + _PIECE].lower() in pieces]
    if not starts:
        return value
    out, end = [], 0
    for start in starts:
        if start > end:
            out.append(value[end:start] + MASK)
        elif not out:
            out.append(MASK)
        end = max(end, start + _PIECE)
    return "".join(out) + value[end:]
