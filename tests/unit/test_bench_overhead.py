"""`bench/overhead.py` removes its working directory (`/tmp/ddm-bench-overhead-*`) whatever ends it:
the end of the run, a failing `pulumi up`, Ctrl-C, or a failure while it sets up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import bench.overhead as overhead
from ddm_emulator import DdmBackend


class _Server:
    """Stands in for the emulator's HTTP server (tests/unit opens no socket)."""

    def __init__(self, backend: DdmBackend) -> None:
        self.backend = backend
        self.url = "http://ddm-emulator.test"
        self.stopped = False

    def start(self) -> _Server:
        return self

    def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def homes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Path]:
    """Working directories the benchmark made (under tmp_path); its emulator is `_Server`."""
    made: list[Path] = []

    def workdir(prefix: str) -> Path:
        made.append(tmp_path / f"ddm-bench-{prefix}-{len(made)}")
        made[-1].mkdir()
        return made[-1]

    monkeypatch.setattr(overhead, "workdir", workdir)
    monkeypatch.setattr(overhead, "EmulatorServer", _Server)
    monkeypatch.setattr(overhead, "pulumi_bin", lambda: "pulumi")
    return made


def test_close_stops_the_emulator_and_removes_the_working_directory(homes):
    runs = overhead.Runs()
    assert (runs.home / "restore" / "ddm_resources").is_dir() and (runs.noop / "noop.py").is_file()
    runs.close()
    assert runs.server.stopped
    assert [home.exists() for home in homes] == [False]


@pytest.mark.parametrize("interruption", [KeyboardInterrupt(), RuntimeError("pulumi up failed:\n...")])
def test_an_interrupted_or_failed_run_removes_it_too(homes, monkeypatch, interruption):
    def up(self: Any, project: Path) -> tuple[float, float, float]:
        assert project.is_dir()  # the run had begun in its directory
        raise interruption

    monkeypatch.setattr(overhead.Runs, "up", up)
    with pytest.raises(type(interruption)):
        overhead.measure(1)
    assert len(homes) == 1 and not homes[0].exists()


def test_a_failure_while_setting_up_removes_it(homes, monkeypatch):
    def project_copy(where: Path, program: str | None = None) -> Path:
        where.mkdir(parents=True)
        raise OSError("disk full")

    monkeypatch.setattr(overhead, "project_copy", project_copy)
    with pytest.raises(OSError, match="disk full"):
        overhead.Runs()
    assert len(homes) == 1 and not homes[0].exists()


def test_peak_rss_counts_only_provider_processes_this_benchmark_started():
    """On a shared machine other sessions run `pulumi.dynamic` too: the sampler follows parent IDs."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert overhead._descends(str(child.pid), {})
        assert not overhead._descends("1", {}) and not overhead._descends(str(os.getppid()), {})
    finally:
        child.kill()
        child.wait()
