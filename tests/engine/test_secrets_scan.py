"""Secrets scan through the real engine (issue 8): with a ready token and with password login,
401s whose bodies echo the request headers and the password, an IAM refusal quoting the
password, a failing job whose `fail_reason` quotes them, and `--debug`: neither secret (nor any
token IAM issued) appears in the CLI output, in `pulumi stack export` or in any error text."""

from __future__ import annotations

import base64
import html
import json
import urllib.parse
from pathlib import Path

import pytest

from ddm_emulator import DEMO_DOMAIN_NAME, DEMO_PASSWORD, DEMO_PROJECT_NAME, DEMO_USER_NAME, Fault
from tests.conftest import PROJECT_ID, TOKEN, recovery_posts

pytestmark = pytest.mark.engine

ISSUED_PREFIX = "MIIemu"
"""The prefix of every token the emulated IAM issues."""
FAKE_ISSUED = ISSUED_PREFIX + "ZmFrZS1pc3N1ZWQtdG9rZW4tZWNob2VkLWJhY2s"


def echo(secret: str) -> str:
    return (f"Unauthorized. Request was: GET /v3/jobs HTTP/1.1\r\nX-Auth-Token: {secret}\r\n"
            f"X-Subject-Token: {FAKE_ISSUED}\r\nbody: {{\"password\": \"{DEMO_PASSWORD}\"}} {secret}")


@pytest.mark.parametrize("auth", ["token", "password"])
def test_no_secret_in_output_state_or_errors(stack, emulator, auth):
    backend = emulator.backend
    if auth == "password":
        stack.unset("ddm:token")
        stack.unset("ddm:projectId")
        stack.env.update(OS_AUTH_URL=f"{emulator.url}/v3", OS_USERNAME=DEMO_USER_NAME, OS_PASSWORD=DEMO_PASSWORD,
                         OS_DOMAIN_NAME=DEMO_DOMAIN_NAME, OS_PROJECT_NAME=DEMO_PROJECT_NAME)
        backend.add_fault(Fault("POST", r"/auth/tokens$", "respond", status=401, times=1, body={
            "error": {"code": 401, "title": "Unauthorized",
                      "message": f"The password {DEMO_PASSWORD} is wrong for {DEMO_USER_NAME}"}}))
    secret = TOKEN if auth == "token" else FAKE_ISSUED
    backend.add_fault(Fault("GET", r"/jobs$", "respond", status=401, times=2,
                            body={"error_code": "APIGW.0301", "error_msg": echo(secret)}))
    backend.fail_next_job(f"restore failed; caller sent X-Auth-Token: {secret} and password {DEMO_PASSWORD}")
    runs = [stack.run("up", "--yes", "--skip-preview", "--debug", check=False) for _ in range(4)]
    assert runs[-1].returncode == 0, runs[-1].stdout[-3000:]
    assert stack.outputs()["status"] == "Completed"
    assert any("401" in r.stdout + r.stderr for r in runs[:-1])
    assert any("restore failed" in r.stdout for r in runs[:-1])
    scanned = "".join(r.stdout + r.stderr for r in runs) + stack.export()
    held = (TOKEN,) if auth == "token" else (DEMO_PASSWORD, ISSUED_PREFIX)  # what the provider knows
    for value in held:
        assert value not in scanned


# issue 19 items 4 and 5: every held secret, in every encoding, through everything a run writes ------------

UMLAUT_USER = "umlaut-user"
UMLAUT_PASSWORD = "Bärenhöhle-Süß-Öl-42"
PROXY_USER = "scan-proxy-user"
PROXY_PASSWORD = "Scan-Pröxy/pw@0x77"


def login_body() -> str:
    return json.dumps({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": UMLAUT_USER, "password": UMLAUT_PASSWORD, "domain": {"name": DEMO_DOMAIN_NAME}}}},
        "scope": {"project": {"name": DEMO_PROJECT_NAME}}}})


ECHOES = {  # how an IAM 401 may quote the login body it was sent
    "json.dumps": lambda body: body,
    "percent": lambda body: urllib.parse.quote(body, safe=""),
    "html": lambda body: html.escape(body).encode("ascii", "xmlcharrefreplace").decode(),
    "base64": lambda body: base64.b64encode(("x" + body).encode()).decode(),
    "repr(bytes)": lambda body: repr(body.encode()),
}


