"""The examples, run exactly as their READMEs say, against the emulator.

The commands are read out of each example README's ```sh blocks (so README and test cannot drift)
and run with bash in a copy of the example outside the checkout, with the real Pulumi CLI. What a
reader would replace is replaced, and only that: the README's placeholders (`<source DDM instance
ID>`, ...) by the emulator's IDs, and the repository URL (`git+https://<your git host>/<group>/
ddm-resources@REF`) by a bare git repository that holds this checkout's HEAD as `main` (and its
tags), so a REF that does not exist there fails the install. A placeholder the test does not know
fails the test. The reader's machine is stood in for by the environment: `HOME` with a
clouds.yaml whose cloud `otc` logs in to the emulator's IAM (password), `DDM_ENDPOINT` naming the
emulator (a non-OTC endpoint, as the READMEs say), a `file://` backend, and
`PULUMI_SKIP_CONFIRMATIONS` answering `pulumi up`'s question with yes.

One virtualenv, outside the checkout, gets every example's `requirements.txt` first (installed
from the bare repository, as the examples document); each example's `.venv` links to it, so the
README's `python3 -m venv .venv && .venv/bin/pip install -r requirements.txt` runs as written
but finds everything installed. gitops-dr's workflow is also run step by step, each job with its
own key pair. The root project's program runs the same way (issue 10's acceptance: a fresh venv
outside the checkout, `pip install` of the repository, `pulumi up`), and `pip install -U` of a
newer commit upgrades in place, with `pulumi about` naming the commit.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import yaml

from ddm_emulator import DEMO_DOMAIN_NAME, DEMO_PASSWORD, DEMO_PROJECT_ID, DEMO_USER_NAME
from tests.conftest import BACKUP, DATA_NODE, REPO, SOURCE, TARGET, TOKEN
from tests.engine.conftest import Stack, new_stack, python_project

pytestmark = pytest.mark.engine

EXAMPLES = REPO / "examples"
AK, SK = "AKEXAMPLE0000000", "sk-Secret0000-0123456789"
READONLY_AK, READONLY_SK = "AKREADONLY000000", "sk-ReadOnly00-0123456789"
DOCS_GIT_URL = "git+https://<your git host>/<group>/ddm-resources"
WORKFLOW_GIT_URL = "git+https://github.com/${{ github.repository_owner }}/ddm-resources"
# what a reader puts in for each placeholder of the READMEs, against the emulator's seed
PLACEHOLDERS = {
    "<source DDM instance ID>": SOURCE,
    "<production DDM instance ID>": SOURCE,
    "<new, empty DDM instance ID>": TARGET,
    "<new, empty staging DDM instance ID>": TARGET,
    "<RDS instance restored (PITR) to that time>": DATA_NODE,
    "<RDS instance restored for staging>": DATA_NODE,
    "<access key ID>": AK,
    "<secret key>": SK,
    "<project ID>": DEMO_PROJECT_ID,
}
# plan.example.json's second restore target, added to the emulator under the IDs the plan names
BILLING_TARGET, BILLING_NODE = "3a1b2c3d4e5f40718293a4b5c6d7e8f9in09", "4b5c6d7e8f9a40b1c2d3e4f5a6b7c8d9in01"


# the repository a reader installs from, and the reader's virtualenv -----------------------------------

@pytest.fixture(scope="session")
def git_remote(tmp_path_factory) -> Path:
    """A bare repository standing in for the reader's git host: this checkout's HEAD as `main`, its tags."""
    if subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "ddm_resources", "ddm_emulator",
                       "pyproject.toml"], capture_output=True, text=True).stdout.strip():
        pytest.skip("the examples install the committed HEAD: commit ddm_resources/ddm_emulator changes first")
    remote = tmp_path_factory.mktemp("githost") / "ddm-resources.git"
    head = git(REPO, "rev-parse", "HEAD")
    subprocess.run(["git", "clone", "--quiet", "--bare", str(REPO), str(remote)], check=True, capture_output=True)
    git(remote, "update-ref", "refs/heads/main", head)
    git(remote, "symbolic-ref", "HEAD", "refs/heads/main")
    return remote


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout.strip()


def git_url(remote: Path) -> str:
    return f"git+file://localhost{remote}"


@pytest.fixture(scope="session")
def user_venv(git_remote, tmp_path_factory) -> Path:
    """A virtualenv outside the checkout with every example's requirements.txt installed."""
    venv = tmp_path_factory.mktemp("user") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**os.environ, "DDM_RESOURCES_GIT_URL": f"{git_url(git_remote)}@main"}
    requirements = [arg for path in sorted(EXAMPLES.glob("*/requirements.txt")) for arg in ("-r", str(path))]
    result = subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements,
         f"ddm-resources[emulator] @ {git_url(git_remote)}@main"],
        env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return venv


