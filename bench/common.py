"""What the benchmarks share: the machine line, percentiles, and Pulumi projects against the emulator."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def machine() -> str:
    """One line: CPU cores, the CPU model, Python and the OS."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count() or 0
    return (f"machine: {cores} cores ({len(os.sched_getaffinity(0))} usable), {model or platform.processor()}, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")


def percentile(values: list[float], pct: float) -> float:
    """The `pct` percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def pulumi_bin() -> str:
    """The `pulumi` CLI: from PATH, else the one `scripts/install-pulumi` builds or finds."""
    found = shutil.which("pulumi")
    if found:
        return found
    out = subprocess.run([str(REPO / "scripts/install-pulumi")], capture_output=True, text=True, check=True)
    return str(Path(out.stdout.strip().splitlines()[-1]) / "pulumi")


def workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"ddm-bench-{prefix}-"))


def python() -> str:
    return sys.executable


PASSPHRASE = "bench-passphrase"


def pulumi_env(home: Path) -> dict[str, str]:
    """Offline Pulumi: a `file://` backend and PULUMI_HOME under `home`, a passphrase secrets provider."""
    (home / "state").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "PULUMI_", "DDM_"))}
    env.update(PULUMI_HOME=str(home / "pulumi-home"), PULUMI_BACKEND_URL=f"file://{home / 'state'}",
               PULUMI_CONFIG_PASSPHRASE=PASSPHRASE, PULUMI_SKIP_UPDATE_CHECK="true",
               PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true")
    return env


def project_copy(where: Path, program: str | None = None) -> Path:
    """The root project (Pulumi.yaml, ddm_resources/, the repository's .venv) in `where`, with
    `program` as `__main__.py` (default: the root program)."""
    where.mkdir(parents=True)
    if program is None:
        shutil.copy(REPO / "Pulumi.yaml", where)
    else:  # the root project's config schema is for the root program only
        (where / "Pulumi.yaml").write_text("name: ddm-metadata-recovery\nruntime:\n  name: python\n"
                                           "  options:\n    toolchain: pip\n    virtualenv: .venv\n")
    (where / "__main__.py").write_text(program if program is not None else (REPO / "__main__.py").read_text())
    shutil.copytree(REPO / "ddm_resources", where / "ddm_resources", ignore=shutil.ignore_patterns("__pycache__"))
    (where / ".venv").symlink_to(REPO / ".venv")
    return where


def pulumi(pulumi: str, where: Path, env: dict[str, str], stack: str, *args: str) -> None:
    """Run one pulumi command on `stack` in `where`; raise with its output if it fails."""
    result = subprocess.run([pulumi, *args, "--non-interactive", "--stack", stack], cwd=where, env=env,
                            capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"pulumi {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def timed(command: list[str], where: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run `command`; (wall seconds, CPU seconds of it and every descendant it waited for)."""
    import resource
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=where, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu
