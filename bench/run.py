"""All benchmarks, one table: polling, concurrency and overhead, each figure a ratio against its
reference run in the same run, next to issue 9's target.

    .venv/bin/python bench/run.py            # the full table (about 15 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # modest sizes, for development (about 3 minutes)

Needs the `pulumi` CLI on PATH (as `scripts/test` sets it) or builds it with scripts/install-pulumi.
The parts run alone too: bench/polling.py, bench/concurrency.py, bench/overhead.py,
bench/preflight_requests.py, bench/verify.py (each has --help).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import concurrency, overhead, polling, preflight_requests, verify  # noqa: E402
from bench.common import machine  # noqa: E402


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("met" if ok else "NOT met")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer phases, repeats and shorter jobs")
    args = parser.parse_args()
    quick = args.quick
    repeats = 1 if quick else 3
    job_seconds = 8.0 if quick else 20.0
    lines: list[tuple[str, str, str, str]] = []

    def add(figure: str, measured: str, target: str = "", ok: bool | None = None) -> None:
        lines.append((figure, measured, target, verdict(ok)))

    rows = concurrency.measure(repeats, job_seconds)
    for r in rows:
        ratio = float(r["ratio"])  # type: ignore[arg-type]
        target, ok = ("<= 1.3x", ratio <= 1.3) if r["mode"] != "default" and r["restores"] > 1 else ("", None)
        add(f"pulumi up, {r['restores']} restores of {job_seconds:g} s / 1, {r['kind']}, {r['mode']}",
            f"{ratio:.2f}x ({float(r['wall']):.1f} s)", target, ok)  # type: ignore[arg-type]

    for r in polling.measure(polling.LENGTHS_MIN, 4 if quick else 12, repeats):
        long_job = int(r["minutes"]) >= 5  # type: ignore[call-overload]
        polls, median = float(r["polls_ratio"]), float(r["median_ratio"])  # type: ignore[arg-type]
        add(f"polls per job / fixed 5+10 s, {r['minutes']} min {r['curve']}",
            f"{polls:.2f}x ({float(r['polls']):.1f} / {float(r['fixed_polls']):.1f})",  # type: ignore[arg-type]
            "<= 0.25x" if long_job else "", (polls <= 0.25) if long_job else None)
        add(f"median detection latency / fixed, {r['minutes']} min {r['curve']}",
            f"{median:.2f}x ({float(r['median']):.1f} / {float(r['fixed_median']):.1f} s; "  # type: ignore[arg-type]
            f"p95 {float(r['p95']):.1f} / {float(r['fixed_p95']):.1f} s)", "<= 1.0x", median <= 1.0)  # type: ignore[arg-type]

    for r in preflight_requests.measure():
        ratio = float(r["ratio"])  # type: ignore[arg-type]
        add(f"API requests of one restore (check + create), {r['nodes']} source data nodes / 1 node",
            f"{ratio:.2f}x ({r['requests']} requests)", "<= 2x", ratio <= 2)

    targets = {"pulumi up, CPU": 1.2, "import, CPU": 1.3}
    for r in overhead.measure(repeats):
        if "detail" in r:
            d = r["detail"]
            # Preview and update are two runs (two provider processes, maybe days apart): each
            # lookup once per run, the job list once per check and once more right before the POST.
            once = d["most_per_lookup"] <= 2 and d["job_lists"] <= 3  # type: ignore[index]
            add("API requests of one restore, preview + up",
                f"{d['total']} = {d['lookups']} lookups (each at most {d['most_per_lookup']}x) + "  # type: ignore[index]
                f"{d['job_lists']} job lists + {d['posts']} POST + {d['polls']} polls + "  # type: ignore[index]
                f"{d['verify_reads']} verification reads",  # type: ignore[index]
                "each read once per run unless it can have changed", once)
            continue
        ratio = float(r["ratio"])  # type: ignore[arg-type]
        limit = targets.get(str(r["figure"]))
        reference = "import pulumi" if r["figure"] == "import, CPU" else "one no-op dynamic resource"
        add(f"{r['figure']} / {reference}",
            f"{ratio:.2f}x ({float(r['ours']):.2f} / {float(r['reference']):.2f} {r['unit']})",  # type: ignore[arg-type]
            f"<= {limit}x" if limit else "", (ratio <= limit) if limit else None)

    for r in verify.measure():
        added = int(r["added"])  # type: ignore[call-overload]
        add(f"API requests per restore, {r['schemas']} schema(s), verify on / off",
            f"{float(r['ratio']):.2f}x ({r['verify_on']} / {r['verify_off']}; +{added})",  # type: ignore[arg-type]
            f"+<= {verify.LIMIT} (one page of each list)", added <= verify.LIMIT)

    print(f"{machine()}; engine default --parallel = 4 x {os.cpu_count()} cores; "
          f"{'quick' if quick else 'full'} run, {repeats} repetition(s) "
          f"({max(repeats, overhead.UP_REPEATS)} pairs for the pulumi up overhead), interleaved")
    width = max(len(f) for f, *_ in lines)
    mwidth = max(len(m) for _, m, *_ in lines)
    print(f"| {'figure':<{width}} | {'measured':<{mwidth}} | target | |")
    print(f"|{'-' * (width + 2)}|{'-' * (mwidth + 2)}|---|---|")
    for figure, measured, target, ok in lines:
        print(f"| {figure:<{width}} | {measured:<{mwidth}} | {target} | {ok} |")


if __name__ == "__main__":
    main()
