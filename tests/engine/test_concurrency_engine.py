"""12 restores of one `pulumi up --parallel 16` run at once through the real engine.

The emulator's clock stands still, so no job can finish until the test moves it: all 12 jobs
exist at the same time only if all 12 Creates were in flight together (the SDK's provider
process alone would allow 4, provider_threads.py lifts that). No assertion on wall time.
"""

from __future__ import annotations

import subprocess
import threading

import pytest

from tests.engine.conftest import use_many_restores
from tests.restore_targets import FROZEN_JOB_SECONDS as JOB_SECONDS
from tests.restore_targets import add_restore_targets, emulator_clock, emulator_settings  # noqa: F401 (fixtures: a frozen emulator)

pytestmark = pytest.mark.engine

RESTORES = 12


def test_twelve_restores_of_one_up_overlap(stack, emulator):
    backend = emulator.backend
    targets = add_restore_targets(backend, RESTORES)
    use_many_restores(stack, [(t.instance_id, t.data_node) for t in targets])
    command = [stack.pulumi_bin, "up", "--yes", "--skip-preview", "--parallel", "16", "--non-interactive",
               "--stack", stack.name]
    output: list[str] = []
    pause = threading.Event()
    with subprocess.Popen(command, cwd=stack.workdir, env=stack.env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as up:
        reader = threading.Thread(target=lambda: output.append(up.stdout.read()), daemon=True)
        reader.start()
        try:
            for _ in range(1200):  # at most 120 s for all 12 to be submitted
                if len(backend.all_jobs()) == RESTORES or up.poll() is not None:
                    break
                pause.wait(0.1)
            at_once = len(backend.all_jobs())
            backend.advance(JOB_SECONDS + 1)
            up.wait(timeout=180)
        finally:
            if up.poll() is None:
                up.kill()
            reader.join(10)
    text = "".join(output)
    assert at_once == RESTORES, f"only {at_once} of {RESTORES} restores ran at once\n{text[-3000:]}"
    assert up.returncode == 0, text[-3000:]
    jobs = backend.all_jobs()
    assert len({job.created for job in jobs}) == 1, "every job accepted before emulated time moved"
    assert {job.instance_id for job in jobs} == {t.instance_id for t in targets}
    assert sorted(r["id"] for r in stack.recoveries()) == sorted(job.id for job in jobs)
    assert "at most 4" not in text
