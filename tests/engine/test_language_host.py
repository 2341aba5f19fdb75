"""Our Python language host (tools/pulumi/pulumi-language-python) behaves as upstream's.

Small programs, each through the real CLI, with what Pulumi documents for them: a stack without
any config, config and secrets, a stack reference, a component resource, an unhandled exception,
and the run facts the program sees (`is_dry_run`, project, stack, organization, root directory,
working directory). Upstream's host passes the config only when the stack has some, always
passes the secret keys, and passes no interpreter flag. Ctrl-C (SIGINT to `pulumi up`, as a
terminal sends it to the CLI's process group; the engine puts each plugin in a group of its own)
makes the engine call the host's Cancel, which interrupts the program and kills it if it does
not stop. A first `up` in a fresh checkout creates the virtualenv that Pulumi.yaml names from
requirements.txt (this one test installs from PyPI).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.engine.conftest import Stack, new_stack, python_project
from tests.engine.test_faults_engine import accepted, processes_in, processes_running, wait_until

pytestmark = pytest.mark.engine


def program_stack(pulumi_bin: str, env: dict[str, str], where: Path, name: str, program: str) -> Stack:
    python_project(where, name, textwrap.dedent(program))
    return new_stack(pulumi_bin, where, env, "dev")


def test_a_stack_without_any_config_runs(pulumi_bin, pulumi_env, tmp_path):
    stack = program_stack(pulumi_bin, pulumi_env, tmp_path / "bare", "bare", """
        import pulumi
        pulumi.export("x", 1)
    """)
    stack.run("preview")
    stack.run("up", "--yes")
    assert stack.outputs() == {"x": 1}


def test_the_program_sees_the_run_it_belongs_to(pulumi_bin, pulumi_env, tmp_path):
    where = tmp_path / "facts"
    stack = program_stack(pulumi_bin, pulumi_env, where, "facts", """
        import os
        import sys
        import pulumi

        facts = {
            "dry_run": pulumi.runtime.is_dry_run(),
            "project": pulumi.get_project(),
            "stack": pulumi.get_stack(),
            "organization": pulumi.get_organization(),
            "root": pulumi.get_root_directory(),
            "cwd": os.getcwd(),
            "argv": sys.argv[1:],
        }
        pulumi.log.info("facts " + repr(sorted(facts.items())))
        print("printed by the program")
        pulumi.export("facts", facts)
    """)
    preview = stack.run("preview")
    assert "('dry_run', True)" in preview.stdout
    up = stack.run("up", "--yes", "--skip-preview")
    assert "('dry_run', False)" in up.stdout
    assert "printed by the program" in up.stdout
    assert stack.outputs()["facts"] == {
        "dry_run": False, "project": "facts", "stack": "dev", "organization": "organization",
        "root": str(where), "cwd": str(where), "argv": [],
    }


def test_config_and_secrets(pulumi_bin, pulumi_env, tmp_path):
    stack = program_stack(pulumi_bin, pulumi_env, tmp_path / "conf", "conf", """
        import pulumi

        config = pulumi.Config()
        pulumi.export("greeting", config.require("greeting"))
        pulumi.export("nested", config.require_object("nested"))
        pulumi.export("password", config.require_secret("password"))
        pulumi.export("other", pulumi.Config("other").get_int("count"))
        pulumi.export("secret_keys", {
            key: pulumi.runtime.is_config_secret(key) for key in ("conf:greeting", "conf:password")
        })
    """)
    stack.config("greeting", "hello")
    stack.config("nested.inner[0]", "a", path=True)
    stack.config("password", "s3cr3t-value", secret=True)
    stack.config("other:count", "3")
    up = stack.run("up", "--yes", "--skip-preview")
    assert "s3cr3t-value" not in up.stdout + up.stderr
    outputs = stack.outputs()
    assert outputs["password"] == "[secret]"
    assert outputs["greeting"] == "hello"
    assert outputs["nested"] == {"inner": ["a"]}
    assert outputs["other"] == 3
    assert outputs["secret_keys"] == {"conf:greeting": False, "conf:password": True}
    shown = json.loads(stack.run("stack", "output", "--json", "--show-secrets").stdout)
    assert shown["password"] == "s3cr3t-value"
    assert "s3cr3t-value" not in stack.export()


def test_stack_reference_reads_outputs_and_keeps_secrets_secret(pulumi_bin, pulumi_env, tmp_path):
    producer = program_stack(pulumi_bin, pulumi_env, tmp_path / "producer", "producer", """
        import pulumi
        pulumi.export("plain", "p-value")
        pulumi.export("hidden", pulumi.Output.secret("h-value"))
    """)
    producer.run("up", "--yes", "--skip-preview")
    consumer = program_stack(pulumi_bin, pulumi_env, tmp_path / "consumer", "consumer", """
        import pulumi
        ref = pulumi.StackReference("organization/producer/dev")
        pulumi.export("plain", ref.get_output("plain"))
        pulumi.export("hidden", ref.get_output("hidden"))
        pulumi.export("missing", ref.get_output("missing"))
    """)
    consumer.run("up", "--yes", "--skip-preview")
    outputs = consumer.outputs()
    assert outputs["plain"] == "p-value"
    assert outputs["hidden"] == "[secret]"
    assert "missing" not in outputs
    shown = json.loads(consumer.run("stack", "output", "--json", "--show-secrets").stdout)
    assert shown["hidden"] == "h-value"


def test_component_resource_and_its_child(pulumi_bin, pulumi_env, tmp_path):
    stack = program_stack(pulumi_bin, pulumi_env, tmp_path / "comp", "comp", """
        import pulumi

        class Box(pulumi.ComponentResource):
            def __init__(self, name, opts=None):
                super().__init__("test:index:Box", name, None, opts)
                self.label = pulumi.Output.from_input(name.upper())
                self.register_outputs({"label": self.label})

        outer = Box("outer")
        inner = Box("inner", pulumi.ResourceOptions(parent=outer))
        pulumi.export("labels", [outer.label, inner.label])
    """)
    stack.run("up", "--yes", "--skip-preview")
    assert stack.outputs() == {"labels": ["OUTER", "INNER"]}
    resources = json.loads(stack.export())["deployment"]["resources"]
    boxes = {r["urn"].rsplit("::", 1)[1]: r for r in resources if r["type"] == "test:index:Box"}
    assert set(boxes) == {"outer", "inner"}
    assert boxes["inner"]["parent"] == boxes["outer"]["urn"]
    assert boxes["outer"]["outputs"] == {"label": "OUTER"}
    assert stack.run("preview", "--expect-no-changes").returncode == 0


def test_an_unhandled_exception_fails_with_the_users_traceback_only(pulumi_bin, pulumi_env, tmp_path):
    stack = program_stack(pulumi_bin, pulumi_env, tmp_path / "boom", "boom", """
        import pulumi

        def explode():
            raise ValueError("boom 42")

        pulumi.export("before", 1)
        explode()
    """)
    result = stack.run("up", "--yes", "--skip-preview", check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Program failed with an unhandled exception" in out
    assert "ValueError: boom 42" in out
    assert 'in explode' in out
    assert "runpy" not in out  # the traceback starts at the user's program
    assert "non-zero exit code" not in out  # exit code 32: the message was already shown


@contextmanager
def running_up(stack: Stack, output: Path) -> Iterator[subprocess.Popen]:
    """`pulumi up` in its own process group (as a terminal runs it), its output into `output`;
    killed on the way out if still running."""
    with output.open("w") as sink:
        proc = subprocess.Popen(
            [stack.pulumi_bin, "up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack.name],
            cwd=stack.workdir, env=stack.env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def ctrl_c(proc: subprocess.Popen) -> None:
    """Press Ctrl-C: SIGINT to the CLI's process group (a terminal's foreground group)."""
    os.killpg(proc.pid, signal.SIGINT)


def exit_code(proc: subprocess.Popen, timeout: float = 90) -> int:
    """The CLI's exit code, once it has exited by itself."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"pulumi up still running after {timeout}s") from None


