"""`sanitize`: server text made safe to show. `clean_text` removes control and Unicode format
characters (bidi overrides, zero-width characters, lone surrogates), masks credentials and every
held secret (`hold_secret`) in every form a server may echo it in (JSON escapes, percent-encoding,
HTML references, base64, `repr(bytes)`, pieces of 8 characters or more, any case), and cuts the
length; `clause` joins a sentence into a longer one with one period. Checked through the
provider's preview errors too, where the text ends up.
"""

from __future__ import annotations

import base64
import html
import json
import re
import unicodedata
import urllib.parse
from collections.abc import Callable

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from ddm_emulator import DEMO_DOMAIN_NAME, DEMO_PROJECT_ID, DEMO_PROJECT_NAME, DEMO_USER_NAME, Fault
from ddm_resources.client import DdmClient
from ddm_resources.errors import ApiError
from ddm_resources.provider import MetadataRecoveryProvider
from ddm_resources.sanitize import clause, clean_text, hold_secret, secret_forms
from tests.conftest import SOURCE, TARGET, TOKEN, failure_field, valid_inputs

# a held secret in every form a server may echo it in (issue 19 item 4) -----------------------------------------


PASSWORD = "Bärenhöhle-Süß-Öl-42"
GOOD = valid_inputs()


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
    provider.transport = emulator.transport
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


# control characters, credentials and length (issue 8 item 1) ---------------------------------------------------


@pytest.mark.real_socket
@pytest.mark.parametrize("text, shown", [
    ("plain", "plain"),
    ("a\r\nb\tc\x00d", "a b c d"),
    ("\x1b[2J\x1b]0;title\x07cleared", "cleared"),
    # (a key "passwd": "password" itself is masked too wherever a held password contains it, see below)
    ('{"passwd": "hunter2xyz"}', '{"passwd": "***"}'),
    ("Authorization: Bearer abc.def", "Authorization: Bearer ***"),
    ("token=MIIabcdefghijklmnopqrstuvwxyz0123", "token=***"),
    ("x" * 400, "x" * 297 + "..."),
])
def test_clean_text_removes_controls_masks_credentials_and_cuts_the_length(text, shown):
    assert clean_text(text) == shown


@pytest.mark.real_socket
def test_clean_text_masks_held_secrets_even_where_the_text_is_cut():
    hold_secret("held-secret-value-123")  # held for the rest of the process: it only masks more
    assert clean_text("\x00" * 1000 + "held-secret-value-123" + "y" * 100) == "***" + "y" * 100
    assert "held" not in clean_text(" " * 1190 + "held-secret-value-123")


@pytest.mark.real_socket
def test_clean_text_masks_a_held_secret_echoed_in_part():
    key = "Qx7-secret-access-key-0123456789abcdef"
    hold_secret(key)
    assert clean_text(f"signature for {key[:20]} does not match") == "signature for *** does not match"
    assert clean_text(f"key ...{key[10:30]}... rejected") == "key ...***... rejected"
    assert clean_text(f"KEY {key[:12].upper()} and {key[-8:]}") == "KEY *** and ***"  # any case, 8 characters
    assert clean_text(f"{key[:7]} and {key[-7:]}") == f"{key[:7]} and {key[-7:]}"  # 7 characters say little
    hold_secret("demo-password")
    assert clean_text("IAM: user demo (demo-pass) refused") == "IAM: user demo (***) refused"
    assert clean_text("the password is wrong") == "the *** is wrong"  # the safe side of a weak password
    hold_secret("k3y-abc")  # under 8 characters: masked whole only, its pieces are ordinary words
    assert clean_text("k3y-ab and k3y-abc") == "k3y-ab and ***"


# no Unicode format characters and no lone surrogates in any shown text -----------------------------------------


RLO = "\u202e"


HIDDEN = [RLO, "\u202a", "\u2066", "\u2069", "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\U000e0041",
          "\ud800"]


def invisible(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in ("Cf", "Cs")]


@pytest.mark.parametrize("char", HIDDEN)
def test_clean_text_removes_format_characters_and_surrogates(char):
    shown = clean_text(f"target{char} is {char}busy")
    assert shown == "target is busy" and invisible(shown) == []
    shown.encode("utf-8")  # a lone surrogate would make this (and printing the line) fail


def test_a_held_secret_split_by_zero_width_characters_is_still_masked():
    secret = "zw-secret-0123456789abcdef"
    hold_secret(secret)
    assert clean_text("token was " + "\u200b".join(secret)) == "token was ***"


def test_letters_of_other_scripts_are_kept():
    assert clean_text("Ünïcode 名前 اسم") == "Ünïcode 名前 اسم"


def test_a_right_to_left_override_in_instance_name_and_reason_never_reaches_the_preview_error(emulator):
    """The trial's route: `restorable-instances` names the target with U+202E; `pulumi preview`
    (check) turns it into a failure."""
    emulator.backend.add_fault(Fault("GET", r"/restorable-instances$", "respond", status=200, body={
        "instances": [{"instance_id": TARGET, "instance_name": f"prod{RLO}db-1", "available": False,
                       "unavailable_reason": f"{RLO}nesorf si ecnatsni ehT\u2066x\u2069\u200b"}],
        "total": 1}))
    provider = MetadataRecoveryProvider()
    provider.transport = emulator.transport
    provider.configure(ConfigureRequest(Config({"ddm:endpoint": emulator.url, "ddm:projectId": DEMO_PROJECT_ID,
                                                "ddm:token": TOKEN}, "ddm-metadata-recovery")))
    failures = provider.check({}, GOOD).failures
    reason = next(f.reason for f in failures if failure_field(f) == "target.instance_id")
    assert "(proddb-1) cannot be the restore target: nesorf si ecnatsni ehTx (restorable" in reason
    assert invisible(reason) == []


def test_an_error_message_with_bidi_controls_shows_none(emulator):

    emulator.backend.add_fault(Fault("GET", r"/restorable-instances$", "respond", status=400,
                                     body={"error_code": f"DBS.{RLO}2800", "error_msg": f"bad{RLO} input\u200f"}))
    with DdmClient(emulator.url, DEMO_PROJECT_ID, TOKEN,
                   transport=emulator.transport) as client, pytest.raises(ApiError) as info:
        client.restorable_instances(SOURCE)
    assert invisible(str(info.value)) == [] and "bad input" in str(info.value)


# joined sentences: one period ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, joined", [
    ("Server disconnected without sending a response.", "Server disconnected without sending a response"),
    ("no period", "no period"),
    ("cut text...", "cut text..."),
    ("ends. ", "ends"),
])
def test_clause_drops_only_a_final_period(text, joined):
    assert clause(text) == joined
