"""provider_threads: finds the SDK's gRPC executor where `pulumi.dynamic.__main__` keeps it, widens it,
and degrades to one line, never an error, when those internals look different."""

from __future__ import annotations

import threading
from concurrent import futures
from types import SimpleNamespace

import grpc
import pytest

from ddm_resources import provider_threads


def run_fake_main(module: str, body: str) -> tuple[threading.Thread, threading.Event, dict]:
    """Run `def main(): <body>; parked.wait()` in a module named `module`, in a thread."""
    parked, ready = threading.Event(), threading.Event()
    namespace = {"__name__": "__main__", "__spec__": SimpleNamespace(name=module), "grpc": grpc,
                 "futures": futures, "SimpleNamespace": SimpleNamespace, "parked": parked, "ready": ready}
    exec(f"def main():\n    {body}\n    ready.set()\n    parked.wait()\n", namespace)  # noqa: S102
    thread = threading.Thread(target=namespace["main"], daemon=True)
    thread.start()
    assert ready.wait(5)
    return thread, parked, namespace


def frames_of(thread: threading.Thread) -> dict:
    import sys
    return {thread.ident: sys._current_frames()[thread.ident]}


SDK_MAIN = "pulumi.dynamic.__main__"
REAL = "server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))"


@pytest.mark.parametrize("module, body, problem", [
    (SDK_MAIN, REAL, ""),
    ("some.other.module", REAL, "no main() of pulumi.dynamic on the main thread"),
    (SDK_MAIN, "srv = grpc.server(futures.ThreadPoolExecutor(max_workers=4))", "has no local 'server'"),
    (SDK_MAIN, "server = SimpleNamespace()", "no ThreadPoolExecutor at _state.thread_pool"),
    (SDK_MAIN, "server = SimpleNamespace(_state=SimpleNamespace(thread_pool=object()))",
     "no ThreadPoolExecutor at _state.thread_pool"),
])
def test_find_provider_pool(module, body, problem):
    thread, parked, _ = run_fake_main(module, body)
    try:
        pool, found_problem = provider_threads.find_provider_pool(frames_of(thread), thread.ident)
    finally:
        parked.set()
    assert problem in found_problem
    assert (pool is not None) == (problem == "")
    if pool is not None:
        assert pool._max_workers == 4


@pytest.fixture
def fresh(monkeypatch):
    """A process in which widening has not run yet, started by the SDK."""
    monkeypatch.setattr(provider_threads, "_done", threading.Event())
    monkeypatch.setattr(provider_threads, "in_provider_process", lambda: True)


def test_widening_raises_the_limit_and_serves_calls_already_queued(fresh, monkeypatch):
    pool = futures.ThreadPoolExecutor(max_workers=2)
    release = threading.Event()
    started = threading.Semaphore(0)

    def call() -> None:
        started.release()
        release.wait(10)

    calls = [pool.submit(call) for _ in range(6)]  # 2 run, 4 wait in the queue
    monkeypatch.setattr(provider_threads, "find_provider_pool", lambda: (pool, ""))
    try:
        assert provider_threads.widen_provider_pool(8, say=pytest.fail) == 8
        assert all(started.acquire(timeout=10) for _ in range(6)), "the queued calls got threads"
    finally:
        release.set()
    assert all(c.result(10) is None for c in calls)
    assert provider_threads.widen_provider_pool(16, say=pytest.fail) is None  # once per process


@pytest.mark.parametrize("calls", [2, 4])
def test_widening_serves_every_waiting_call_after_a_worker_counted_itself_idle_and_took_one(fresh, monkeypatch,
                                                                                            calls):
    """The executor (CPython 3.10, 3.11) counts a worker idle when it finishes a call, also when that
    worker then takes a call which waited for a free one: the count says one is idle while all are busy.
    Widening must start a thread for every call still waiting, and for each call after it (a
    Configure that ended just after 4 Creates arrived: 7 of 8 restores submitted, in a loaded CI)."""
    pool = futures.ThreadPoolExecutor(max_workers=2)
    short_done, release = threading.Event(), threading.Event()
    started = threading.Semaphore(0)

    def call() -> None:
        started.release()
        release.wait(60)  # longer than any wait below: only a new thread can start a waiting call

    short = pool.submit(short_done.wait, 10)  # like Configure: ends while calls wait for a worker
    waiting = [pool.submit(call) for _ in range(calls)]  # 1 runs, the others wait
    short_done.set()
    monkeypatch.setattr(provider_threads, "find_provider_pool", lambda: (pool, ""))
    try:
        assert short.result(10) is True
        assert all(started.acquire(timeout=10) for _ in range(2)), "the short call's worker took a waiting call"
        assert provider_threads.widen_provider_pool(8, say=pytest.fail) == 8
        assert all(started.acquire(timeout=10) for _ in range(calls - 2)), "every call waiting at the widening runs"
        later = pool.submit(call)
        assert started.acquire(timeout=10), "a call after the widening runs at once"
    finally:
        release.set()
    assert all(c.result(10) is None for c in [*waiting, later])


@pytest.mark.parametrize("finder", [
    lambda: (None, "main() of pulumi.dynamic has no local 'server'"),
    lambda: 1 / 0,
])
def test_changed_sdk_internals_give_one_line_never_an_error(fresh, monkeypatch, finder):
    lines: list[str] = []
    monkeypatch.setattr(provider_threads, "find_provider_pool", finder)
    assert provider_threads.widen_provider_pool(8, say=lines.append) is None
    assert provider_threads.widen_provider_pool(8, say=lines.append) is None
    assert len(lines) == 1
    assert lines[0].startswith("restores run at most 4 at a time in this provider process (")
    assert "pulumi up still works" in lines[0]


def test_outside_a_provider_process_nothing_happens(monkeypatch):
    monkeypatch.setattr(provider_threads, "_done", threading.Event())
    monkeypatch.setattr(provider_threads, "find_provider_pool", pytest.fail)
    assert provider_threads.widen_provider_pool(8, say=pytest.fail) is None  # pytest's __main__ is no pulumi.*
