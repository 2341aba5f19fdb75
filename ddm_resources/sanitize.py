"""The one sanitising step for text that came from a server (or from an exception about a request).

Every such text passes `clean_text` before it reaches an error, a log line or an output:

* escapes a server may have added are read first: HTML character references (`&auml;`,
  `&#228;`, `&quot;`) and JSON's `\\uXXXX` escapes (surrogate pairs joined), so that a text that
  quotes a request body as `json.dumps` or an HTML page writes it is masked like the plain text;
* each credential the provider process holds is masked: the configured token and password,
  every token IAM issued, an access key's secret and the passwords of the proxy URLs in the
  environment (`hold_secret`; `hold_proxy_secrets`), whatever the text around it; so is any run
  of 8 or more characters copied out of one, in any letter case (a server that echoes a token
  cut short or upper-cased leaks none of it; a credential shorter than 8 characters is masked
  whole only). A credential is held in every form a server may echo it in (`secret_forms`): as
  is, JSON-escaped (`\\"`, `\\\\`, `\\u00e4`), percent-encoded (`%C3%A4`, `+` for a blank),
  as Python writes bytes (`\\xc3\\xa4`) and in base64 (standard and URL-safe, at each of the
  three alignments it can have inside a longer encoded text, so `base64(body)` is covered); each
  form is masked whole and by its 8-character pieces;
* anything shaped like a credential is masked too: `X-Auth-Token: ...`, `X-Subject-Token`,
  `Authorization`, `"password": "..."` (a quoted value up to its closing quote, escaped quotes and
  backslashes included), `token=...`, and IAM's `MII...` tokens;
* ANSI escape sequences and control characters are removed (line breaks become spaces), so a
  server cannot rewrite the terminal or forge a log line; so are Unicode format characters
  (category Cf: bidi overrides and isolates such as U+202E, zero-width spaces and joiners, the
  BOM, tag characters) and lone surrogates, so a server cannot reverse or hide part of a line;
* the text is cut to `limit` characters (with `...`); apart from reading escapes and masking the
  held secrets (plain searches over the whole text), the work done is bounded by that limit.

`mask_held` masks the held secrets alone in a text of our own (the provider's lines and errors,
which may name an input given as a secret).

`clause` drops the final period of such a text where it ends a clause of a message of ours.

`ResponseBody` (in `models`) applies it to every string of every DDM answer as it is parsed;
`http_boundary` applies it to error texts. The rules are a safety net: messages are written
to never quote a header or a request body in the first place.
"""

from __future__ import annotations

import base64
import html
import json
import re
import threading
import unicodedata
import urllib.parse

__all__ = [
    "MASK", "TEXT_LIMIT", "clause", "clean_text", "hold_secret", "hold_secret_input", "mask_held", "secret_forms",
]

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
_NAMED_KEY = re.compile(
    r"(?i)(?:x-auth-token|x-subject-token|authorization|proxy-authorization|password|passwd|secret|token)"
    r"\\*[\"']?\s*[:=]\s*")
"""A credential-like key and its separator, quoted or not (`"password": `, `\"token\":`, `token=`)."""
_OPENING_QUOTE = re.compile(r"(\\*)([\"'])")
_SCHEME = re.compile(r"(?i)(?:bearer|basic)\s+")
_BARE_VALUE = re.compile(r"[^\s\"'\\,;{}\[\]&]+")
_IAM_TOKEN = re.compile(r"MII[A-Za-z0-9+/=_-]{16,}")
_U_ESCAPE = re.compile(r"\\+u([dD][89abAB][0-9a-fA-F]{2})\\+u([dD][c-fC-F][0-9a-fA-F]{2})|\\+u([0-9a-fA-F]{4})")
"""JSON's `\\uXXXX` escape, also escaped again (`\\\\u00e4` in a JSON text quoted as a JSON
string); a high and a low surrogate in a row are one character."""

