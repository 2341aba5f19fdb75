"""The provider plugin `pulumi-resource-ddm` through the real engine, from a Pulumi YAML program.

The program names `type: ddm:index:MetadataRecovery`; the engine finds the plugin through
`plugins: providers:` in Pulumi.yaml (the directory of the venv's `pulumi-resource-ddm`), the YAML
language host (`scripts/install-pulumi` builds it) loads the schema from it. Same bars as the Python
resource: one POST on `up`, none on a second `up`, a changed source is a replacement, `destroy`
calls nothing; `pulumi import` of a completed job; a create past its deadline saved as partial state
and resumed on the same job with no further POST.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ddm_emulator import DEMO_PROJECT_ID, EmulatorSettings
from tests.conftest import BACKUP, DATA_NODE, REPO, SOURCE, TARGET, TOKEN, recovery_posts
from tests.engine.conftest import Stack, new_stack

pytestmark = pytest.mark.engine

PLUGIN_DIR = REPO / ".venv" / "bin"
TYPE = "ddm:index:MetadataRecovery"


def yaml_program(backup: str = BACKUP, target: str = TARGET, options: str = "") -> str:
    return f"""name: ddm-yaml
runtime: yaml
plugins:
  providers:
    - name: ddm
      path: {PLUGIN_DIR}
resources:
  recovery:
    type: {TYPE}
    properties:
      sourceInstanceId: {SOURCE}
      source:
        backupId: {backup}
      target:
        instanceId: {target}
        dataNodes: ["{DATA_NODE}"]
{options}outputs:
  jobId: ${{recovery.jobId}}
  status: ${{recovery.status}}
