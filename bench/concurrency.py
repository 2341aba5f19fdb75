"""Wall time of `pulumi up` with 1 and 50 restores through the real engine, for the dynamic resource
and the provider plugin side by side, at the engine's default `--parallel` and at `--parallel 64`.

Each run is a new stack of one project against the emulator on a real socket, with jobs of
`--job-seconds` (real time): for `dynamic`, the root project's code with one `MetadataRecovery` per
target (Python); for `plugin`, a Pulumi YAML program with one `ddm:index:MetadataRecovery` per target,
served by `pulumi-resource-ddm` (the venv's, through `plugins: providers:`). Runs are interleaved
(for each repetition: each kind, each parallelism, each count), and every figure is a ratio against
the 1-restore run of the same repetition, kind and parallelism. The engine's default `--parallel` is
4 x CPU cores. Asserts nothing; prints one table (or `--json` rows).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REPO, machine, project_copy, pulumi, pulumi_bin, pulumi_env, timed, workdir  # noqa: E402
from ddm_emulator import SEED, DdmBackend, EmulatorServer  # noqa: E402
from tests.engine.conftest import MANY_RESTORES_PROGRAM  # noqa: E402
from tests.restore_targets import add_restore_targets  # noqa: E402

TOKEN = "bench-token"
COUNTS = (1, 50)
KINDS = ("dynamic", "plugin")
MODES = (("default", ()), ("--parallel 64", ("--parallel", "64")))


def yaml_project(where: Path, targets: list[list[str]]) -> None:
    """A Pulumi YAML project in `where` restoring onto each `[target, data node]` through the plugin."""
    where.mkdir(parents=True, exist_ok=True)
    lines = ["name: ddm-yaml-bench", "runtime: yaml", "plugins:", "  providers:", "    - name: ddm",
             f"      path: {REPO / '.venv' / 'bin'}", "resources:"]
    for index, (target, node) in enumerate(targets):
        lines += [f"  restore-{index}:", "    type: ddm:index:MetadataRecovery", "    properties:",
                  f"      sourceInstanceId: {SEED.source_instance_id}", f"      source: {{backupId: {SEED.backup_id}}}",
                  f"      target: {{instanceId: {target}, dataNodes: [{node}]}}"]
    (where / "Pulumi.yaml").write_text("\n".join(lines) + "\n")


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

    def up(self, kind: str, count: int, flags: tuple[str, ...]) -> float:
        self.stacks += 1
        stack = f"s{self.stacks}"
        targets = [[t.instance_id, t.data_node] for t in add_restore_targets(self.server.backend, count)]
        if kind == "plugin":
            project = self.home / f"yaml-{stack}"
            yaml_project(project, targets)
            pulumi(self.pulumi, project, self.env, stack, "stack", "init")
        else:
            project = self.project
            pulumi(self.pulumi, project, self.env, stack, "stack", "init")
            config = project / f"Pulumi.{stack}.yaml"
            config.write_text(config.read_text() + "config:\n"
                              f"  ddm-metadata-recovery:sourceInstanceId: {SEED.source_instance_id}\n"
                              f"  ddm-metadata-recovery:backupId: {SEED.backup_id}\n"
                              f"  ddm-metadata-recovery:targets: '{json.dumps(targets)}'\n")
        wall, _ = timed([self.pulumi, "up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack,
                         *flags], project, self.env)
        return wall

    def close(self) -> None:
        self.server.stop()


def measure(repeats: int, job_seconds: float, kinds: tuple[str, ...] = KINDS,
            modes: tuple[tuple[str, tuple[str, ...]], ...] = MODES) -> list[dict[str, object]]:
    runs = Runs(job_seconds)
    walls: dict[tuple[str, str, int], list[float]] = {}
    ratios: dict[tuple[str, str, int], list[float]] = {}
    try:
        for _ in range(repeats):
            for kind in kinds:
                for mode, flags in modes:
                    reference = None
                    for count in COUNTS:
                        wall = runs.up(kind, count, flags)
                        reference = wall if count == 1 else reference
                        walls.setdefault((kind, mode, count), []).append(wall)
                        ratios.setdefault((kind, mode, count), []).append(wall / reference)  # type: ignore[operator]
    finally:
        runs.close()
    return [{"kind": kind, "mode": mode, "restores": count, "wall": statistics.median(walls[(kind, mode, count)]),
             "ratio": statistics.median(ratios[(kind, mode, count)]), "runs": len(walls[(kind, mode, count)])}
            for kind in kinds for mode, _ in modes for count in COUNTS]


def table(rows: list[dict[str, object]], job_seconds: float) -> str:
    lines = [f"{'resource':<8} {'pulumi up':<16} {'restores':>8} {'wall s (median)':>16} {'/ 1 restore':>12}"
             f"   jobs of {job_seconds:g} s"]
    for r in rows:
        lines.append(f"{r['kind']:<8} {r['mode']:<16} {r['restores']:>8} {r['wall']:>16.1f} {r['ratio']:>11.2f}x")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="repetitions of every run (default: 3)")
    parser.add_argument("--job-seconds", type=float, default=20.0, help="length of each restore job (default: 20)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    parser.add_argument("--kinds", default=",".join(KINDS), help="dynamic, plugin or both (default: both)")
    parser.add_argument("--parallel-only", action="store_true", help="only the --parallel 64 runs")
    args = parser.parse_args()
    modes = MODES[1:] if args.parallel_only else MODES
    rows = measure(args.repeats, args.job_seconds, tuple(args.kinds.split(",")), modes)
    if args.json:
        print(json.dumps(rows))
        return
    print(f"concurrency: {machine()}; engine default --parallel = 4 x {os.cpu_count()} cores")
    print(table(rows, args.job_seconds))


if __name__ == "__main__":
    main()
