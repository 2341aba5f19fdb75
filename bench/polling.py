"""Polling cost and completion latency of the job waiter, and the client's request cost.

Run: `.venv/bin/python bench/polling.py`. Prints figures; asserts nothing.

Part 1 drives `wait_for_job` with the default `PollSchedule` (poll interval capped at 10 s)
against a job that completes after D seconds, on a fake clock: how many GETs a wait costs
and how long after completion the waiter notices. Targets: at most one poll per 10 s once
the interval has grown, and completion noticed within 10 s.

Part 2 times `DdmClient.get_job` against the local emulator over a real socket.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ddm_emulator import DEMO_PROJECT_ID, SEED, DdmBackend, EmulatorServer  # noqa: E402
from ddm_resources.client import DdmClient  # noqa: E402
from ddm_resources.models import Job, RestoreSource, RestoreTarget  # noqa: E402
from ddm_resources.waiter import PollSchedule, wait_for_job  # noqa: E402


def simulate(duration: float, schedule: PollSchedule) -> tuple[int, float]:
    now = [0.0]
    polls = [0]

    def get_job(job_id: str) -> Job:
        polls[0] += 1
        return Job(id=job_id, status="Completed" if now[0] >= duration else "Running")

    def sleep(seconds: float) -> None:
        now[0] += seconds

    wait_for_job(get_job, "j", timeout=duration * 10 + 60, schedule=schedule, clock=lambda: now[0], sleep=sleep)
    return polls[0], now[0] - duration


def main() -> None:
    schedule = PollSchedule()
    print(f"Part 1: waiter with {schedule}")
    print(f"{'job length':>12} {'polls':>7} {'polls/min':>10} {'noticed after':>14}")
    for duration in (5, 30, 60, 300, 1800, 3600):
        polls, late = simulate(duration, schedule)
        print(f"{duration:>10} s {polls:>7} {polls / (duration / 60):>10.1f} {late:>12.2f} s")

    server = EmulatorServer(DdmBackend(job_seconds=3600)).start()
    server.backend.add_static_token("bench-token", DEMO_PROJECT_ID)
    try:
        with DdmClient(server.url, DEMO_PROJECT_ID, "bench-token") as client:
            job_id = client.restore_metadata(
                SEED.source_instance_id, RestoreSource(backup_id=SEED.backup_id),
                RestoreTarget(instance_id=SEED.target_instance_id, data_nodes=[SEED.target_data_node_id]))
            samples = []
            for _ in range(300):
                start = time.perf_counter()
                client.get_job(job_id)
                samples.append((time.perf_counter() - start) * 1000)
    finally:
        server.stop()
    samples.sort()
    print("\nPart 2: DdmClient.get_job against the emulator on 127.0.0.1 (300 requests, keep-alive)")
    print(f"median {statistics.median(samples):.2f} ms, p95 {samples[int(len(samples) * 0.95)]:.2f} ms, "
          f"max {samples[-1]:.2f} ms")


if __name__ == "__main__":
    main()