def forms(secret: str) -> set[str]:
    """`secret` in every encoding of issue 19 item 4, written here independently of `sanitize`: as is,
    JSON-escaped, percent-encoded (both cases, `+` for a blank), HTML references, `repr(bytes)`, and the
    base64 that its bytes become inside a longer base64 text at each alignment."""
    data = secret.encode()
    found = {secret, json.dumps(secret)[1:-1], urllib.parse.quote(secret, safe=""),
             urllib.parse.quote(secret, safe="").lower(), urllib.parse.quote_plus(secret),
             secret.encode("ascii", "xmlcharrefreplace").decode(), repr(data)[2:-1]}
    for offset in range(3):
        whole = (offset + len(data)) // 3 * 3 - offset
        found.add(base64.b64encode(b"\0" * offset + data[:whole]).decode()[(0, 2, 3)[offset]:])
    return {form for form in found if len(form) >= 8}


def scan(text: str, secret: str) -> list[str]:
    """Each encoded form of `secret`, or 10-character piece of one, that `text` holds."""
    hits = []
    for form in forms(secret):
        hits += [form[i:i + 10] for i in range(max(1, len(form) - 9)) if form[i:i + 10] in text]
    return sorted(set(hits))


def written_files(*folders: Path) -> str:
    """The text of every file under `folders` (PULUMI_HOME, the temp dir the CLI logs to)."""
    return "".join(path.read_bytes().decode("utf-8", "replace") for folder in folders
                   for path in folder.rglob("*") if path.is_file() and path.stat().st_size < 50_000_000)


def test_no_held_secret_in_any_encoding_in_anything_a_run_writes(stack, emulator, tmp_path):
    """The trial's echoes: IAM 401s quoting the login body (`Bärenhöhle-Süß-Öl-42` from OS_PASSWORD) in five
    encodings, and a proxy (on 127.0.0.1) whose 407 page and CONNECT line quote its credentials."""
    from tests.unit.test_hostile_server import Hostile
    from tests.unit.test_proxy_secrets import echo_407

    backend = emulator.backend
    backend.iam.add_user(UMLAUT_USER, UMLAUT_PASSWORD, domain_name=DEMO_DOMAIN_NAME, project_ids=[PROJECT_ID])
    for echo in ECHOES.values():
        backend.add_fault(Fault("POST", r"/auth/tokens$", "respond", status=401, times=1, body={
            "error": {"code": 401, "title": "Unauthorized", "message": f"refused: {echo(login_body())}"}}))
    stack.unset("ddm:token")
    stack.unset("ddm:projectId")
    (tmp_path / "tmp").mkdir()
    stack.env.update(OS_AUTH_URL=f"{emulator.url}/v3", OS_USERNAME=UMLAUT_USER, OS_PASSWORD=UMLAUT_PASSWORD,
                     OS_DOMAIN_NAME=DEMO_DOMAIN_NAME, OS_PROJECT_NAME=DEMO_PROJECT_NAME, TMPDIR=str(tmp_path / "tmp"))
    proxy = Hostile(echo_407)
    try:
        port = proxy.url.rsplit(":", 1)[1]
        proxy_url = (f"http://{PROXY_USER}:{urllib.parse.quote(PROXY_PASSWORD, safe='')}@127.0.0.1:{port}")
        stack.env.update(HTTP_PROXY=proxy_url, HTTPS_PROXY=proxy_url)
        runs = [stack.run("preview", check=False), stack.run("preview", "-v=9", check=False)]  # through the proxy
        assert any("407" in run.stdout + run.stderr for run in runs) and len(proxy.requests) >= 2
        stack.env["NO_PROXY"] = "127.0.0.0/8"  # the proxy variables stay set: still held as secrets
        for verbose in [True, False] * 3:
            runs.append(stack.run("up", "--yes", "--skip-preview", *(["-v=9"] if verbose else []), check=False))
    finally:
        proxy.stop()
    assert runs[-1].returncode == 0, runs[-1].stdout[-3000:]
    assert sum("refused:" in run.stdout + run.stderr for run in runs) == len(ECHOES)
    assert [post.status for post in recovery_posts(emulator)] == [202]
    assert list((tmp_path / "tmp").glob("pulumi*")), "the -v=9 runs wrote no log to TMPDIR: nothing to scan there"
    shown = stack.run("stack", "export", "--show-secrets").stdout
    written = ("".join(run.stdout + run.stderr for run in runs) + stack.export() + shown
               + stack.run("stack", "output", "--json", "--show-secrets").stdout
               + written_files(Path(stack.env["PULUMI_HOME"]), tmp_path / "tmp"))
    pair = f"{PROXY_USER}:{PROXY_PASSWORD}"
    for secret in (UMLAUT_PASSWORD, PROXY_PASSWORD, pair, base64.b64encode(pair.encode()).decode()):
        assert scan(written, secret) == [], secret
    assert ISSUED_PREFIX not in written
