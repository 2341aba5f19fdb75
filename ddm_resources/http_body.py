"""An answer's body: read off the wire within `MAX_BODY`, decoded, and an error body parsed.

`read_bounded` reads the body as sent and decodes it here (`gzip` or `deflate`, the codings
`CODINGS` asks for), so that the size bound holds while decoding; `parse_error_body` turns a
DDM or IAM error body (or whatever text came instead) into an `ApiErrorBody`. `http_boundary.send`
uses both; no text of the server's leaves here without `sanitize.clean_text`.
"""

from __future__ import annotations

import re
import zlib

import httpx
import pydantic

from .models import ApiErrorBody
from .sanitize import TEXT_LIMIT, clean_text

__all__ = ["CODINGS", "MAX_BODY", "Undecodable", "parse_error_body", "read_bounded"]

CODINGS = "gzip, deflate"
"""The content codings asked for (and the only ones read, see `read_bounded`), whatever packages
httpx finds installed (it would add `br` and `zstd`)."""

MAX_BODY = 1 << 20
"""Bytes of an answer read at most (1 MiB; a page of 128 jobs is about 60 KB). A longer 2xx
answer is an error (`UnreadableAnswerError` to a GET, `TransportError` to a POST); a longer
error answer is read only this far."""


class Undecodable(Exception):
    """An answer's body cannot be decoded; the message says why (no text of the server's)."""


_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
"""The content codings read (`CODINGS`), by the `zlib` window bits that decode them."""


def read_bounded(response: httpx.Response) -> tuple[bytes, bool]:
    """The decoded body, at most `MAX_BODY` bytes, and whether it is complete.

    The body is read as sent (`iter_raw`) and decoded here, so that the size bound holds while
    decoding: at most `MAX_BODY` bytes are read off the wire and at most `MAX_BODY` + 1 bytes come
    out of the decoder (`zlib`'s `max_length`), whatever the ratio (a 1 KB gzip bomb of 600 MB
    costs 1 MiB). One coding of `CODINGS` is read (`identity` counts as none); stacked codings
    (`gzip, gzip`), others, and a body that is not what its coding claims raise `Undecodable`.
    """
    codings = [coding.strip().lower() for coding in response.headers.get_list("content-encoding", split_commas=True)]
    codings = [coding for coding in codings if coding and coding != "identity"]
    if len(codings) > 1:
        raise Undecodable(f"the body has {len(codings)} stacked content codings; only one of {CODINGS} is read")
    if codings and codings[0] not in _WBITS:
        raise Undecodable(f"the body has the content coding {clean_text(codings[0], 32)!r}, which was not "
                           f"asked for ({CODINGS} were)")
    decoder = _Decoder(codings[0]) if codings else None
    chunks: list[bytes] = []
    size = sent = 0
    for chunk in response.iter_raw():
        sent += len(chunk)
        data = decoder.decode(chunk, MAX_BODY + 1 - size) if decoder else chunk
        chunks.append(data)
        size += len(data)
        if size > MAX_BODY or sent > MAX_BODY:
            return b"".join(chunks)[:MAX_BODY], False
    if decoder is not None:
        decoder.finish()
    return b"".join(chunks), True


class _Decoder:
    """One `gzip` or `deflate` stream, decoded piece by piece with a bound on each piece's output.
    `deflate` is read as zlib data, else (as httpx and browsers do) as raw deflate."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._zlib = zlib.decompressobj(_WBITS[coding])
        self._started = False

    def decode(self, data: bytes, room: int) -> bytes:
        """At most `room` bytes decoded from `data` (more would be over the limit anyway)."""
        try:
            out = self._zlib.decompress(data, room)
        except zlib.error:
            if self._coding != "deflate" or self._started:
                raise Undecodable(f"the body is not valid {self._coding} data") from None
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            self._coding = "raw deflate"
            return self.decode(data, room)
        self._started = True
        return out

    def finish(self) -> None:
        """Raise `Undecodable` if the stream ended before its end (a cut or a corrupt body)."""
        if not self._zlib.eof:
            raise Undecodable(f"the body ends before the end of its {self._coding} data")


def parse_error_body(response: httpx.Response) -> ApiErrorBody:
    """Parse a DDM error body (either format) or an IAM one (`{"error": {...}}`).

    Falls back to the start of the raw text when the body is not one of those (or was cut at
    `MAX_BODY`), with the `error_code` / `errCode` found in it, if any.
    """
    try:
        data = response.json()
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the JSON reader goes
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        data = data["error"]
    if isinstance(data, dict):
        try:
            body = ApiErrorBody.model_validate(data)
        except (pydantic.ValidationError, RecursionError):
            body = ApiErrorBody()
        if body.code or body.message:
            return body
    head = response.text[:65536]  # e.g. a JSON body cut at MAX_BODY: keep its code for the retry rules
    found = _ERROR_CODE.search(head)
    return ApiErrorBody(code=found.group(1) if found else "",
                        message=clean_text(head[: 4 * TEXT_LIMIT]) or response.reason_phrase)


_ERROR_CODE = re.compile(r'"(?:error_code|errCode)"\s*:\s*"([A-Za-z0-9._-]{1,64})"')