"""


@pytest.fixture
def yaml_stack(pulumi_bin: str, tmp_path: Path, pulumi_env: dict[str, str], emulator) -> Stack:
    if shutil.which("pulumi-language-yaml", path=str(Path(pulumi_bin).parent)) is None:
        pytest.fail("no pulumi-language-yaml beside pulumi: run scripts/install-pulumi")
    assert (PLUGIN_DIR / "pulumi-resource-ddm").exists(), "pip install -e . puts pulumi-resource-ddm in .venv/bin"
    workdir = tmp_path / "yaml"
    workdir.mkdir()
    (workdir / "Pulumi.yaml").write_text(yaml_program())
    stack = new_stack(pulumi_bin, workdir, pulumi_env)
    stack.config("ddm:endpoint", emulator.url)
    stack.config("ddm:projectId", DEMO_PROJECT_ID)
    stack.config("ddm:token", TOKEN, secret=True)
    stack.config("ddm:pollInterval", "0.1")
    return stack


def _resources(stack: Stack) -> list[dict]:
    resources = json.loads(stack.export())["deployment"].get("resources") or []
    return [r for r in resources if r["type"] == TYPE]


def test_yaml_program_restores_is_unchanged_replaces_and_destroys_without_calls(yaml_stack, emulator):
    preview = yaml_stack.preview()
    assert f"+ {TYPE}" in preview.stdout or "create" in preview.stdout
    assert recovery_posts(emulator) == []

    up = yaml_stack.up()
    [post] = recovery_posts(emulator)
    assert post.body == {"source": {"backup_id": BACKUP}, "target": {"instance_id": TARGET, "data_nodes": [DATA_NODE]}}
    [job] = emulator.backend.all_jobs()
    outputs = yaml_stack.outputs()
    assert outputs == {"jobId": job.id, "status": "Completed"}
    [resource] = _resources(yaml_stack)
    assert resource["id"] == job.id
    assert resource["outputs"]["jobId"] == job.id
    assert TOKEN not in yaml_stack.export() + up.stdout + up.stderr

    yaml_stack.run("up", "--yes", "--expect-no-changes")
    assert len(recovery_posts(emulator)) == 1

    # a changed backup onto the restored target: refused at preview, as the Python resource does
    (yaml_stack.workdir / "Pulumi.yaml").write_text(yaml_program(backup="0123456789abcdef0123456789abcdefbr09"))
    refused = yaml_stack.preview(check=False)
    assert refused.returncode != 0
    assert f"already holds the metadata restored by job {job.id}" in refused.stdout + refused.stderr
    # a changed backup onto a new target: a replacement (preflight off: the emulator knows no such target)
    yaml_stack.config("ddm:preflight", "false")
    (yaml_stack.workdir / "Pulumi.yaml").write_text(
        yaml_program(backup="0123456789abcdef0123456789abcdefbr09", target="0123456789abcdef0123456789abcdefin09"))
    replace = yaml_stack.preview()
    assert "+-" in replace.stdout and "replace" in replace.stdout
    assert len(recovery_posts(emulator)) == 1

    (yaml_stack.workdir / "Pulumi.yaml").write_text(yaml_program())
    before = len(emulator.backend.requests())
    yaml_stack.run("destroy", "--yes")
    assert len(emulator.backend.requests()) == before
    assert _resources(yaml_stack) == []


def test_import_a_completed_restore_by_job_id_then_up_is_unchanged(yaml_stack, emulator):
    yaml_stack.up()
    [job] = emulator.backend.all_jobs()
    yaml_stack.run("state", "delete", f"urn:pulumi:test::ddm-yaml::{TYPE}::recovery", "--yes")
    assert _resources(yaml_stack) == []

    imported = yaml_stack.run("import", TYPE, "recovery", job.id, "--yes", "--protect=false")
    assert "import" in imported.stdout
    [resource] = _resources(yaml_stack)
    assert resource["id"] == job.id
    assert resource["outputs"]["status"] == "Completed"
    assert resource["outputs"]["target"] == {"instanceId": TARGET}

    yaml_stack.run("up", "--yes", "--expect-no-changes")
    assert len(recovery_posts(emulator)) == 1


def test_import_refuses_a_job_that_is_no_restore(yaml_stack, emulator):
    result = yaml_stack.run("import", TYPE, "recovery", "0123456789abcdef0123456789abcdef", "--yes", check=False)
    assert result.returncode != 0
    assert "cannot import job 0123456789abcdef0123456789abcdef" in result.stdout + result.stderr
    assert _resources(yaml_stack) == []


class TestDeadline:
    @pytest.fixture
    def emulator_settings(self) -> EmulatorSettings:
        return EmulatorSettings(job_seconds=6.0)

    def test_a_create_past_its_deadline_is_saved_and_the_next_up_waits_on_that_job(self, yaml_stack, emulator):
        (yaml_stack.workdir / "Pulumi.yaml").write_text(yaml_program(options="    options:\n"
                                                                           "      customTimeouts:\n"
                                                                           "        create: 1s\n"))
        first = yaml_stack.up(check=False)
        assert first.returncode != 0
        [job] = emulator.backend.all_jobs()
        assert f"Its job {job.id} is saved in the stack state" in first.stdout + first.stderr
        [resource] = _resources(yaml_stack)
        assert resource["id"] == job.id
        assert resource["outputs"]["jobId"] == job.id
        assert resource.get("initErrors")

        (yaml_stack.workdir / "Pulumi.yaml").write_text(yaml_program())
        before = len(emulator.backend.requests())
        second = yaml_stack.up()
        assert len(recovery_posts(emulator)) == 1
        # the job list is not asked: the saved job is waited on, whatever the list would say
        after = emulator.backend.requests()[before:]
        assert [r.path for r in after if r.method == "GET" and r.path.endswith("/jobs")] == []
        assert any(r.path.endswith(f"/jobs/{job.id}") for r in after)
        assert f"continuing to wait on job {job.id}" in second.stdout
        [resource] = _resources(yaml_stack)
        assert resource["outputs"]["status"] == "Completed"
        assert not resource.get("initErrors")
        assert yaml_stack.outputs() == {"jobId": job.id, "status": "Completed"}


def many_restores(targets: list) -> str:
    lines = ["name: ddm-yaml", "runtime: yaml", "plugins:", "  providers:", "    - name: ddm",
             f"      path: {PLUGIN_DIR}", "resources:"]
    for index, target in enumerate(targets):
        lines += [f"  restore-{index}:", f"    type: {TYPE}", "    properties:", f"      sourceInstanceId: {SOURCE}",
                  f"      source: {{backupId: {BACKUP}}}",
                  f"      target: {{instanceId: {target.instance_id}, dataNodes: [{target.data_node}]}}"]
    return "\n".join(lines) + "\n"


class TestProgressRows:
    @pytest.fixture
    def emulator_settings(self) -> EmulatorSettings:
        return EmulatorSettings(job_seconds=4.0)

    @pytest.fixture
    def five(self, yaml_stack, emulator) -> Stack:
        from tests.restore_targets import add_restore_targets

        (yaml_stack.workdir / "Pulumi.yaml").write_text(many_restores(add_restore_targets(emulator.backend, 5)))
        return yaml_stack

    def test_the_plain_log_shows_each_progress_line_once_on_its_row(self, five, emulator):
        result = five.up()
        assert len(recovery_posts(emulator)) == 5
        body, _, diagnostics = result.stdout.partition("Diagnostics:")
        for index in range(5):
            rows = [line for line in body.splitlines() if f"restore-{index} " in line and " Running" in line]
            assert rows, f"no progress on the row of restore-{index}:\n{result.stdout}"
            assert len(rows) == len(set(rows)), rows
        assert " Running" not in diagnostics

    def test_a_terminal_shows_each_row_with_its_own_progress(self, five, emulator):
        import os
        import pty
        import re
        import select
        import subprocess

        leader, follower = pty.openpty()
        # a terminal as a user has it: Pulumi redraws in place only when it detects no CI system (CI=true in CI)
        env = {**five.env, "TERM": "xterm-256color", "COLUMNS": "200", "LINES": "50",
               "PULUMI_DISABLE_CI_DETECTION": "1"}
        proc = subprocess.Popen([five.pulumi_bin, "up", "--yes", "--skip-preview", "--stack", five.name],
                                cwd=five.workdir, env=env, stdin=follower, stdout=follower, stderr=follower)
        os.close(follower)
        raw = b""
        while True:
            ready, _, _ = select.select([leader], [], [], 120)
            if not ready:
                break
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            raw += chunk
        assert proc.wait(60) == 0, raw.decode(errors="replace")[-3000:]
        os.close(leader)
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r", "\n", raw.decode(errors="replace"))
        # the display redraws the table in place: each row is the resource's name, its step and its
        # newest message, in cells placed by cursor moves; the row of each restore shows its own job
        jobs: dict[int, set[str]] = {index: set() for index in range(5)}
        for cell in text.split(f"{TYPE} ")[1:]:
            name = cell.split()[0]
            row = cell.split("+ \n", 1)[0]
            for job_id in re.findall(r"job ([0-9a-f]{32}) Running \d+%", row):
                jobs[int(name.removeprefix("restore-"))].add(job_id)
        assert all(len(seen) == 1 for seen in jobs.values()), jobs
        assert len({job for seen in jobs.values() for job in seen}) == 5
        assert len(recovery_posts(emulator)) == 5


PYTHON_PROGRAM = f'''"""The plugin's resource from Python, by its type token (docs/plugin.md)."""
import pulumi

