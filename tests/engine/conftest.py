"""Drive the real Pulumi CLI on a copy of the root project, against the emulator.

Each test gets its own copy of `Pulumi.yaml`, `__main__.py` and `ddm_resources/` (so a test
may edit the provider module), the repository's `.venv`, a `file://` backend and a
passphrase secrets provider, all in a temporary directory. Nothing reaches the network.

Every `pulumi` command costs a process start (and, with a secret in the config, the
passphrase's key derivation): `stack init` and the eight `config set` of the documented
example are run once per session on a template (`stack_template`), and each test's `stack`
starts from a copy of it (its state and `Pulumi.test.yaml`, the endpoint set to the test's
emulator). Several keys at once go through one `pulumi config set-all` (`Stack.set_config`).
Cases that are one `pulumi preview` after a setup run several at once (`preview_all`), each on
its own copy and emulator; a test that needs a command in the background uses `Stack.start`.
"""

from __future__ import annotations

import compileall
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ddm_emulator import DEMO_PROJECT_ID, EmulatorServer
from tests.conftest import BACKUP, DATA_NODE, REPO, SOURCE, TARGET, TOKEN, seeded_emulator

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


class Background:
    """A `pulumi` command started by `Stack.start`: `poll()` while it runs; `returncode`,
    `stdout` and `stderr` once the `with` block has ended."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.stdout = self.stderr = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        self.stdout, self.stderr = self.process.communicate()

    def poll(self) -> int | None:
        return self.process.poll()

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    def finish(self, timeout: float) -> None:
        self._reader.join(timeout)
        if self._reader.is_alive():
            self.process.kill()
            self._reader.join()


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

    @contextmanager
    def start(self, *args: str, timeout: float = 300) -> Iterator[Background]:
        """`pulumi ARGS` in the background while the body runs (e.g. to act on the emulator once
        the command reached some point); on leaving, waits for it (killed after `timeout` s)."""
        process = subprocess.Popen(
            [self.pulumi_bin, *args, "--non-interactive", "--stack", self.name],
            cwd=self.workdir, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        running = Background(process)
        try:
            yield running
        finally:
            running.finish(timeout)

    def config(self, key: str, value: str, *, secret: bool = False, path: bool = False) -> None:
        flags = (["--secret"] if secret else []) + (["--path"] if path else [])
        self.run("config", "set", *flags, key, value)

    def set_config(self, values: Mapping[str, str], *, secret: Mapping[str, str] | None = None,
                   path: bool = False) -> None:
        """`pulumi config set-all`: every key of `values` (plain) and `secret` in one command;
        with `path`, keys are property paths (`dataNodes[0]`)."""
        pairs = [arg for key, value in values.items() for arg in ("--plaintext", f"{key}={value}")]
        pairs += [arg for key, value in (secret or {}).items() for arg in ("--secret", f"{key}={value}")]
        self.run("config", "set-all", *(["--path"] if path else []), *pairs)

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


def copy_root_project(workdir: Path) -> Path:
    """`Pulumi.yaml`, `__main__.py` and `ddm_resources/` of the repository in `workdir` (new), with
    the repository's .venv (symlinked); returns `workdir`."""
    workdir.mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", workdir)
    shutil.copy(REPO / "__main__.py", workdir)
    shutil.copytree(REPO / "ddm_resources", workdir / "ddm_resources",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (workdir / ".venv").symlink_to(REPO / ".venv")
    return workdir


def offline_env(root: Path) -> dict[str, str]:
    """The environment of `pulumi` commands: offline, a `file://` backend in `root/state`, a
    passphrase secrets provider, and no OS_/PULUMI_/DDM_ variable of the caller."""
    (root / "state").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "PULUMI_", "DDM_"))}
    env.update(
        PULUMI_HOME=str(root / "pulumi-home"),
        PULUMI_BACKEND_URL=f"file://{root / 'state'}",
        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
    )
    return env


TEMPLATE_ENDPOINT = "http://emulator.invalid"
"""`ddm:endpoint` in the template's config: each test's `stack` puts its emulator's URL there."""

EXAMPLE_CONFIG = {
    "ddm:endpoint": TEMPLATE_ENDPOINT,
    "ddm:projectId": DEMO_PROJECT_ID,
    "ddm:pollInterval": "0.1",
    "sourceInstanceId": SOURCE,
    "backupId": BACKUP,
    "targetInstanceId": TARGET,
    "dataNodes[0]": DATA_NODE,
}
"""The `stack` fixture's plain config (property paths), besides the secret `ddm:token`."""


