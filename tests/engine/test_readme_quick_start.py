"""The README's quick start against the emulator, run as written: its minimal program and
`Pulumi.yaml` in a new directory, then its shell block (the emulator in the background, the
`OS_*` login, `pulumi stack init`, `pulumi up`) under bash. Only the emulator's port is swapped for a free
one; the shell is pointed at a `file://` backend, as a user's `pulumi login` would, and answers
`pulumi up`'s question with yes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess

import pytest

from tests.conftest import REPO
from tests.unit.test_docs import code_blocks

pytestmark = pytest.mark.engine


def _quick_start() -> tuple[str, str, str]:
    """The README's program, its `Pulumi.yaml`, and the shell block that starts the emulator."""
    blocks = code_blocks((REPO / "README.md").read_text())
    program = next(body for lang, body in blocks if lang == "python")
    project = next(body for lang, body in blocks if lang == "yaml")
    shell = next(body for lang, body in blocks if lang == "sh" and "ddm_emulator" in body)
    return program, project, shell


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_readme_quick_start_restores_against_the_emulator(tmp_path, pulumi_bin):
    program, project, shell = _quick_start()
    port = re.search(r"--port (\d+)", shell).group(1)
    shell = shell.replace(port, str(_free_port()))
    workdir = tmp_path / "my-ddm-restore"
    workdir.mkdir()
    (workdir / "__main__.py").write_text(program)
    (workdir / "Pulumi.yaml").write_text(project)
    (workdir / ".venv").symlink_to(REPO / ".venv")
    (tmp_path / "state").mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OS_", "DDM_", "PULUMI_"))},
        "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.path.dirname(pulumi_bin)}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO),
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
        "PULUMI_HOME": str(tmp_path / "home"),
        "PULUMI_CONFIG_PASSPHRASE": "quick-start",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_SKIP_CONFIRMATIONS": "true",  # the user's "yes" to `pulumi up`'s question
    }
    # the emulator is the block's one background job: the trap ends it however the block ends
    script = f"set -e\ntrap 'kill $! 2>/dev/null' EXIT\n{shell}\npulumi stack output job_id\n"
    process = subprocess.Popen(["bash", "-c", script], cwd=workdir, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    assert re.search(r"accepted as job [0-9a-f]{32}", result.stdout)
    assert re.fullmatch(r"[0-9a-f]{32}", result.stdout.strip().splitlines()[-1])
