"""Wall time of `pulumi up` with 1, 4 and 12 restores through the real engine, default and `--parallel 16`.

Each run is a new stack of one project (the root project's code, one `MetadataRecovery` per
target) against the emulator on a real socket, with jobs of `--job-seconds` (real time). Runs
are interleaved (for each repetition: each parallelism, each count), and every figure is a
ratio against the 1-restore run of the same repetition and parallelism. The engine's default
`--parallel` is 4 x CPU cores. Asserts nothing; prints one table (or `--json` rows).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, project_copy, pulumi, pulumi_bin, pulumi_env, timed, workdir  # noqa: E402
from ddm_emulator import SEED, DdmBackend, EmulatorServer  # noqa: E402
from tests.engine.conftest import MANY_RESTORES_PROGRAM  # noqa: E402
from tests.restore_targets import add_restore_targets  # noqa: E402

TOKEN = "bench-token"
COUNTS = (1, 4, 12)
MODES = (("default", ()), ("--parallel 16", ("--parallel", "16")))


class Runs:
    """One emulator, one project copy and a `pulumi` CLI; `up(n, flags)` times a fresh stack's up."""

    def __init__(self, job_seconds: float) -> None:
        self.home = workdir("concurrency")
        self.server = EmulatorServer(DdmBackend(job_seconds=job_seconds)).start()
        self.server.backend.add_static_token(TOKEN, SEED.project_id)
        self.project = project_copy(self.home / "project", MANY_RESTORES_PROGRAM)
        self.env = {**pulumi_env(self.home), "DDM_ENDPOINT": self.server.url, "OS_TOKEN": TOKEN,
                    "OS_PROJECT_ID": SEED.project_id}
        self.pulumi = pulumi_bin()
        self.stacks = 0

    def up(self, count: int, flags: tuple[str, ...]) -> float:
        self.stacks += 1
        stack = f"s{self.stacks}"
        pulumi(self.pulumi, self.project, self.env, stack, "stack", "init")
        targets = [[t.instance_id, t.data_node] for t in add_restore_targets(self.server.backend, count)]
        config = self.project / f"Pulumi.{stack}.yaml"
        config.write_text(config.read_text() + "config:\n"
                          f"  ddm-metadata-recovery:sourceInstanceId: {SEED.source_instance_id}\n"
                          f"  ddm-metadata-recovery:backupId: {SEED.backup_id}\n"
                          f"  ddm-metadata-recovery:targets: '{json.dumps(targets)}'\n")
        wall, _ = timed([self.pulumi, "up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack,
                         *flags], self.project, self.env)
        return wall

    def close(self) -> None:
        self.server.stop()


def measure(repeats: int, job_seconds: float) -> list[dict[str, object]]:
    runs = Runs(job_seconds)
    walls: dict[tuple[str, int], list[float]] = {}
    ratios: dict[tuple[str, int], list[float]] = {}
    try:
        for _ in range(repeats):
            for mode, flags in MODES:
                reference = None
                for count in COUNTS:
                    wall = runs.up(count, flags)
                    reference = wall if count == 1 else reference
                    walls.setdefault((mode, count), []).append(wall)
                    ratios.setdefault((mode, count), []).append(wall / reference)  # type: ignore[operator]
    finally:
        runs.close()
    return [{"mode": mode, "restores": count, "wall": statistics.median(walls[(mode, count)]),
             "ratio": statistics.median(ratios[(mode, count)]), "runs": len(walls[(mode, count)])}
            for mode, _ in MODES for count in COUNTS]


def table(rows: list[dict[str, object]], job_seconds: float) -> str:
    lines = [f"{'pulumi up':<16} {'restores':>8} {'wall s (median)':>16} {'/ 1 restore':>12}"
             f"   jobs of {job_seconds:g} s"]
    for r in rows:
        lines.append(f"{r['mode']:<16} {r['restores']:>8} {r['wall']:>16.1f} {r['ratio']:>11.2f}x")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="repetitions of every run (default: 3)")
    parser.add_argument("--job-seconds", type=float, default=20.0, help="length of each restore job (default: 20)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    args = parser.parse_args()
    rows = measure(args.repeats, args.job_seconds)
    if args.json:
        print(json.dumps(rows))
        return
    print(f"concurrency: {machine()}; engine default --parallel = 4 x {os.cpu_count()} cores")
    print(table(rows, args.job_seconds))


if __name__ == "__main__":
    main()
