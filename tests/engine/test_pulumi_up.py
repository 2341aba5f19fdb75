"""The root project through the real Pulumi engine (`pulumi up/preview/refresh/destroy`)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import DOC_EXAMPLE_BODY, REPO, TOKEN, recovery_posts
from tests.engine.conftest import Previewed, Stack, preview_all

pytestmark = pytest.mark.engine


def test_up_restores_the_documented_example(stack, emulator):
    result = stack.up()
    posts = recovery_posts(emulator)
    assert len(posts) == 1
    assert posts[0].body == DOC_EXAMPLE_BODY
    jobs = emulator.backend.all_jobs()
    assert len(jobs) == 1
    outputs = stack.outputs()
    assert outputs["job_id"] == jobs[0].id
    assert outputs["status"] == "Completed"
    assert f"accepted as job {jobs[0].id}" in result.stdout
    [recovery] = stack.recoveries()
    assert recovery["id"] == jobs[0].id
    assert recovery["outputs"]["job_id"] == jobs[0].id


def test_nothing_changed_or_code_edited_means_no_second_restore(stack, emulator, project):
    stack.up()
    first = stack.outputs()
    stack.run("up", "--yes", "--expect-no-changes")
    assert len(recovery_posts(emulator)) == 1

    provider_module = project / "ddm_resources" / "provider.py"
    provider_module.write_text(provider_module.read_text() + "\n# an edited comment: same code\n")
    stack.run("up", "--yes", "--expect-no-changes")
    assert len(recovery_posts(emulator)) == 1
    assert stack.outputs() == first

    stack.config("backupId", "0123456789abcdef0123456789abcdefbr09")
    preview = stack.preview(check=False)  # a replacement onto the filled target: refused at preview already
    assert preview.returncode != 0
    assert f"already holds the metadata restored by job {first['job_id']}" in preview.stdout + preview.stderr
    assert len(recovery_posts(emulator)) == 1


def test_refresh_keeps_outputs_and_destroy_calls_no_api(stack, emulator):
    stack.up()
    before = stack.outputs()
    stack.run("refresh", "--yes")
    assert stack.outputs() == before
    assert len(stack.recoveries()) == 1
    requests_before_destroy = len(emulator.backend.requests())
    destroy = stack.run("destroy", "--yes")
    assert len(emulator.backend.requests()) == requests_before_destroy
    assert stack.recoveries() == []
    assert "nothing is undone" in destroy.stdout


def test_failed_job_fails_up_names_the_job_and_records_nothing(stack, emulator):
    emulator.backend.fail_next_job("Metadata restoration failed: data node f4e2 unreachable.")
    result = stack.up(check=False)
    assert result.returncode != 0
    [job] = emulator.backend.all_jobs()
    assert f"DDM job {job.id} ended Failed" in result.stdout + result.stderr
    assert stack.recoveries() == []


BAD_SOURCES = {"neither": ({"backupId": None}, "neither is set"),
               "both": ({"restoreTime": "1716180000000"}, "both are set")}
"""Case id: (config set (None: removed) before the preview, words of the error)."""


@pytest.fixture(scope="module")
def bad_source_previews(pulumi_bin, stack_template, tmp_path_factory) -> dict[str, Previewed]:
    """The previews of the `BAD_SOURCES` cases, run at once (`preview_all`)."""
    def setup(config):
        def apply(stack, emulator) -> None:
            for key, value in config.items():
                stack.unset(key) if value is None else stack.config(key, value)
        return apply

    return preview_all({case: setup(config) for case, (config, _) in BAD_SOURCES.items()}, pulumi_bin, stack_template,
                       tmp_path_factory.mktemp("bad-source"))


@pytest.mark.parametrize("case", BAD_SOURCES)
def test_preview_rejects_bad_source_before_any_request(bad_source_previews, case):
    _, words = BAD_SOURCES[case]
    result, emulator = bad_source_previews[case].result, bad_source_previews[case].emulator
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "source.backup_id" in output and words in output
    assert emulator.backend.requests() == []


def test_no_token_in_state_or_output(stack):
    result = stack.up()
    assert TOKEN not in stack.export()
    assert TOKEN not in result.stdout + result.stderr


def test_job_id_reaches_a_downstream_stack_through_stack_reference(stack, emulator, tmp_path):
    stack.up()
    job_id = stack.outputs()["job_id"]
    downstream = tmp_path / "downstream"
    shutil.copytree(REPO / "examples" / "downstream-stack", downstream)
    (downstream / ".venv").symlink_to(REPO / ".venv")
    down = Stack(stack.pulumi_bin, downstream, stack.env, name="staging")
    subprocess.run([stack.pulumi_bin, "stack", "init", "staging", "--non-interactive"],
                   cwd=downstream, env=stack.env, check=True, capture_output=True)
    down.config("upstreamStack", "organization/ddm-metadata-recovery/test")
    down.up()
    outputs = down.outputs()
    assert outputs["restored_by_job"] == job_id
    assert outputs["restore_status"] == "Completed"
    assert outputs["summary"] == f"metadata restored by DDM job {job_id} (Completed)"


def test_replacing_onto_the_same_target_fails_clearly_and_keeps_the_old_restore(stack, emulator):
    stack.up()
    first = stack.outputs()["job_id"]
    stack.config("backupId", "0123456789abcdef0123456789abcdefbr09")
    preview = stack.preview(check=False)
    assert preview.returncode != 0
    assert f"already holds the metadata restored by job {first}" in preview.stdout + preview.stderr
    result = stack.up(check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"already holds the metadata restored by job {first}" in output
    assert "point target.instance_id at a new, empty DDM instance" in output
    assert len(recovery_posts(emulator)) == 1
    assert [r["id"] for r in stack.recoveries()] == [first]
