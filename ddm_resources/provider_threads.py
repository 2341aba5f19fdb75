"""Let the provider process run every restore of one `pulumi up` at once.

Pulumi's Python dynamic-provider process (`python -m pulumi.dynamic`, the SDK's
`pulumi/dynamic/__main__.py`) serves the engine with
`grpc.server(futures.ThreadPoolExecutor(max_workers=4))`. Each Create holds a worker for as long
as its restore job runs, so a fifth restore is not even started until one of the first four has
finished: 12 restores run in three batches, whatever the engine's `--parallel`.

`widen_provider_pool(workers)` raises that limit, once per process, from `configure` (which the
SDK calls when it first unpickles the provider, before it serves any Create). It finds the server
where the SDK keeps it: the main thread is parked in `main()` of `pulumi.dynamic.__main__`, whose
local `server` is the `grpc.Server`; its executor is `server._state.thread_pool`, and a
`ThreadPoolExecutor` starts another thread on `submit` while it has fewer than `_max_workers`
threads and none idle, so raising `_max_workers` takes effect from the next call on (its count of
idle threads is reset then, as it can be too high after calls waited for a worker). Threads are
started only when calls wait for one, so a high limit costs nothing until it is used.

These are internals of the Pulumi SDK, grpcio and CPython. Every step is checked; if any of them
changed, nothing is touched and one line says that restores run at most N at a time, as before.
The engine's own limit stays: `pulumi up --parallel` (default 4 x CPU cores).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from types import FrameType

from .runtime_load import in_provider_process
from .wording import say as _say

__all__ = ["PROVIDER_WORKERS", "find_provider_pool", "widen_provider_pool"]

PROVIDER_WORKERS = 256
"""Worker threads of the provider process after widening: calls served at once."""

_SDK_MAIN = "pulumi.dynamic.__main__"
_done = threading.Event()


def widen_provider_pool(workers: int = PROVIDER_WORKERS,
                        say: Callable[[str], None] | None = None) -> int | None:
    """Raise the provider server's worker limit to `workers`; returns the limit now in force.

    Returns None, doing nothing, outside a process started by the Pulumi SDK (its `__main__`
    is not a `pulumi.*` module: unit tests, a program) and on every call after the first. When
    the SDK's internals are not as expected, changes nothing, says so in one line through
    `say` (default: stdout, which the engine shows) and returns None. Never raises.
    """
    if _done.is_set() or not in_provider_process():
        return None
    _done.set()
    try:
        pool, problem = find_provider_pool()
    except Exception as exc:  # an internal changed in a way no check foresaw: degrade, never fail
        pool, problem = None, f"{type(exc).__name__} while looking for the gRPC server"
    if pool is None:
        _line(say, f"restores run at most 4 at a time in this provider process ({problem}; Pulumi's "
                   "SDK changed): pulumi up still works, restores beyond 4 wait for a free slot")
        return None
    limit: int = pool._max_workers
    if limit < workers:
        pool._max_workers = workers
        _start_threads_for_queued_calls(pool)
    return max(limit, workers)


def _start_threads_for_queued_calls(pool: ThreadPoolExecutor) -> None:
    """Start a thread for each call already waiting in the queue, and reset the count of idle threads.

    The executor adds threads only on `submit`, so calls queued before the widening would
    otherwise keep waiting. And `submit` adds none while its count of idle threads
    (`_idle_semaphore`) is above zero, a count that is too high once calls have waited for a
    worker: on CPython 3.10 and 3.11 a worker counts itself idle when it finishes a call, then at
    once takes a waiting one (CPython gh-88354; 3.12 counts it only when none waits). After the
    widening each such count would leave one call (a restore) queued behind a busy worker, maybe
    for the whole restore (a loaded CI: 7 of 8 Creates ran). So the count is emptied first; a
    worker counts itself again when it next finishes, and a thread idle now costs at most one
    extra thread later."""
    queue = getattr(pool, "_work_queue", None)
    adjust = getattr(pool, "_adjust_thread_count", None)
    idle = getattr(pool, "_idle_semaphore", None)
    if queue is None or adjust is None or not hasattr(queue, "qsize"):
        return
    with getattr(pool, "_shutdown_lock", None) or nullcontext():  # as `submit` holds it
        if idle is not None and hasattr(idle, "acquire"):
            while idle.acquire(timeout=0):
                pass
        for _ in range(queue.qsize()):
            adjust()


def find_provider_pool(frames: dict[int, FrameType] | None = None,
                       main_ident: int | None = None) -> tuple[ThreadPoolExecutor | None, str]:
    """The provider server's executor, or None and what was not found (for the one line)."""
    frames = sys._current_frames() if frames is None else frames
    ident = threading.main_thread().ident if main_ident is None else main_ident
    frame = frames.get(ident) if ident is not None else None
    while frame is not None and not (frame.f_code.co_name == "main" and _module_of(frame) == _SDK_MAIN):
        frame = frame.f_back
    if frame is None:
        return None, "no main() of pulumi.dynamic on the main thread"
    server = frame.f_locals.get("server")
    if server is None:
        return None, "main() of pulumi.dynamic has no local 'server'"
    pool = getattr(getattr(server, "_state", None), "thread_pool", None)
    if not isinstance(pool, ThreadPoolExecutor):
        return None, "the gRPC server has no ThreadPoolExecutor at _state.thread_pool"
    if not isinstance(getattr(pool, "_max_workers", None), int):
        return None, "the executor has no _max_workers"
    return pool, ""


def _module_of(frame: FrameType) -> str | None:
    spec = frame.f_globals.get("__spec__")
    return getattr(spec, "name", None) or frame.f_globals.get("__name__")


def _line(say: Callable[[str], None] | None, message: str) -> None:
    (say or _say)(message)
