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
        second = yaml_stack.up()
        assert len(recovery_posts(emulator)) == 1
        assert f"continuing to wait on job {job.id}" in second.stdout
        [resource] = _resources(yaml_stack)
        assert resource["outputs"]["status"] == "Completed"
        assert not resource.get("initErrors")
        assert yaml_stack.outputs() == {"jobId": job.id, "status": "Completed"}