def program_pids(where: Path) -> list[int]:
    """PIDs of the Python programs (run by pulumi-language-python-exec) working in `where`."""
    return processes_running(where, "pulumi-language-python-exec")


def test_ctrl_c_kills_a_program_that_ignores_sigint(pulumi_bin, pulumi_env, tmp_path):
    # Ctrl-C while a create is in flight: the engine calls Cancel at once and waits for the
    # create. The host sends the program SIGINT, and kills it 5 s later as it ignores it: the
    # program is gone while `pulumi up` still waits for the create (without Cancel, only when
    # the engine closes the host after the create).
    where = tmp_path / "slow"
    stack = program_stack(pulumi_bin, pulumi_env, where, "slow", """
        import signal
        import time
        from pathlib import Path

        from pulumi.dynamic import CreateResult, Resource, ResourceProvider

        class SlowCreate(ResourceProvider):
            def create(self, props):
                Path("creating").touch()
                time.sleep(15)
                return CreateResult("slow-1", {})

        class Slow(Resource):
            def __init__(self, name):
                super().__init__(SlowCreate(), name, {})

        signal.signal(signal.SIGINT, signal.SIG_IGN)
        Slow("slow")
    """)
    with running_up(stack, tmp_path / "up.txt") as proc:
        wait_until(lambda: (where / "creating").exists())
        assert program_pids(where)
        ctrl_c(proc)
        wait_until(lambda: not program_pids(where) or proc.poll() is not None, timeout=30)
        assert proc.poll() is None, "the program ran until the engine closed the host"
        assert exit_code(proc) != 0
    out = (tmp_path / "up.txt").read_text()
    assert "^C received; cancelling" in out and "update canceled" in out
    assert [r["urn"].rsplit("::", 1)[1] for r in json.loads(stack.export())["deployment"]["resources"]
            if r["type"] == "pulumi-python:dynamic:Resource"] == ["slow"]
    wait_until(lambda: not processes_in(where), timeout=15)  # host and provider closed


def test_ctrl_c_during_a_restore_records_it_and_the_next_up_sends_nothing(stack, emulator, tmp_path):
    # As with the official CLI: the program is interrupted at once, the engine lets the create
    # in flight finish (the provider waits for its job), records it, ends "update canceled" and
    # closes the plugins.
    emulator.backend.configure(job_seconds=10)
    with running_up(stack, tmp_path / "up.txt") as proc:
        wait_until(lambda: len(emulator.backend.requests(method="GET", path_contains="/jobs/")) >= 1)
        assert program_pids(stack.workdir)
        ctrl_c(proc)
        wait_until(lambda: not program_pids(stack.workdir) or proc.poll() is not None)
        assert proc.poll() is None, "the program ran until the engine closed the host"
        assert exit_code(proc) != 0
    out = (tmp_path / "up.txt").read_text()
    assert "^C received; cancelling" in out and "update canceled" in out
    wait_until(lambda: not processes_in(stack.workdir), timeout=15)  # host and provider closed
    [job] = emulator.backend.all_jobs()
    assert accepted(emulator) == 1
    state = json.loads(stack.export())["deployment"]
    assert not state.get("pending_operations")
    [recovery] = stack.recoveries()
    assert recovery["outputs"]["job_id"] == job.id and recovery["outputs"]["status"] == "Completed"
    stack.up()
    assert accepted(emulator) == 1
    assert stack.outputs()["job_id"] == job.id


def test_first_up_in_a_fresh_checkout_creates_the_virtualenv(stack, emulator):
    # Pulumi.yaml names `.venv`; a fresh checkout has none. The host creates it and installs
    # requirements.txt (pip, from PyPI), then the program runs in it.
    # requirements.txt is `-e .`: the checkout itself, with its dependencies declared in pyproject.toml
    (stack.workdir / ".venv").unlink()
    for name in ("requirements.txt", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, stack.workdir)
    result = stack.up()
    assert "Creating virtual environment..." in result.stdout  # pip's progress, as upstream shows it
    assert "Finished installing dependencies" in result.stdout
    venv = stack.workdir / ".venv"
    assert not venv.is_symlink() and (venv / "bin" / "python").exists()
    installed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
                               capture_output=True, text=True, check=True).stdout
    assert {"pulumi", "httpx", "pydantic"} <= {package["name"].lower() for package in json.loads(installed)}
    assert stack.outputs()["status"] == "Completed"
    assert accepted(emulator) == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "Creating virtual environment" not in stack.up().stdout  # made once
