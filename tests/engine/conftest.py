"""Drive the real Pulumi CLI on a copy of the root project, against the emulator.

Each test gets its own copy of `Pulumi.yaml`, `__main__.py` and `ddm_resources/` (so a test
may edit the provider module), the repository's `.venv`, a `file://` backend and a
passphrase secrets provider, all in a temporary directory. Nothing reaches the network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ddm_emulator import DEMO_PROJECT_ID
from tests.conftest import BACKUP, DATA_NODE, REPO, SOURCE, TARGET, TOKEN

PASSPHRASE = "engine-test-passphrase"


@pytest.fixture(scope="session")
def pulumi_bin() -> str:
    """The `pulumi` CLI: from PATH (scripts/test puts it there), else installed now."""
    found = shutil.which("pulumi")
    if found:
        return found
    result = subprocess.run([str(REPO / "scripts/install-pulumi")], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"scripts/install-pulumi failed:\n{result.stderr[-3000:]}")
    return str(Path(result.stdout.strip().splitlines()[-1]) / "pulumi")


@dataclass
class Stack:
    """One stack of a project copy, and the commands the tests run on it."""

    pulumi_bin: str
    workdir: Path
    env: dict[str, str]
    name: str = "test"

    def run(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [self.pulumi_bin, *args, "--non-interactive", "--stack", self.name],
            cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} exited {result.returncode}:\n"
                                 f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        return result

    def config(self, key: str, value: str, *, secret: bool = False, path: bool = False) -> None:
        flags = (["--secret"] if secret else []) + (["--path"] if path else [])
        self.run("config", "set", *flags, key, value)

    def unset(self, key: str) -> None:
        self.run("config", "rm", key)

    def up(self, *, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("up", "--yes", "--skip-preview", check=check)

    def preview(self, *, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("preview", "--diff", check=check)

    def outputs(self) -> dict[str, Any]:
        return json.loads(self.run("stack", "output", "--json").stdout)

    def export(self) -> str:
        return self.run("stack", "export").stdout

    def recoveries(self) -> list[dict[str, Any]]:
        """The MetadataRecovery resources recorded in the stack's state."""
        resources = json.loads(self.export())["deployment"].get("resources") or []
        return [r for r in resources if r["type"] == "pulumi-python:dynamic/ddm:MetadataRecovery"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the root project that tests may edit, using the repository's .venv."""
    workdir = tmp_path / "project"
    workdir.mkdir()
    shutil.copy(REPO / "Pulumi.yaml", workdir)
    shutil.copy(REPO / "__main__.py", workdir)
    shutil.copytree(REPO / "ddm_resources", workdir / "ddm_resources",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (workdir / ".venv").symlink_to(REPO / ".venv")
    return workdir


@pytest.fixture
def pulumi_env(tmp_path: Path) -> dict[str, str]:
    """The environment of every `pulumi` command of a test: offline, a `file://` backend in
    `tmp_path/state`, a passphrase secrets provider, and no OS_/PULUMI_/DDM_ variable of the caller."""
    (tmp_path / "state").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "PULUMI_", "DDM_"))}
    env.update(
        PULUMI_HOME=str(tmp_path / "pulumi-home"),
        PULUMI_BACKEND_URL=f"file://{tmp_path / 'state'}",
        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
    )
    return env


def new_stack(pulumi_bin: str, workdir: Path, env: dict[str, str], name: str = "test") -> Stack:
    """`pulumi stack init NAME` in `workdir`; the stack has no config yet."""
    subprocess.run([pulumi_bin, "stack", "init", name, "--non-interactive"],
                   cwd=workdir, env=env, check=True, capture_output=True, text=True)
    return Stack(pulumi_bin, workdir, env, name)


def python_project(workdir: Path, name: str, program: str) -> Path:
    """A Pulumi Python project NAME in `workdir` whose `__main__.py` is `program`, run with the
    repository's .venv (symlinked); returns `workdir`."""
    workdir.mkdir(parents=True)
    (workdir / "Pulumi.yaml").write_text(
        f"name: {name}\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: .venv\n")
    (workdir / "__main__.py").write_text(program)
    (workdir / ".venv").symlink_to(REPO / ".venv")
    return workdir


@pytest.fixture
def stack(pulumi_bin: str, project: Path, pulumi_env: dict[str, str], emulator) -> Iterator[Stack]:
    """A `test` stack configured for the documented example restore against the emulator."""
    stack = new_stack(pulumi_bin, project, pulumi_env)
    stack.config("ddm:endpoint", emulator.url)
    stack.config("ddm:projectId", DEMO_PROJECT_ID)
    stack.config("ddm:token", TOKEN, secret=True)
    stack.config("ddm:pollInterval", "0.1")
    stack.config("sourceInstanceId", SOURCE)
    stack.config("backupId", BACKUP)
    stack.config("targetInstanceId", TARGET)
    stack.config("dataNodes[0]", DATA_NODE, path=True)
    yield stack


MANY_RESTORES_PROGRAM = '''"""One MetadataRecovery per entry of config `targets` (JSON: [[target, data node], ...])."""
import json

import pulumi

from ddm_resources import MetadataRecovery, MetadataRecoveryArgs, RestoreSourceArgs, RestoreTargetArgs

config = pulumi.Config()
for index, (target, node) in enumerate(json.loads(config.require("targets"))):
    MetadataRecovery(f"restore-{index}", MetadataRecoveryArgs(
        source_instance_id=config.require("sourceInstanceId"),
        source=RestoreSourceArgs(backup_id=config.require("backupId")),
        target=RestoreTargetArgs(instance_id=target, data_nodes=[node]),
    ))
'''


def use_many_restores(stack: Stack, targets: list[tuple[str, str]]) -> None:
    """Make `stack`'s program restore onto each `(target instance, data node)` at once."""
    (stack.workdir / "__main__.py").write_text(MANY_RESTORES_PROGRAM)
    stack.config("targets", json.dumps(targets))