_lock = threading.Lock()
_secrets: set[str] = set()
"""Every held credential in every form of `secret_forms`."""
_pieces: set[str] = set()
"""Every `_PIECE`-character substring of those forms, in lower case."""
_inputs: set[str] = set()
"""Input values given as secrets (`hold_secret_input`), masked by `mask_held` only."""
_input_pieces: set[str] = set()
_longest_first: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
"""`_secrets` and `_secrets | _inputs`, longest first (the order they are replaced in), kept
up to date by the `hold_*` functions so that a clean sorts nothing."""


def _sort_held() -> None:
    """Refresh `_longest_first`; the caller holds `_lock`."""
    global _longest_first
    _longest_first = (tuple(sorted(_secrets, key=len, reverse=True)),
                      tuple(sorted(_secrets | _inputs, key=len, reverse=True)))


def hold_secret(value: str | None) -> None:
    """Mask `value` in every text cleaned from now on in this process (a token, a password), in
    each of its `secret_forms`."""
    if not value or len(value.strip()) < _MIN_SECRET:
        return
    forms = {form for held in {value, value.strip()} for form in secret_forms(held) if len(form) >= _MIN_SECRET}
    pieces = {form.lower()[i:i + _PIECE] for form in forms for i in range(len(form) - _PIECE + 1)}
    with _lock:
        _secrets.update(forms)
        _pieces.update(pieces)
        _sort_held()


def hold_secret_input(value: str | None) -> None:
    """Mask `value`, an input given as a secret (e.g. a target instance ID), in every text of our own
    shown from now on in this process (`mask_held`: the provider's lines, check failures, errors),
    in each of its `secret_forms`. Unlike `hold_secret`, server answers are not masked for it when
    parsed (`clean_text`): they must still match it (the service names that instance back)."""
    if not value or len(value.strip()) < _MIN_SECRET:
        return
    forms = {form for form in secret_forms(value.strip()) if len(form) >= _MIN_SECRET}
    pieces = {form.lower()[i:i + _PIECE] for form in forms for i in range(len(form) - _PIECE + 1)}
    with _lock:
        _inputs.update(forms)
        _input_pieces.update(pieces)
        _sort_held()


def secret_forms(value: str) -> set[str]:
    """`value` as a server may echo it: as is; JSON-escaped (ASCII only, and with only `"`, `\\` and
    control characters escaped); percent-encoded (every reserved character, `/` kept, and with `+`
    for a blank); as Python's `repr` writes its UTF-8 bytes; and the base64 text (standard and
    URL-safe) that its UTF-8 bytes, or those of its ASCII JSON escape, become inside any longer
    base64 text, at each of the three byte alignments (only the characters that depend on `value`
    alone). HTML character references and `\\uXXXX` escapes in a server's text are read before
    masking (`clean_text`), so they need no form of their own."""
    escaped = json.dumps(value)[1:-1]
    forms = {value, escaped, json.dumps(value, ensure_ascii=False)[1:-1], repr(value.encode())[2:-1]}
    for text in (value, escaped):
        forms |= {urllib.parse.quote(text, safe=""), urllib.parse.quote(text), urllib.parse.quote_plus(text)}
        data = text.encode()
        for offset in range(3):
            whole = (offset + len(data)) // 3 * 3 - offset  # bytes of `data` in complete 3-byte groups
            if whole <= 0:
                continue
            encoded = base64.b64encode(b"\0" * offset + data[:whole]).decode()[(0, 2, 3)[offset]:]
            forms |= {encoded, encoded.replace("+", "-").replace("/", "_")}
    return {form for form in forms if form}


