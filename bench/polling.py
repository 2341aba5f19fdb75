"""Polls per job and completion-detection latency: our waiter against a fixed 5 s + 10 s waiter.

Every job is a real restore in the emulator (in process, over `ddm_emulator.wsgi_transport`,
on a `ManualClock`), polled through `DdmClient.poll_job`. Our waiter is `wait_for_job` with its
default schedule (`poll_plan`, jitter from a seeded random source); the reference is the Huawei
Cloud Terraform provider's DDM waiter: first poll after 5 s, then every 10 s. For each job
length and progress curve, the job's length is spread over `--phases` points of one 10 s cycle
(one phase alone hides latency), and each phase runs `--repeats` times, the two waiters
interleaved. Latency is the emulated time from the job's end to the poll that saw it.
Asserts nothing; prints one table (or `--json` rows for bench/run).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, percentile  # noqa: E402
from ddm_emulator import SEED, DdmBackend, ManualClock, wsgi_transport  # noqa: E402
from ddm_emulator.models import PROGRESS_CURVES  # noqa: E402
from ddm_resources.client import DdmClient  # noqa: E402
from ddm_resources.models import COMPLETED, Job, RestoreSource, RestoreTarget  # noqa: E402
from ddm_resources.waiter import PollSchedule, wait_for_job  # noqa: E402
from tests.restore_targets import add_restore_targets  # noqa: E402

TOKEN = "bench-token"
LENGTHS_MIN = (1, 5, 30, 120)


@dataclass
class Outcome:
    polls: int
    latency: float


class Lab:
    """One emulator on a manual clock and a client to it; `run` restores and waits."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.backend = DdmBackend(clock=self.clock)
        self.backend.add_static_token(TOKEN, SEED.project_id)
        self.client = DdmClient("http://ddm.emulator", SEED.project_id, TOKEN,
                                transport=wsgi_transport(self.backend), clock=self.clock)

    def run(self, seconds: float, curve: str, waiter: Callable[[Callable[[str], Job], str], None]) -> Outcome:
        self.backend.configure(job_seconds=seconds, progress_curve=curve)
        [target] = add_restore_targets(self.backend, 1)
        job_id = self.client.restore_metadata(
            SEED.source_instance_id, RestoreSource(backup_id=SEED.backup_id),
            RestoreTarget(instance_id=target.instance_id, data_nodes=[target.data_node]))
        polls = [0]

        def poll(job_id: str) -> Job:
            polls[0] += 1
            return self.client.poll_job(job_id)

        waiter(poll, job_id)
        job = self.backend.jobs[job_id]
        return Outcome(polls[0], self.clock() - job.end)

    def ours(self, seed: int) -> Callable[[Callable[[str], Job], str], None]:
        schedule = PollSchedule(rand=random.Random(seed).random)

        def wait(poll: Callable[[str], Job], job_id: str) -> None:
            wait_for_job(poll, job_id, timeout=6 * 3600, schedule=schedule, clock=self.clock,
                         sleep=self.clock.advance)
        return wait

    def fixed(self) -> Callable[[Callable[[str], Job], str], None]:
        def wait(poll: Callable[[str], Job], job_id: str) -> None:
            self.clock.advance(5.0)
            while poll(job_id).status != COMPLETED:
                self.clock.advance(10.0)
        return wait


def measure(lengths: tuple[int, ...], phases: int, repeats: int) -> list[dict[str, object]]:
    rows = []
    for minutes in lengths:
        for curve in PROGRESS_CURVES:
            lab = Lab()
            ours: list[Outcome] = []
            fixed: list[Outcome] = []
            for phase in range(phases):
                seconds = minutes * 60 + 10.0 * phase / phases
                for repeat in range(repeats):  # interleaved: ours, fixed, ours, fixed, ...
                    ours.append(lab.run(seconds, curve, lab.ours(seed=1000 * phase + repeat)))
                    fixed.append(lab.run(seconds, curve, lab.fixed()))
            rows.append(summarise(minutes, curve, ours, fixed))
    return rows


def summarise(minutes: int, curve: str, ours: list[Outcome], fixed: list[Outcome]) -> dict[str, object]:
    def stats(outcomes: list[Outcome]) -> tuple[float, float, float]:
        latencies = [o.latency for o in outcomes]
        return (statistics.mean(o.polls for o in outcomes), statistics.median(latencies),
                percentile(latencies, 95))

    (op, om, o95), (fp, fm, f95) = stats(ours), stats(fixed)
    return {"minutes": minutes, "curve": curve, "runs": len(ours), "polls": op, "fixed_polls": fp,
            "polls_ratio": op / fp, "median": om, "fixed_median": fm, "median_ratio": om / fm if fm else 0.0,
            "p95": o95, "fixed_p95": f95}


def table(rows: list[dict[str, object]]) -> str:
    lines = [f"{'job':>6} {'progress':<18} {'runs':>4} {'polls ours/fixed':>22} {'median latency s':>24} "
             f"{'p95 latency s':>14}"]
    for r in rows:
        lines.append(
            f"{r['minutes']:>4}m  {r['curve']:<18} {r['runs']:>4} "
            f"{r['polls']:>7.1f} /{r['fixed_polls']:>6.1f} ={r['polls_ratio']:>5.2f}x "
            f"{r['median']:>7.1f} /{r['fixed_median']:>5.1f} ={r['median_ratio']:>5.2f}x "
            f"{r['p95']:>6.1f} /{r['fixed_p95']:>5.1f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", default=",".join(map(str, LENGTHS_MIN)),
                        help="job lengths in minutes of emulated time (default: %(default)s)")
    parser.add_argument("--phases", type=int, default=12, help="completion phases per length (default: 12)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per phase and waiter (default: 3)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    args = parser.parse_args()
    rows = measure(tuple(int(x) for x in args.lengths.split(",")), args.phases, args.repeats)
    if args.json:
        print(json.dumps(rows))
        return
    print(f"polling: {machine()}; {args.phases} phases x {args.repeats} repeats per row, emulated time")
    print(table(rows))


if __name__ == "__main__":
    main()
