"""Secrets scan through the real engine (issue 8): with a ready token and with password login,
401s whose bodies echo the request headers and the password, an IAM refusal quoting the
password, a failing job whose `fail_reason` quotes them, and `--debug`: neither secret (nor any
token IAM issued) appears in the CLI output, in `pulumi stack export` or in any error text."""

from __future__ import annotations

import pytest

from ddm_emulator import DEMO_DOMAIN_NAME, DEMO_PASSWORD, DEMO_PROJECT_NAME, DEMO_USER_NAME, Fault
from tests.conftest import TOKEN

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
