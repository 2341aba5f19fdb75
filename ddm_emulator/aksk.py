"""Verify OTC API Gateway request signatures ("SDK-HMAC-SHA256", access key / secret key).

Written from the published algorithm, independently of the client's signer library, so a
test that passes shows that both sides agree on it:

    CanonicalRequest = Method \\n CanonicalURI \\n CanonicalQuery \\n CanonicalHeaders \\n
                       SignedHeaders \\n hex(sha256(body))
    StringToSign     = "SDK-HMAC-SHA256" \\n X-Sdk-Date \\n hex(sha256(CanonicalRequest))
    Signature        = hex(hmac_sha256(SK, StringToSign))
    Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<h1;h2>, Signature=<hex>

The canonical URI is the path with each segment percent-encoded (only `~` kept) and a
trailing `/`; the query is sorted `k=v` pairs, encoded the same way; canonical headers are
`name:value` lines (lower-case names, trimmed values) for the signed headers, which must
include `x-sdk-date` and `host`. The emulator does not check how old `X-Sdk-Date` is. A
temporary key pair's `X-Security-Token` must be among the signed headers (`iam.py` checks it).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote, unquote

__all__ = ["ALGORITHM", "SignatureError", "signed_header_names", "verify_signature"]

ALGORITHM = "SDK-HMAC-SHA256"
_HEADER = re.compile(rf"^{ALGORITHM} Access=([^,\s]+), SignedHeaders=([a-z0-9;_-]+), Signature=([0-9a-f]{{64}})$")


class SignatureError(Exception):
    """The request's signature is missing, malformed, for an unknown key, or wrong."""


def verify_signature(
    *,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    secret_of: Callable[[str], str | None],
) -> str:
    """Return the access key that signed the request; raise `SignatureError` otherwise.

    `headers` has lower-case names; `secret_of` maps an access key to its secret key (None: unknown key).
    """
    match = _HEADER.match(headers.get("authorization", ""))
    if match is None:
        raise SignatureError("The Authorization header is not an SDK-HMAC-SHA256 signature.")
    access_key, signed, signature = match.groups()
    names = signed.split(";")
    if "x-sdk-date" not in names or "host" not in names or names != sorted(names):
        raise SignatureError("The signature must cover host and x-sdk-date (sorted header names).")
    secret = secret_of(access_key)
    if secret is None:
        raise SignatureError("The access key is unknown.")
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in names)
    canonical_request = "\n".join([
        method.upper(),
        _canonical_uri(path),
        "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(query)),
        canonical_headers,
        signed,
        hashlib.sha256(body).hexdigest(),
    ])
    string_to_sign = "\n".join([
        ALGORITHM, headers.get("x-sdk-date", ""), hashlib.sha256(canonical_request.encode()).hexdigest(),
    ])
    expected = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise SignatureError("The request signature does not match.")
    return access_key


def signed_header_names(authorization: str) -> tuple[str, ...]:
    """The (lower-case) header names an SDK-HMAC-SHA256 `Authorization` value says it signed; empty if malformed."""
    match = _HEADER.match(authorization)
    return tuple(match.group(2).split(";")) if match else ()


def _encode(text: str) -> str:
    return quote(text, safe="~")


def _canonical_uri(path: str) -> str:
    uri = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"
