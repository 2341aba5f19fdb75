"""A held secret is masked in every form a server may echo it in (issue 19 item 4): an IAM 401 that
quotes the request body as `json.dumps` writes it (non-ASCII as `\\uXXXX`) showed 19 of the 20
characters of `Bärenhöhle-Süß-Öl-42` in `pulumi preview`, whether the password came from
`OS_PASSWORD`, `ddm:password` or clouds.yaml; percent-encoding, HTML references, base64 of the body,
`repr(bytes)` and the tail after a `\\"` escape got through too, and the `"password": "..."` rule
stopped at the first backslash."""

from __future__ import annotations

import base64
import html
import json
import re
import urllib.parse
from collections.abc import Callable

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from ddm_emulator import DEMO_DOMAIN_NAME, DEMO_PROJECT_NAME, DEMO_USER_NAME, Fault
from ddm_resources.provider import MetadataRecoveryProvider
from ddm_resources.sanitize import clean_text, hold_secret, secret_forms
from tests.conftest import BACKUP, DATA_NODE, SOURCE, TARGET

PASSWORD = "Bärenhöhle-Süß-Öl-42"
GOOD = {"source_instance_id": SOURCE, "source": {"backup_id": BACKUP},
        "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}}


def login_body(password: str) -> dict:
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": DEMO_USER_NAME, "password": password, "domain": {"name": DEMO_DOMAIN_NAME}}}},
        "scope": {"project": {"name": DEMO_PROJECT_NAME}}}}


def b64(prefix: str) -> Callable[[str], str]:
    return lambda text: base64.b64encode((prefix + text).encode()).decode()


ENCODINGS: dict[str, Callable[[str], str]] = {
    "json.dumps": json.dumps,
    "json.dumps twice": lambda text: json.dumps(json.dumps(text)),
    "percent": lambda text: urllib.parse.quote(text, safe=""),
    "percent, lower-case hex": lambda text: urllib.parse.quote(text, safe="").lower(),
    "form-encoded": urllib.parse.quote_plus,
    "html.escape": html.escape,
    "html numeric references": lambda text: text.encode("ascii", "xmlcharrefreplace").decode(),
    "html named references": lambda text: html.escape(text).replace("ä", "&auml;").replace("ö", "&ouml;"),
    "base64": b64(""),
    "base64 shifted by 1": b64("x"),
    "base64 shifted by 2": b64("xy"),
    "urlsafe base64": lambda text: base64.urlsafe_b64encode(("x" + text).encode()).decode(),
    "base64 of the JSON": lambda text: base64.b64encode(json.dumps(text).encode()).decode(),
    "repr(bytes)": lambda text: repr(text.encode()),
}


def views(shown: str) -> list[bytes]:
    """`shown` as bytes, read in each way a reader could decode it: as is, percent-decoded, with HTML
    references and JSON escapes read, and every base64 run decoded at each of its 4 alignments."""
    out = [shown.encode(), urllib.parse.unquote_to_bytes(shown), html.unescape(shown).encode(),
           shown.encode().decode("unicode_escape", "ignore").encode("latin-1", "ignore")]
    for run in re.findall(r"[A-Za-z0-9+/_-]{8,}", shown):
        for skip in range(4):
            part = run[skip:]
            part = part[: len(part) // 4 * 4].replace("-", "+").replace("_", "/")
            out.append(base64.b64decode(part, validate=False))
    return [readable(view) for view in out]


def readable(view: bytes) -> bytes:
    """`view` with JSON `\\uXXXX` escapes (also escaped again) and HTML references read."""
    text = re.sub(r"\\+u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), view.decode("utf-8", "ignore"))
    return html.unescape(text).encode("utf-8", "ignore")


def leaks(shown: str, secret: str) -> list[str]:
    """Every 6-byte piece of `secret` (UTF-8) that some reading of `shown` (`views`) still holds."""
    data = secret.encode()
    pieces = {data[i:i + 6] for i in range(len(data) - 5)}
    return sorted({repr(piece) for view in views(shown) for piece in pieces if piece in view})


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_a_held_password_is_masked_in_every_encoding_of_a_body_that_quotes_it(name):
    hold_secret(PASSWORD)
    text = ENCODINGS[name](json.dumps(login_body(PASSWORD)))
    shown = clean_text(f"Unauthorized; request body was {text}", limit=4000)
    assert leaks(shown, PASSWORD) == []
    # every piece of the plain form is gone once the escapes are read
    assert "renh" not in html.unescape(urllib.parse.unquote(shown))


def test_the_forms_are_masked_in_pieces_too():
    hold_secret(PASSWORD)
    for form in secret_forms(PASSWORD):
        if len(form) >= 10:
            assert form[1:9] not in clean_text(f"... {form[1:9]} ...")


def test_json_escapes_are_read_before_masking():
    assert clean_text("caf\\u00e9 \\ud83d\\ude00 ok") == "café 😀 ok"


@pytest.mark.parametrize("text, shown", [
    ('{"passwd": "ab\\"cd\\\\ef gh"} tail', '{"passwd": "***"} tail'),
    ('{\\"passwd\\": \\"ab\\\\\\"cd ef\\", \\"n\\": 1}', '{\\"passwd\\": \\"***\\", \\"n\\": 1}'),
    ("passwd='not closed at all", "passwd='***"),
    ('"passwd": {"nested": 1}', '"passwd": {"nested": 1}'),
])
def test_a_password_like_key_is_masked_up_to_its_closing_quote(text, shown):
    """(`passwd`: a held password of another test may mask the word `password` itself.)"""
    assert clean_text(text) == shown


@pytest.fixture(params=["OS_PASSWORD", "ddm:password", "clouds.yaml"])
def provider_with_password(request, emulator, monkeypatch, tmp_path):
    """A configured provider whose IAM login uses `PASSWORD`, from each place a password can come from."""
    for name in ("OS_PASSWORD", "OS_CLOUD", "OS_CLIENT_CONFIG_FILE", "OS_TOKEN", "DDM_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    config = {"ddm:authUrl": f"{emulator.url}/v3", "ddm:username": DEMO_USER_NAME,
              "ddm:domainName": DEMO_DOMAIN_NAME, "ddm:projectName": DEMO_PROJECT_NAME}
    if request.param == "OS_PASSWORD":
        monkeypatch.setenv("OS_PASSWORD", PASSWORD)
    elif request.param == "ddm:password":
        config["ddm:password"] = PASSWORD
    else:
        (tmp_path / "clouds.yaml").write_text(json.dumps({"clouds": {"lab": {"auth": {"password": PASSWORD}}}}))
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "clouds.yaml"))
        monkeypatch.setenv("OS_CLOUD", "lab")
    provider = MetadataRecoveryProvider()
    provider.configure(ConfigureRequest(Config(config, "ddm-metadata-recovery")))
    return provider


@pytest.mark.parametrize("name", ["json.dumps", "percent", "html numeric references", "base64 shifted by 1",
                                  "repr(bytes)"])
def test_an_iam_401_quoting_the_login_body_shows_no_piece_of_the_password_in_preview(
        emulator, provider_with_password, name):
    quoted = ENCODINGS[name](json.dumps(login_body(PASSWORD)))
    emulator.backend.add_fault(Fault("POST", r"/auth/tokens$", "respond", status=401, body={
        "error": {"code": 401, "title": "Unauthorized", "message": f"The request {quoted} was refused"}}))
    reasons = " ".join(f.reason for f in provider_with_password.check({}, GOOD).failures)
    assert "HTTP 401" in reasons and "IAM login" in reasons
    assert leaks(reasons, PASSWORD) == []