recovery = pulumi.CustomResource("{TYPE}", "recovery", {{
    "sourceInstanceId": "{SOURCE}",
    "source": {{"backupId": "{BACKUP}"}},
    "target": {{"instanceId": "{TARGET}", "dataNodes": ["{DATA_NODE}"]}},
    "jobId": None, "status": None,
}})
pulumi.export("jobId", recovery.jobId)
pulumi.export("status", recovery.status)
'''


def test_a_python_program_uses_the_plugin_by_type_token(pulumi_bin, tmp_path, pulumi_env, emulator):
    from tests.engine.conftest import python_project

    workdir = python_project(tmp_path / "py", "ddm-py", PYTHON_PROGRAM)
    with (workdir / "Pulumi.yaml").open("a") as project:
        project.write(f"plugins:\n  providers:\n    - name: ddm\n      path: {PLUGIN_DIR}\n")
    stack = new_stack(pulumi_bin, workdir, pulumi_env)
    stack.config("ddm:endpoint", emulator.url)
    stack.config("ddm:projectId", DEMO_PROJECT_ID)
    stack.config("ddm:token", TOKEN, secret=True)
    stack.config("ddm:pollInterval", "0.1")
    stack.up()
    [job] = emulator.backend.all_jobs()
    assert stack.outputs() == {"jobId": job.id, "status": "Completed"}
    stack.run("up", "--yes", "--expect-no-changes")
    assert len(recovery_posts(emulator)) == 1
