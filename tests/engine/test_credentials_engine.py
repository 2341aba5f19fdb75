"""OTC's credential story through the real engine (issue 23 items 5, 6, 7, 12).

Each test runs the real CLI on a copy of the root project against the emulator: a temporary
access key pair with its security token; a stack that only has the OTC Pulumi provider's
`opentelekomcloud:*` config; an IAM host that does not exist, with a resolver that knows no
`.invalid` name (`tests/unknown_hosts.py`: no DNS query leaves the machine).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ddm_emulator import DEMO_DOMAIN_NAME, DEMO_PASSWORD, DEMO_PROJECT_ID, DEMO_PROJECT_NAME, DEMO_USER_NAME
from tests.conftest import recovery_posts
from tests.unknown_hosts import sitecustomize_dir

pytestmark = pytest.mark.engine

AK, SK, SECURITY_TOKEN = "AKSESSION0000000", "sk-Example-0123456789abcdef", "st-Session-Token-0123456789abcdef"


def output(result) -> str:
    return result.stdout + result.stderr


def test_a_temporary_access_key_pair_restores_with_its_security_token(stack, emulator):
    """Item 5: OS_SECURITY_TOKEN is sent, signed; before, it was dropped and DDM answered 401."""
    emulator.backend.add_access_key(AK, SK, DEMO_PROJECT_ID, security_token=SECURITY_TOKEN)
    stack.unset("ddm:token")
    stack.config("ddm:accessKey", AK)
    stack.config("ddm:secretKey", SK, secret=True)
    stack.env.update(OS_SECURITY_TOKEN=SECURITY_TOKEN)
    result = stack.up(check=False)
    assert result.returncode == 0, output(result)
    assert len(recovery_posts(emulator)) == 1 and stack.outputs()["status"] == "Completed"
    assert all(r.status < 400 for r in emulator.backend.requests())
    assert SECURITY_TOKEN not in output(result) and SECURITY_TOKEN not in stack.export()


def test_a_stack_with_the_otc_providers_config_needs_no_second_copy(stack, emulator):
    """Item 7: `opentelekomcloud:*` keys log in to IAM when no `ddm:*` key is set; a mistyped
    `ddm:*` key is named once, with the nearest key the provider reads."""
    stack.unset("ddm:token")
    stack.unset("ddm:projectId")
    for key, value in {"authUrl": f"{emulator.url}/v3", "userName": DEMO_USER_NAME, "domainName": DEMO_DOMAIN_NAME,
                       "tenantName": DEMO_PROJECT_NAME}.items():
        stack.config(f"opentelekomcloud:{key}", value)
    stack.config("opentelekomcloud:password", DEMO_PASSWORD, secret=True)
    stack.config("ddm:pollIntervall", "0.1")  # a typo: warned about, ignored
    preview = stack.preview(check=False)
    assert preview.returncode == 0, output(preview)
    assert "preflight skipped" not in output(preview)
    warning = "stack config key ddm:pollIntervall is not a setting of ddm-resources and is ignored; did you mean " \
              "ddm:pollInterval?"
    assert output(preview).count(warning) == 1
    result = stack.up(check=False)
    assert result.returncode == 0, output(result)
    assert len(recovery_posts(emulator)) == 1 and stack.outputs()["status"] == "Completed"
    assert [r.status for r in emulator.backend.requests("POST", "/auth/tokens")] == [201] * len(
        emulator.backend.requests("POST", "/auth/tokens"))
    assert DEMO_PASSWORD not in output(result) and DEMO_PASSWORD not in stack.export()


def test_a_wrong_otc_provider_password_names_where_it_came_from(stack, emulator):
    stack.unset("ddm:token")
    stack.unset("ddm:projectId")
    for key, value in {"authUrl": f"{emulator.url}/v3", "userName": DEMO_USER_NAME, "domainName": DEMO_DOMAIN_NAME,
                       "tenantName": DEMO_PROJECT_NAME}.items():
        stack.config(f"opentelekomcloud:{key}", value)
    stack.config("opentelekomcloud:password", "wrong-Passw0rd", secret=True)
    text = output(stack.preview(check=False))
    assert "user from opentelekomcloud:userName" in text and "password from opentelekomcloud:password" in text
    assert "wrong-Passw0rd" not in text and recovery_posts(emulator) == []


def test_an_iam_host_that_does_not_exist_fails_once_with_the_setting_to_give(stack, emulator, tmp_path: Path):
    """Items 6 and 12: one lookup, no retry, "this host does not exist", `ddm:authUrl` /
    `OS_AUTH_URL` named, and no advice to switch the preflight off."""
    log = tmp_path / "resolver.log"
    stack.env.update(PYTHONPATH=str(sitecustomize_dir(tmp_path)), TEST_RESOLVER_LOG=str(log))
    stack.unset("ddm:token")
    stack.unset("ddm:projectId")
    stack.env.update(OS_AUTH_URL="https://iam.eu-ch2.otc.t-systems.invalid/v3", OS_USERNAME=DEMO_USER_NAME,
                     OS_PASSWORD=DEMO_PASSWORD, OS_DOMAIN_NAME=DEMO_DOMAIN_NAME, OS_PROJECT_NAME=DEMO_PROJECT_NAME)
    result = stack.preview(check=False)
    text = output(result)
    assert result.returncode != 0
    assert "this host does not exist (iam.eu-ch2.otc.t-systems.invalid does not resolve" in text
    assert "ddm:authUrl" in text and "OS_AUTH_URL" in text and "not retried" in text
    assert "preflight false" not in text and "Retry when" not in text
    assert log.read_text().splitlines() == ["iam.eu-ch2.otc.t-systems.invalid"]
    assert emulator.backend.requests() == []


def test_a_ddm_host_that_does_not_exist_fails_once_naming_ddm_endpoint(stack, emulator, tmp_path: Path):
    """Items 6 and 12 on the DDM side: the derived eu-ch2 host of an undocumented DDM endpoint."""
    log = tmp_path / "resolver.log"
    stack.env.update(PYTHONPATH=str(sitecustomize_dir(tmp_path)), TEST_RESOLVER_LOG=str(log))
    stack.config("ddm:endpoint", "https://ddm.eu-ch2.sc.otc.t-systems.invalid")
    result = stack.preview(check=False)
    text = output(result)
    assert result.returncode != 0
    assert "this host does not exist (ddm.eu-ch2.sc.otc.t-systems.invalid does not resolve" in text
    assert "ddm:endpoint" in text and "DDM_ENDPOINT" in text and "not retried" in text
    assert "preflight false" not in text and "Retry when" not in text
    assert log.read_text().splitlines() == ["ddm.eu-ch2.sc.otc.t-systems.invalid"]
    assert emulator.backend.requests() == []