def example(name: str, tmp_path: Path, venv: Path) -> Path:
    """A copy of `examples/NAME` outside the checkout, with a `.venv` of its own that also sees the user's
    virtualenv's packages (through a `.pth` file), so the README's `python3 -m venv .venv` and `pip install
    -r requirements.txt` run on a real virtualenv but find everything installed already."""
    workdir = tmp_path / name
    shutil.copytree(EXAMPLES / name, workdir, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    subprocess.run([sys.executable, "-m", "venv", str(workdir / ".venv")], check=True)
    [shared] = venv.glob("lib/python3*/site-packages")
    [own] = (workdir / ".venv").glob("lib/python3*/site-packages")
    (own / "_user_venv.pth").write_text(f"{shared}\n")
    return workdir


# the README's commands, as written --------------------------------------------------------------------

def readme_commands(name: str) -> str:
    """The ```sh blocks of `examples/NAME/README.md`, in order."""
    blocks = re.findall(r"^```sh\n(.*?)^```", (EXAMPLES / name / "README.md").read_text(), flags=re.S | re.M)
    assert blocks, f"examples/{name}/README.md has no ```sh block"
    return "".join(blocks)


def as_the_reader_runs_it(commands: str, remote: Path) -> str:
    """`commands` with the repository URL and the placeholders put in; fails on a placeholder it does not know."""
    script = commands.replace(DOCS_GIT_URL, git_url(remote))
    for placeholder, value in PLACEHOLDERS.items():
        script = script.replace(placeholder, value)
    code = [re.sub(r"(^|\s)#.*$", "", line) for line in script.splitlines()]
    unknown = sorted({m for line in code for m in re.findall(r"<[^<>]+>", line)})
    assert not unknown, f"README placeholders the test does not know: {unknown}"
    return script


@pytest.fixture
def reader_env(pulumi_env, emulator, tmp_path) -> dict[str, str]:
    """The environment of a reader on whose machine the emulator is the cloud."""
    home = tmp_path / "home"
    (home / ".config/openstack").mkdir(parents=True)
    (home / ".config/openstack/clouds.yaml").write_text(yaml.safe_dump({"clouds": {"otc": {
        "auth": {"auth_url": f"{emulator.url}/v3", "username": DEMO_USER_NAME, "password": DEMO_PASSWORD,
                 "user_domain_name": DEMO_DOMAIN_NAME, "project_id": DEMO_PROJECT_ID},
        "region_name": "eu-de"}}}))
    bin_dir = tmp_path / "bin"  # `python`, as actions/setup-python and most machines provide it
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(getattr(sys, "_base_executable", sys.executable))
    return {**pulumi_env, "HOME": str(home), "PATH": f"{bin_dir}{os.pathsep}{pulumi_env['PATH']}",
            "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache/pip")),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1", "DDM_ENDPOINT": emulator.url, "DDM_POLL_INTERVAL": "0.1",
            "PULUMI_SKIP_CONFIRMATIONS": "true"}


def bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`script` run by bash, stopping at the first command that fails: `a && b` is run as `a` then `b`
    (the same when both succeed; under `set -e` bash would go on after a failing `a`)."""
    return subprocess.run(["bash", "-c", "set -eo pipefail\n" + script.replace(" && ", "\n")], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def run_readme(name: str, workdir: Path, env: dict[str, str], remote: Path) -> subprocess.CompletedProcess:
    result = bash(as_the_reader_runs_it(readme_commands(name), remote), workdir, env)
    assert result.returncode == 0, (f"examples/{name}/README.md's commands exited {result.returncode}:\n"
                                    f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def recovery_posts(emulator) -> list:
    return [r for r in emulator.backend.requests(method="POST") if "metadata-recovery" in r.path]


def ms_ago(ms: int) -> float:
    return datetime.now(timezone.utc).timestamp() - ms / 1000


def test_the_readme_check_refuses_an_unknown_placeholder_and_a_missing_tag(git_remote):
    with pytest.raises(AssertionError, match="<your DDM instance>"):
        as_the_reader_runs_it("pulumi config set x <your DDM instance>\n", git_remote)
    assert as_the_reader_runs_it("echo <project ID>  # <anything> in a comment\n", git_remote) == (
        f"echo {DEMO_PROJECT_ID}  # <anything> in a comment\n")
    tags = git(git_remote, "tag", "--list")
    for name in ("automation-dr-runner", "environment-clone", "pitr-restore", "gitops-dr"):
        refs = re.findall(r"ddm-resources@([\w./-]+)", readme_commands(name))
        assert refs == ["main"], (name, refs)  # a ref that exists in the repository (no release is tagged yet)
    assert "v0.1.0" not in tags.split()


# pitr-restore, then downstream-stack reading its outputs -----------------------------------------------

def test_pitr_restore_then_downstream_stack_run_as_their_readmes_say(user_venv, git_remote, tmp_path, pulumi_bin,
                                                                     reader_env, emulator):
    pitr = example("pitr-restore", tmp_path, user_venv)
    run_readme("pitr-restore", pitr, reader_env, git_remote)
    outputs = Stack(pulumi_bin, pitr, reader_env, "dev").outputs()
    [post] = recovery_posts(emulator)
    assert outputs["status"] == "Completed" and outputs["job_id"] == emulator.backend.all_jobs()[0].id
    assert post.body["source"] == {"restore_time": outputs["restore_time_ms"]}
    assert 2 * 3600 <= ms_ago(outputs["restore_time_ms"]) < 2 * 3600 + 600  # the README's "2 hours ago"

    downstream = example("downstream-stack", tmp_path, user_venv)
    run_readme("downstream-stack", downstream, reader_env, git_remote)
    read = Stack(pulumi_bin, downstream, reader_env, "dev").outputs()
    assert (read["restored_by_job"], read["restore_status"]) == (outputs["job_id"], "Completed")


def test_pitr_restore_refuses_missing_config(user_venv, tmp_path, pulumi_bin, reader_env, emulator):
    stack = new_stack(pulumi_bin, example("pitr-restore", tmp_path, user_venv), reader_env)
    stack.config("targetInstanceId", TARGET)
    stack.config("dataNodes[0]", DATA_NODE, path=True)
    result = stack.preview(check=False)
    assert result.returncode != 0 and "sourceInstanceId" in result.stdout + result.stderr  # no example IDs
    assert not emulator.backend.all_jobs()


# environment cloning ----------------------------------------------------------------------------------

def test_environment_clone_runs_as_its_readme_says(user_venv, git_remote, tmp_path, pulumi_bin, reader_env,
                                                   emulator):
    workdir = example("environment-clone", tmp_path, user_venv)
    run_readme("environment-clone", workdir, reader_env, git_remote)
    outputs = Stack(pulumi_bin, workdir, reader_env, "staging").outputs()
    assert outputs["status"] == "Completed"
    assert 3600 <= ms_ago(outputs["restored_to_ms"]) < 3600 + 600  # the README's "1 hour ago"
    [post] = recovery_posts(emulator)
    assert post.body["source"] == {"restore_time": outputs["restored_to_ms"]}
    assert post.body["target"]["data_nodes"] == [DATA_NODE]
    assert emulator.backend.requests(path_contains="/v3/auth/tokens")  # OS_CLOUD=otc: a password login


@pytest.fixture
def clone(user_venv, tmp_path, pulumi_bin, reader_env) -> Stack:
    return new_stack(pulumi_bin, example("environment-clone", tmp_path, user_venv),
                     {**reader_env, "OS_CLOUD": "otc"}, name="staging")


def test_environment_clone_refuses_missing_config(clone, emulator):
    result = clone.preview(check=False)
    assert result.returncode != 0 and "sourceInstanceId" in result.stdout + result.stderr
    for key, value in (("sourceInstanceId", SOURCE), ("targetInstanceId", TARGET), ("restoreTime", "latest")):
        clone.config(key, value)
    result = clone.preview(check=False)
    assert result.returncode != 0 and "missing data nodes" in result.stdout + result.stderr
    assert not emulator.backend.all_jobs()


def test_environment_clone_takes_data_nodes_from_the_rds_stack(clone, emulator, tmp_path, pulumi_bin):
    rds = python_project(tmp_path / "rds", "rds", f"import pulumi\npulumi.export('dataNodeIds', [{DATA_NODE!r}])\n")
    rds_stack = new_stack(pulumi_bin, rds, clone.env, name="staging")
    rds_stack.up()
    for key, value in (("sourceInstanceId", SOURCE), ("targetInstanceId", TARGET), ("restoreTime", "latest"),
                       ("rdsStack", "organization/rds/staging")):
        clone.config(key, value)
    clone.up()
    [post] = recovery_posts(emulator)
    assert post.body["target"]["data_nodes"] == [DATA_NODE]


# GitOps DR --------------------------------------------------------------------------------------------

def workflow() -> dict:
    return yaml.safe_load((EXAMPLES / "gitops-dr/.github/workflows/ddm-dr.yml").read_text())


def test_gitops_workflow_previews_with_a_read_only_key_and_restores_only_in_the_protected_job():
    flow = workflow()
    triggers = flow.get("on") or flow.get(True)  # YAML 1.1 reads the key `on` as True
    assert {"pull_request", "push"} <= set(triggers)
    jobs = flow["jobs"]
    actions = {name: [s for s in job["steps"] if str(s.get("uses", "")).startswith("pulumi/actions@")]
               for name, job in jobs.items()}
    assert {name: [a["with"]["command"] for a in steps] for name, steps in actions.items()} == {
        "preview": ["preview"], "up": ["up"]}
    assert jobs["preview"]["if"] == "github.event_name == 'pull_request'" and "environment" not in jobs["preview"]
    assert jobs["up"]["if"] == "github.event_name == 'push'" and jobs["up"]["environment"] == "dr"
    assert jobs["preview"]["env"] == {"OS_ACCESS_KEY": "${{ secrets.OTC_READONLY_ACCESS_KEY }}",
                                      "OS_SECRET_KEY": "${{ secrets.OTC_READONLY_SECRET_KEY }}"}
    assert jobs["up"]["env"] == {"OS_ACCESS_KEY": "${{ secrets.OTC_ACCESS_KEY }}",
                                 "OS_SECRET_KEY": "${{ secrets.OTC_SECRET_KEY }}"}
    assert not {k for k in flow["env"] if k.startswith(("OS_ACCESS", "OS_SECRET"))}  # no key pair for every job
    secrets = {k: v for k, v in flow["env"].items() if k.startswith(("OS_PROJECT", "PULUMI_ACCESS"))}
    assert secrets and all(v.startswith("${{ secrets.") for v in secrets.values())
    text = (EXAMPLES / "gitops-dr/.github/workflows/ddm-dr.yml").read_text()
    assert "# DDM_ENDPOINT: " in text  # where a non-OTC endpoint goes
    committed = (EXAMPLES / "gitops-dr/Pulumi.dr.yaml").read_text()
    assert "secure:" not in committed and "password" not in committed.lower()


def test_gitops_workflow_jobs_run_step_by_step_each_with_its_key_pair(user_venv, git_remote, tmp_path, pulumi_bin,
                                                                      reader_env, emulator):
    """The preview job runs while the emulator knows only the read-only key pair: given the restore-capable
    one, it would be refused. Then the up job, with the restore-capable pair."""
    flow = workflow()
    secrets = {"OTC_PROJECT_ID": DEMO_PROJECT_ID, "PULUMI_ACCESS_TOKEN": "",
               "OTC_READONLY_ACCESS_KEY": READONLY_AK, "OTC_READONLY_SECRET_KEY": READONLY_SK,
               "OTC_ACCESS_KEY": AK, "OTC_SECRET_KEY": SK}

    def expand(value: object) -> str:
        text = str(value).replace(WORKFLOW_GIT_URL, git_url(git_remote))
        text = re.sub(r"\$\{\{ secrets\.(\w+) \}\}", lambda m: secrets[m.group(1)], text)
        assert "${{" not in text, text
        return text

    checkout = tmp_path / "iac-repo"  # actions/checkout: the IaC repository with the example in place
    example("gitops-dr", checkout / "examples", user_venv)
    stack_inited = False
    for job_name in ("preview", "up"):
        job = flow["jobs"][job_name]
        env = {**reader_env, **{k: expand(v) for k, v in {**flow["env"], **job["env"]}.items()}}
        env.pop("PULUMI_ACCESS_TOKEN")  # the test's file:// backend stands in for Pulumi Cloud
        if job_name == "preview":
            emulator.backend.add_access_key(READONLY_AK, READONLY_SK, DEMO_PROJECT_ID)
        else:
            emulator.backend.add_access_key(AK, SK, DEMO_PROJECT_ID)
        for step in job["steps"]:
            if "run" in step:
                result = bash(step["run"], checkout / step.get("working-directory", "."), env)
                assert result.returncode == 0, result.stderr[-3000:]
            elif str(step.get("uses", "")).startswith("pulumi/actions@"):
                args = step["with"]
                workdir = checkout / args["work-dir"]
                stack = Stack(pulumi_bin, workdir, env, args["stack-name"])
                if not stack_inited:  # README step 5: `pulumi stack init dr`, once
                    new_stack(pulumi_bin, workdir, env, args["stack-name"])
                    stack_inited = True
                stack.run(args["command"], *(["--yes"] if args["command"] == "up" else []))
        if job_name == "preview":
            assert not recovery_posts(emulator) and emulator.backend.requests(method="GET")
    assert stack.outputs()["status"] == "Completed"
    assert not [r for r in emulator.backend.requests() if r.has_auth_token]  # signed, no token sent
    assert [r.status for r in recovery_posts(emulator)] == [202]


def test_gitops_readme_commands_run_as_written(user_venv, git_remote, tmp_path, pulumi_bin, reader_env, emulator):
    emulator.backend.add_access_key(AK, SK, DEMO_PROJECT_ID)
    workdir = example("gitops-dr", tmp_path, user_venv)
    run_readme("gitops-dr", workdir, reader_env, git_remote)
    assert Stack(pulumi_bin, workdir, reader_env, "dr").outputs()["status"] == "Completed"
    assert not [r for r in emulator.backend.requests() if r.has_auth_token]
    assert [r.status for r in recovery_posts(emulator)] == [202]


# Automation API DR runner -----------------------------------------------------------------------------

def add_billing_target(emulator) -> None:
    """The second target of plan.example.json: a copy of the seeded target and its data node."""
    backend = emulator.backend
    model, node = backend.find_instance(TARGET), backend.data_nodes[DATA_NODE]
    backend.add_instance(DEMO_PROJECT_ID, instance_id=BILLING_TARGET, name="ddm-billing-dr", created=model.created,
                         restorable_since=model.restorable_since, vpc_id=model.vpc_id, vpc_name=model.vpc_name,
                         subnet_id=model.subnet_id, security_group_id=model.security_group_id)
    backend.add_data_node(DEMO_PROJECT_ID, node_id=BILLING_NODE, name="rds-billing-dr",
                          restorable_since=node.restorable_since, vpc_id=node.vpc_id, vpc_name=node.vpc_name,
                          subnet_id=node.subnet_id)


def dr_state(workdir: Path, env: dict[str, str], pulumi_bin: str) -> dict[str, dict]:
    """The runner's stack state: each MetadataRecovery's inputs by name (the backend of the README's env)."""
    exported = subprocess.run([pulumi_bin, "stack", "export", "--stack", "organization/ddm-dr-runner/dr",
                               "--non-interactive"], cwd=workdir, env=env, capture_output=True, text=True, check=True)
    resources = json.loads(exported.stdout)["deployment"].get("resources") or []
    return {r["urn"].split("::")[-1]: r["inputs"] for r in resources
            if r["type"] == "pulumi-python:dynamic/ddm:MetadataRecovery"}


def test_runner_runs_as_its_readme_says(user_venv, git_remote, tmp_path, pulumi_bin, reader_env, emulator):
    add_billing_target(emulator)
    workdir = example("automation-dr-runner", tmp_path, user_venv)
    result = run_readme("automation-dr-runner", workdir, reader_env, git_remote)
    report = json.loads((workdir / "dr-report.json").read_text())
    jobs = {job.target_instance_id: job.id for job in emulator.backend.all_jobs()}
    assert {r["name"]: (r["outcome"], r["job_id"]) for r in report["restores"]} == {
        "orders": ("completed", jobs[TARGET]), "billing": ("completed", jobs[BILLING_TARGET])}
    assert report["exit_status"] == 0
    assert "ddm-resources: " in result.stdout  # the provider's progress lines, streamed
    assert re.search(rf"^dr-runner: orders +completed +{TARGET} +{jobs[TARGET]}", result.stdout, re.M)
    assert "dr-runner: 2 of 2 restores completed; report in dr-report.json" in result.stdout
    state = dr_state(workdir, {**reader_env, "PULUMI_BACKEND_URL": f"file://{reader_env['HOME']}/.pulumi-dr",
                               "PULUMI_CONFIG_PASSPHRASE": "..."}, pulumi_bin)
    assert {name: inputs["timeouts"]["create"] for name, inputs in state.items()} == {"orders": "60m",
                                                                                     "billing": "2h"}


def run_runner(user_venv, tmp_path, env, restores, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    workdir = tmp_path / "automation-dr-runner"
    if not workdir.exists():  # a second run of the same test runs again in the same copy
        example("automation-dr-runner", tmp_path, user_venv)
    (workdir / "plan.json").write_text(json.dumps({"restores": restores}))
    env = {**env, "OS_CLOUD": "otc", "PATH": f"{user_venv / 'bin'}{os.pathsep}{env['PATH']}"}
    result = subprocess.run([str(user_venv / "bin/python"), "runner.py", "plan.json", *args], cwd=workdir, env=env,
                            capture_output=True, text=True, timeout=600)
    report = workdir / "dr-report.json"
    return result, json.loads(report.read_text()) if report.exists() else {}


def test_runner_restores_every_valid_entry_and_reports_each_failure_by_its_cause(user_venv, tmp_path, reader_env,
                                                                                  emulator):
    """A job that fails, a restore the provider refuses at its check (a target that does not exist) and an
    invalid entry: each has its row, the valid restore completes, the exit status is 1."""
    add_billing_target(emulator)
    emulator.backend.fail_next_job("data node is read-only")
    missing_target = "ffffffffffffffffffffffffffffffffin09"
    plan = [  # the refused entry first: Pulumi would end the update at its check before the others ran
        {"name": "ghost", "source_instance_id": SOURCE, "backup_id": BACKUP, "target_instance_id": missing_target,
         "data_nodes": [DATA_NODE]},
        {"name": "orders", "source_instance_id": SOURCE, "backup_id": BACKUP, "target_instance_id": TARGET,
         "data_nodes": [DATA_NODE]},
        {"name": "billing", "source_instance_id": SOURCE, "backup_id": BACKUP, "target_instance_id": BILLING_TARGET,
         "data_nodes": [BILLING_NODE]},
        {"name": "typo", "source_instance_id": SOURCE, "target_instance_id": TARGET, "data_nodes": [DATA_NODE]},
    ]
    result, report = run_runner(user_venv, tmp_path, reader_env, plan, "--parallel", "2")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    rows = {r["name"]: r for r in report["restores"]}
    jobs = {job.status_at(emulator.backend.now()): job for job in emulator.backend.all_jobs()}
    assert sorted(jobs) == ["Completed", "Failed"] and len(emulator.backend.all_jobs()) == 2, result.stdout[-3000:]
    failed_job, done_job = jobs["Failed"], jobs["Completed"]
    by_target = {TARGET: "orders", BILLING_TARGET: "billing"}
    failed, done = rows[by_target[failed_job.target_instance_id]], rows[by_target[done_job.target_instance_id]]
    assert (done["outcome"], done["job_id"]) == ("completed", done_job.id)
    assert (failed["outcome"], failed["job_id"], failed["status"]) == ("failed", failed_job.id, "Failed")
    assert re.search(rf"^dr-runner: {failed['name']} +failed +{failed_job.target_instance_id} +{failed_job.id} +"
                     rf"DDM job {failed_job.id} ended Failed: data node is read-only\.$", result.stdout, re.M)
    assert failed_job.id in failed["detail"] and "ended Failed" in failed["detail"]
    assert rows["ghost"]["outcome"] == "refused" and missing_target in rows["ghost"]["detail"]
    assert rows["ghost"]["job_id"] is None
    assert rows["typo"] == {"name": "typo", "outcome": "invalid", "target_instance_id": TARGET, "job_id": None,
                            "status": None, "detail": "restore #4 lacks backup_id or restore_time"}
    assert [r["name"] for r in report["restores"]] == ["ghost", "orders", "billing", "typo"]
    assert {r.body["target"]["instance_id"] for r in recovery_posts(emulator)} == {TARGET, BILLING_TARGET}
    assert result.stderr.strip().splitlines()[-3:] == [
        f"dr-runner: ghost refused: {rows['ghost']['detail']}",
        f"dr-runner: {failed['name']} failed: {failed['detail']}",
        "dr-runner: typo invalid: restore #4 lacks backup_id or restore_time"]
    lines = [line.split() for line in result.stdout.splitlines() if line.startswith("dr-runner: ")]
    assert lines[0] == ["dr-runner:", "checking", "3", "restore(s)", "(pulumi", "preview)"]
    assert lines[1] == ["dr-runner:", "checking", "2", "restore(s)", "(pulumi", "preview)"]  # ghost left out
    header = lines.index(["dr-runner:", "restore", "outcome", "target", "job_id", "reason"])
    assert [line[1:3] for line in lines[header + 1:header + 5]] == [
        ["ghost", "refused"], ["orders", rows["orders"]["outcome"]], ["billing", rows["billing"]["outcome"]],
        ["typo", "invalid"]]
    assert report["exit_status"] == 1


def test_runner_run_again_repeats_nothing_and_keeps_the_restore_of_an_entry_invalid_now(user_venv, tmp_path,
                                                                                        reader_env, emulator,
                                                                                        pulumi_bin):
    add_billing_target(emulator)
    plan = [{"name": "orders", "source_instance_id": SOURCE, "backup_id": BACKUP, "target_instance_id": TARGET,
             "data_nodes": [DATA_NODE]},
            {"name": "billing", "source_instance_id": SOURCE, "backup_id": BACKUP,
             "target_instance_id": BILLING_TARGET, "data_nodes": [BILLING_NODE]}]
    first, report = run_runner(user_venv, tmp_path, reader_env, plan, "--parallel", "1")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    jobs = {r["name"]: r["job_id"] for r in report["restores"]}
    posts = len(recovery_posts(emulator))
    assert posts == 2

    del plan[1]["data_nodes"]  # a broken edit of the plan: billing is invalid now
    again, report = run_runner(user_venv, tmp_path, reader_env, plan)
    assert again.returncode == 1 and len(recovery_posts(emulator)) == posts  # nothing submitted again
    rows = {r["name"]: r for r in report["restores"]}
    assert (rows["orders"]["outcome"], rows["orders"]["job_id"], rows["orders"]["detail"]) == (
        "completed", jobs["orders"], "recorded by an earlier run")
    assert (rows["billing"]["outcome"], rows["billing"]["detail"]) == ("invalid", "restore #2 lacks data_nodes")
    state = dr_state(tmp_path / "automation-dr-runner", reader_env, pulumi_bin)
    assert set(state) == {"orders", "billing"}  # billing's restore is not forgotten while its entry is broken


def test_runner_refuses_a_plan_file_it_cannot_read(user_venv, tmp_path, reader_env, emulator):
    workdir = example("automation-dr-runner", tmp_path, user_venv)
    (workdir / "plan.json").write_text("{not json")
    result = subprocess.run([str(user_venv / "bin/python"), "runner.py", "plan.json"], cwd=workdir, env=reader_env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "not a plan file with a 'restores' list" in result.stderr
    assert not emulator.backend.requests()


# the root project, the emulator's console script, upgrades ------------------------------------------------

def test_acceptance_a_fresh_venv_outside_the_checkout_runs_pulumi_up(user_venv, tmp_path, pulumi_bin, reader_env,
                                                                     emulator):
    """The root project's program, outside the checkout, with ddm-resources installed from git."""
    workdir = tmp_path / "adopter"
    workdir.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, workdir)
    (workdir / ".venv").symlink_to(user_venv)
    stack = new_stack(pulumi_bin, workdir, {**reader_env, "OS_TOKEN": TOKEN, "OS_PROJECT_ID": DEMO_PROJECT_ID})
    for key, value in (("sourceInstanceId", SOURCE), ("backupId", BACKUP), ("targetInstanceId", TARGET)):
        stack.config(key, value)
    stack.config("dataNodes[0]", DATA_NODE, path=True)
    stack.up()
    assert stack.outputs()["job_id"] == emulator.backend.all_jobs()[0].id
    python = str(user_venv / "bin/python")
    installed = subprocess.run([python, "-c", "import ddm_resources; print(ddm_resources.__file__)"],
                               cwd=workdir, capture_output=True, text=True, check=True).stdout
    assert str(REPO) not in installed and "site-packages" in installed


def test_the_installed_ddm_emulator_script_serves(user_venv, tmp_path):
    url_file = tmp_path / "url"
    process = subprocess.Popen([str(user_venv / "bin/ddm-emulator"), "--port", "0", "--url-file", str(url_file)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not url_file.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert url_file.exists(), process.communicate(timeout=5)
        answer = httpx.get(f"{url_file.read_text().strip()}/_emulator/requests", timeout=10)
        assert answer.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err[-2000:]
    assert not url_file.exists()  # removed on exit
    usage = subprocess.run([str(user_venv / "bin/ddm-emulator"), "--help"], capture_output=True, text=True)
    assert usage.returncode == 0 and usage.stdout.startswith("usage: ddm-emulator ")


def test_pip_install_upgrade_of_a_newer_commit_upgrades_in_place_and_pulumi_about_names_it(
        git_remote, tmp_path, pulumi_bin, pulumi_env):
    """Two commits on the reader's git host; `pip install -U` of the URL moves from the first to the second."""
    remote = tmp_path / "host.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(git_remote), str(remote)], check=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin/python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps"]
    url = f"ddm-resources @ {git_url(remote)}@main"

    def installed() -> str:
        return subprocess.run([str(venv / "bin/python"), "-c",
                               "import importlib.metadata as m; print(m.version('ddm-resources'))"],
                              cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()

    subprocess.run([*pip, url], check=True, capture_output=True)
    first = installed()
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "--quiet", str(remote), str(work)], check=True)
    git(work, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--allow-empty",
        "-m", "a newer commit")
    git(work, "push", "--quiet", "origin", "HEAD:main")
    newer = git(work, "rev-parse", "--short=9", "HEAD")
    subprocess.run([*pip, "-U", url], check=True, capture_output=True)
    second = installed()
    dev = re.compile(r"0\.1\.dev(\d+)\+g([0-9a-f]+)")
    assert dev.fullmatch(first) and dev.fullmatch(second), (first, second)
    assert int(dev.fullmatch(second)[1]) == int(dev.fullmatch(first)[1]) + 1
    assert newer.startswith(dev.fullmatch(second)[2][:9]) or dev.fullmatch(second)[2].startswith(newer[:7])

    project = python_project(tmp_path / "about", "about", "import pulumi\n")
    (project / ".venv").unlink()
    (project / ".venv").symlink_to(venv)
    about = subprocess.run([pulumi_bin, "about", "--json"], cwd=project, env=pulumi_env, capture_output=True,
                           text=True, timeout=120)
    dependencies = {d["name"]: d["version"] for d in json.loads(about.stdout).get("dependencies") or []}
    assert dependencies.get("ddm-resources") == second, about.stdout[-2000:] + about.stderr[-2000:]