def clean_text(text: object, limit: int = TEXT_LIMIT) -> str:
    """`text` as it may be shown: HTML references and `\\uXXXX` escapes read, credentials masked,
    escapes, control and format characters removed, whitespace collapsed, at most `limit` characters."""
    secrets = _longest_first[0]
    value = _unescape(str(text))
    for secret in secrets:  # on the whole text: a cut must not leave part of a secret behind
        value = value.replace(secret, MASK)
    value = value[: 4 * limit + 64]  # bounds the work below
    value = _ANSI.sub("", value)
    value = _CONTROL.sub(" ", value)
    if not value.isascii():
        value = "".join(char for char in value if unicodedata.category(char) not in _INVISIBLE)
    value = _mask_named(value)
    value = _IAM_TOKEN.sub(MASK, value)
    value = _mask_pieces(value)
    value = " ".join(value.split())
    if len(value) > limit:
        value = value[: max(limit - 3, 0)].rstrip() + "..."
    return value


def mask_held(text: str) -> str:
    """`text` (one of our own messages) with every held secret and secret input masked as
    `clean_text` masks a held secret (whole, in every form, and by its pieces), and nothing else changed."""
    for secret in _longest_first[1]:
        text = text.replace(secret, MASK)
    return _mask_pieces(_mask_pieces(text), inputs=True)


def _unescape(value: str) -> str:
    """`value` with HTML character references and JSON `\\uXXXX` escapes read (each twice, so that
    one inside the other is read too: `&#92;u00e4`, `\\u0026auml;`)."""
    for _ in range(2):
        if "&" in value:
            value = html.unescape(value)
        if "\\u" in value or "\\U" in value:
            value = _U_ESCAPE.sub(_escaped_char, value)
    return value


def _escaped_char(match: re.Match[str]) -> str:
    high, low, single = match.groups()
    if single is not None:
        return chr(int(single, 16))
    return chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00))


def _mask_named(value: str) -> str:
    """`value` with the value of every credential-like key masked: a quoted one up to its closing
    quote (for `\\"` up to the next `\\"` that is not itself escaped further; to the end of the text
    if none), a bare one up to a blank or a delimiter. `Bearer ` / `Basic ` stay shown."""
    out, pos = [], 0
    while (key := _NAMED_KEY.search(value, pos)) is not None:
        start = key.end()
        quote = _OPENING_QUOTE.match(value, start)
        first = quote.end() if quote else start
        scheme = _SCHEME.match(value, first)
        first = scheme.end() if scheme else first
        if quote:
            end = _closing_quote(value, first, len(quote.group(1)), quote.group(2))
        else:
            bare = _BARE_VALUE.match(value, first)
            end = bare.end() if bare else first
        if end == first and not quote:
            out.append(value[pos:start])
        else:
            out.append(value[pos:first] + MASK)
        pos = max(end, start)
    return "".join(out) + value[pos:]


def _closing_quote(value: str, start: int, backslashes: int, quote: str) -> int:
    """Where the quoted value starting at `start` ends (the index of its closing quote sequence)."""
    if backslashes == 0:
        i = start
        while i < len(value):
            if value[i] == "\\":
                i += 2
            elif value[i] == quote:
                return i
            else:
                i += 1
        return len(value)
    closing = re.compile(r"(?<!\\)\\{" + str(backslashes) + "}" + re.escape(quote))
    found = closing.search(value, start)
    return found.start() if found else len(value)


def clause(text: str) -> str:
    """`text` without a final period, so that a message may go on after it with its own
    punctuation: a join such as `f"{exc}. Check ..."` must not give `..`. Foreign text that ends a
    clause of ours passes here, e.g. httpx's `Server disconnected without sending a response.` in
    a `TransportError` (`http_boundary`). An ellipsis (`...`, a cut text) is kept."""
    text = text.rstrip()
    if text.endswith(".") and not text.endswith(".."):
        return text[:-1].rstrip()
    return text


def _mask_pieces(value: str, *, inputs: bool = False) -> str:
    """`value` with every run that overlaps a `_PIECE`-character piece of a held credential (or with
    `inputs`, of a secret input) masked."""
    with _lock:
        pieces = _input_pieces if inputs else _pieces
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
