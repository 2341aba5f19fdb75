"""The engine tier (tests/engine) of this checkout against a reference checkout, side by side.

    git worktree add /tmp/engine-base <reference commit>
    ln -s "$PWD/.venv" /tmp/engine-base/.venv && ln -s "$PWD/.cache" /tmp/engine-base/.cache
    .venv/bin/python bench/engine_tier.py --reference /tmp/engine-base --rounds 2

Runs `python -m pytest tests/engine -q -p no:cacheprovider` in both checkouts, each with its own
`.venv` and the Pulumi engine its own `scripts/install-pulumi` gives (each built from that
checkout's sources: the language host is one of them), in the order
reference, this, this, reference, reference, this, ... (each round reverses the last one, so a
machine that gets busier or quieter during the run weighs on both alike), every run under the
same `nice` level. For each run it records the wall time, the CPU time of the run and all it
started (user + system, from `getrusage(RUSAGE_CHILDREN)`), the load average before it and
pytest's summary line. It prints one line per run as it ends and then the ratios this /
reference of the medians: wall time (the acceptance figure) and CPU time (less sensitive to
what else the machine runs). Asserts nothing; `--json FILE` also writes the runs as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REPO, machine  # noqa: E402


def engine_dir(checkout: Path) -> str:
    """The directory of `checkout`'s own `pulumi` (its scripts/install-pulumi, not one on PATH)."""
    path = os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep)
                           if d and not os.access(os.path.join(d, "pulumi"), os.X_OK))
    result = subprocess.run([str(checkout / "scripts/install-pulumi")], env={**os.environ, "PATH": path},
                            capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[-1]


def run_tier(checkout: Path, pulumi_dir: str, nice: int, pytest_args: list[str]) -> dict[str, object]:
    """One run of the engine tier in `checkout`: wall and CPU seconds, load before, summary."""
    env = {**os.environ, "PATH": f"{pulumi_dir}{os.pathsep}{os.environ['PATH']}"}
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = subprocess.run(
        ["nice", "-n", str(nice), str(checkout / ".venv/bin/python"), "-m", "pytest", "tests/engine", "-q",
         "-p", "no:cacheprovider", *pytest_args],
        cwd=checkout, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return {"checkout": str(checkout), "wall": round(wall, 1), "cpu": round(cpu, 1), "load_before": load,
            "exit": result.returncode, "summary": lines[-1] if lines else result.stderr[-300:],
            "failed": [line for line in lines if line.startswith(("FAILED ", "ERROR "))],
            "log": result.stdout + result.stderr}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", type=Path, required=True, help="the checkout to compare against")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each checkout (default 2)")
    parser.add_argument("--nice", type=int, default=5, help="nice level of every run (default 5)")
    parser.add_argument("--json", type=Path, help="also write the runs (with pytest's output) to this file")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments, after --")
    args = parser.parse_args()
    checkouts = {"reference": args.reference.resolve(), "this": REPO}
    engines = {name: engine_dir(checkout) for name, checkout in checkouts.items()}
    print(machine(), flush=True)
    print(f"started {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; nice {args.nice}; "
          f"reference {checkouts['reference']} (engine {engines['reference']}), this {checkouts['this']} "
          f"(engine {engines['this']})", flush=True)
    order = ["reference", "this"]
    runs: list[dict[str, object]] = []
    for _ in range(args.rounds):
        for name in order:
            run = {"name": name, **run_tier(checkouts[name], engines[name], args.nice, args.pytest_args)}
            runs.append(run)
            print(f"{name:9} wall {run['wall']:6.1f} s  cpu {run['cpu']:6.1f} s  load before "
                  f"{run['load_before']:.1f}  exit {run['exit']}  {run['summary']}", flush=True)
            for line in run["failed"]:  # type: ignore[attr-defined]
                print(f"          {line}", flush=True)
            if args.json:
                args.json.write_text(json.dumps(runs, indent=1))
        order.reverse()
    print(f"ended {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    for figure in ("wall", "cpu"):
        medians = {name: statistics.median(float(r[figure]) for r in runs if r["name"] == name)  # type: ignore[arg-type]
                   for name in checkouts}
        print(f"{figure:4} median: this {medians['this']:.1f} s / reference {medians['reference']:.1f} s = "
              f"{medians['this'] / medians['reference']:.2f}x")


if __name__ == "__main__":
    main()