@pytest.fixture(scope="session")
def stack_template(pulumi_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with `project/` (the root project with a `test` stack configured for the
    documented example, endpoint `TEMPLATE_ENDPOINT`, `ddm_resources` compiled) and `state/` (its
    `file://` backend): made once per session, copied by `project` and `stack`."""
    root = tmp_path_factory.mktemp("stack-template")
    workdir = copy_root_project(root / "project")
    template = new_stack(pulumi_bin, workdir, offline_env(root))
    template.set_config(EXAMPLE_CONFIG, secret={"ddm:token": TOKEN}, path=True)
    assert TEMPLATE_ENDPOINT in (workdir / "Pulumi.test.yaml").read_text()
    # bytecode beside the sources; copies keep the sources' mtimes, so their first import reuses it
    compileall.compile_dir(str(workdir / "ddm_resources"), quiet=1)
    return root


def template_project(stack_template: Path, workdir: Path) -> Path:
    """A copy of the template's root project (no stack config) in `workdir` (new); returns it."""
    shutil.copytree(stack_template / "project", workdir, symlinks=True, ignore=shutil.ignore_patterns("Pulumi.*.yaml"))
    return workdir


@pytest.fixture
def project(tmp_path: Path, stack_template: Path) -> Path:
    """A copy of the root project that tests may edit, using the repository's .venv."""
    return template_project(stack_template, tmp_path / "project")


@pytest.fixture
def pulumi_env(tmp_path: Path) -> dict[str, str]:
    """The environment of every `pulumi` command of a test: offline, a `file://` backend in
    `tmp_path/state`, a passphrase secrets provider, and no OS_/PULUMI_/DDM_ variable of the caller."""
    return offline_env(tmp_path)


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


def stack_copy(pulumi_bin: str, stack_template: Path, workdir: Path, env: dict[str, str], endpoint: str) -> Stack:
    """The template's configured `test` stack for the project copy `workdir` and the backend of
    `env`, with `ddm:endpoint` set to `endpoint` (the same as `pulumi stack init test` and
    `pulumi config set` of each key would leave)."""
    config = (stack_template / "project" / "Pulumi.test.yaml").read_text()
    (workdir / "Pulumi.test.yaml").write_text(config.replace(TEMPLATE_ENDPOINT, endpoint))
    shutil.copytree(stack_template / "state", Path(env["PULUMI_BACKEND_URL"].removeprefix("file://")),
                    dirs_exist_ok=True)
    return Stack(pulumi_bin, workdir, env)


@pytest.fixture
def stack(pulumi_bin: str, project: Path, pulumi_env: dict[str, str], emulator,
          stack_template: Path) -> Iterator[Stack]:
    """A `test` stack configured for the documented example restore against the emulator:
    `ddm:endpoint` (the emulator), `ddm:projectId`, `ddm:token` (secret), `ddm:pollInterval` 0.1,
    `sourceInstanceId`, `backupId`, `targetInstanceId` and `dataNodes[0]` (a copy of the
    session's `stack_template`)."""
    yield stack_copy(pulumi_bin, stack_template, project, pulumi_env, emulator.url)


Setup = Callable[[Stack, EmulatorServer], object]
"""What a preview case does before its preview: config changes, emulator state."""


@dataclass
class Previewed:
    """One case of `preview_all`: its `pulumi preview --diff` (not checked), its stack and emulator."""

    result: subprocess.CompletedProcess
    stack: Stack
    emulator: EmulatorServer


def preview_all(cases: Mapping[str, Setup], pulumi_bin: str, stack_template: Path, root: Path,
                workers: int = 4) -> dict[str, Previewed]:
    """For each case, what a test with the `stack` and `emulator` fixtures would do: a copy of
    the stack in `root/<case>` with an emulator of its own (`TEST_SETTINGS`), the case's setup,
    then `pulumi preview --diff`. Up to `workers` cases run at once (each `pulumi` command mostly
    waits on process starts); one module-scoped fixture runs its module's cases, and each test
    asserts on its own case."""

    def one(name: str, setup: Setup) -> Previewed:
        with seeded_emulator() as emulator:
            workdir = template_project(stack_template, root / name / "project")
            stack = stack_copy(pulumi_bin, stack_template, workdir, offline_env(root / name), emulator.url)
            setup(stack, emulator)
            return Previewed(stack.preview(check=False), stack, emulator)

    with ThreadPoolExecutor(workers) as pool:
        futures = {name: pool.submit(one, name, setup) for name, setup in cases.items()}
        return {name: future.result() for name, future in futures.items()}


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
