"""A stack config value set as a secret stays a secret everywhere (issue 19 item 7), through the
real engine: `pulumi config set --secret targetInstanceId ...` reached the resource as a plain
string (the root `__main__.py` read every key with `require`), so the state held the target 3 times
in clear and `pulumi stack output --json` printed it; the delete line of a replacement printed the
old target in clear."""

from __future__ import annotations

import json

import pytest

from tests.conftest import TARGET, recovery_posts
from tests.restore_targets import add_restore_targets

pytestmark = pytest.mark.engine


def test_a_secret_target_is_never_shown_and_the_state_keeps_it_encrypted(stack, emulator):
    stack.config("targetInstanceId", TARGET, secret=True)
    runs = [stack.run("up", "--yes", "--skip-preview", "-v=9", "--logtostderr")]
    assert len(recovery_posts(emulator)) == 1
    outputs = stack.outputs()
    assert outputs["status"] == "Completed" and outputs["target_instance_id"] == "[secret]"
    plain_state = stack.export()
    shown = json.loads(stack.run("stack", "export", "--show-secrets").stdout)
    [recovery] = [r for r in shown["deployment"]["resources"] if r["type"].endswith("MetadataRecovery")]
    kept = recovery["outputs"]["target"]["instance_id"]  # the secret is kept, marked secret (encrypted in state)
    assert json.loads(kept["plaintext"]) == TARGET and len(kept) == 2

    other = add_restore_targets(emulator.backend, 1)[0]  # a replacement onto another secret target
    stack.config("targetInstanceId", other.instance_id, secret=True)
    stack.config("dataNodes[0]", other.data_node, path=True)
    runs.append(stack.run("up", "--yes", "--skip-preview"))
    runs.append(stack.run("preview", "--diff"))
    assert len(recovery_posts(emulator)) == 2
    assert "forgetting metadata recovery job" in runs[1].stdout and "(target ***)" in runs[1].stdout
    scanned = "".join(r.stdout + r.stderr for r in runs) + plain_state + stack.export()
    scanned += stack.run("stack", "output", "--json").stdout
    for secret in (TARGET, other.instance_id):
        assert secret not in scanned
        assert secret[:16] not in scanned and secret[-16:] not in scanned
