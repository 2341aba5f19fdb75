"""A new user's trial (issue 22 item 4): the emulator started from the shipped three-environment
inventory with an AK/SK pair on its command line, and `pulumi up` of three restores, one stack per
environment, with no Python written for the emulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from ddm_emulator import DEMO_PROJECT_ID
from tests.conftest import REPO
from tests.engine.conftest import new_stack

pytestmark = pytest.mark.engine

AK, SK = "AKTRIAL000000000", "sk-trial-0123456789"
ENVIRONMENTS = {  # stack: (source, backupId or None for a restoreTime, target, data nodes)
    "prod": ("a1000000000000000000000000000001in09", "a1000000000000000000000000000031br09",
             "a1000000000000000000000000000002in09",
             ["a1000000000000000000000000000021in01", "a1000000000000000000000000000022in01"]),
    "staging": ("b2000000000000000000000000000001in09", None, "b2000000000000000000000000000002in09",
                ["b2000000000000000000000000000021in01"]),
    "dr": ("a1000000000000000000000000000001in09", "a1000000000000000000000000000032br09",
           "c3000000000000000000000000000001in09",
           ["c3000000000000000000000000000021in01", "c3000000000000000000000000000022in01"]),
}


@pytest.fixture
def emulator_from_the_command_line(tmp_path: Path) -> Iterator[str]:
    """`python -m ddm_emulator --inventory ... --access-key AK:SK`, as the manual shows it; its URL."""
    url_file = tmp_path / "emulator-url"
    process = subprocess.Popen(
        [sys.executable, "-m", "ddm_emulator", "--inventory", "examples/emulator/three-envs.yaml",
         "--access-key", f"{AK}:{SK}", "--job-seconds", "1", "--url-file", str(url_file)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().startswith("DDM API emulator listening")
        yield url_file.read_text().strip()
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
        assert process.returncode == 0, stderr
        assert SK not in stderr


def test_three_environments_from_an_inventory_and_an_access_key(emulator_from_the_command_line, pulumi_bin, project,
                                                                 pulumi_env):
    url = emulator_from_the_command_line
    env = {**pulumi_env, "DDM_ENDPOINT": url, "OS_PROJECT_ID": DEMO_PROJECT_ID, "OS_ACCESS_KEY": AK,
           "OS_SECRET_KEY": SK, "DDM_POLL_INTERVAL": "0.1"}
    an_hour_ago = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    outputs = {}
    for name, (source, backup, target, nodes) in ENVIRONMENTS.items():
        stack = new_stack(pulumi_bin, project, env, name)
        stack.config("sourceInstanceId", source)
        stack.config("backupId", backup) if backup else stack.config("restoreTime", an_hour_ago)
        stack.config("targetInstanceId", target)
        for index, node in enumerate(nodes):
            stack.config(f"dataNodes[{index}]", node, path=True)
        stack.up()
        outputs[name] = stack.outputs()

    assert {name: out["status"] for name, out in outputs.items()} == dict.fromkeys(ENVIRONMENTS, "Completed")
    with httpx.Client(base_url=url, headers={"Content-Type": "application/json"}, timeout=10) as admin:
        jobs = admin.get("/_emulator/jobs").json()["jobs"]
        instances = admin.get("/_emulator/inventory").json()["instances"]
    held = {i["id"]: [s["name"] for s in i["schemas"]] for i in instances}
    assert sorted((j["id"], j["target_instance_id"]) for j in jobs) == sorted(
        (outputs[name]["job_id"], target) for name, (_, _, target, _) in ENVIRONMENTS.items())
    assert [held[target] for _, _, target, _ in ENVIRONMENTS.values()] == [
        ["orders", "customers", "audit"], ["orders", "customers"], ["orders", "customers"]]
